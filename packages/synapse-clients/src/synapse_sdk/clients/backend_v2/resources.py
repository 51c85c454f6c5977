"""The v2 resources reachable as attributes of ``BackendV2Client``."""

from __future__ import annotations

import logging
import random
import uuid
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Generic, Literal, TypeVar, cast, overload

import requests

from synapse_sdk.clients._http import NO_RETRY, Timeout
from synapse_sdk.clients._sse import iter_response_lines, iter_sse
from synapse_sdk.clients.backend_v2 import models as m
from synapse_sdk.clients.backend_v2.pagination import CursorPage
from synapse_sdk.clients.exceptions import (
    ClientConnectionError,
    HTTPError,
    RateLimitError,
    ServerError,
    StreamError,
)

if TYPE_CHECKING:
    from synapse_sdk.clients.backend_v2.client import BackendV2Client

logger = logging.getLogger('synapse_sdk.clients')

BULK_LIMIT = 200
ResponseMode = Literal['inline', 'presigned']

#: The model of a resource's list items (``TaskV2List`` for ``tasks``) ...
ItemT = TypeVar('ItemT', bound=m.V2Model)
#: ... and of its detail answers (``TaskV2Detail``; a plain dict where the API has no model).
DetailT = TypeVar('DetailT')
#: The items of a bulk answer, as the server sent them (the class bodies' ``list`` is the method).
Rows = list[dict[str, Any]]


def _chunks(ids: Iterable[int], size: int = BULK_LIMIT) -> Iterator[list[int]]:
    batch: list[int] = []
    for value in ids:
        batch.append(int(value))
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


class Resource(Generic[ItemT]):
    """A collection under ``/v2/<base>/`` with cursor-paginated ``list`` and typed ``retrieve``.

    Generic in the model of its list items, so a type checker knows that ``client.tasks.list()`` is a
    ``CursorPage[TaskV2List]`` and ``client.tasks.list(list_all=True)`` an ``Iterator[TaskV2List]``.
    """

    base: str = ''
    list_model: type[ItemT] | None = None
    detail_model: type[m.V2Model] | None = None

    def __init__(self, client: BackendV2Client) -> None:
        self._client = client

    def __repr__(self) -> str:
        return f'<{type(self).__name__} {self.base}>'

    def _list(
        self,
        *,
        cursor: str | None = None,
        per_page: int | None = None,
        list_all: bool = False,
        path: str | None = None,
        **filters: Any,
    ) -> CursorPage[ItemT] | Iterator[ItemT]:
        params = {'cursor': cursor, 'per_page': per_page, **filters}
        params = {k: v for k, v in params.items() if v is not None}
        page: CursorPage[ItemT] = self._client.page(path or self.base, params, self.list_model)
        return page.iter_all() if list_all else page

    def _detail(self, data: Any) -> Any:
        return self._client.validate(self.detail_model, data) if self.detail_model else data

    def _bulk(
        self,
        suffix: str,
        ids: Iterable[int],
        *,
        key: str,
        response_mode: ResponseMode,
        params: Mapping[str, Any],
    ) -> Rows:
        """POST ids in batches of at most 200, concatenating results in request order."""
        if response_mode not in ('inline', 'presigned'):
            raise ValueError(f"response_mode must be 'inline' or 'presigned', got {response_mode!r}")
        query = {'response_mode': response_mode, **{k: v for k, v in params.items() if v is not None}}
        out: list[dict[str, Any]] = []
        for batch in _chunks(ids):
            # A bulk fetch is a read: the idempotency key lets the transport resend it safely.
            data = self._client.request(
                'POST',
                f'{self.base}{suffix}',
                params=query,
                json={key: batch},
                idempotency_key=uuid.uuid4().hex,
            )
            if isinstance(data, dict) and 'results' in data:
                data = data['results']
            if data in (None, {}):
                data = []
            if not isinstance(data, list):
                raise ValueError(f'POST {self.base}{suffix} returned {type(data).__name__}, expected a list')
            out.extend(data)
        return out


