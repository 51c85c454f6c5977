"""`BaseExportAction`: export assignments, ground truths or tasks, in process or delegated.

Which backend API serves the data is decided in one place, ``use_v2(ctx, category=EXPORT)``
(``synapse_sdk.plugins.actions._v2_switch``): v2 by default for exports, v1 when
``SYNAPSE_FORCE_V1_EXPORT`` is truthy or no v2 client is configured. Both produce the same
records (see `targets`), so the output does not depend on the path taken.

Over a configurable size (``params.async_job_size_threshold``, else the env value
``SYNAPSE_EXPORT_ASYNC_JOB_SIZE_THRESHOLD``; unset: never), the export is delegated to a backend
async job (``v2_client.plugin_exports.create``) with exactly the same filters, and its progress
is streamed from ``v2_client.async_jobs.stream_progress``.
"""

from __future__ import annotations

import contextlib
import os
import time
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Literal, TypeVar

from pydantic import BaseModel, Field

from synapse_sdk.plugins.action import BaseAction
from synapse_sdk.plugins.actions.export.dataset import SPOOL_FILE, DatasetRecordWriter
from synapse_sdk.plugins.actions.export.files import ERRORS_FILE, FILES_DIR, OriginalFiles
from synapse_sdk.plugins.actions.export.journal import ExportJournal, ExportResumeError
from synapse_sdk.plugins.actions.export.targets import (
    BULK_BATCH,
    ExportTarget,
    RawJSON,
    RecordStream,
    fetch_v1,
    fetch_v2,
)
from synapse_sdk.plugins.actions.export.writers import RECORDS_FILE, RecordWriter, open_writer
from synapse_sdk.plugins.enums import PluginCategory
from synapse_sdk.plugins.errors import ExecutionError
from synapse_sdk.plugins.protocols import BackendV2ClientProtocol
from synapse_sdk.plugins.steps import BackendUnavailableError, BaseStepContext

__all__ = [
    'ASYNC_THRESHOLD_ENV',
    'BaseExportAction',
    'ExportContext',
    'ExportDataError',
    'ExportDelegationError',
    'ExportParams',
    'ExportProgressCategories',
]

ASYNC_THRESHOLD_ENV = 'SYNAPSE_EXPORT_ASYNC_JOB_SIZE_THRESHOLD'
#: Records with data that is not JSON named in the result and the log (the rest are counted).
DATA_ERRORS_LISTED = 20
#: At most one checkpoint per this many seconds (and one at the end): a resumed export redoes at most
#: that much work.
CHECKPOINT_SECONDS = 1.0


class ExportParams(BaseModel):
    """Params of an export run; subclass to add your own fields."""

    target: ExportTarget = Field(ExportTarget.ASSIGNMENT, description='What to export')
    filter: dict[str, Any] = Field(
        default_factory=dict, description='Backend list filters, e.g. {"project": 1}'
    )
    path: str = Field(description='Output directory (in-process) or path in the storage (delegated)')
    storage: int | None = Field(None, description='Backend storage id the delegated export writes to')
    layout: Literal['jsonl', 'files'] = Field(
        'jsonl',
        description='records.jsonl (one record per line), or files: <id>.json per record (earlier releases)',
    )
    save_original_file: bool = Field(False, description="Also download each record's files (original_files/)")
    file_concurrency: int = Field(8, ge=1, le=64, description='Downloads of original files in parallel')
    file_errors: Literal['fail', 'report'] = Field(
        'fail',
        description='A file that cannot be downloaded: stop (resumable), or list it in download_errors.jsonl',
    )
    format: Literal['dm_v1', 'dm_v2', 'yolo', 'coco', 'pascal'] | None = Field(
        None, description='Write this dataset format (one pass through the converters) instead of records'
    )
    record_format: Literal['dm_v1', 'dm_v2'] = Field(
        'dm_v2', description="With format: the DM version of the records' data"
    )
    error_policy: Literal['fail', 'skip', 'collect'] = Field(
        'fail',
        description="With format: the converters' policy for bad annotations; without: for data that is not JSON",
    )
    format_options: dict[str, Any] = Field(
        default_factory=dict,
        description='With format: DatasetWriter options (class_names, task, keypoint_names, image_mode, ...)',
    )
    resume: bool = Field(
        True, description='Finish an interrupted export at the same path (false: start over)'
    )
    async_job_size_threshold: int | None = Field(
        None,
        ge=0,
        description='Delegate to a backend async job above this many items (unset: env, else never)',
    )


