"""The fake backend as plugin authors meet it: the pytest fixture, seeding, faults, response shapes."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import requests

from synapse_sdk.clients.testing import FakeBackend, FakeState

AUTH = {'Synapse-Access-Token': 'Token syn_test'}

PLUGIN_TEST = textwrap.dedent(
    """
    import synapse_sdk.utils.auth as auth


    def test_uses_the_fake(synapse_backend):
        synapse_backend.state.add_project(id=1, title='From fixture')
        client = auth.create_backend_client()
        assert client.base_url == synapse_backend.url
        assert client.get_project(1)['title'] == 'From fixture'
        assert auth.create_backend_v2_client().projects.retrieve(1).title == 'From fixture'
    """
)


def test_fixture_is_registered_for_plugin_authors(tmp_path: Path) -> None:
    (tmp_path / 'test_plugin.py').write_text(PLUGIN_TEST)
    (tmp_path / 'pytest.ini').write_text('[pytest]\n')
    proc = subprocess.run(
        [sys.executable, '-m', 'pytest', '-q', '-p', 'no:cacheprovider', str(tmp_path)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert '1 passed' in proc.stdout


def test_fixture_isolates_from_the_developer_environment(synapse_backend: FakeBackend) -> None:
    import os

    assert os.environ['SYNAPSE_HOST'] == synapse_backend.url
    assert 'SYNAPSE_PLUGIN_RUN_USER_TOKEN' not in os.environ
    assert not Path(os.environ['SYNAPSE_CONFIG_PATH']).exists()


def test_start_stop_and_shared_state() -> None:
    state = FakeState()
    state.add_project(id=9)
    backend = FakeBackend(state, require_auth=False).start()
    try:
        assert requests.get(f'{backend.url}/projects/9/', timeout=5).json()['id'] == 9
    finally:
        backend.stop()
    assert backend.state is state


def test_error_shapes_and_request_ids(backend: FakeBackend) -> None:
    v1 = requests.get(f'{backend.url}/projects/404/', headers=AUTH, timeout=5)
    assert v1.status_code == 404 and v1.json() == {'detail': 'Not found.'} and v1.headers['X-Request-ID']
    v2 = requests.get(f'{backend.url}/v2/projects/404/', headers=AUTH, timeout=5)
    body = v2.json()
    assert body['error']['code'] == 'not_found' and body['meta']['request_id'] == v2.headers['X-Request-ID']
    wrong_method = requests.delete(f'{backend.url}/projects/', headers=AUTH, timeout=5)
    assert wrong_method.status_code == 405
    unauthenticated = requests.get(f'{backend.url}/projects/', timeout=5)
    assert unauthenticated.status_code == 401


def test_drf_pages_keep_filters_in_next(backend: FakeBackend) -> None:
    backend.state.add_project(id=1)
    backend.state.add_tasks(1, 5)
    page = requests.get(
        f'{backend.url}/sdk/tasks/', params={'project': 1, 'page_size': 2}, headers=AUTH, timeout=5
    ).json()
    assert page['count'] == 5 and len(page['results']) == 2
    assert page['next'].startswith(backend.url) and 'project=1' in page['next'] and 'page=2' in page['next']


def test_fault_delay_drop_and_counts(backend: FakeBackend) -> None:
    backend.state.add_project(id=1)
    fault = backend.inject('^/projects/1/$', status=502, times=2)
    codes = [
        requests.get(f'{backend.url}/projects/1/', headers=AUTH, timeout=5).status_code for _ in range(3)
    ]
    assert codes == [502, 502, 200] and fault.hits == 2
    backend.inject('^/projects/1/$', drop='before')
    try:
        requests.get(f'{backend.url}/projects/1/', headers=AUTH, timeout=5)
    except requests.ConnectionError:
        pass
    else:
        raise AssertionError('the connection should have been dropped')


def test_sse_frames_are_well_formed(backend: FakeBackend) -> None:
    job = backend.state.add_async_job()
    with requests.get(
        f'{backend.url}/v2/async_jobs/{job["id"]}/progress/', headers=AUTH, stream=True, timeout=5
    ) as response:
        assert response.headers['Content-Type'] == 'text/event-stream'
        text = response.content.decode()
    frames = [f for f in text.split('\n\n') if f]
    assert frames[0] == 'event: connected\ndata: {}'
    assert frames[-1].startswith('event: async_job.completed\ndata: ')


def test_chunked_request_bodies_are_read(backend: FakeBackend) -> None:
    job = backend.state.add_job()

    def body():
        yield b'[{"job": "' + job['id'].encode() + b'", '
        yield b'"event": "streamed", "data": {}}]'

    response = requests.post(
        f'{backend.url}/logs/', data=body(), timeout=5, headers={**AUTH, 'Content-Type': 'application/json'}
    )
    assert response.status_code == 201
    assert backend.requests_to('^/logs/$')[0].header('Transfer-Encoding') == 'chunked'
    assert [e['event'] for e in backend.state.logs_for(job['id'])] == ['streamed']
