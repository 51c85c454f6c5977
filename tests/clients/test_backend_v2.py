"""BackendV2Client against the fake backend: envelopes, cursors, typed models, request ids, bulk, SSE."""

from __future__ import annotations

import threading
import warnings

import pytest

from synapse_sdk.clients.backend_v2 import BackendClientV2, BackendV2Client, CursorPage
from synapse_sdk.clients.backend_v2.models import AsyncJobProgressEventV2, TaskV2List
from synapse_sdk.clients.exceptions import (
    NotFoundError,
    RateLimitError,
    ResponseValidationError,
    StreamError,
    ValidationError,
)
from synapse_sdk.clients.testing import FakeBackend


@pytest.fixture
def seeded(backend: FakeBackend) -> FakeBackend:
    backend.state.add_project(id=42, title='Seed')
    backend.state.add_project(id=43, title='Other')
    for task in backend.state.add_tasks(42, 120):
        backend.state.add_assignment(task['id'])
    backend.state.add_tasks(43, 5)
    return backend


def test_seed_000_tasks_list_page(seeded: FakeBackend) -> None:
    client = seeded.v2_client()
    page = client.tasks.list(project=42, per_page=50)
    assert isinstance(page, CursorPage)
    assert len(page.results) == 50 and all(isinstance(t, TaskV2List) for t in page.results)
    assert {t.project_id for t in page.results} == {42}
    assert page.next.startswith(seeded.url + '/v2/tasks/') and 'project=42' in page.next
    first = seeded.requests_to('^/v2/tasks/$')[0]
    assert first.query == {'project': ['42'], 'per_page': ['50']}


def test_cursor_iteration_follows_next_with_filters(seeded: FakeBackend) -> None:
    client = seeded.v2_client()
    ids = [t.id for t in client.tasks.list(project=42, per_page=50, list_all=True)]
    assert len(ids) == 120 == len(set(ids))
    assert len(seeded.requests_to('^/v2/tasks/$')) == 3
    page = client.tasks.list(project=42, per_page=50)
    assert [t.id for t in page.iter_all()] == ids


def test_seed_000_capture_request_ids_and_last_request_id(seeded: FakeBackend) -> None:
    client = seeded.v2_client()
    with client.capture_request_ids() as captured:
        items = list(client.assignments.list(project=42, list_all=True))
    assert len(items) == 120
    served = [r.request_id for r in seeded.requests_to('^/v2/assignments/$')]
    assert captured == served and len(served) == 3
    assert client.last_request_id == served[-1]


def test_last_request_id_is_per_thread(seeded: FakeBackend) -> None:
    client = seeded.v2_client()
    client.users.me()
    main_id = client.last_request_id
    seen: dict[str, object] = {}

    def worker() -> None:
        seen['before'] = client.last_request_id
        with client.capture_request_ids() as ids:
            client.projects.list()
        seen['ids'] = ids
        seen['after'] = client.last_request_id

    thread = threading.Thread(target=worker)
    thread.start()
    thread.join()
    assert seen['before'] is None
    assert seen['ids'] == [seen['after']] and seen['after'] != main_id
    assert client.last_request_id == main_id


def test_error_responses_do_not_change_last_request_id(seeded: FakeBackend) -> None:
    client = seeded.v2_client()
    client.users.me()
    rid = client.last_request_id
    with pytest.raises(NotFoundError) as caught:
        client.tasks.retrieve(99999)
    assert client.last_request_id == rid
    assert caught.value.request_id and caught.value.request_id != rid


def test_models_keep_unknown_fields(seeded: FakeBackend) -> None:
    seeded.state.tasks[1]['data'] = {'x': 1}
    detail = seeded.v2_client().tasks.retrieve(1)
    assert detail.has_data is True and detail.data == {'x': 1} and detail.schema_ == 'dm_schema_v1'
    seeded.inject(
        '^/v2/users/me/$',
        status=200,
        body={
            'data': {'id': 1, 'email': 'a@b', 'name': 'A', 'is_synapse_admin': False, 'new_field': 'kept'},
            'meta': {'request_id': 'req_x'},
        },
    )
    me = seeded.v2_client().users.me()
    assert me.model_extra == {'new_field': 'kept'}


def test_missing_required_field_raises_response_validation_error(backend: FakeBackend) -> None:
    backend.inject('^/v2/users/me/$', status=200, body={'data': {'id': 1}, 'meta': {'request_id': 'req_y'}})
    with pytest.raises(ResponseValidationError, match='UserMeSerializerV2') as caught:
        backend.v2_client().users.me()
    assert isinstance(caught.value, ValidationError) and 'email' in str(caught.value)