class ExportProgressCategories:
    """Progress step names of an export."""

    DATASET_CONVERSION = 'dataset_conversion'


class ExportDataError(ExecutionError):
    """A record's ``data`` (as the backend sent it) is not JSON, and ``error_policy`` is ``fail``."""


class ExportDelegationError(ExecutionError):
    """The backend async export job failed or was cancelled; `job_id` names it."""

    def __init__(self, job_id: str, message: str):
        self.job_id = job_id
        super().__init__(f'Backend export job {job_id} failed: {message}')


@dataclass
class ExportContext(BaseStepContext):
    """State of an export run, for step-based exports (``output_path``, counts, the records)."""

    params: Any = None
    target: ExportTarget | None = None
    output_path: Path | None = None
    results: Iterator[dict[str, Any]] | None = None
    total_count: int = 0
    exported_count: int = 0
    used_v2: bool | None = None
    extra: dict[str, Any] = field(default_factory=dict)


P = TypeVar('P', bound=BaseModel)


class BaseExportAction(BaseAction[P]):
    """Base of export actions.

    The default `execute` fetches the records of ``params.target`` matching ``params.filter``,
    passes each through `convert_item` and writes it as ``<id>.json`` into ``params.path``
    (atomically: a failed export leaves no partial directory), or delegates to a backend job
    when the export is large. Override `convert_item` to change the format, or `execute`
    entirely (use `get_filtered_results` for the data).
    """

    category = PluginCategory.EXPORT
    params_model = ExportParams  # BaseExportAction[MyParams] replaces it
    progress: ClassVar[type[ExportProgressCategories]] = ExportProgressCategories
    #: Target used when the params have no ``target`` field.
    target: ClassVar[ExportTarget | str] = ExportTarget.ASSIGNMENT

    # -- data -----------------------------------------------------------------------------------
    def get_export_target(self) -> ExportTarget:
        return ExportTarget(getattr(self.params, 'target', None) or self.target)

    def uses_v2(self) -> bool:
        """Whether this export reads through the v2 API (the per-category policy decides)."""
        from synapse_sdk.plugins.actions._v2_switch import use_v2

        return use_v2(self.ctx, category=PluginCategory.EXPORT)

    def get_filtered_results(self, filters: Mapping[str, Any]) -> tuple[Iterator[dict[str, Any]], int]:
        """``(iterator over records, count)`` of the export target matching `filters`, streamed."""
        return self._fetch(filters)

    def _fetch(
        self,
        filters: Mapping[str, Any],
        *,
        raw_data: bool = False,
        ids_file: Path | None = None,
        start: int = 0,
    ) -> tuple[RecordStream, int]:
        target = self.get_export_target()
        if self.uses_v2():
            return fetch_v2(self._v2_client(), target, filters, ids_file=ids_file, raw_data=raw_data)
        if self.client is None:
            raise BackendUnavailableError(f'Exporting {target.value}s')
        return fetch_v1(self.client, target, filters, start=start, raw_data=raw_data)

    def _v2_client(self) -> BackendV2ClientProtocol:
        v2 = self.ctx.v2_client
        if v2 is None:  # uses_v2() is false without one; a subclass may have decided otherwise
            raise BackendUnavailableError(f'Exporting {self.get_export_target().value}s through the v2 API')
        return v2

    def _output_path(self) -> str:
        """``params.path``: the default `execute` needs it; a params model of one's own may not have it."""
        path = getattr(self.params, 'path', None)
        if not isinstance(path, str) or not path:
            raise ValueError(
                f'params.path: the default execute of {type(self).__name__} writes there, and '
                f'{type(self.params).__name__} has no path (add a `path: str` field, or override execute)'
            )
        return path

    def _results(self, filters: Mapping[str, Any], **options: Any) -> tuple[Any, int]:
        """The records the default `execute` writes: through an overridden `get_filtered_results` as is;
        otherwise fetched directly, with ``data`` left as the backend's JSON text when nothing looks
        into it (`convert_item` not overridden, ``jsonl`` layout; see `RawJSON`)."""
        if self._custom_results():
            return self.get_filtered_results(filters)
        return self._fetch(filters, raw_data=self._copies_records(), **options)

    def _copies_records(self) -> bool:
        return type(self).convert_item is BaseExportAction.convert_item and (
            getattr(self.params, 'layout', 'jsonl') == 'jsonl'
            or getattr(self.params, 'format', None) is not None
        )

    def convert_item(self, record: dict[str, Any]) -> Any:
        """Turn one record into what is written (a line of ``records.jsonl``; default: the record as is)."""
        return record

    # -- delegation -----------------------------------------------------------------------------
    def get_async_threshold(self) -> int | None:
        value = getattr(self.params, 'async_job_size_threshold', None)
        if value is None:
            value = self.ctx.env.get_int(ASYNC_THRESHOLD_ENV, default=None)
        return value

    def should_delegate(self, count: int) -> bool:
        """Delegate when over the threshold, on the v2 path, with a storage to write to."""
        threshold = self.get_async_threshold()
        if threshold is None or count <= threshold:
            return False
        if not self.uses_v2():
            self.log_message(
                f'{count} items exceed the async export threshold ({threshold}), but the v2 API is not in use; '
                'exporting in process',
                'warning',
            )
            return False
        if getattr(self.params, 'storage', None) is None:
            self.log_message(
                f'{count} items exceed the async export threshold ({threshold}), but params.storage is not set; '
                'exporting in process',
                'warning',
            )
            return False
        return True

    def delegate(self, filters: Mapping[str, Any], count: int) -> dict[str, Any]:
        """Run the export as a backend async job with the same filters and stream its progress."""
        v2 = self._v2_client()
        target = self.get_export_target()
        step = self.progress.DATASET_CONVERSION
        storage = getattr(self.params, 'storage', None)
        if not isinstance(storage, int):
            raise ValueError(f'params.storage: a delegated export needs a storage id, got {storage!r}')
        job = v2.plugin_exports.create(
            storage_id=storage,
            path=self._output_path(),
            targets=[target.value],
            project_id=filters.get('project'),
            include_original_files=bool(getattr(self.params, 'save_original_file', False)),
            filters=dict(filters),
            idempotency_key=uuid.uuid4().hex,
        )
        self.log('export_delegated', {'async_job_id': job.job_id, 'count': count, 'target': target.value})
        self.set_progress(0, count, step)
        manifest: Any = None
        try:
            for event in v2.async_jobs.stream_progress(job.job_id):
                if event.event == 'async_job.progress' and event.total_count:
                    done = min(event.processed_count or 0, event.total_count)
                    self.set_progress(done, event.total_count, step)
                elif event.event == 'async_job.completed':
                    if (event.status or 'COMPLETED') != 'COMPLETED':
                        raise ExportDelegationError(job.job_id, f'ended with status {event.status}')
                    manifest = event.data
                elif event.event == 'error':
                    message = (event.model_extra or {}).get('message') or event.status or 'error'
                    raise ExportDelegationError(job.job_id, str(message))
        except (KeyboardInterrupt, SystemExit):
            # This run is being stopped: stop the backend job too rather than leave it running.
            with contextlib.suppress(Exception):
                v2.async_jobs.cancel(job.job_id)
            raise
        if manifest is None:
            manifest = v2.async_jobs.retrieve(job.job_id).data
        total = (manifest or {}).get('records', count) if isinstance(manifest, dict) else count
        self.set_progress(total, total, step)
        return {'exported': total, 'delegated': True, 'async_job_id': job.job_id, 'manifest': manifest}

    # -- run ------------------------------------------------------------------------------------
    def execute(self) -> dict[str, Any]:
        """Export in process (resumable, see `ExportJournal`), or delegate a large export."""
        filters = dict(getattr(self.params, 'filter', None) or {})
        output = Path(self._output_path()).expanduser()
        fingerprint = self.export_fingerprint(filters)
        resume = bool(getattr(self.params, 'resume', True))
        journal: ExportJournal | None = None
        records: Any = None
        try:
            if resume and ExportJournal.find(output) is not None:
                journal = ExportJournal.open(output, fingerprint)
                if journal.resumed:
                    records = self._reopen_results(filters, journal)
            if records is None:
                records, count = self._results(filters)
                if self.should_delegate(count):
                    _close(records)
                    if journal is not None:
                        journal.discard()
                    return self.delegate(filters, count)
                journal = journal or ExportJournal.open(output, fingerprint, resume=resume)
                plan = getattr(records, 'ids', None)
                if plan is not None:
                    plan.save(journal.ids_file)
                journal.checkpoint(count=count)
        except BaseException:
            _close(records)
            if journal is not None and journal.resumed:
                journal.release()
            elif journal is not None:
                journal.discard()
            raise
        if journal is None:  # both branches above open one; this tells the type checker
            raise RuntimeError('the export journal was not opened')
        return self._run_in_process(records, journal)

    def export_fingerprint(self, filters: Mapping[str, Any]) -> dict[str, Any]:
        """What an interrupted export must share with the run that resumes it (the params that shape the
        output, the action class and the API). Override to add your own output-shaping params."""
        return {
            # The class name, not its module path: a plugin run as a Ray job imports it under another name.
            'action': type(self).__qualname__,
            'api': self._api_name(),
            'target': self.get_export_target().value,
            'filter': dict(filters),
            'layout': getattr(self.params, 'layout', 'jsonl'),
            'save_original_file': bool(getattr(self.params, 'save_original_file', False)),
            'file_errors': getattr(self.params, 'file_errors', 'fail'),
            'format': getattr(self.params, 'format', None),
            'record_format': getattr(self.params, 'record_format', 'dm_v2'),
            'error_policy': getattr(self.params, 'error_policy', 'fail'),
            'format_options': dict(getattr(self.params, 'format_options', None) or {}),
        }

    def _custom_results(self) -> bool:
        return type(self).get_filtered_results is not BaseExportAction.get_filtered_results

    def _reopen_results(self, filters: Mapping[str, Any], journal: ExportJournal) -> Any:
        """The records of a resumed export, from its first batch not yet written."""
        state = journal.state
        if not state.get('more', True):
            return iter(())  # every batch was written; only the commit is left
        if self._custom_results() or self.uses_v2():
            records, _ = self._results(filters, ids_file=journal.ids_file)
            return records
        target = self.get_export_target()
        records, count = self._results(filters, start=int(state.get('batches_done', 0)))
        if count != state.get('count'):
            _close(records)
            raise ExportResumeError(
                f'the backend now reports {count} {target.value}s where the interrupted export listed '
                f'{state.get("count")}; resuming v1 pages would skip or repeat items: pass resume=false to start over'
            )
        return records

    def _batches(self, records: Any, start: int) -> Iterator[tuple[int, list[dict[str, Any]]]]:
        if isinstance(records, RecordStream):
            return records.batches(start)
        return _chunked(records, BULK_BATCH, start)

    def _open_writer(self, journal: ExportJournal, files_dir: Path | None) -> RecordWriter:
        params = self.params
        target_format = getattr(params, 'format', None)
        if target_format is None:
            return open_writer(getattr(params, 'layout', 'jsonl'), journal.root)
        return DatasetRecordWriter(
            journal.output,
            target_format=target_format,
            entity=self.get_export_target().value,
            spool=journal.staging / SPOOL_FILE,
            files_dir=files_dir,
            record_format=getattr(params, 'record_format', 'dm_v2'),
            error_policy=getattr(params, 'error_policy', 'fail'),
            options=getattr(params, 'format_options', None),
        )

    def _run_in_process(self, records: Any, journal: ExportJournal) -> dict[str, Any]:
        state = journal.state
        count = int(state.get('count') or 0)
        params = self.params
        step = self.progress.DATASET_CONVERSION
        target_format = getattr(params, 'format', None)
        to_format = target_format is not None
        writer: RecordWriter | None = None
        files: OriginalFiles | None = None
        keep = interrupted = False
        copies = self._copies_records()
        # Records copied into records.jsonl with their data as the backend's text: checked to be JSON first, else
        # one bad text would be a broken line (a dataset format's converter parses and reports it itself).
        check_data = copies and not to_format
        policy = getattr(params, 'error_policy', 'fail')
        data_errors = int(state.get('data_errors', 0))
        data_error_items: list[Any] = list(state.get('data_error_items') or [])
        errors_path = journal.staging / ERRORS_FILE
        try:
            # Every append-only file goes back to its checkpointed size, one the journal has no size for yet (the
            # run stopped before its first checkpoint after writing) to empty: else a resumed run appends what is
            # already there (duplicate lines, records the converter sees twice).
            append_only = (journal.root / RECORDS_FILE, journal.staging / SPOOL_FILE, errors_path)
            for name in dict.fromkeys([*(state.get('sizes') or {}), *map(journal.key, append_only)]):
                journal.restore(name)
            files_dir = None
            if getattr(params, 'save_original_file', False):
                # In a dataset format the converter places the images; otherwise they are part of the output.
                files_dir = journal.staging / 'files' if to_format else journal.root / FILES_DIR
                files = OriginalFiles(
                    files_dir,
                    errors_path,
                    concurrency=int(getattr(params, 'file_concurrency', 8)),
                    on_error=getattr(params, 'file_errors', 'fail'),
                    retry=getattr(self.ctx.v2_client if self.uses_v2() else self.client, 'retry', None),
                    downloaded=int(state.get('files_downloaded', 0)),
                    failed=int(state.get('files_failed', 0)),
                )
            opened = writer = self._open_writer(journal, files_dir)  # `writer`: what the cleanup closes
            if journal.resumed:
                self.log_message(
                    f'Resuming the export at {journal.output}: {state.get("items", 0)} of {count} items were written',
                    'info',
                )
            exported = int(state.get('items', 0))
            self.set_progress(min(exported, count), count, step)

            last_checkpoint = time.monotonic()

            def finish(index: int, batch: list[dict[str, Any]], downloads: Any, more: bool) -> None:
                nonlocal exported, data_errors, last_checkpoint
                if files is not None:
                    files.finish(downloads)
                if check_data:
                    batch, bad = self._checked_data(batch, policy, data_error_items)
                    data_errors += bad
                if copies:
                    opened.write((record['id'], record) for record in batch)
                else:
                    opened.write((record['id'], self.convert_item(record)) for record in batch)
                exported += len(batch)
                # A checkpoint flushes and renames a file: per batch that is ~5% of the run on a slow disk.
                if not more or time.monotonic() - last_checkpoint >= CHECKPOINT_SECONDS:
                    sizes = {**opened.sizes(), **(files.sizes() if files is not None else {})}
                    extra: dict[str, Any] = (
                        {'files_downloaded': files.downloaded, 'files_failed': files.failed} if files else {}
                    )
                    if check_data:
                        extra.update(data_errors=data_errors, data_error_items=data_error_items)
                    journal.checkpoint(
                        batches_done=index + 1,
                        items=exported,
                        sizes={journal.key(path): size for path, size in sizes.items()},
                        more=more,
                        **extra,
                    )
                    last_checkpoint = time.monotonic()
                done = exported + (data_errors if policy == 'skip' and check_data else 0)
                self.set_progress(min(done, count), max(count, done), step)

            pending: tuple[int, list[dict[str, Any]], Any] | None = None
            for index, batch in self._batches(records, int(state.get('batches_done', 0))):
                downloads = files.submit(batch) if files is not None else None
                if pending is not None:
                    finish(*pending, more=True)
                pending = (index, batch, downloads)
            if pending is not None:
                finish(*pending, more=False)
            result: dict[str, Any] = {
                'exported': exported,
                'delegated': False,
                'output_path': str(journal.output),
                'api': self._api_name(),
                'resumed': journal.resumed,
            }
            if to_format:
                result['format'] = target_format
            else:
                result['layout'] = getattr(params, 'layout', 'jsonl')
            if check_data:
                result['data_errors'] = data_errors
                if data_errors:
                    result['data_error_items'] = data_error_items
            if files is not None:
                result.update(files_downloaded=files.downloaded, files_failed=files.failed)
                if files.failed:
                    result['download_errors'] = files.first_errors()
                files.close()
                files = None
            if to_format:
                # The converter moves its dataset into place itself: from here on nothing is left to resume.
                journal.checkpoint(complete=True, external_output=True)
            result.update(opened.finish())
            opened.close()
            writer = None
            target = journal.output if to_format else journal.root
            if errors_path.exists():
                # Kept in the staging directory while the run lasts (a converter's output must start empty).
                os.replace(errors_path, target / ERRORS_FILE)
                self.log_message(
                    f'{result["files_failed"]} original file(s) could not be downloaded; they are listed in '
                    f'{journal.output / ERRORS_FILE}',
                    'warning',
                )
            if to_format:
                journal.discard()
            else:
                journal.commit()
            return result
        except BaseException as exc:
            keep = _resumable(exc)
            interrupted = isinstance(exc, KeyboardInterrupt | SystemExit)
            raise
        finally:
            _close(records)
            if files is not None:
                # Downloads already running finish (their file is complete or not there at all) unless the
                # user is interrupting: then nobody waits for them, and a resumed run fetches them again.
                files.close(wait=not interrupted)
            if writer is not None:
                writer.close()
            if keep:
                journal.release()
                self.log_message(
                    f'The export stopped after {journal.state.get("items", 0)} of {count} items; '
                    'run it again with the same params to resume',
                    'warning',
                )
            elif journal.staging.exists():
                journal.discard()

    def _checked_data(
        self, batch: list[dict[str, Any]], policy: str, listed: list[Any]
    ) -> tuple[list[dict[str, Any]], int]:
        """`batch` with every record whose ``data`` is the backend's text checked to be JSON, and how many were not.

        Such a record is an `ExportDataError` under ``error_policy='fail'``; under ``skip`` it is left out, under
        ``collect`` written with its ``data`` as a JSON string (what an export that parses the data writes for
        text that does not parse). The first `DATA_ERRORS_LISTED` are logged and their ids added to `listed`.
        Checking costs a parse of each text that builds nothing (`RawJSON.check`, ~5 us per ~1 KB document), the
        price of never writing a broken line."""
        bad: list[int] = []
        for position, record in enumerate(batch):
            data = record.get('data')
            if not isinstance(data, RawJSON):
                continue
            try:
                data.check()
            except ValueError as exc:
                message = f'{self.get_export_target().value} {record["id"]}: its data is not JSON ({exc})'
                if policy == 'fail':
                    raise ExportDataError(
                        f'{message}; error_policy=skip leaves such records out, collect keeps their data as text'
                    ) from None
                bad.append(position)
                if len(listed) < DATA_ERRORS_LISTED:
                    listed.append(record['id'])
                    self.log_message(
                        f'{message}; {"left out" if policy == "skip" else "kept as text"}', 'warning'
                    )
        if not bad:
            return batch, 0
        out = []
        flagged = set(bad)
        for position, record in enumerate(batch):
            if position in flagged:
                if policy == 'skip':
                    continue
                record = {**record, 'data': record['data'].text}
            out.append(record)
        return out, len(bad)

    def write_items(self, results: Iterator[dict[str, Any]], count: int, output: Path) -> int:
        """Write `results` (converted by `convert_item`) into `output` like the default `execute`, all or
        nothing (resumable like it); returns the number written."""
        journal = ExportJournal.open(
            output, {'write_items': True, 'layout': getattr(self.params, 'layout', 'jsonl')}
        )
        journal.checkpoint(count=count)
        return int(self._run_in_process(results, journal)['exported'])

    def _api_name(self) -> str:
        return 'v2' if self.uses_v2() else 'v1'