class RetrievableResource(Resource[ItemT], Generic[ItemT, DetailT]):
    """A collection with a detail route ``GET /v2/<base>/{id}/`` (not every one has: ``users`` has only ``me``).

    Generic in the model of its list items and of its detail answer: ``client.tasks.retrieve(1)`` is a
    ``TaskV2Detail``.
    """

    def retrieve(self, object_id: int | str) -> DetailT:
        return self._detail(self._client.request('GET', f'{self.base}{object_id}/'))

    def _detail(self, data: Any) -> DetailT:
        # `detail_model` is the class's DetailT (or absent where DetailT is a plain dict): validating
        # against it yields a DetailT, which the checker cannot see through the class attribute.
        return cast(DetailT, super()._detail(data))


class UsersResource(Resource[m.V2Model]):
    base = '/v2/users/'

    def me(self) -> m.UserMeSerializerV2:
        return self._client.validate(m.UserMeSerializerV2, self._client.request('GET', '/v2/users/me/'))


class TenantsResource(RetrievableResource[m.TenantV2List, m.TenantV2Detail]):
    base = '/v2/tenants/'
    list_model = m.TenantV2List
    detail_model = m.TenantV2Detail

    @overload
    def list(
        self, *, cursor: str | None = None, per_page: int | None = None, list_all: Literal[False] = False
    ) -> CursorPage[m.TenantV2List]: ...
    @overload
    def list(
        self, *, cursor: str | None = None, per_page: int | None = None, list_all: Literal[True]
    ) -> Iterator[m.TenantV2List]: ...
    @overload
    def list(
        self, *, cursor: str | None = None, per_page: int | None = None, list_all: bool = False
    ) -> CursorPage[m.TenantV2List] | Iterator[m.TenantV2List]: ...
    def list(
        self, *, cursor: str | None = None, per_page: int | None = None, list_all: bool = False
    ) -> CursorPage[m.TenantV2List] | Iterator[m.TenantV2List]:
        return self._list(cursor=cursor, per_page=per_page, list_all=list_all)


class TokensResource(RetrievableResource[m.AccessTokenV2List, m.AccessTokenV2Detail]):
    base = '/v2/tokens/'
    list_model = m.AccessTokenV2List
    detail_model = m.AccessTokenV2Detail

    @overload
    def list(
        self, *, cursor: str | None = None, per_page: int | None = None, list_all: Literal[False] = False
    ) -> CursorPage[m.AccessTokenV2List]: ...
    @overload
    def list(
        self, *, cursor: str | None = None, per_page: int | None = None, list_all: Literal[True]
    ) -> Iterator[m.AccessTokenV2List]: ...
    @overload
    def list(
        self, *, cursor: str | None = None, per_page: int | None = None, list_all: bool = False
    ) -> CursorPage[m.AccessTokenV2List] | Iterator[m.AccessTokenV2List]: ...
    def list(
        self, *, cursor: str | None = None, per_page: int | None = None, list_all: bool = False
    ) -> CursorPage[m.AccessTokenV2List] | Iterator[m.AccessTokenV2List]:
        return self._list(cursor=cursor, per_page=per_page, list_all=list_all)

    def create(self, description: str | None = None) -> m.AccessTokenCreateResponse:
        """Create an access token; the plaintext is in ``.token`` (a ``SecretStr``), shown only now."""
        body = {'description': description} if description is not None else {}
        return self._client.validate(
            m.AccessTokenCreateResponse, self._client.request('POST', self.base, json=body)
        )

    def destroy(self, token_id: int) -> None:
        self._client.request('DELETE', f'{self.base}{int(token_id)}/')


class ProjectsResource(RetrievableResource[m.ProjectV2List, m.ProjectV2Detail]):
    base = '/v2/projects/'
    list_model = m.ProjectV2List
    detail_model = m.ProjectV2Detail

    @overload
    def list(
        self,
        *,
        category: str | None = None,
        data_collection: int | None = None,
        cursor: str | None = None,
        per_page: int | None = None,
        list_all: Literal[False] = False,
        **filters: Any,
    ) -> CursorPage[m.ProjectV2List]: ...
    @overload
    def list(
        self,
        *,
        category: str | None = None,
        data_collection: int | None = None,
        cursor: str | None = None,
        per_page: int | None = None,
        list_all: Literal[True],
        **filters: Any,
    ) -> Iterator[m.ProjectV2List]: ...
    @overload
    def list(
        self,
        *,
        category: str | None = None,
        data_collection: int | None = None,
        cursor: str | None = None,
        per_page: int | None = None,
        list_all: bool = False,
        **filters: Any,
    ) -> CursorPage[m.ProjectV2List] | Iterator[m.ProjectV2List]: ...
    def list(
        self,
        *,
        category: str | None = None,
        data_collection: int | None = None,
        cursor: str | None = None,
        per_page: int | None = None,
        list_all: bool = False,
        **filters: Any,
    ) -> CursorPage[m.ProjectV2List] | Iterator[m.ProjectV2List]:
        return self._list(
            cursor=cursor,
            per_page=per_page,
            list_all=list_all,
            category=category,
            data_collection=data_collection,
            **filters,
        )

    def create(self, payload: Mapping[str, Any]) -> m.ProjectV2Detail:
        return self._detail(self._client.request('POST', self.base, json=dict(payload)))

    def partial_update(self, project_id: int, payload: Mapping[str, Any]) -> m.ProjectV2Detail:
        return self._detail(
            self._client.request('PATCH', f'{self.base}{int(project_id)}/', json=dict(payload))
        )