def test_header_options(backend: FakeBackend) -> None:
    backend.state.user_tokens.add('drf1')
    BackendV2Client(backend.url, access_token='syn_test', drf_token='drf1', tenant='acme').users.me()
    BackendV2Client(backend.url, drf_token='drf1', tenant='acme', tenant_token_prefix=True).users.me()
    raw, prefixed = backend.requests_to('^/v2/users/me/$')
    assert raw.header('SYNAPSE-ACCESS-TOKEN') == 'syn_test'
    assert raw.header('Authorization') == 'Token drf1'
    assert raw.header('SYNAPSE-Tenant') == 'acme'
    assert prefixed.header('SYNAPSE-Tenant') == 'Token acme'
    assert prefixed.header('SYNAPSE-ACCESS-TOKEN') is None


def test_plain_http_to_remote_host_warns() -> None:
    with pytest.warns(UserWarning, match='plain HTTP'):
        BackendV2Client('http://api.example.com', access_token='syn_x')
    with warnings.catch_warnings():
        warnings.simplefilter('error')
        BackendV2Client('http://127.0.0.1:1', access_token='syn_x')
        BackendV2Client('http://api.example.com', access_token='syn_x', allow_insecure=True)
    assert BackendClientV2 is BackendV2Client


def test_bulk_fetch_batches_by_200_and_keeps_order(seeded: FakeBackend) -> None:
    client = seeded.v2_client()
    seeded.state.add_tasks(42, 400)
    wanted = [*range(520, 0, -1), 999999]
    items = client.tasks.bulk_fetch(wanted)
    assert [i['id'] for i in items] == list(range(520, 0, -1))
    calls = seeded.requests_to('^/v2/tasks/bulk-fetch/$')
    assert [len(c.json()['ids']) for c in calls] == [200, 200, 121]
    assert all(c.query['response_mode'] == ['inline'] for c in calls)
    assert client.tasks.bulk_fetch([]) == [] and len(seeded.requests_to('bulk-fetch')) == 3


def test_bulk_endpoints_for_assignments_and_ground_truths(seeded: FakeBackend) -> None:
    client = seeded.v2_client()
    assert [a['id'] for a in client.assignments.bulk_fetch([3, 1])] == [3, 1]
    gt = seeded.state.add_ground_truth(data={'labels': []}, classes=['cat'], project=42)
    event = seeded.state.add_ground_truth_event(data={'a': 1}, pgh_id=77)
    assert client.ground_truths.bulk_data([gt['id']], project=42)[0]['classes'] == ['cat']
    assert client.ground_truth_events.bulk_data([77])[0]['data'] == {'a': 1}
    assert seeded.requests_to('bulk-data')[0].query['project'] == ['42']
    assert event['pgh_id'] == 77


def test_server_rejects_more_than_200_ids(backend: FakeBackend) -> None:
    import requests

    response = requests.post(
        f'{backend.url}/v2/tasks/bulk-fetch/',
        json={'ids': list(range(201))},
        headers={'SYNAPSE-ACCESS-TOKEN': 'syn_test'},
        timeout=5,
    )
    assert response.status_code == 400
    assert response.json()['error']['code'] == 'ids_limit_exceeded'


def test_other_resources(seeded: FakeBackend) -> None:
    client = seeded.v2_client()
    assert client.tenants.retrieve('acme').slug == 'acme'
    token = client.tokens.create('ci')
    assert token.token.get_secret_value().startswith('syn_') and 'syn_' not in repr(token)
    assert [t.description for t in client.tokens.list()] == ['ci']
    client.tokens.destroy(token.id)
    assert client.projects.retrieve(42).task_count == 120
    assert [p.id for p in client.projects.list(list_all=True)] == [42, 43]
    collection = client.data_collections.create({'name': 'DC', 'category': 'image'})
    assert client.data_collections.retrieve(collection.id).name == 'DC'
    client.tasks.annotate_task_data(1, data={'v': 1}, action='submit')
    assert seeded.state.tasks[1]['data'] == {'v': 1}
    assert client.assignments.set_data(2, {'d': 2}).data == {'d': 2}
    assert client.tasks.bulk_create(project=43, data_unit_ids=[1000, 1001]) == {
        'created_count': 2,
        'skipped_count': 0,
    }


def _export(client: BackendV2Client, backend: FakeBackend) -> str:
    backend.state.add_storage(id=2)
    response = client.plugin_exports.create(project_id=42, storage_id=2, path='exports/x', targets=['task'])
    assert response.status == 'PENDING' and response.targets == ['task']
    body = backend.requests_to('^/v2/plugin_exports/$')[-1].json()
    assert list(body) == [
        'project_id',
        'storage_id',
        'path',
        'targets',
        'include_original_files',
        'format',
        'requires_source',
    ]
    return response.job_id


