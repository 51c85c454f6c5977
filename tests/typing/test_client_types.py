"""What the clients' types say, pinned: mypy checks this file (`tools/typecheck.py typing`) and pytest runs it.

Each ``assert_type`` fails the type check when a declared type drifts (to ``Any`` included); each
``isinstance`` fails the test run when a declared type is not what the client really returns, against the
fake backend. So the types are neither missing nor a promise the code does not keep.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, assert_type

from synapse_sdk.clients.backend import DRFPage
from synapse_sdk.clients.backend_v2 import BackendV2Client
from synapse_sdk.clients.backend_v2 import models as m
from synapse_sdk.clients.backend_v2.pagination import CursorPage
from synapse_sdk.clients.testing import FakeBackend


def _seeded() -> tuple[FakeBackend, int, int]:
    backend = FakeBackend()
    collection = backend.state.add_data_collection(name='typed')
    project = backend.state.add_project(title='typed', data_collection=collection['id'])
    tasks = backend.state.add_tasks(project['id'], 3, data_collection=collection['id'])
    backend.state.add_assignment(tasks[0]['id'])
    return backend, project['id'], tasks[0]['id']


def test_v2_list_is_a_page_of_the_list_model_and_retrieve_the_detail_model() -> None:
    backend, project_id, task_id = _seeded()
    with backend:
        client = backend.v2_client()
        assert_type(client, BackendV2Client)

        page = client.tasks.list(project=project_id, per_page=2)
        assert_type(page, CursorPage[m.TaskV2List])
        assert isinstance(page, CursorPage)
        first = page.results[0]
        assert_type(first, m.TaskV2List)
        assert isinstance(first, m.TaskV2List)
        assert_type(first.project_id, int)

        every = client.tasks.list(project=project_id, list_all=True)
        assert_type(every, Iterator[m.TaskV2List])
        items = list(every)
        assert len(items) == 3
        assert all(isinstance(t, m.TaskV2List) for t in items)

        detail = client.tasks.retrieve(task_id)
        assert_type(detail, m.TaskV2Detail)
        assert isinstance(detail, m.TaskV2Detail)

        assignments = client.assignments.list(project=project_id)
        assert_type(assignments, CursorPage[m.AssignmentV2List])
        assert all(isinstance(a, m.AssignmentV2List) for a in assignments)
        assert_type(client.assignments.retrieve(assignments.results[0].id), m.AssignmentV2Detail)

        projects = client.projects.list()
        assert_type(projects, CursorPage[m.ProjectV2List])
        assert_type(client.projects.retrieve(project_id), m.ProjectV2Detail)
        assert isinstance(client.projects.retrieve(project_id), m.ProjectV2Detail)

        # A bool that is not a literal: the checker cannot know which one, so it says both.
        list_all: bool = bool(len(items) % 2)
        either = client.data_units.list(list_all=list_all)
        assert_type(either, CursorPage[m.DataUnitV2List] | Iterator[m.DataUnitV2List])

        assert_type(client.tasks.bulk_fetch([task_id]), list[dict[str, Any]])


def test_v1_client_methods_are_typed_on_a_declared_transport() -> None:
    from synapse_sdk.clients.backend import BackendClient
    from synapse_sdk.clients.backend._transport import BackendTransport

    backend, project_id, task_id = _seeded()
    with backend:
        client = backend.client()
        assert_type(client, BackendClient)
        transport: BackendTransport = client  # the checker holds the client to the mixins' contract
        assert transport.base_url == backend.url
        project = client.get_project(project_id)
        assert_type(project, dict[str, Any])
        assert project['id'] == project_id
        assert_type(client.get_task(task_id), dict[str, Any])

        # v1 lists: one DRF page, or (every row, lazily, and the count) with list_all=True.
        page = client.list_tasks({'project': project_id}, page_size=2)
        assert_type(page, DRFPage)
        assert set(page) >= {'count', 'next', 'previous', 'results'}
        assert page['count'] == 3 and len(page['results']) == 2
        assert isinstance(page['next'], str) and page['previous'] is None
        assert_type(page['results'][0], dict[str, Any])

        rows, count = client.list_tasks({'project': project_id}, list_all=True, page_size=2)
        assert_type(rows, Iterator[dict[str, Any]])
        assert_type(count, int)
        seeded = sorted(i for i, t in backend.state.tasks.items() if t['project'] == project_id)
        assert count == 3 and [r['id'] for r in rows] == seeded
        assert_type(client.get_assignments({'project': project_id}), tuple[Iterator[dict[str, Any]], int])

        list_all: bool = count > 3
        assert_type(client.list_projects(list_all=list_all), DRFPage | tuple[Iterator[dict[str, Any]], int])
