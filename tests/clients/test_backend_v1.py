"""BackendClient (v1) against the fake backend."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from synapse_sdk.clients.backend import BackendClient
from synapse_sdk.clients.exceptions import NotFoundError, ServerError, ValidationError
from synapse_sdk.clients.testing import FakeBackend


def test_headers_and_url_host(backend: FakeBackend) -> None:
    backend.state.add_project(id=1)
    backend.state.user_tokens.add('drf')
    BackendClient(backend.url, 'syn_test', tenant='acme', url_host='internal').get_project(1)
    BackendClient(backend.url, authorization_token='drf', agent_token='ag').get_project(1)
    first, second = backend.requests_to('^/projects/1/$')
    assert first.header('Synapse-Access-Token') == 'Token syn_test'
    assert first.header('Synapse-Tenant') == 'Token acme'
    assert first.query == {'url_host': ['internal']}
    assert second.header('Authorization') == 'Token drf' and second.header('SYNAPSE-Agent') == 'Token ag'
    assert second.header('Synapse-Access-Token') is None


def test_offset_pagination_returns_iterator_and_count(backend: FakeBackend) -> None:
    backend.state.add_project(id=5)
    backend.state.add_tasks(5, 250)
    backend.state.add_tasks(backend.state.add_project()['id'], 3)
    client = BackendClient(backend.url, 'syn_test', url_host='internal')
    items, count = client.list_tasks({'project': 5}, list_all=True)
    assert count == 250
    assert len(backend.requests_to('^/sdk/tasks/$')) == 1  # lazily: only the first page so far
    ids = [t['id'] for t in items]
    assert len(ids) == 250 == len(set(ids))
    pages = backend.requests_to('^/sdk/tasks/$')
    assert [p.query.get('page', ['1'])[0] for p in pages] == ['1', '2', '3']
    assert all(p.query['url_host'] == ['internal'] and p.query['project'] == ['5'] for p in pages)
    assert pages[0].query['page_size'] == ['100']
    one_page = client.list_tasks({'project': 5}, page_size=10)
    assert one_page['count'] == 250 and len(one_page['results']) == 10


def test_get_assignments_helper_of_seed_002(backend: FakeBackend) -> None:
    project = backend.state.add_project()
    for task in backend.state.add_tasks(project['id'], 3):
        backend.state.add_assignment(task['id'])
    results, count = backend.client().get_assignments({'project': project['id']})
    assert count == 3 and len(list(results)) == 3


def test_tasks_create_annotate_and_tags(backend: FakeBackend) -> None:
    project = backend.state.add_project()
    unit = backend.state.add_data_unit()
    client = backend.client()
    created = client.create_tasks({'project': project['id'], 'data': [{'data_unit': unit['id']}]})
    task_id = created['results'][0]['id']
    client.annotate_task_data(task_id, {'annotations': {}}, schema='dm_schema_v1')
    assert backend.state.tasks[task_id]['data'] == {'annotations': {}}
    assert backend.requests_to('annotate_task_data')[0].query == {'schema': ['dm_schema_v1']}
    client.set_tags_tasks({'ids': [task_id], 'tags': [3, 4]})
    assert client.get_task(task_id)['tags'] == [3, 4]
    with pytest.raises(ValidationError, match='action'):
        client.set_tags_tasks({'ids': [task_id], 'tags': [3], 'action': 'toggle'})
    with pytest.raises(ValidationError, match='data'):
        client.create_tasks({'project': project['id']})
    assert len(backend.requests_to('^/tasks/$')) == 1  # invalid payloads were never sent


def test_jobs_update_logs_and_console_tail(backend: FakeBackend) -> None:
    job = backend.state.add_job(console_logs='line one\nline two')
    client = backend.client()
    client.update_job(job['id'], {'status': 'RUNNING', 'progress_record': {'train': 50}})
    assert backend.state.jobs[job['id']]['status'] == 'RUNNING'
    with pytest.raises(ValidationError, match='status'):
        client.update_job(job['id'], {'status': 'DONE'})
    with pytest.raises(ValidationError, match='colour: Extra inputs'):
        client.update_job(job['id'], {'colour': 'red'})
    client.create_logs({'job': job['id'], 'event': 'message', 'data': {'m': 'hi'}, 'level': 'info'})
    client.create_logs([{'job': job['id'], 'event': 'e', 'data': {}}] * 2)
    assert len(backend.state.logs_for(job['id'])) == 3
    _logs, count = client.list_job_logs(job['id'], list_all=True)
    assert count == 3
    assert client.list_job_console_logs(job['id'])['logs'] == ['line one', 'line two']
    lines = list(client.tail_job_console_logs(job['id']))
    assert lines[0].startswith('data: {"type": "connected"')
    assert any('line two' in line for line in lines) and '"complete"' in lines[-1]


def test_tail_console_logs_overload_carries_retry_after(backend: FakeBackend) -> None:
    job = backend.state.add_job()
    client = backend.client()
    client._http.sleep = lambda s: None
    backend.inject('tail_console_logs', status=503, retry_after=7, times=None)
    with pytest.raises(ServerError) as caught:
        list(client.tail_job_console_logs(job['id']))
    assert caught.value.retry_after == 7.0


def _file(tmp_path: Path, size: int) -> Path:
    path = tmp_path / 'blob.bin'
    path.write_bytes(bytes(range(256)) * (size // 256) + b'x' * (size % 256))
    return path


def test_chunked_upload_sends_content_range_and_md5(backend: FakeBackend, tmp_path: Path) -> None:
    path = _file(tmp_path, 10_000)
    progress: list[tuple[int, int]] = []
    result = backend.client().create_chunked_upload(
        path, chunk_size=4096, on_progress=lambda a, b: progress.append((a, b))
    )
    assert result['checksum'] == hashlib.md5(path.read_bytes()).hexdigest()
    puts = backend.requests_to('^/chunked_upload/', 'PUT')
    assert [p.header('Content-Range') for p in puts] == [
        'bytes 0-4095/10000',
        'bytes 4096-8191/10000',
        'bytes 8192-9999/10000',
    ]
    assert progress == [(4096, 10000), (8192, 10000), (10000, 10000)]
    assert backend.state.chunked_uploads[result['id']]['content'] == path.read_bytes()


def test_chunked_upload_resumes_from_server_offset(
    backend: FakeBackend, tmp_path: Path, record_sleeps
) -> None:
    path = _file(tmp_path, 10_000)
    client = backend.client()
    record_sleeps(client)
    backend.inject(
        r'^/chunked_upload/\d+/$', method='PUT', status=503, times=4
    )  # exhausts the transport retries
    result = client.create_chunked_upload(path, chunk_size=4096)
    assert backend.state.chunked_uploads[result['id']]['content'] == path.read_bytes()
    assert len(backend.requests_to(r'^/chunked_upload/\d+/$', 'GET')) == 1


def test_chunked_upload_resumes_a_previous_upload_by_id(backend: FakeBackend, tmp_path: Path) -> None:
    path = _file(tmp_path, 9000)
    client = backend.client()
    client._http.retry = client._http.retry.__class__(max_attempts=1)
    backend.inject(r'^/chunked_upload/\d+/$', method='PUT', drop='before', times=None)
    with pytest.raises(Exception):  # noqa: B017 - the first process dies mid-upload
        client.create_chunked_upload(path, chunk_size=4000)
    (upload_id,) = backend.state.chunked_uploads
    assert backend.state.chunked_uploads[upload_id]['offset'] == 4000
    backend.clear_faults()
    result = backend.client().create_chunked_upload(path, chunk_size=4000, upload_id=upload_id)
    assert result['id'] == upload_id
    ranges = [p.header('Content-Range') for p in backend.requests_to('^/chunked_upload/', 'PUT')]
    assert ranges[-2:] == ['bytes 4000-7999/9000', 'bytes 8000-8999/9000']


def test_data_files_units_and_upload_helper(backend: FakeBackend, tmp_path: Path) -> None:
    collection = backend.state.add_data_collection()
    small = tmp_path / 'a.jpg'
    small.write_bytes(b'\xff\xd8small')
    big = _file(tmp_path, 5000)
    client = backend.client()
    client.chunked_upload_threshold = 4096
    client.chunk_size = 2048
    assert client.create_data_file(small)['size'] == len(small.read_bytes())
    assert client.create_data_file(big)['size'] == 5000
    assert backend.requests_to('^/data_files/$')[1].json() == {'chunked_upload': 1}
    unit = client.upload_data_file({'files': {'image_1': small}, 'groups': 'g'}, collection['id'])
    assert unit['groups'] == ['g'] and unit['files']['image_1']['path'] == str(small)
    created = client.create_data_units([unit])
    assert created['results'][0]['data_collection'] == collection['id']
    unit_id = created['results'][0]['id']
    client.delete_data_unit(unit_id)
    assert unit_id not in backend.state.data_units
    with pytest.raises(NotFoundError):
        client.delete_data_unit(unit_id)
    assert client.get_data_collection(collection['id'])['file_specifications']
    with pytest.raises(FileNotFoundError):
        client.create_data_file(tmp_path / 'missing.png')


def test_models_plugins_releases_storages_agents(backend: FakeBackend, tmp_path: Path) -> None:
    client = backend.client()
    ckpt = tmp_path / 'model.zip'
    ckpt.write_bytes(b'weights' * 100)
    model = client.create_model({'name': 'm1', 'plugin': 'yolo'}, file=ckpt)
    assert client.get_model(model['id'])['file'].endswith('model.zip')
    backend.state.add_plugin(code='yolo')
    archive = tmp_path / 'plugin.zip'
    archive.write_bytes(b'PK')
    client.create_plugin_release({'plugin': 'yolo', 'version': '1.0.0', 'config': {'a': 1}}, file=archive)
    release = client.get_plugin_release('yolo@1.0.0')
    assert release['plugin']['code'] == 'yolo' and release['config'] == {'a': 1}
    assert [r['version'] for r in client.list_plugin_releases('yolo')] == ['1.0.0']
    with pytest.raises(ValidationError, match='already exists'):
        client.create_plugin_release({'plugin': 'yolo', 'version': '1.0.0'})
    backend.state.add_storage(id=3, is_default=True, configuration={'location': '/x'})
    assert client.get_default_storage()['id'] == 3
    assert client.get_storage(3)['configuration'] == {'location': '/x'}
    backend.state.add_agent(
        token=None, node_install_script=f'curl https://h/agents/{"a" * 40}/node_install_script'
    )
    assert client.list_agents()[0]['token'] == 'a' * 40
    with pytest.raises(NotFoundError):
        client.get_project(12345)
