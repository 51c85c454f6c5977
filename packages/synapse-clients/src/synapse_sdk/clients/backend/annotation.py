"""Projects, tasks, task tags and assignments (v1)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, Literal, overload

from synapse_sdk.clients.backend._models import SetTagsRequest, TaskCreateRequest, validate_request
from synapse_sdk.clients.backend._pagination import AllRows, DRFPage, list_pages
from synapse_sdk.clients.backend._transport import MixinBase

Params = Mapping[str, Any] | None


class AnnotationMixin(MixinBase):
    @overload
    def list_projects(
        self, params: Params = None, *, list_all: Literal[False] = False, page_size: int | None = None
    ) -> DRFPage: ...
    @overload
    def list_projects(
        self, params: Params = None, *, list_all: Literal[True], page_size: int | None = None
    ) -> AllRows: ...
    @overload
    def list_projects(
        self, params: Params = None, *, list_all: bool = False, page_size: int | None = None
    ) -> DRFPage | AllRows: ...
    def list_projects(
        self, params: Params = None, *, list_all: bool = False, page_size: int | None = None
    ) -> DRFPage | AllRows:
        """GET ``projects/``: a page, or ``(iterator, count)`` with ``list_all=True``."""
        return list_pages(self, 'projects/', params, list_all=list_all, page_size=page_size)

    def get_project(self, project_id: int) -> dict[str, Any]:
        return self._get(f'projects/{int(project_id)}/')

    def get_task(self, task_id: int, *, params: Params = None) -> dict[str, Any]:
        return self._get(f'tasks/{int(task_id)}/', params=params)

    @overload
    def list_tasks(
        self, params: Params = None, *, list_all: Literal[False] = False, page_size: int | None = None
    ) -> DRFPage: ...
    @overload
    def list_tasks(
        self, params: Params = None, *, list_all: Literal[True], page_size: int | None = None
    ) -> AllRows: ...
    @overload
    def list_tasks(
        self, params: Params = None, *, list_all: bool = False, page_size: int | None = None
    ) -> DRFPage | AllRows: ...
    def list_tasks(
        self, params: Params = None, *, list_all: bool = False, page_size: int | None = None
    ) -> DRFPage | AllRows:
        """GET ``sdk/tasks/`` with filters such as ``{'project': 1, 'status': ...}``."""
        return list_pages(self, 'sdk/tasks/', params, list_all=list_all, page_size=page_size)

    @overload
    def list_tasks_data(
        self, params: Params = None, *, list_all: Literal[False] = False, page_size: int | None = None
    ) -> DRFPage: ...
    @overload
    def list_tasks_data(
        self, params: Params = None, *, list_all: Literal[True], page_size: int | None = None
    ) -> AllRows: ...
    @overload
    def list_tasks_data(
        self, params: Params = None, *, list_all: bool = False, page_size: int | None = None
    ) -> DRFPage | AllRows: ...
    def list_tasks_data(
        self, params: Params = None, *, list_all: bool = False, page_size: int | None = None
    ) -> DRFPage | AllRows:
        return list_pages(self, 'sdk/tasks/data/', params, list_all=list_all, page_size=page_size)

    @overload
    def list_tasks_files(
        self, params: Params = None, *, list_all: Literal[False] = False, page_size: int | None = None
    ) -> DRFPage: ...
    @overload
    def list_tasks_files(
        self, params: Params = None, *, list_all: Literal[True], page_size: int | None = None
    ) -> AllRows: ...
    @overload
    def list_tasks_files(
        self, params: Params = None, *, list_all: bool = False, page_size: int | None = None
    ) -> DRFPage | AllRows: ...
    def list_tasks_files(
        self, params: Params = None, *, list_all: bool = False, page_size: int | None = None
    ) -> DRFPage | AllRows:
        return list_pages(self, 'sdk/tasks/files/', params, list_all=list_all, page_size=page_size)

    def create_tasks(self, data: Mapping[str, Any]) -> Any:
        """POST ``tasks/`` with ``{'project': id, 'data': [{'data_unit': id}, ...]}``."""
        return self._post('tasks/', validate_request(TaskCreateRequest, data, what='task creation payload'))

    def annotate_task_data(self, task_id: int, data: Any, *, schema: str | None = None) -> Any:
        """PUT the annotation document of a task (``schema``: ``dm_schema_v1`` or ``any``)."""
        params = {'schema': schema} if schema else None
        return self._put(f'tasks/{int(task_id)}/annotate_task_data/', data, params=params)

    def get_task_tag(self, tag_id: int) -> dict[str, Any]:
        return self._get(f'task_tags/{int(tag_id)}/')

    @overload
    def list_task_tags(self, params: Params = None, *, list_all: Literal[False] = False) -> DRFPage: ...
    @overload
    def list_task_tags(self, params: Params = None, *, list_all: Literal[True]) -> AllRows: ...
    @overload
    def list_task_tags(self, params: Params = None, *, list_all: bool = False) -> DRFPage | AllRows: ...
    def list_task_tags(self, params: Params = None, *, list_all: bool = False) -> DRFPage | AllRows:
        return list_pages(self, 'task_tags/', params, list_all=list_all)

    def set_tags_tasks(self, data: Mapping[str, Any]) -> Any:
        """POST ``tasks/set_tags/`` with ``{'ids': [...], 'tags': [...], 'action': 'add'|'remove'}``."""
        return self._post('tasks/set_tags/', validate_request(SetTagsRequest, data, what='set_tags payload'))

    def get_assignment(self, assignment_id: int) -> dict[str, Any]:
        return self._get(f'assignments/{int(assignment_id)}/')

    @overload
    def list_assignments(
        self, params: Params = None, *, list_all: Literal[False] = False, page_size: int | None = None
    ) -> DRFPage: ...
    @overload
    def list_assignments(
        self, params: Params = None, *, list_all: Literal[True], page_size: int | None = None
    ) -> AllRows: ...
    @overload
    def list_assignments(
        self, params: Params = None, *, list_all: bool = False, page_size: int | None = None
    ) -> DRFPage | AllRows: ...
    def list_assignments(
        self, params: Params = None, *, list_all: bool = False, page_size: int | None = None
    ) -> DRFPage | AllRows:
        return list_pages(self, 'sdk/assignments/', params, list_all=list_all, page_size=page_size)

    @overload
    def list_assignments_data(
        self, params: Params = None, *, list_all: Literal[False] = False, page_size: int | None = None
    ) -> DRFPage: ...
    @overload
    def list_assignments_data(
        self, params: Params = None, *, list_all: Literal[True], page_size: int | None = None
    ) -> AllRows: ...
    @overload
    def list_assignments_data(
        self, params: Params = None, *, list_all: bool = False, page_size: int | None = None
    ) -> DRFPage | AllRows: ...
    def list_assignments_data(
        self, params: Params = None, *, list_all: bool = False, page_size: int | None = None
    ) -> DRFPage | AllRows:
        return list_pages(self, 'sdk/assignments/data/', params, list_all=list_all, page_size=page_size)

    @overload
    def list_assignments_files(
        self, params: Params = None, *, list_all: Literal[False] = False, page_size: int | None = None
    ) -> DRFPage: ...
    @overload
    def list_assignments_files(
        self, params: Params = None, *, list_all: Literal[True], page_size: int | None = None
    ) -> AllRows: ...
    @overload
    def list_assignments_files(
        self, params: Params = None, *, list_all: bool = False, page_size: int | None = None
    ) -> DRFPage | AllRows: ...
    def list_assignments_files(
        self, params: Params = None, *, list_all: bool = False, page_size: int | None = None
    ) -> DRFPage | AllRows:
        return list_pages(self, 'sdk/assignments/files/', params, list_all=list_all, page_size=page_size)

    def get_assignments(self, params: Params = None) -> tuple[Iterator[dict[str, Any]], int]:
        """Every assignment matching ``params`` as ``(iterator, count)`` (export actions' helper)."""
        return self.list_assignments(params, list_all=True)

    def set_tags_assignments(self, data: Mapping[str, Any]) -> Any:
        return self._post(
            'assignments/set_tags/', validate_request(SetTagsRequest, data, what='set_tags payload')
        )
