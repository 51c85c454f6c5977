"""Smoke for synapse-clients installed alone: both clients against the fake backend, from the env."""

import os

from synapse_sdk.clients.testing import FakeBackend

with FakeBackend() as backend:
    project = backend.state.add_project(title='Smoke')
    backend.state.add_tasks(project['id'], 3)
    os.environ.update(backend.env())
    from synapse_sdk.utils.auth import create_backend_client, create_backend_v2_client

    v1 = create_backend_client()
    v2 = create_backend_v2_client()
    assert v1 is not None and v2 is not None
    assert v1.get_project(project['id'])['id'] == project['id']
    tasks = list(v2.tasks.list(project=project['id'], list_all=True))
    assert len(tasks) == 3, tasks
print('synapse-clients smoke: ok')
