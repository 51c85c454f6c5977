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
state cannot be saved midway, so the export keeps a spool of the raw records
it has fetched (``records.spool.jsonl``, in the staging directory, next to the downloaded files) and a
resumed run replays it into a new writer before it fetches the rest: no record is fetched or
downloaded twice, and the output equals an uninterrupted run's. The spool goes when the export ends.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from synapse_sdk.plugins.actions.export.files import entry_url, file_job, url_suffix
from synapse_sdk.plugins.actions.export.targets import RawJSON
from synapse_sdk.plugins.actions.export.writers import RecordWriter, encode_record

__all__ = ['FORMATS', 'SPOOL_FILE', 'DatasetRecordWriter']

FORMATS = ('dm_v1', 'dm_v2', 'yolo', 'coco', 'pascal')
SPOOL_FILE = 'records.spool.jsonl'


def _converters() -> Any:
    try:
        from synapse_sdk.utils import converters
    except ImportError as exc:  # pragma: no cover - exercised by the isolation check
        raise ImportError(
            'exporting to a dataset format needs synapse-converters: pip install synapse-converters '
            '(or synapse-sdk)'
        ) from exc
    return converters


def _size(entry: Any, document: Any) -> tuple[int | None, int | None]:
    if isinstance(entry, Mapping):
        for source in (entry, entry.get('meta')):
            if isinstance(source, Mapping):
                width, height = source.get('width'), source.get('height')
                if isinstance(width, int) and isinstance(height, int):
                    return width, height
    if isinstance(document, RawJSON):  # parsed only when the file entry does not say
        try:
            document = document.parse()
        except ValueError:
            return None, None  # the converter reports the document itself
    extra = document.get('extra') if isinstance(document, Mapping) else None
    if isinstance(extra, Mapping):
        for media in extra.values():
            if isinstance(media, Mapping) and isinstance(media.get('width'), int):
                return media.get('width'), media.get('height')
    return None, None


def _primary(files: Mapping[str, Any]) -> str | None:
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
                with spool.open('rb') as fh:
                    for line in fh:
                        self._convert(json.loads(line))
        except BaseException:
            self._writer.abort()
            raise
        self._spool = spool.open('ab')

    def _convert(self, record: Mapping[str, Any]) -> None:
        data = record.get('data')
        # The backend's JSON text goes to the converter as it is: parsed where it is converted (a worker
        # process), not here, where the parse and the pickling of the parsed document to the worker cost more
        # than everything else this process does per record.
        document = data.text if isinstance(data, RawJSON) else data
        files = record.get('files') or {}
        name = f'{self.entity}_{record["id"]}'
        image = None
        spec = _primary(files)
        suffix = ''
        if spec is not None:
            # Only the primary file, and only its suffix unless it was downloaded: building every entry's job
            # (URL parsing, name escaping) cost ~10% of a YOLO export's CPU, the primary's alone ~10% of what
            # this process does per record when the conversion runs in worker processes.
            url = entry_url(files[spec])
            suffix = url_suffix(url) if url is not None else ''
            if self.files_dir is not None:
                job = file_job(record['id'], spec, files[spec])
                if job is not None and (self.files_dir / job.name).exists():
                    image = self.files_dir / job.name
        width, height = (None, None) if image is not None else _size(files.get(spec), data)
        self._writer.write(
            self._record(
                name=name,
                document=document,
                image=image,
                image_name=f'{name}{suffix}',
                width=width,
                height=height,
                source=f'{self.entity} {record["id"]}',
            )
        )

    def write(self, items: Iterable[tuple[Any, Any]]) -> None:
        lines = []
        for _, record in items:
            lines.append(encode_record(record))
            self._convert(record)
        if lines:
            lines.append('')
            self._spool.write('\n'.join(lines).encode('utf-8'))

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