def _close(records: Any) -> None:
    close = getattr(records, 'close', None)
    if close is not None:
        with contextlib.suppress(Exception):
            close()


def _chunked(items: Any, size: int, start: int) -> Iterator[tuple[int, list[dict[str, Any]]]]:
    """Batches of `size` from `items`, numbered, the first `start` batches read and dropped (a resumed
    export over a custom `get_filtered_results`, which can only be re-read from the start)."""
    batch: list[dict[str, Any]] = []
    index = 0
    for item in items:
        batch.append(item)
        if len(batch) == size:
            if index >= start:
                yield index, batch
            batch, index = [], index + 1
    if batch and index >= start:
        yield index, batch


def _resumable(exc: BaseException) -> bool:
    """Whether a failure leaves state worth resuming: an interruption, an outage, a download that ran out
    of retries, a full disk. Anything else (a bad record, a bug) rolls the export back."""
    if isinstance(exc, KeyboardInterrupt | SystemExit | BackendUnavailableError | OSError):
        return not isinstance(exc, FileExistsError)
    try:
        from synapse_sdk.clients.downloads import FileDownloadError
        from synapse_sdk.clients.exceptions import (
            ClientConnectionError,
            RateLimitError,
            ServerError,
            StreamError,
        )
    except ImportError:
        return False
    return isinstance(
        exc, ClientConnectionError | ServerError | RateLimitError | StreamError | FileDownloadError
    )