class TasksResource(RetrievableResource[m.TaskV2List, m.TaskV2Detail]):
    base = '/v2/tasks/'
    list_model = m.TaskV2List
    detail_model = m.TaskV2Detail

    @overload
    def list(
        self,
        *,
        project: int | None = None,
        cursor: str | None = None,
        per_page: int | None = None,
        list_all: Literal[False] = False,
        **filters: Any,
    ) -> CursorPage[m.TaskV2List]: ...
    @overload
    def list(
        self,
        *,
        project: int | None = None,
        cursor: str | None = None,
        per_page: int | None = None,
        list_all: Literal[True],
        **filters: Any,
    ) -> Iterator[m.TaskV2List]: ...
    @overload
    def list(
        self,
        *,
        project: int | None = None,
        cursor: str | None = None,
        per_page: int | None = None,
        list_all: bool = False,
        **filters: Any,
    ) -> CursorPage[m.TaskV2List] | Iterator[m.TaskV2List]: ...
    def list(
        self,
        *,
        project: int | None = None,
        cursor: str | None = None,
        per_page: int | None = None,
        list_all: bool = False,
        **filters: Any,
    ) -> CursorPage[m.TaskV2List] | Iterator[m.TaskV2List]:
        """A ``CursorPage`` of ``TaskV2List`` (``.results``), or an iterator over all with ``list_all=True``."""
        return self._list(cursor=cursor, per_page=per_page, list_all=list_all, project=project, **filters)

    def create(self, payload: Mapping[str, Any]) -> m.TaskV2Detail:
        return self._detail(self._client.request('POST', self.base, json=dict(payload)))

    def bulk_fetch(self, ids: Iterable[int], *, response_mode: ResponseMode = 'inline') -> Rows:
        """Tasks with their annotation ``data`` for any number of ids (batched by 200, order kept;
        ids the server cannot see are dropped)."""
        return self._bulk('bulk-fetch/', ids, key='ids', response_mode=response_mode, params={})

    def bulk_create(self, *, project: int, data_unit_ids: Sequence[int]) -> dict[str, Any]:
        """Create tasks for data units (idempotent on the server: existing ones are skipped)."""
        body = {'project': int(project), 'data_unit_ids': [int(i) for i in data_unit_ids]}
        return self._client.request(
            'POST', f'{self.base}bulk-create/', json=body, idempotency_key=uuid.uuid4().hex
        )

    def annotate_task_data(
        self,
        task_id: int,
        *,
        data: Any,
        action: Literal['save', 'submit'] = 'save',
        schema: str | None = None,
    ) -> Any:
        params = {'schema': schema} if schema else None
        return self._client.request(
            'PUT',
            f'{self.base}{int(task_id)}/annotate-task-data/',
            params=params,
            json={'action': action, 'data': data},
        )


