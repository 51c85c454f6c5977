"""What synapse-core calls on the clients, storage providers and converters it does not depend on.

synapse-core imports no sibling distribution at import time, so it cannot name `BackendClient`,
`BackendV2Client`, a storage provider or a converter in its types. Instead it declares here, as
Protocols, exactly the methods its category actions (train, export, upload, to_task, inference), its
dataset step and its job logger call, and types `RuntimeContext.client` / `.v2_client` with them. The
real classes satisfy these Protocols structurally: the type checker holds them to it
(tests/typing/test_core_protocols.py) and a test does at run time
(tests/core/test_consumed_protocols.py), so a renamed or re-signatured client method fails a check
instead of a plugin run.

A member is here only because core calls it; what core does not call is not promised. A plugin that
uses more of a client narrows the value to the real class first::

    from synapse_sdk.clients.backend import BackendClient

    if isinstance(ctx.client, BackendClient):
        ctx.client.list_projects()

Answers the backend sends as JSON are ``Any`` (dicts): their shape is the backend contract's
(specs/backend.openapi.yaml), held by the clients' contract tests, not by these Protocols.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from synapse_sdk.loggers.transport import JobLogTransport

__all__ = [
    'BackendClientProtocol',
    'BackendV2ClientProtocol',
    'ConverterFactory',
    'DatasetConverterProtocol',
    'UploadStorageProtocol',
    'V2AssignmentsProtocol',
    'V2AsyncJobsProtocol',
    'V2DataUnitsProtocol',
    'V2GroundTruthEventsProtocol',
    'V2PageProtocol',
    'V2PluginExportsProtocol',
    'V2TasksProtocol',
]

Params = Mapping[str, Any] | None
#: JSON records as the server sent them (named here: in a class body with a ``list`` method, ``list``
#: would be the method).
Rows = list[dict[str, Any]]


# -- v1: synapse_sdk.clients.backend.BackendClient -----------------------------------------------
@runtime_checkable
class BackendClientProtocol(JobLogTransport, Protocol):
    """The v1 client as core uses it (``ctx.client``); also the job logger's `JobLogTransport`."""

    # train
    def get_ground_truth_version(self, version_id: int) -> dict[str, Any]: ...

    def list_ground_truth_events_data(
        self, params: Params = None, *, list_all: bool = False, page_size: int | None = None
    ) -> Any: ...

    def create_model(self, data: Mapping[str, Any], *, file: str | Path | None = None) -> dict[str, Any]: ...

    # train, inference
    def get_model(self, model_id: int, *, params: Params = None) -> dict[str, Any]: ...

    # to_task
    def list_tasks(
        self, params: Params = None, *, list_all: bool = False, page_size: int | None = None
    ) -> Any: ...

    def annotate_task_data(self, task_id: int, data: Any, *, schema: str | None = None) -> Any: ...

    # export
    def list_tasks_data(
        self, params: Params = None, *, list_all: bool = False, page_size: int | None = None
    ) -> Any: ...

    def list_assignments_data(
        self, params: Params = None, *, list_all: bool = False, page_size: int | None = None
    ) -> Any: ...

    # upload
    def get_data_collection(self, collection_id: int) -> dict[str, Any]: ...

    def get_storage(self, storage_id: int) -> dict[str, Any]: ...

    def get_default_storage(self) -> dict[str, Any]: ...

    def create_data_units(self, data: Mapping[str, Any] | Sequence[Mapping[str, Any]]) -> Any: ...

    def delete_data_unit(self, unit_id: int) -> None: ...


# -- v2: synapse_sdk.clients.backend_v2.BackendV2Client --------------------------------------------
class V2PageProtocol(Protocol):
    """A cursor page (``CursorPage``) as the export reads it: its items, then every later page."""

    @property
    def results(self) -> Sequence[Any]: ...

    def iter_pages(self) -> Iterator[V2PageProtocol]: ...


