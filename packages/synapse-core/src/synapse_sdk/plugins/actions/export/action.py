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
import json
import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, TypeVar

from pydantic import BaseModel, Field

from synapse_sdk.plugins.action import BaseAction
from synapse_sdk.plugins.actions.export.targets import ExportTarget, fetch_v1, fetch_v2
from synapse_sdk.plugins.enums import PluginCategory
from synapse_sdk.plugins.errors import ExecutionError
from synapse_sdk.plugins.steps import BackendUnavailableError, BaseStepContext

__all__ = [
    'ASYNC_THRESHOLD_ENV',
    'BaseExportAction',
    'ExportContext',
    'ExportDelegationError',
    'ExportParams',
    'ExportProgressCategories',
]

ASYNC_THRESHOLD_ENV = 'SYNAPSE_EXPORT_ASYNC_JOB_SIZE_THRESHOLD'


class ExportParams(BaseModel):
    """Params of an export run; subclass to add your own fields."""

    target: ExportTarget = Field(ExportTarget.ASSIGNMENT, description='What to export')
    filter: dict[str, Any] = Field(
        default_factory=dict, description='Backend list filters, e.g. {"project": 1}'
    )
    path: str = Field(description='Output directory (in-process) or path in the storage (delegated)')
    storage: int | None = Field(None, description='Backend storage id the delegated export writes to')
    save_original_file: bool = False
    async_job_size_threshold: int | None = Field(
        None,
        ge=0,
        description='Delegate to a backend async job above this many items (unset: env, else never)',
    )


class ExportProgressCategories:
    """Progress step names of an export."""

    DATASET_CONVERSION = 'dataset_conversion'


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
        target = self.get_export_target()
        if self.uses_v2():
            return fetch_v2(self.ctx.v2_client, target, filters)
        if self.client is None:
            raise BackendUnavailableError(f'Exporting {target.value}s')
        return fetch_v1(self.client, target, filters)

    def convert_item(self, record: dict[str, Any]) -> Any:
        """Turn one record into what is written to ``<id>.json`` (default: the record as is)."""
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
        v2 = self.ctx.v2_client
        target = self.get_export_target()
        step = self.progress.DATASET_CONVERSION
        job = v2.plugin_exports.create(
            storage_id=self.params.storage,
            path=self.params.path,
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
        filters = dict(getattr(self.params, 'filter', None) or {})
        results, count = self.get_filtered_results(filters)
        if self.should_delegate(count):
            return self.delegate(filters, count)
        output = Path(self.params.path).expanduser()
        exported = self.write_items(results, count, output)
        return {'exported': exported, 'delegated': False, 'output_path': str(output), 'api': self._api_name()}

    def write_items(self, results: Iterator[dict[str, Any]], count: int, output: Path) -> int:
        """Write each converted record as ``<id>.json`` into `output`, all or nothing."""
        if output.exists() and (not output.is_dir() or any(output.iterdir())):
            raise FileExistsError(f'params.path: {output} already exists and is not an empty directory')
        output.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f'.{output.name}.', dir=output.parent))
        step = self.progress.DATASET_CONVERSION
        exported = 0
        try:
            self.set_progress(0, count, step)
            for record in results:
                converted = self.convert_item(record)
                (staging / f'{record["id"]}.json').write_text(
                    json.dumps(converted, ensure_ascii=False, indent=2, sort_keys=True), encoding='utf-8'
                )
                exported += 1
                self.set_progress(min(exported, count), count, step)
            if output.exists():
                output.rmdir()
            os.replace(staging, output)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        return exported

    def _api_name(self) -> str:
        return 'v2' if self.uses_v2() else 'v1'