class AssignmentsResource(RetrievableResource[m.AssignmentV2List, m.AssignmentV2Detail]):
    base = '/v2/assignments/'
    list_model = m.AssignmentV2List
    detail_model = m.AssignmentV2Detail

    @overload
    def list(
        self,
        *,
        project: int | None = None,
        task: int | None = None,
        status_label: str | None = None,
        status_review: str | None = None,
        is_confirmed: bool | None = None,
        is_discarded: bool | None = None,
        cursor: str | None = None,
        per_page: int | None = None,
        list_all: Literal[False] = False,
        **filters: Any,
    ) -> CursorPage[m.AssignmentV2List]: ...
    @overload
    def list(
        self,
        *,
        project: int | None = None,
        task: int | None = None,
        status_label: str | None = None,
        status_review: str | None = None,
        is_confirmed: bool | None = None,
        is_discarded: bool | None = None,
        cursor: str | None = None,
        per_page: int | None = None,
        list_all: Literal[True],
        **filters: Any,
    ) -> Iterator[m.AssignmentV2List]: ...
    @overload
    def list(
        self,
        *,
        project: int | None = None,
        task: int | None = None,
        status_label: str | None = None,
        status_review: str | None = None,
        is_confirmed: bool | None = None,
        is_discarded: bool | None = None,
        cursor: str | None = None,
        per_page: int | None = None,
        list_all: bool = False,
        **filters: Any,
    ) -> CursorPage[m.AssignmentV2List] | Iterator[m.AssignmentV2List]: ...
    def list(
        self,
        *,
        project: int | None = None,
        task: int | None = None,
        status_label: str | None = None,
        status_review: str | None = None,
        is_confirmed: bool | None = None,
        is_discarded: bool | None = None,
        cursor: str | None = None,
        per_page: int | None = None,
        list_all: bool = False,
        **filters: Any,
    ) -> CursorPage[m.AssignmentV2List] | Iterator[m.AssignmentV2List]:
        return self._list(
            cursor=cursor,
            per_page=per_page,
            list_all=list_all,
            project=project,
            task=task,
            status_label=status_label,
            status_review=status_review,
            is_confirmed=is_confirmed,
            is_discarded=is_discarded,
            **filters,
        )

    def bulk_fetch(self, ids: Iterable[int], *, response_mode: ResponseMode = 'inline') -> Rows:
        return self._bulk('bulk-fetch/', ids, key='ids', response_mode=response_mode, params={})

    def set_data(self, assignment_id: int, data: Any, *, dry_run: bool = False) -> m.AssignmentV2Detail:
        params = {'dry_run': 'true'} if dry_run else None
        return self._detail(
            self._client.request(
                'PUT', f'{self.base}{int(assignment_id)}/data/', params=params, json={'data': data}
            )
        )


class GroundTruthsResource(RetrievableResource[m.GroundTruthV2List, m.GroundTruthV2Detail]):
    base = '/v2/ground-truths/'
    list_model = m.GroundTruthV2List
    detail_model = m.GroundTruthV2Detail

    @overload
    def list(
        self,
        *,
        ground_truth_dataset: int | None = None,
        cursor: str | None = None,
        per_page: int | None = None,
        list_all: Literal[False] = False,
        **filters: Any,
    ) -> CursorPage[m.GroundTruthV2List]: ...
    @overload
    def list(
        self,
        *,
        ground_truth_dataset: int | None = None,
        cursor: str | None = None,
        per_page: int | None = None,
        list_all: Literal[True],
        **filters: Any,
    ) -> Iterator[m.GroundTruthV2List]: ...
    @overload
    def list(
        self,
        *,
        ground_truth_dataset: int | None = None,
        cursor: str | None = None,
        per_page: int | None = None,
        list_all: bool = False,
        **filters: Any,
    ) -> CursorPage[m.GroundTruthV2List] | Iterator[m.GroundTruthV2List]: ...
    def list(
        self,
        *,
        ground_truth_dataset: int | None = None,
        cursor: str | None = None,
        per_page: int | None = None,
        list_all: bool = False,
        **filters: Any,
    ) -> CursorPage[m.GroundTruthV2List] | Iterator[m.GroundTruthV2List]:
        return self._list(
            cursor=cursor,
            per_page=per_page,
            list_all=list_all,
            ground_truth_dataset=ground_truth_dataset,
            **filters,
        )

    def bulk_data(
        self, ids: Iterable[int], *, response_mode: ResponseMode = 'inline', **filters: Any
    ) -> Rows:
        """Ground truths with their data (filters such as ``project``, ``category`` go to the query)."""
        return self._bulk('bulk-data/', ids, key='ids', response_mode=response_mode, params=filters)