class V2TasksProtocol(Protocol):
    base: str

    # to_task lists every task of a project (``list_all=True``) and reads each one's ``id``.
    def list(
        self, *, project: int | None = None, cursor: str | None = None, per_page: int | None = None,
        list_all: bool = False, **filters: Any,
    ) -> Iterable[Any]: ...  # fmt: skip

    def bulk_fetch(self, ids: Iterable[int], *, response_mode: Any = 'inline') -> Rows: ...

    def annotate_task_data(
        self, task_id: int, *, data: Any, action: Any = 'save', schema: str | None = None
    ) -> Any: ...


class V2AssignmentsProtocol(Protocol):
    base: str

    def bulk_fetch(self, ids: Iterable[int], *, response_mode: Any = 'inline') -> Rows: ...


class V2GroundTruthEventsProtocol(Protocol):
    base: str

    def bulk_data(self, pgh_ids: Iterable[int], *, response_mode: Any = 'inline') -> Rows: ...


class V2DataUnitsProtocol(Protocol):
    def destroy(self, unit_id: int) -> None: ...


class V2PluginExportsProtocol(Protocol):
    def create(
        self,
        *,
        storage_id: int,
        path: str,
        targets: Sequence[str],
        project_id: int | None = None,
        include_original_files: bool = False,
        format: str = 'raw_bundle_v1',
        requires_source: bool = True,
        ray_job_id: str | None = None,
        chunk_size: int | None = None,
        filters: Mapping[str, Any] | None = None,
        dry_run: bool = False,
        idempotency_key: str | None = None,
    ) -> Any: ...


class V2AsyncJobsProtocol(Protocol):
    def retrieve(self, job_id: str) -> Any: ...

    def cancel(self, job_id: str) -> Any: ...

    def stream_progress(
        self,
        job_id: str,
        *,
        timeout: float = 3600.0,
        max_retries: int = 5,
        backoff_base: float = 5.0,
        backoff_cap: float = 60.0,
    ) -> Iterator[Any]: ...


@runtime_checkable
class BackendV2ClientProtocol(Protocol):
    """The v2 client as core uses it (``ctx.v2_client``): the resources below and raw pages."""

    @property
    def tasks(self) -> V2TasksProtocol: ...

    @property
    def assignments(self) -> V2AssignmentsProtocol: ...

    @property
    def ground_truth_events(self) -> V2GroundTruthEventsProtocol: ...

    @property
    def data_units(self) -> V2DataUnitsProtocol: ...

    @property
    def plugin_exports(self) -> V2PluginExportsProtocol: ...

    @property
    def async_jobs(self) -> V2AsyncJobsProtocol: ...

    # export lists ids from plain-dict pages (no model: validating would cost more than the listing).
    def page(self, path: str, params: Mapping[str, Any] | None, model: None) -> V2PageProtocol: ...


# -- storage: synapse_sdk.utils.storage providers ---------------------------------------------------
@runtime_checkable
class UploadStorageProtocol(Protocol):
    """A storage provider as the upload action uses it (what ``get_storage`` returns)."""

    def exists(self, key: str) -> bool: ...

    def upload(self, source: str | os.PathLike[str], target: str) -> str: ...

    def delete(self, key: str, *, missing_ok: bool = True) -> None: ...


# -- converters: synapse_sdk.utils.converters ---------------------------------------------------
@runtime_checkable
class DatasetConverterProtocol(Protocol):
    """A converter as `ConvertDatasetStep` drives it: convert, then save atomically."""

    def convert(self) -> Any: ...

    def save_to_folder(self, output_dir: str | Path) -> Any: ...


class ConverterFactory(Protocol):
    """``synapse_sdk.utils.converters.get_converter`` as `ConvertDatasetStep` calls it."""

    def __call__(
        self,
        source: Any,
        target: Any,
        root_dir: str | Path | None = None,
        is_categorized: bool = False,
        *,
        progress: Callable[[int, int], None] | None = ...,
    ) -> DatasetConverterProtocol: ...
