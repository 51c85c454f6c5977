"""The fake backend at scale: its request log and idempotency store keep a bounded window; it serves files."""

from __future__ import annotations

import hashlib
import time
import uuid

import pytest
import requests

from synapse_sdk.clients.testing import FakeBackend
from synapse_sdk.clients.testing._server import IdempotencyStore
from synapse_sdk.clients.testing._state import RecordedRequest, RequestLog


def recorded(n: int, body: bytes = b'') -> RecordedRequest:
    return RecordedRequest('GET', f'/r/{n}', {}, {}, body, f'req_{n}')


def test_request_log_keeps_the_last_requests_and_bodies_within_the_window():
    log = RequestLog(max_requests=5, max_body_bytes=1_000)
    for n in range(12):
        log.append(recorded(n, b'x' * 100))
    assert [r.path for r in log] == [f'/r/{n}' for n in range(7, 12)]
    assert (
        len(log) == 5
        and log.dropped == 7
        and log[-1].path == '/r/11'
        and [r.path for r in log[3:]] == ['/r/10', '/r/11']
    )
    log.append(recorded(12, b'y' * 950))  # bodies over 1,000 bytes: older requests go first
    assert [r.path for r in log] == ['/r/12']
    log.append(recorded(13, b'z' * 5_000))  # the newest request is kept even alone over the budget
    assert [r.path for r in log] == ['/r/13']
    log.clear()
    assert log == [] and not log


def test_idempotency_store_evicts_the_oldest_answers():
    store = IdempotencyStore(max_entries=3, max_bytes=250)
    for n in range(5):
        store.put(('POST', '/p/', str(n)), (200, b'a' * 50, {}, 'application/json'))
    assert len(store) == 3 and store.get(('POST', '/p/', '0')) is None and store.get(('POST', '/p/', '4'))
    store.put(('POST', '/p/', 'big'), (200, b'b' * 201, {}, 'application/json'))
    assert len(store) == 1 and store.evicted == 5


def test_the_default_windows_are_the_documented_ones():
    """docs/clients/testing.md: the request log keeps the last 10,000 requests, fewer while their bodies exceed
    64 MiB; the idempotency store the last 1,000 answers, fewer while their bodies exceed 32 MiB."""
    log = RequestLog()
    for n in range(10_003):
        log.append(recorded(n))
    assert len(log) == 10_000 and log.dropped == 3 and log[0].path == '/r/3' and log[-1].path == '/r/10002'
    mib = b'x' * (1 << 20)  # one object behind every body: the test itself holds 1 MiB
    log = RequestLog()
    for n in range(70):
        log.append(recorded(n, mib))
    assert len(log) == 64 and log.dropped == 6 and log[0].path == '/r/6'

    store = IdempotencyStore()
    for n in range(1_002):
        store.put(('POST', '/p/', str(n)), (200, b'{}', {}, 'application/json'))
    assert len(store) == 1_000 and store.evicted == 2
    assert store.get(('POST', '/p/', '1')) is None and store.get(('POST', '/p/', '2')) is not None
    store = IdempotencyStore()
    for n in range(40):
        store.put(('POST', '/p/', str(n)), (200, mib, {}, 'application/json'))
    assert len(store) == 32 and store.evicted == 8
    with FakeBackend() as backend:  # what a test gets
        assert (backend.state.requests.max_requests, backend.state.requests.max_body_bytes) == (
            10_000,
            64 << 20,
        )
        assert (backend.idempotency.max_entries, backend.idempotency.max_bytes) == (1_000, 32 << 20)


def test_an_idempotent_resend_within_the_window_replays_and_after_it_runs_again():
    with FakeBackend() as backend:
        backend.idempotency = IdempotencyStore(max_entries=2)
        project = backend.state.add_project()
        session = requests.Session()
        session.headers['SYNAPSE-ACCESS-TOKEN'] = backend.access_token

        def create(key: str) -> requests.Response:
            body = {'project': project['id'], 'data_unit_ids': [1]}
            return session.post(
                f'{backend.url}/v2/tasks/bulk-create/',
                json=body,
                headers={'Idempotency-Key': key},
                timeout=10,
            )

        first = create('k1')
        assert first.status_code == 201 and first.json()['data']['created_count'] == 1
        replay = create('k1')
        assert replay.headers.get('Idempotent-Replayed') == 'true' and replay.content == first.content
        create('k2')
        create('k3')  # k1 leaves the window
        again = create('k1')
        assert 'Idempotent-Replayed' not in again.headers and again.json()['data']['skipped_count'] == 1


def test_a_long_run_does_not_grow_the_fake():
    with FakeBackend() as backend:
        backend.state.requests = RequestLog(max_requests=40)
        backend.idempotency = IdempotencyStore(max_entries=60)
        project = backend.state.add_project()
        backend.state.add_tasks(project['id'], 5)
        client = backend.v2_client()
        for _ in range(150):
            client.tasks.bulk_fetch([1, 2, 3])  # each carries an Idempotency-Key
        assert len(backend.state.requests) == 40 and backend.state.requests.dropped == 110
        assert len(backend.idempotency) == 60 and backend.idempotency.evicted == 90
        assert FakeBackend().state.requests.max_requests == 10_000  # the documented defaults
        assert IdempotencyStore().max_entries == 1_000


def test_media_files_are_served_without_credentials_the_same_bytes_every_time():
    with FakeBackend() as backend:
        given = backend.add_media(content=b'hello world', name='a.txt')
        jpeg = backend.add_media(size=4_000, name='img.jpg', width=320, height=200)
        for entry in (given, jpeg):
            first = requests.get(
                entry['url'], timeout=10
            )  # no token: the route is public, like presigned storage
            second = requests.get(entry['url'], timeout=10)
            assert first.status_code == 200 and first.content == second.content
            assert len(first.content) == entry['size']
            assert hashlib.sha1(first.content).hexdigest() == entry['checksum']
        assert requests.get(given['url'], timeout=10).content == b'hello world'

        from synapse_sdk.utils.converters import read_image_size

        path = backend.add_media(size=2_000, name='x.jpg', width=123, height=45)
        data = requests.get(path['url'], timeout=10).content
        import tempfile
        from pathlib import Path

        with tempfile.TemporaryDirectory() as tmp:
            (Path(tmp) / 'x.jpg').write_bytes(data)
            info = read_image_size(Path(tmp) / 'x.jpg')
        assert (info.width, info.height) == (123, 45)
        assert (
            requests.get(f'{backend.url}/media/files/{uuid.uuid4().hex}/x.jpg', timeout=10).status_code == 404
        )


def test_media_latency_and_failures():
    with FakeBackend() as backend:
        entry = backend.add_media(size=1_000, name='f.bin')
        backend.state.media_latency = 0.2
        started = time.monotonic()
        requests.get(entry['url'], timeout=10)
        assert time.monotonic() - started >= 0.2
        backend.state.media_latency = 0.0
        backend.inject(r'^/media/', status=503, times=1)
        assert requests.get(entry['url'], timeout=10).status_code == 503
        backend.inject(r'^/media/', drop='partial', times=1)
        with pytest.raises(requests.exceptions.ChunkedEncodingError):
            requests.get(entry['url'], timeout=10)
        assert requests.get(entry['url'], timeout=10).status_code == 200