class GroundTruthEventsResource(RetrievableResource[m.GroundTruthEventV2List, dict[str, Any]]):
    base = '/v2/ground-truth-events/'
    list_model = m.GroundTruthEventV2List

    @overload
    def list(
        self,
        *,
        ground_truth_dataset: int | None = None,
        ground_truth_dataset_version: int | None = None,
        project: int | None = None,
        sort: str = '-pgh_id',
        cursor: str | None = None,
        per_page: int | None = None,
        list_all: Literal[False] = False,
        **filters: Any,
    ) -> CursorPage[m.GroundTruthEventV2List]: ...
    @overload
    def list(
        self,
        *,
        ground_truth_dataset: int | None = None,
        ground_truth_dataset_version: int | None = None,
        project: int | None = None,
        sort: str = '-pgh_id',
        cursor: str | None = None,
        per_page: int | None = None,
        list_all: Literal[True],
        **filters: Any,
    ) -> Iterator[m.GroundTruthEventV2List]: ...
    @overload
    def list(
        self,
        *,
        ground_truth_dataset: int | None = None,
        ground_truth_dataset_version: int | None = None,
        project: int | None = None,
        sort: str = '-pgh_id',
        cursor: str | None = None,
        per_page: int | None = None,
        list_all: bool = False,
        **filters: Any,
    ) -> CursorPage[m.GroundTruthEventV2List] | Iterator[m.GroundTruthEventV2List]: ...
    def list(
        self,
        *,
        ground_truth_dataset: int | None = None,
        ground_truth_dataset_version: int | None = None,
        project: int | None = None,
        sort: str = '-pgh_id',
        cursor: str | None = None,
        per_page: int | None = None,
        list_all: bool = False,
        **filters: Any,
    ) -> CursorPage[m.GroundTruthEventV2List] | Iterator[m.GroundTruthEventV2List]:
        return self._list(
            cursor=cursor,
            per_page=per_page,
            list_all=list_all,
            ground_truth_dataset=ground_truth_dataset,
            ground_truth_dataset_version=ground_truth_dataset_version,
            project=project,
            sort=sort,
            **filters,
        )

    def retrieve(self, pgh_id: int | str) -> dict[str, Any]:
        return self._client.request('GET', f'{self.base}{int(pgh_id)}/')

    def bulk_data(self, pgh_ids: Iterable[int], *, response_mode: ResponseMode = 'inline') -> Rows:
        return self._bulk('bulk-data/', pgh_ids, key='pgh_ids', response_mode=response_mode, params={})


class DataCollectionsResource(RetrievableResource[m.DataCollectionV2List, m.DataCollectionV2Detail]):
    base = '/v2/data-collections/'
    list_model = m.DataCollectionV2List
    detail_model = m.DataCollectionV2Detail

    @overload
    def list(
        self,
        *,
        category: str | None = None,
        cursor: str | None = None,
        per_page: int | None = None,
        list_all: Literal[False] = False,
        **filters: Any,
    ) -> CursorPage[m.DataCollectionV2List]: ...
    @overload
    def list(
        self,
        *,
        category: str | None = None,
        cursor: str | None = None,
        per_page: int | None = None,
        list_all: Literal[True],
        **filters: Any,
    ) -> Iterator[m.DataCollectionV2List]: ...
    @overload
    def list(
        self,
        *,
        category: str | None = None,
        cursor: str | None = None,
        per_page: int | None = None,
        list_all: bool = False,
        **filters: Any,
    ) -> CursorPage[m.DataCollectionV2List] | Iterator[m.DataCollectionV2List]: ...
    def list(
        self,
        *,
        category: str | None = None,
        cursor: str | None = None,
        per_page: int | None = None,
        list_all: bool = False,
        **filters: Any,
    ) -> CursorPage[m.DataCollectionV2List] | Iterator[m.DataCollectionV2List]:
        return self._list(cursor=cursor, per_page=per_page, list_all=list_all, category=category, **filters)

    def create(self, payload: Mapping[str, Any]) -> m.DataCollectionV2Detail:
        return self._detail(self._client.request('POST', self.base, json=dict(payload)))

    def upload_urls(
        self, collection_id: int, payload: Mapping[str, Any], *, dry_run: bool = False
    ) -> m.PresignedUploadResponse:
        """Presigned PUT targets for ``{'files': [{'filename', 'size', 'content_type'?}], 'expiration'?}``."""
        params = {'dry_run': 'true'} if dry_run else None
        data = self._client.request(
            'POST', f'{self.base}{int(collection_id)}/upload-urls/', params=params, json=dict(payload)
        )
        return self._client.validate(m.PresignedUploadResponse, data)

    def finalize_upload(
        self, collection_id: int, payload: Mapping[str, Any], *, dry_run: bool = False
    ) -> m.ConfirmUploadResponse:
        """Register uploaded files: ``{'files': [{'file_key', 'checksum', 'size', 'multipart'?}]}``."""
        params = {'dry_run': 'true'} if dry_run else None
        data = self._client.request(
            'POST', f'{self.base}{int(collection_id)}/finalize-upload/', params=params, json=dict(payload)
        )
        return self._client.validate(m.ConfirmUploadResponse, data)


