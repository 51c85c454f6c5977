"""Exporting straight into a dataset format (DM v1/v2, YOLO, COCO, Pascal VOC), in one pass.

Each record flows from the backend into synapse-converters' streaming ``DatasetWriter`` as a
``DMRecord``: same validation, conversion report, error policy and atomic output as ``get_converter``
on a DM dataset, with no DM dataset written in between. Per record:

- ``name``: ``<target>_<id>`` (``assignment_17``): unique, and the stem of its label / XML / JSON file;
- ``document``: the record's ``data`` (a DM v2 document, or v1 with ``record_format='dm_v1'``), as the JSON
  text the backend sent when it sent text: the converter parses it where it converts the record;
- ``image``: the primary file (``is_primary``, else the first by spec) when ``save_original_file``
  downloaded it (hard-linked into the output by default); its size comes from its header;
- without an image, ``width``/``height`` from the file entry (``width``/``height`` or ``meta``), else
  from a DM v1 document's ``extra``; none known is a conversion problem the error policy handles.

The conversion runs where the converters decide by default (``workers=None``: in worker processes when a
second core is idle, so it does not share this process's GIL with the fetching; in process otherwise);
``format_options['workers']`` overrides that. The converter writes to the export's path itself (atomically: its own staging directory beside it, renamed
on close), since some formats name their own location (YOLO's ``data.yaml``). Resuming: the converter's
state cannot be saved midway, so the export keeps a spool of what it has fed the converter
(``records.spool.jsonl``, in the staging directory, next to the downloaded files) and a resumed run
replays it into a new writer before it fetches the rest: no record is fetched or downloaded twice, and
the output equals an uninterrupted run's. The spool goes when the export ends.

The spool is internal, laid out for a cheap write: it holds what each record gave the converter. Per
batch, one line holding a JSON array of ``[id, image, suffix, width, height, kind, document]`` rows (one
call of the C encoder per batch; ``image``: the primary file's name in the download directory, or null),
then, for each row of kind ``TEXT_LINE`` in order, a line holding the backend's JSON text of that record's
``data`` as it is. Kind ``VALUE``: ``document`` is the value itself; ``TEXT``: the JSON text as a JSON
string (only for text with a line break in it). Why: encoding each record's fields separately, or the text
as a JSON string (escaping every quote in it), or the record's file entries cost more than anything else
this process did per record. A line holding an object is a record spooled by an earlier release (one
record per line, ``data`` spliced), replayed as such.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from synapse_sdk.plugins.actions.export.files import entry_url, file_job, url_suffix
from synapse_sdk.plugins.actions.export.journal import ExportResumeError
from synapse_sdk.plugins.actions.export.targets import RawJSON
from synapse_sdk.plugins.actions.export.writers import COMPACT_JSON, RecordWriter

__all__ = ['FORMATS', 'SPOOL_FILE', 'DatasetRecordWriter']

FORMATS = ('dm_v1', 'dm_v2', 'yolo', 'coco', 'pascal')
SPOOL_FILE = 'records.spool.jsonl'
#: Kinds of spooled rows (see the module docstring).
VALUE, TEXT, TEXT_LINE = 0, 1, 2


def _converters() -> Any:
    try:
        from synapse_sdk.utils import converters
    except ImportError as exc:  # pragma: no cover - exercised by the isolation check
        raise ImportError(
            'exporting to a dataset format needs synapse-converters: pip install synapse-converters '
            '(or synapse-sdk)'
        ) from exc
    return converters


def _size(entry: Any, text: str | None, document: Any) -> tuple[int | None, int | None]:
    """The image size from the file entry, else from the document (`text` parsed only then)."""
    if type(entry) is dict:  # the usual entry, sizes included: no ABC checks
        width, height = entry.get('width'), entry.get('height')
        if type(width) is int and type(height) is int:
            return width, height
    if isinstance(entry, Mapping):
        for source in (entry, entry.get('meta')):
            if isinstance(source, Mapping):
                width, height = source.get('width'), source.get('height')
                if isinstance(width, int) and isinstance(height, int):
                    return width, height
    if text is not None:  # parsed only when the file entry does not say
        try:
            document = json.loads(text)
        except ValueError:
            return None, None  # the converter reports the document itself
    extra = document.get('extra') if isinstance(document, Mapping) else None
    if isinstance(extra, Mapping):
        for media in extra.values():
            if isinstance(media, Mapping) and isinstance(media.get('width'), int):
                return media.get('width'), media.get('height')
    return None, None


def _primary(files: Mapping[str, Any]) -> str | None:
    if len(files) == 1:  # the usual record: its one file is the primary whatever it says
        return next(iter(files))
    specs = sorted(files)
    for spec in specs:
        entry = files[spec]
        if isinstance(entry, Mapping) and entry.get('is_primary'):
            return spec
    return specs[0] if specs else None


class DatasetRecordWriter(RecordWriter):
    """Feeds records to a ``DatasetWriter`` writing straight to `output` (the export's final path: YOLO's
    ``data.yaml`` names it), spooling the records for a resume."""

    def __init__(
        self,
        output: Path,
        *,
        target_format: str,
        entity: str,
        spool: Path,
        files_dir: Path | None,
        record_format: str = 'dm_v2',
        error_policy: str = 'fail',
        options: Mapping[str, Any] | None = None,
    ) -> None:
        converters = _converters()
        options = dict(options or {})
        if files_dir is not None:
            options.setdefault('image_mode', 'hardlink')  # the downloads are ours: link, do not copy
        for stale in output.parent.glob(f'.{output.name}.partial-*'):
            # The staging directory of a writer whose export was killed (this export holds the path's lock).
            shutil.rmtree(stale, ignore_errors=True)
        try:
            self._writer = converters.DatasetWriter(
                target_format, output, source=record_format, error_policy=error_policy, **options
            )
        except TypeError as exc:
            raise ValueError(f'params.format_options: {exc}') from None
        self._record = converters.DMRecord
        self.entity = entity
        self.files_dir = files_dir
        self.spool_path = spool
        self.result: Any = None
        resumed = spool.exists() and spool.stat().st_size > 0
        try:
            if resumed:
                self._replay(spool)
        except BaseException:
            self._writer.abort()
            raise
        self._spool = spool.open('ab')

    def _describe(
        self, record_id: Any, files: Mapping[str, Any], text: str | None, data: Any
    ) -> tuple[str | None, str, int | None, int | None]:
        """``(image, suffix, width, height)`` of a record: its primary file's name in `files_dir` when that was
        downloaded, the suffix of its URL, and without an image the size the record gives (`text`: the
        backend's JSON text of its ``data``; None: `data` is the value itself)."""
        if len(files) == 1 and self.files_dir is None:
            # The usual record (one file, a plain entry with its size, nothing downloaded) without the general
            # path's calls: the same result, a third of its CPU.
            ((_, entry),) = files.items()
            if type(entry) is dict:
                url = entry.get('url')
                suffix = url_suffix(url) if isinstance(url, str) and url else ''
                width, height = entry.get('width'), entry.get('height')
                if type(width) is int and type(height) is int:
                    return None, suffix, width, height
                return None, suffix, *_size(entry, text, data)
        image = None
        spec = _primary(files)
        suffix = ''
        entry = None
        if spec is not None:
            # Only the primary file, and only its suffix unless it was downloaded: building every entry's job
            # (URL parsing, name escaping) cost ~10% of a YOLO export's CPU, the primary's alone ~10% of what
            # this process does per record when the conversion runs in worker processes.
            entry = files[spec]
            url = entry_url(entry)
            suffix = url_suffix(url) if url is not None else ''
            if self.files_dir is not None:
                job = file_job(record_id, spec, entry)
                if job is not None and (self.files_dir / job.name).exists():
                    image = job.name
        width, height = (None, None) if image is not None else _size(entry, text, data)
        return image, suffix, width, height

    def _record_for(
        self,
        record_id: Any,
        image: str | None,
        suffix: str,
        width: int | None,
        height: int | None,
        document: Any,
    ) -> Any:
        """The converter's ``DMRecord`` of one record. A `document` that is the backend's JSON text goes as it is:
        parsed where it is converted (a worker process), not here, where the parse and the pickling of the parsed
        document to the worker cost more than everything else this process does per record."""
        name = f'{self.entity}_{record_id}'
        if image is not None and self.files_dir is None:
            raise ExportResumeError(
                f'{self.spool_path} names an original file, but this export downloads none'
            )
        return self._record(
            name=name,
            document=document,
            image=None if image is None or self.files_dir is None else self.files_dir / image,
            image_name=f'{name}{suffix}',
            width=width,
            height=height,
            source=f'{self.entity} {record_id}',
        )

    def write(self, items: Iterable[tuple[Any, Any]]) -> None:
        rows: list[tuple[Any, ...]] = []
        fed = []  # handed to the converter in one call
        texts = ['']  # the batch's line of rows goes first
        for _, record in items:
            record_id, files, data = record['id'], record.get('files') or {}, record.get('data')
            if isinstance(data, RawJSON):
                document = data.text
                described = self._describe(record_id, files, document, None)
                if '\n' in document or '\r' in document:
                    rows.append((record_id, *described, TEXT, document))
                else:
                    rows.append((record_id, *described, TEXT_LINE, None))
                    texts.append(document)
            else:
                document = data
                described = self._describe(record_id, files, None, data)
                rows.append((record_id, *described, VALUE, data))
            fed.append(self._record_for(record_id, *described, document))
        self._writer.write_many(fed)
        if rows:
            texts[0] = COMPACT_JSON.encode(rows)
            texts.append('')
            self._spool.write('\n'.join(texts).encode('utf-8'))

    def _replay(self, spool: Path) -> None:
        """Feed the converter what the interrupted run fed it (see the module docstring)."""
        with spool.open('rb') as fh:
            lines = iter(fh)
            for line in lines:
                rows = json.loads(line)
                if isinstance(rows, dict):  # a record spooled by an earlier release
                    record_id, data = rows['id'], rows.get('data')
                    described = self._describe(record_id, rows.get('files') or {}, None, data)
                    self._writer.write(self._record_for(record_id, *described, data))
                    continue
                fed = []
                for record_id, image, suffix, width, height, kind, document in rows:
                    if kind == TEXT_LINE:
                        text = next(lines, b'')
                        if not text.endswith(b'\n'):
                            raise ExportResumeError(
                                f'{spool} ends within a batch: the partial export is damaged; pass resume=false'
                            )
                        document = text[:-1].decode('utf-8')
                    fed.append(self._record_for(record_id, image, suffix, width, height, document))
                self._writer.write_many(fed)

    def sizes(self) -> dict[Path, int]:
        self._spool.flush()
        return {self.spool_path: self._spool.tell()}

    def finish(self) -> dict[str, Any]:
        self._spool.close()
        self.result = self._writer.close()
        return {'conversion': self.result.model_dump(mode='json')}

    def close(self) -> None:
        if not self._spool.closed:
            self._spool.close()
        if self.result is None:
            self._writer.abort()
