"""How an in-process export lays its records out on disk.

``jsonl`` (the default): one ``records.jsonl``, one record per line, compact UTF-8 JSON with
non-ASCII kept, keys in the record's own order. A record's ``data`` that the backend sent as JSON
text (v2) is copied as that text, byte for byte, without being parsed and encoded again (`RawJSON`).
Why: any ``indent`` makes CPython fall back from its C JSON encoder to the pure-Python one (~6x
slower per record); one file per record costs a file creation each (~60-350 us, as much as
fetching the record); and parsing plus re-encoding an annotation document costs three times the
rest of the export's CPU. Parsed, a line equals the record the ``files`` layout writes; the bytes
differ in whitespace and in key order (``files`` sorts keys, ``jsonl`` keeps the backend's).

``files`` (the layout of earlier releases, kept for consumers that read it): ``<id>.json`` per
record, indented by 2, sorted keys, exactly the bytes earlier releases wrote.

Both write append-only state a resumed export can cut back to its last checkpoint (`ExportJournal`).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Literal

from synapse_sdk.plugins.actions.export.targets import RawJSON

__all__ = [
    'COMPACT_JSON',
    'LAYOUTS',
    'RECORDS_FILE',
    'JsonLinesWriter',
    'PerRecordFilesWriter',
    'RecordWriter',
    'open_writer',
]

RECORDS_FILE = 'records.jsonl'
LAYOUTS = ('jsonl', 'files')
Layout = Literal['jsonl', 'files']

#: ``indent=None`` keeps CPython on its C encoder (`json.encoder.c_make_encoder`).
COMPACT_JSON = json.JSONEncoder(ensure_ascii=False, separators=(',', ':'))
_BUFFER = 1 << 20


class RecordWriter:
    """Writes converted records (``(id, value)`` pairs) under `root`."""

    def write(self, items: Iterable[tuple[Any, Any]]) -> None:
        raise NotImplementedError

    def sizes(self) -> dict[Path, int]:
        """Sizes of the append-only files after the last write, flushed (for a checkpoint)."""
        return {}

    def finish(self) -> dict[str, Any]:
        """Complete the output (every record written); returns what to add to the export's result."""
        return {}

    def close(self) -> None:
        """Release files (after `finish`, or instead of it when the export failed)."""


class JsonLinesWriter(RecordWriter):
    def __init__(self, root: Path) -> None:
        # Appends: a resumed export has cut the file back to its last checkpoint beforehand.
        self.path = root / RECORDS_FILE
        self._fh = self.path.open('ab', buffering=_BUFFER)

    def write(self, items: Iterable[tuple[Any, Any]]) -> None:
        values = [value for _, value in items]
        if values:
            self._fh.write(encode_records(values).encode('utf-8'))

    def sizes(self) -> dict[Path, int]:
        self._fh.flush()
        return {self.path: self._fh.tell()}

    def close(self) -> None:
        self._fh.close()


class PerRecordFilesWriter(RecordWriter):
    def __init__(self, root: Path) -> None:
        self.root = root

    def write(self, items: Iterable[tuple[Any, Any]]) -> None:
        for record_id, value in items:
            if type(value) is dict and isinstance(value.get('data'), RawJSON):
                value = {**value, 'data': value['data'].parse()}
            (self.root / f'{record_id}.json').write_text(
                json.dumps(value, ensure_ascii=False, indent=2, sort_keys=True), encoding='utf-8'
            )


def encode_record(value: Any) -> str:
    """One record as compact JSON; a record whose ``data`` is `RawJSON` is spliced, not re-encoded."""
    if type(value) is dict and isinstance(value.get('data'), RawJSON):
        parts = []
        for key, item in value.items():
            text = item.text if isinstance(item, RawJSON) else COMPACT_JSON.encode(item)
            parts.append(f'{COMPACT_JSON.encode(key)}:{text}')
        return '{' + ','.join(parts) + '}'
    return COMPACT_JSON.encode(value)


#: Stand-ins the batch encoder puts where a record's ``data`` text goes and between records, then replaces. The
#: NULs make them ``\\u0000`` in JSON: a record's own string could still contain one, which the count of
#: replacements shows (see `encode_records`).
_DATA_MARK = '\x00synapse-export-data\x00'
_LINE_MARK = '\x00synapse-export-line\x00'
_DATA_JSON = COMPACT_JSON.encode(_DATA_MARK)
_LINE_JSON = f',{COMPACT_JSON.encode(_LINE_MARK)},'


def encode_records(values: list[Any]) -> str:
    """`encode_record` of each value, each followed by a newline: the same text in one encoder call per batch.

    Per record, the encoder's setup cost more than the encoding (five calls: the keys and values around the
    spliced ``data``). Here the whole batch is one list, each `RawJSON` ``data`` replaced by `_DATA_MARK` and a
    `_LINE_MARK` between records; the encoded list is cut at the marks and the texts put in. The cuts are
    trusted only when there are exactly as many as marks put in (a string of the batch that contains a mark's
    JSON makes one more); otherwise, or when the encoder refuses a value (another `RawJSON` beside ``data``),
    each value is encoded on its own, which splices it or says what it cannot encode."""
    texts: list[str] = []
    rows: list[Any] = []
    for value in values:
        if type(value) is dict:
            data = value.get('data')
            if isinstance(data, RawJSON):
                texts.append(data.text)
                value = {**value, 'data': _DATA_MARK}
        rows.append(value)
        rows.append(_LINE_MARK)
    rows.pop()
    try:
        lines = COMPACT_JSON.encode(rows)[1:-1].split(_LINE_JSON)
    except TypeError:
        lines = []
    if len(lines) == len(values):
        lines.append('')
        parts = '\n'.join(lines).split(_DATA_JSON)
        if len(parts) == len(texts) + 1:
            spliced = [''] * (2 * len(texts) + 1)
            spliced[::2] = parts
            spliced[1::2] = texts
            return ''.join(spliced)
    return ''.join([f'{encode_record(value)}\n' for value in values])


def open_writer(layout: str, root: Path) -> RecordWriter:
    if layout == 'jsonl':
        return JsonLinesWriter(root)
    if layout == 'files':
        return PerRecordFilesWriter(root)
    raise ValueError(f'params.layout: {layout!r} is not one of {", ".join(LAYOUTS)}')
