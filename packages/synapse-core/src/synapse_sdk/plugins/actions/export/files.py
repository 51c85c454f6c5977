"""Original files of exported records: downloaded concurrently, retried, verified, failures reported.

Each record's ``files`` (``{spec: url}`` or ``{spec: {'url', 'size'?, 'checksum'?, ...}}``) are
saved as ``original_files/<record id>_<spec><ext>`` (``ext`` from the URL path), so a record's files
are found from its id alone and never collide. Downloads run on a thread pool of ``concurrency``
workers through synapse-clients' `FileDownloader` (the clients' retry policy, no credentials sent
to file origins, size and checksum checked when given). The export submits a batch's downloads
and writes the previous batch's records meanwhile, so the pool stays busy across batches while
memory holds at most two batches of futures.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import urlsplit

__all__ = [
    'ERRORS_FILE',
    'FILES_DIR',
    'FILE_ERRORS',
    'FileJob',
    'OriginalFiles',
    'entry_url',
    'file_job',
    'file_jobs',
    'url_suffix',
]

FILES_DIR = 'original_files'
ERRORS_FILE = 'download_errors.jsonl'
FILE_ERRORS = ('fail', 'report')
_UNSAFE = re.compile(r'[^A-Za-z0-9._-]')
#: A URL whose path `urlsplit` would find plainly: a scheme, ``//``, a netloc of printable ASCII without brackets,
#: then the path (group 1) up to ``?``, ``#`` or the end, with no spaces or control characters. Anything else (no
#: scheme, whitespace that `urlsplit` strips or removes, an IPv6 netloc it validates, non-ASCII) goes through
#: `urlsplit` itself. One C-level match instead of `urlsplit`'s ~5 us per URL.
_PLAIN_URL = re.compile(
    r'[A-Za-z][A-Za-z0-9+.-]*://'  # scheme
    r'[^/?#\[\]\x00-\x20\x7f-\U0010ffff]*'  # netloc
    r'(/[^?#\x00-\x20\x7f]*)?'  # path
    r'(?:[?#]|\Z)'  # query, fragment or the end
)


@dataclass(frozen=True)
class FileJob:
    record_id: Any
    spec: str
    url: str
    name: str
    size: int | None = None
    checksum: str | None = None


def _safe(text: str) -> str:
    """`text` usable in a file name: anything but letters, digits, ``.``, ``_``, ``-`` becomes ``_``."""
    return _UNSAFE.sub('_', text[:100]) or '_'


def entry_url(value: Any) -> str | None:
    """The URL of a ``files`` entry (``{spec: url}`` or ``{spec: {'url': ...}}``); None without one."""
    url = value.get('url') if isinstance(value, Mapping) else value
    return url if isinstance(url, str) and url else None


def url_suffix(url: str) -> str:
    """The file name suffix of `url`'s path (``.jpg``), made safe for a file name; ``''`` without one.

    ``PurePosixPath(path).suffix`` without building the path object (3 us, a tenth of what an export to a
    dataset format spends per record in its own process): the last component, and a suffix only when its
    dot is neither its first nor its last character. The path comes from `_PLAIN_URL` when the URL is plain,
    else from `urlsplit` (equal on every URL: ``tests/workflows/test_export_url_suffix.py``)."""
    plain = _PLAIN_URL.match(url)
    path = (plain.group(1) or '') if plain is not None else urlsplit(url).path
    name = path.rpartition('/')[2]
    if name in ('', '.'):  # a trailing ``/`` or ``/.``: the path object knows which component is last
        name = PurePosixPath(path).name
    dot = name.rfind('.')
    return _safe(name[dot:]) if 0 < dot < len(name) - 1 else ''


def file_job(record_id: Any, spec: Any, value: Any) -> FileJob | None:
    """The download of one ``files`` entry of a record (None for an entry without a URL)."""
    url = entry_url(value)
    if url is None:
        return None
    entry = value if isinstance(value, Mapping) else {}
    size = entry.get('size')
    checksum = entry.get('checksum')
    return FileJob(
        record_id=record_id,
        spec=str(spec),
        url=url,
        name=f'{_safe(str(record_id))}_{_safe(str(spec))}{url_suffix(url)}',
        size=size if isinstance(size, int) and not isinstance(size, bool) else None,
        checksum=checksum if isinstance(checksum, str) else None,
    )


def file_jobs(record: Mapping[str, Any]) -> list[FileJob]:
    """The downloads of one record, in spec order."""
    jobs = []
    for spec, value in sorted((record.get('files') or {}).items()):
        job = file_job(record['id'], spec, value)
        if job is not None:
            jobs.append(job)
    return jobs


@dataclass
class BatchDownloads:
    futures: list[tuple[FileJob, Future[int]]] = field(default_factory=list)


class OriginalFiles:
    """Downloads into `files_dir`, failures listed in `errors_path`; `submit` a batch, then `finish` it."""

    def __init__(
        self,
        files_dir: Path,
        errors_path: Path,
        *,
        concurrency: int,
        on_error: str,
        retry: Any = None,
        downloaded: int = 0,
        failed: int = 0,
    ) -> None:
        try:
            from synapse_sdk.clients.downloads import FileDownloader
        except ImportError as exc:  # pragma: no cover - exercised by the isolation check
            raise ImportError(
                'save_original_file needs synapse-clients: pip install synapse-clients (or synapse-sdk)'
            ) from exc
        if on_error not in FILE_ERRORS:
            raise ValueError(f'params.file_errors: {on_error!r} is not one of {", ".join(FILE_ERRORS)}')
        self.dir = files_dir
        self.dir.mkdir(parents=True, exist_ok=True)
        # Each file's destination is built as a string: a Path per file would intern its name
        # (see synapse_sdk.clients.downloads), which made the peak memory grow with the file count.
        self._dir = os.fspath(files_dir)
        self.on_error = on_error
        self.downloaded = downloaded
        self.failed = failed
        self._errors_path = errors_path
        self._errors_fh: Any = None
        self._downloader = FileDownloader(concurrency=concurrency, retry=retry)
        self._pool = ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix='synapse-export-files')

    def submit(self, records: list[dict[str, Any]]) -> BatchDownloads:
        batch = BatchDownloads()
        for record in records:
            for job in file_jobs(record):
                future = self._pool.submit(
                    self._downloader.download,
                    job.url,
                    os.path.join(self._dir, job.name),
                    size=job.size,
                    checksum=job.checksum,
                )
                batch.futures.append((job, future))
        return batch

    def finish(self, batch: BatchDownloads) -> None:
        """Wait for a batch; a failure raises (``fail``) or is recorded (``report``)."""
        for job, future in batch.futures:
            try:
                future.result()
            except Exception as exc:
                if self.on_error == 'fail':
                    self._cancel(batch)
                    raise
                self._record(job, exc)
            else:
                self.downloaded += 1

    def _cancel(self, batch: BatchDownloads) -> None:
        for _, future in batch.futures:
            future.cancel()

    def _record(self, job: FileJob, exc: Exception) -> None:
        self.failed += 1
        entry = {
            'item': job.record_id,
            'spec': job.spec,
            'url': getattr(exc, 'url', None) or urlsplit(job.url)._replace(query='', fragment='').geturl(),
            'status': getattr(exc, 'status_code', None),
            'error': getattr(exc, 'reason', None) or str(exc),
            'attempts': getattr(exc, 'attempts', None),
        }
        if self._errors_fh is None:
            self._errors_fh = self._errors_path.open('ab')
        self._errors_fh.write(json.dumps(entry, sort_keys=True).encode() + b'\n')

    def first_errors(self, limit: int = 20) -> list[dict[str, Any]]:
        """The first recorded failures (all of them are in ``download_errors.jsonl``)."""
        if not self._errors_path.exists():
            return []
        if self._errors_fh is not None:
            self._errors_fh.flush()
        with self._errors_path.open('rb') as fh:
            return [json.loads(line) for _, line in zip(range(limit), fh, strict=False)]

    def sizes(self) -> dict[Path, int]:
        if self._errors_fh is None:
            return {}
        self._errors_fh.flush()
        return {self._errors_path: self._errors_fh.tell()}

    def close(self, *, wait: bool = True) -> None:
        self._pool.shutdown(wait=wait, cancel_futures=True)
        self._downloader.close()
        if self._errors_fh is not None:
            self._errors_fh.close()