class DataUnitsResource(RetrievableResource[m.DataUnitV2List, m.DataUnitV2Detail]):
    base = '/v2/data-units/'
    list_model = m.DataUnitV2List
    detail_model = m.DataUnitV2Detail

    @overload
    def list(
        self,
        *,
        data_collection: int | None = None,
        cursor: str | None = None,
        per_page: int | None = None,
        list_all: Literal[False] = False,
        **filters: Any,
    ) -> CursorPage[m.DataUnitV2List]: ...
    @overload
    def list(
        self,
        *,
        data_collection: int | None = None,
        cursor: str | None = None,
        per_page: int | None = None,
        list_all: Literal[True],
        **filters: Any,
    ) -> Iterator[m.DataUnitV2List]: ...
    @overload
    def list(
        self,
        *,
        data_collection: int | None = None,
        cursor: str | None = None,
        per_page: int | None = None,
        list_all: bool = False,
        **filters: Any,
    ) -> CursorPage[m.DataUnitV2List] | Iterator[m.DataUnitV2List]: ...
    def list(
        self,
        *,
        data_collection: int | None = None,
        cursor: str | None = None,
        per_page: int | None = None,
        list_all: bool = False,
        **filters: Any,
    ) -> CursorPage[m.DataUnitV2List] | Iterator[m.DataUnitV2List]:
        return self._list(
            cursor=cursor, per_page=per_page, list_all=list_all, data_collection=data_collection, **filters
        )

    def destroy(self, unit_id: int) -> None:
        self._client.request('DELETE', f'{self.base}{int(unit_id)}/')

    def bulk_create(
        self, *, data_collection: int, units: Sequence[Mapping[str, Any]], dry_run: bool = False
    ) -> dict[str, Any]:
        """Create data units from finalized files (``units``: ``[{'files': {spec: {'checksum', 'path'?}},
        'groups'?, 'meta'?}]``); a unit whose files already form one is reused, not duplicated."""
        params = {'dry_run': 'true'} if dry_run else None
        body = {'data_collection': int(data_collection), 'units': [dict(u) for u in units]}
        return self._client.request(
            'POST', f'{self.base}bulk-create/', params=params, json=body, idempotency_key=uuid.uuid4().hex
        )


class PluginExportsResource(Resource[m.V2Model]):
    base = '/v2/plugin_exports/'

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
    ) -> m.PluginExportV2EnqueueResponse:
        """Enqueue a server-side export (202). Pass ``idempotency_key`` to make retries safe."""
        bad = set(targets) - {'task', 'assignment', 'ground_truth'}
        if not targets or bad:
            raise ValueError(
                f'targets must be a non-empty subset of task, assignment, ground_truth; got {list(targets)}'
            )
        body: dict[str, Any] = {}
        if project_id is not None:
            body['project_id'] = int(project_id)
        body.update(
            storage_id=int(storage_id),
            path=path,
            targets=list(targets),
            include_original_files=include_original_files,
            format=format,
            requires_source=requires_source,
        )
        if ray_job_id is not None:
            body['ray_job_id'] = ray_job_id
        if chunk_size is not None:
            body['chunk_size'] = int(chunk_size)
        if filters:
            body['filter'] = dict(filters)
        params = {'dry_run': 'true'} if dry_run else None
        data = self._client.request(
            'POST', self.base, params=params, json=body, idempotency_key=idempotency_key
        )
        return self._client.validate(m.PluginExportV2EnqueueResponse, data)