def test_export_delegation_stream_reaches_terminal_event(seeded: FakeBackend) -> None:
    client = seeded.v2_client()
    job_id = _export(client, seeded)
    events = list(client.async_jobs.stream_progress(job_id))
    assert all(isinstance(e, AsyncJobProgressEventV2) for e in events)
    assert [e.event for e in events] == ['connected', *['async_job.progress'] * 3, 'async_job.completed']
    assert events[-1].data['result_uri'].endswith('manifest.json')
    job = client.async_jobs.retrieve(job_id)
    assert job.status == 'COMPLETED' and job.progress.percent == 100.0


def test_sse_stream_cut_midway_resumes_and_reaches_terminal(seeded: FakeBackend, record_sleeps) -> None:
    client = seeded.v2_client()
    waits = record_sleeps(client)
    job_id = _export(client, seeded)
    seeded.inject('/progress/$', cut_stream_after=2)  # 'connected' + first progress, then EOF
    events = [e.event for e in client.async_jobs.stream_progress(job_id)]
    assert events[-1] == 'async_job.completed'
    assert events.count('connected') == 2
    assert len(seeded.requests_to('/progress/$')) == 2
    assert waits == [0.0]  # the broken stream had made progress: reconnect at once


def test_sse_429_and_503_honour_retry_after(seeded: FakeBackend, record_sleeps) -> None:
    client = seeded.v2_client()
    waits = record_sleeps(client)
    job_id = _export(client, seeded)
    seeded.inject('/progress/$', status=429, retry_after=3)
    seeded.inject('/progress/$', status=503, retry_after=120)
    events = [e.event for e in client.async_jobs.stream_progress(job_id)]
    assert events[-1] == 'async_job.completed'
    assert waits == [3.0, 60.0]


def test_sse_gives_up_after_retry_budget(seeded: FakeBackend, record_sleeps) -> None:
    client = seeded.v2_client()
    waits = record_sleeps(client)
    job_id = _export(client, seeded)
    seeded.inject('/progress/$', status=429, times=None)
    with pytest.raises(StreamError, match='gave up') as caught:
        list(client.async_jobs.stream_progress(job_id, max_retries=2))
    assert isinstance(caught.value.__cause__, RateLimitError)
    assert len(waits) == 2


def test_sse_error_event_is_terminal(backend: FakeBackend) -> None:
    job = backend.state.add_async_job(
        events=[{'event': 'heartbeat'}, {'event': 'error', 'status': 'FAILED', 'message': 'boom'}]
    )
    events = list(backend.v2_client().async_jobs.stream_progress(job['id']))
    assert [e.event for e in events] == ['connected', 'heartbeat', 'error']
    assert events[-1].is_terminal and events[-1].model_extra['message'] == 'boom'
    assert backend.state.async_jobs[job['id']]['status'] == 'FAILED'


def test_async_jobs_list_is_page_numbered_and_cancel(backend: FakeBackend) -> None:
    job = backend.state.add_async_job()
    client = backend.v2_client()
    page = client.async_jobs.list(page_size=10)
    assert page['count'] == 1 and page['results'][0]['id'] == job['id']
    assert client.async_jobs.cancel(job['id']).status == 'CANCELLED'


def test_login_sets_drf_token(backend: FakeBackend) -> None:
    backend.state.logins['a@b.c'] = 'pw'
    client = BackendV2Client(backend.url)
    result = client.login(email='a@b.c', password='pw')
    assert client.users.me().email == 'tester@example.com'
    assert (
        backend.requests_to('^/v2/users/me/$')[0].header('Authorization')
        == f'Token {result.token.get_secret_value()}'
    )


