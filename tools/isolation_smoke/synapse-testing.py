"""Smoke for synapse-testing installed alone (with synapse-clients): both clients against the fake backend."""

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
from importlib.metadata import entry_points

plugins = {ep.name: ep.value for ep in entry_points(group='pytest11')}
assert plugins.get('synapse_backend') == 'synapse_sdk.clients.testing.pytest_plugin', plugins
print('synapse-testing smoke: ok')
