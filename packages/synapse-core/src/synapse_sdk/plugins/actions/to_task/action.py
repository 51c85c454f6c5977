"""`ToTaskAction`: pre-annotate the tasks of a project from files or from inference.

Subclass it and implement the hook of the method you use::

    class ToTask(ToTaskAction):
        action_name = 'to_task'

        def convert_data_from_file(self, primary_file_url, primary_file_original_name,
                                   data_file_url, data_file_original_name):
            ...  # read the data file, return the task's annotation document

        def convert_data_from_inference(self, data):
            ...  # turn a model prediction into the annotation document

The action fetches the project's tasks (``params.task_filters`` narrow them), builds each task's
annotation with the hook, and saves it on the task. A task that fails does not stop the others:
the result lists every failure with its reason, and the run fails only if every task failed.
"""

from __future__ import annotations

import json
import urllib.parse
from collections.abc import Iterator, Mapping
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Generic, Protocol, TypeVar

from pydantic import BaseModel, Field

from synapse_sdk.plugins.action import BaseAction, NoResult
from synapse_sdk.plugins.actions._downloads import read_url_bytes
from synapse_sdk.plugins.enums import PluginCategory
from synapse_sdk.plugins.errors import ExecutionError
from synapse_sdk.plugins.steps import BackendUnavailableError

if TYPE_CHECKING:
    from synapse_sdk.plugins.protocols import BackendV2ClientProtocol

__all__ = [
    'ToTaskAction',
    'ToTaskFailure',
    'ToTaskFields',
    'ToTaskMethod',
    'ToTaskParams',
    'ToTaskProgressCategories',
    'ToTaskResult',
]


class ToTaskMethod(StrEnum):
    FILE = 'file'
    INFERENCE = 'inference'


class ToTaskParams(BaseModel):
    project: int = Field(description='Project whose tasks are annotated')
    method: ToTaskMethod = Field(ToTaskMethod.FILE, description='Annotate from files or from inference')
    task_filters: dict[str, Any] = Field(default_factory=dict, description='Extra task list filters')
    target_specification_name: str | None = Field(
        None, description='File specification holding the annotation file (method=file)'
    )
    model: int | None = Field(None, description='Model to run (method=inference)')
    annotation_schema: str | None = Field('dm_schema_v1', description='Schema the backend validates against')


class ToTaskFailure(BaseModel):
    task_id: int
    error: str


class ToTaskResult(BaseModel):
    total: int
    succeeded: int
    failed: int
    failures: list[ToTaskFailure]


class ToTaskProgressCategories:
    FETCH_TASKS = 'fetch_tasks'
    ANNOTATE_TASKS = 'annotate_task_data'


class ToTaskFields(Protocol):
    """The params fields `ToTaskAction` reads: what a params model given as ``ToTaskAction[MyParams]`` needs.

    `ToTaskParams` has them; a model of your own has them too when its fields carry these names and
    types (the checker matches it structurally, no subclassing needed). Read-only properties, so a
    narrower field type (``task_filters: dict[str, str]``, ``method: ToTaskMethod``) fits as well.
    """

    @property
    def project(self) -> int: ...
    @property
    def method(self) -> str: ...
    @property
    def task_filters(self) -> Mapping[str, Any] | None: ...
    @property
    def target_specification_name(self) -> str | None: ...
    @property
    def annotation_schema(self) -> str | None: ...


P = TypeVar('P', bound=ToTaskFields)

#: Failures kept in the result (counts stay exact beyond it).
MAX_REPORTED_FAILURES = 1000
#: Seconds `ToTaskAction.read_url` may take, the whole call (a server that drips its answer is cut off).
READ_URL_TIMEOUT = 60.0


def _file_entry(value: Any) -> dict[str, Any]:
    return dict(value) if isinstance(value, Mapping) else {'url': value}


def _original_name(entry: Mapping[str, Any]) -> str:
    for key in ('file_name_original', 'original_name', 'file_name', 'name'):
        if entry.get(key):
            return str(entry[key])
    return Path(urllib.parse.urlparse(str(entry.get('url') or '')).path).name