class AsyncJobsResource(RetrievableResource[m.V2Model, m.AsyncJobV2Detail]):
    base = '/v2/async_jobs/'
    detail_model = m.AsyncJobV2Detail

    def list(
        self, *, page: int | None = None, page_size: int | None = None, **filters: Any
    ) -> dict[str, Any]:
        """The raw DRF page ``{count, next, previous, results}`` (this list is page-numbered)."""
        params = {'page': page, 'page_size': page_size, **filters}
        return self._client.request(
            'GET', self.base, params={k: v for k, v in params.items() if v is not None}
        )

    def retrieve(self, job_id: str) -> m.AsyncJobV2Detail:  # type: ignore[override]  # job ids are UUID strings
        return self._detail(self._client.request('GET', f'{self.base}{job_id}/'))

    def cancel(self, job_id: str) -> m.AsyncJobV2Detail:
        return self._detail(
            self._client.request('POST', f'{self.base}{job_id}/cancel/', idempotency_key=uuid.uuid4().hex)
        )

    def stream_progress(
        self,
        job_id: str,
        *,
        timeout: float = 3600.0,
        max_retries: int = 5,
        backoff_base: float = 5.0,
        backoff_cap: float = 60.0,
    ) -> Iterator[m.AsyncJobProgressEventV2]:
        """Follow ``/v2/async_jobs/{id}/progress/`` (SSE) until a terminal event.

        Yields every event (``connected``, ``async_job.progress``, ``heartbeat``, then
        ``async_job.completed`` or ``error``). Reconnects when the stream ends early, the connection
        breaks, or the server answers 429/503 (sleeping ``Retry-After``, capped at ``backoff_cap``,
        else ``U(d/2, d)`` with ``d = min(backoff_base * 2**n, backoff_cap)``). ``max_retries``
        bounds consecutive reconnects that brought no progress or heartbeat; past it ``StreamError``.
        ``timeout`` is the idle deadline: no complete line (heartbeats count) for that long raises
        ``ClientTimeoutError``, even if the server keeps dripping bytes.
        """
        http = self._client._http
        path = f'{self.base}{job_id}/progress/'
        stream_timeout = Timeout(http.timeout.connect, timeout)
        failures = 0
        while True:
            useful = False
            retry_after: float | None = None
            cause: Exception | None = None
            try:
                response = http.request(
                    'GET',
                    path,
                    stream=True,
                    timeout=stream_timeout,
                    retry=NO_RETRY,
                    idle_timeout=timeout,
                    headers={'Accept': 'text/event-stream'},
                )
            except (RateLimitError, ServerError) as exc:
                if exc.status_code not in (429, 503):
                    raise
                retry_after, cause = exc.retry_after, exc
            except ClientConnectionError as exc:
                cause = exc
            else:
                try:
                    with response:
                        for frame in iter_sse(iter_response_lines(response)):
                            payload = frame.json()
                            payload.pop('event', None)
                            event = m.AsyncJobProgressEventV2(event=frame.event, **payload)
                            if frame.event in ('async_job.progress', 'heartbeat'):
                                useful = True
                            yield event
                            if event.is_terminal:
                                return
                except (requests.RequestException, ConnectionError) as exc:
                    cause = exc
                cause = cause or StreamError('stream ended before a terminal event', url=path)
            failures = 0 if useful else failures + 1
            if failures > max_retries:
                error = StreamError(
                    f'gave up on the progress stream of async job {job_id} after {failures} attempts without progress',
                    status_code=getattr(cause, 'status_code', None),
                    method='GET',
                    url=http.url_for(path),
                    attempts=failures,
                )
                raise error from cause
            if retry_after is not None:
                wait = min(retry_after, backoff_cap)
            else:
                ceiling = min(backoff_base * 2 ** max(failures - 1, 0), backoff_cap)
                wait = ceiling / 2 + random.uniform(0, ceiling / 2) if not useful else 0.0
            logger.debug('reconnecting to %s in %.2fs (%s)', path, wait, type(cause).__name__)
            http.sleep(wait)


__all__ = [
    'AssignmentsResource',
    'AsyncJobsResource',
    'CursorPage',
    'DataCollectionsResource',
    'DataUnitsResource',
    'GroundTruthEventsResource',
    'GroundTruthsResource',
    'HTTPError',
    'PluginExportsResource',
    'ProjectsResource',
    'RetrievableResource',
    'TasksResource',
    'TenantsResource',
    'TokensResource',
    'UsersResource',
]
