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
        lines = [encode_record(value) for _, value in items]
        if lines:
            lines.append('')
            self._fh.write('\n'.join(lines).encode('utf-8'))

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


def open_writer(layout: str, root: Path) -> RecordWriter:
    if layout == 'jsonl':
        return JsonLinesWriter(root)
    if layout == 'files':
        return PerRecordFilesWriter(root)
    raise ValueError(f'params.layout: {layout!r} is not one of {", ".join(LAYOUTS)}')
