"""Whatever the page size, both paginations return every matching item exactly once, in order."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from synapse_sdk.clients.testing import FakeBackend

BACKEND = FakeBackend()


def setup_module() -> None:
    BACKEND.start()
    BACKEND.state.add_project(id=1)
    BACKEND.state.add_project(id=2)
    for index in range(57):
        BACKEND.state.add_task(1 if index % 3 else 2)


def teardown_module() -> None:
    BACKEND.stop()


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(per_page=st.integers(1, 70), project=st.sampled_from([1, 2]))
def test_v2_cursor_listing_is_complete_and_ordered(per_page: int, project: int) -> None:
    expected = [t['id'] for t in BACKEND.state.tasks.values() if t['project'] == project]
    got = [t.id for t in BACKEND.v2_client().tasks.list(project=project, per_page=per_page, list_all=True)]
    assert got == expected


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(page_size=st.integers(1, 70), project=st.sampled_from([1, 2]))
def test_v1_page_listing_is_complete_and_ordered(page_size: int, project: int) -> None:
    expected = [t['id'] for t in BACKEND.state.tasks.values() if t['project'] == project]
    items, count = BACKEND.client().list_tasks({'project': project}, list_all=True, page_size=page_size)
    assert count == len(expected)
    assert [t['id'] for t in items] == expected