class ToTaskAction(BaseAction[Any], Generic[P]):
    """Pre-annotation base (see the module docstring).

    Generic in its params model like every category base, but bound by the fields it reads
    (`ToTaskFields`) rather than by `BaseModel`: `BaseAction`'s parameter must be a `BaseModel` and the
    checker has no "a `BaseModel` with these fields", so the base passes `Any` up and declares
    ``params: P`` itself. At run time nothing differs (``params_model`` still comes from the type
    argument, see `BaseAction`).
    """

    category = PluginCategory.PRE_ANNOTATION
    # Declared as BaseAction declares them, so a subclass may set its own models (the checker would
    # otherwise take `type[ToTaskParams]` as the attribute's type and refuse any other).
    params_model: ClassVar[type[BaseModel] | None] = ToTaskParams  # ToTaskAction[MyParams] replaces it
    result_model: ClassVar[type[BaseModel] | type[NoResult]] = ToTaskResult
    progress: ClassVar[type[ToTaskProgressCategories]] = ToTaskProgressCategories
    params: P

    # -- hooks ----------------------------------------------------------------------------------
    def convert_data_from_file(
        self,
        primary_file_url: str,
        primary_file_original_name: str,
        data_file_url: str,
        data_file_original_name: str,
    ) -> dict[str, Any]:
        """The annotation document of a task, from its annotation file (method ``file``)."""
        raise NotImplementedError(
            f'{type(self).__name__} must implement convert_data_from_file() for method=file'
        )

    def run_inference(self, task: dict[str, Any]) -> Any:
        """The model's prediction for a task (method ``inference``); passed to `convert_data_from_inference`."""
        raise NotImplementedError(
            f'{type(self).__name__} must implement run_inference(task) for method=inference '
            '(e.g. call your model or your serve application)'
        )

    def convert_data_from_inference(self, data: Any) -> dict[str, Any]:
        """The annotation document of a task, from a prediction (method ``inference``)."""
        raise NotImplementedError(
            f'{type(self).__name__} must implement convert_data_from_inference() for method=inference'
        )

    # -- helpers --------------------------------------------------------------------------------
    @staticmethod
    def read_url(url: str, *, timeout: float = READ_URL_TIMEOUT) -> bytes:
        """The content behind an http(s) or file URL (e.g. an annotation file).

        The whole call must finish within `timeout` seconds, or `TimeoutError` names the URL.
        """
        return read_url_bytes(url, timeout=timeout, setting='read_url(url, timeout=...)')

    def read_json_url(self, url: str, *, timeout: float = READ_URL_TIMEOUT) -> Any:
        return json.loads(self.read_url(url, timeout=timeout))

    def uses_v2(self) -> bool:
        from synapse_sdk.plugins.actions._v2_switch import use_v2

        return use_v2(self.ctx, category=PluginCategory.PRE_ANNOTATION)

    def fetch_tasks(self) -> tuple[Iterator[dict[str, Any]], int]:
        """The project's tasks matching ``params.task_filters``, with their files: ``(iterator, count)``."""
        filters = {**dict(self.params.task_filters or {}), 'project': self.params.project}
        v2 = self._v2_client()
        if v2 is not None:
            ids = [int(t.id) for t in v2.tasks.list(list_all=True, **filters)]

            def stream() -> Iterator[dict[str, Any]]:
                for start in range(0, len(ids), 200):
                    for item in v2.tasks.bulk_fetch(ids[start : start + 200]):
                        yield {'id': item['id'], 'files': item.get('files_manifest') or {}}

            return stream(), len(ids)
        if self.client is None:
            raise BackendUnavailableError('Fetching tasks')
        items, count = self.client.list_tasks(filters, list_all=True)
        return ({**t, 'id': t['id'], 'files': t.get('files') or {}} for t in items), int(count)

    def save_task_data(self, task_id: int, data: dict[str, Any]) -> None:
        schema = self.params.annotation_schema
        v2 = self._v2_client()
        if v2 is not None:
            v2.tasks.annotate_task_data(task_id, data=data, schema=schema)
            return
        if self.client is None:
            raise BackendUnavailableError('Saving task data')
        self.client.annotate_task_data(task_id, data, schema=schema)

    def _v2_client(self) -> BackendV2ClientProtocol | None:
        """The v2 client when this action uses v2 (`uses_v2`), else None."""
        return self.ctx.v2_client if self.uses_v2() else None

    def build_task_data(self, task: dict[str, Any]) -> dict[str, Any]:
        """The annotation for one task, through the hook of ``params.method``."""
        if self.params.method == ToTaskMethod.INFERENCE:
            data = self.convert_data_from_inference(self.run_inference(task))
        else:
            files = {name: _file_entry(value) for name, value in (task.get('files') or {}).items()}
            spec = self.params.target_specification_name
            if not spec:
                raise ValueError('params.target_specification_name is required for method=file')
            if spec not in files or not files[spec].get('url'):
                raise ValueError(
                    f'task has no file for specification {spec!r} (has: {", ".join(sorted(files)) or "none"})'
                )
            primary = next((e for e in files.values() if e.get('is_primary')), None) or next(
                (e for name, e in files.items() if name != spec), files[spec]
            )
            data = self.convert_data_from_file(
                str(primary.get('url')),
                _original_name(primary),
                str(files[spec]['url']),
                _original_name(files[spec]),
            )
        if not isinstance(data, dict):
            raise TypeError(
                f'the conversion hook returned {type(data).__name__}; an annotation document (dict) is needed'
            )
        return data

    # -- run ------------------------------------------------------------------------------------
    def execute(self) -> ToTaskResult:
        tasks, total = self.fetch_tasks()
        self.set_progress(1, 1, self.progress.FETCH_TASKS)
        step = self.progress.ANNOTATE_TASKS
        self.set_progress(0, total, step)
        succeeded = failed = 0
        failures: list[ToTaskFailure] = []
        for done, task in enumerate(tasks, 1):
            task_id = int(task['id'])
            try:
                self.save_task_data(task_id, self.build_task_data(task))
            except Exception as exc:
                failed += 1
                if len(failures) < MAX_REPORTED_FAILURES:
                    failures.append(ToTaskFailure(task_id=task_id, error=f'{type(exc).__name__}: {exc}'))
                self.log('to_task_failed', {'task_id': task_id, 'error': f'{type(exc).__name__}: {exc}'})
            else:
                succeeded += 1
            self.set_progress(min(done, total), total, step)
        result = ToTaskResult(total=succeeded + failed, succeeded=succeeded, failed=failed, failures=failures)
        level = 'success' if failed == 0 else 'warning'
        self.log_message(f'Annotated {succeeded} of {result.total} task(s); {failed} failed', level)
        if result.total and succeeded == 0:
            first = failures[0].error if failures else 'unknown error'
            raise ExecutionError(
                f'Pre-annotation failed for all {result.total} task(s); first error: {first}'
            )
        return result