def test_presigned_upload_then_data_units(backend: FakeBackend) -> None:
    import hashlib

    import requests

    backend.state.multipart_threshold = 1000
    backend.state.multipart_part_size = 400
    collection = backend.state.add_data_collection()
    client = backend.v2_client()
    small, large = b'small file', bytes(range(256)) * 5
    urls = client.data_collections.upload_urls(
        collection['id'],
        {'files': [{'filename': 'a.txt', 'size': len(small)}, {'filename': 'b.bin', 'size': len(large)}]},
    )
    first, second = urls.files
    assert first.presigned_url and first.multipart is None
    assert second.presigned_url is None and [p.part_number for p in second.multipart.parts] == [1, 2, 3, 4]
    assert requests.put(first.presigned_url, data=small, timeout=5).ok  # no auth: presigned
    etags = []
    for part in second.multipart.parts:
        chunk = large[(part.part_number - 1) * 400 : part.part_number * 400]
        etags.append(
            {
                'part_number': part.part_number,
                'etag': requests.put(part.presigned_url, data=chunk, timeout=5).headers['ETag'],
            }
        )
    sha = [hashlib.sha1(small).hexdigest(), hashlib.sha1(large).hexdigest()]
    confirm = client.data_collections.finalize_upload(
        collection['id'],
        {
            'files': [
                {'file_key': first.file_key, 'checksum': sha[0], 'size': len(small)},
                {
                    'file_key': second.file_key,
                    'checksum': sha[1],
                    'size': len(large),
                    'multipart': {'upload_id': second.multipart.upload_id, 'parts': etags},
                },
                {'file_key': first.file_key, 'checksum': 'bad', 'size': len(small)},
            ]
        },
    )
    assert [r.success for r in confirm.results] == [True, True, False]
    assert confirm.created_count == 2 and confirm.failed_count == 1 and 'checksum' in confirm.results[2].error
    units = [{'files': {'text': {'checksum': sha[0], 'path': 'a.txt'}, 'blob': {'checksum': sha[1]}}}]
    created = client.data_units.bulk_create(data_collection=collection['id'], units=units)
    again = client.data_units.bulk_create(data_collection=collection['id'], units=units)
    assert created['created_count'] == 1 and again['reused_count'] == 1
    assert again['results'][0]['data_unit_id'] == created['results'][0]['data_unit_id']
    listed = client.data_units.list(data_collection=collection['id'])
    assert [u.id for u in listed.results] == [created['results'][0]['data_unit_id']]
    client.data_units.destroy(listed.results[0].id)
    assert client.data_units.list(data_collection=collection['id']).results == []
    with pytest.raises(ValidationError, match='no data file'):
        client.data_units.bulk_create(
            data_collection=collection['id'], units=[{'files': {'x': {'checksum': 'nope'}}}]
        )


def test_opaque_cursor_tokens_keep_path_and_filters(backend: FakeBackend) -> None:
    def page(ids: list[int], cursor: str | None) -> dict:
        rows = [
            {
                'id': i,
                'project_id': 42,
                'data_unit_id': i,
                'is_discarded': False,
                'has_data': False,
                'created': '2026-01-01T00:00:00+00:00',
            }
            for i in ids
        ]
        return {'data': rows, 'meta': {'request_id': f'req_{ids[0]}', 'pagination': {'next_cursor': cursor}}}

    backend.inject('^/v2/tasks/$', status=200, body=page([1, 2], 'cD0yMDI2LTAx'))
    backend.inject('^/v2/tasks/$', status=200, body=page([3], None))
    ids = [t.id for t in backend.v2_client().tasks.list(project=42, per_page=2, list_all=True)]
    assert ids == [1, 2, 3]
    second = backend.requests_to('^/v2/tasks/$')[1]
    assert second.query == {'project': ['42'], 'per_page': ['2'], 'cursor': ['cD0yMDI2LTAx']}


def test_url_host_rides_every_page_once(seeded: FakeBackend) -> None:
    client = BackendV2Client(seeded.url, access_token='syn_test', url_host='internal')
    assert len(list(client.tasks.list(project=42, per_page=50, list_all=True))) == 120
    pages = seeded.requests_to('^/v2/tasks/$')
    assert len(pages) == 3 and all(p.query['url_host'] == ['internal'] for p in pages)


def test_bulk_fetch_is_resent_after_503_because_it_carries_a_key(seeded: FakeBackend, record_sleeps) -> None:
    client = seeded.v2_client()
    waits = record_sleeps(client)
    seeded.inject('bulk-fetch', status=503, retry_after=1)
    assert [t['id'] for t in client.tasks.bulk_fetch([2, 1])] == [2, 1]
    first, second = seeded.requests_to('bulk-fetch')
    assert waits == [1.0] and first.header('Idempotency-Key') == second.header('Idempotency-Key')


def test_stream_of_a_finished_or_cancelled_job_ends_at_once(backend: FakeBackend) -> None:
    client = backend.v2_client()
    done = backend.state.add_async_job()
    assert list(client.async_jobs.stream_progress(done['id']))[-1].event == 'async_job.completed'
    again = [e.event for e in client.async_jobs.stream_progress(done['id'])]
    assert again[0] == 'connected' and again[-1] == 'async_job.completed'
    cancelled = backend.state.add_async_job()
    client.async_jobs.cancel(cancelled['id'])
    events = list(client.async_jobs.stream_progress(cancelled['id']))
    assert events[-1].event == 'error' and events[-1].status == 'CANCELLED'
