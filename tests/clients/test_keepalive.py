"""The clients' transport against a server that closes a kept-alive connection as the next request arrives.

A server with a short keep-alive timeout (nginx, S3-compatible gateways) may close an idle connection just
as the client sends a request on it. The loopback server here (``misbehaving.drops_kept_alive``, serving the
stateful fake backend or Python's static file server) does it every time: it answers the first request of
each connection and closes the connection, with a FIN or a reset, when the next one arrives. A request the
transport may resend goes again at once on a new connection: no retry wait (the waits are recorded, not
slept: none may be), no attempt spent, also under ``NO_RETRY`` (the v2 progress stream); a POST without
``Idempotency-Key`` is not resent.
"""

from __future__ import annotations

import functools
import http.server
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import synapse_tests_misbehaving as misbehaving  # registered by tests/conftest.py

from synapse_sdk.clients._http import NO_RETRY, HttpCore
from synapse_sdk.clients.backend_v2 import BackendV2Client
from synapse_sdk.clients.downloads import FileDownloader
from synapse_sdk.clients.exceptions import ClientConnectionError, ResponseLostError
from synapse_sdk.clients.testing import FakeBackend
from synapse_sdk.clients.testing._server import _Handler
from synapse_sdk.security.keepalive import new_connections

TOKEN = 'syn_PLANTED-keepalive-7731'
HOW = pytest.mark.parametrize('how', ['close', 'reset'])


def _fake_backend_handler(backend: FakeBackend) -> type[http.server.BaseHTTPRequestHandler]:
    """The fake backend's request handler, for a server other than its own (`drops_kept_alive`'s)."""

    class Handler(_Handler):
        def _dispatch(self) -> None:
            backend._handle(self)

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = _dispatch

    return Handler


@pytest.fixture
def dropping_backend(
    request: pytest.FixtureRequest,
) -> Iterator[tuple[FakeBackend, misbehaving.KeepAliveDrops]]:
    """The fake backend behind a `drops_kept_alive` server that closes as ``request.param`` says."""
    with (
        FakeBackend(access_token=TOKEN) as backend,
        misbehaving.drops_kept_alive(_fake_backend_handler(backend), how=request.param) as server,
    ):
        yield backend, server


def _client(server: misbehaving.KeepAliveDrops) -> tuple[BackendV2Client, list[float]]:
    client = BackendV2Client(server.url, access_token=TOKEN)
    waits: list[float] = []
    client._http.sleep = waits.append
    return client, waits


def _files(root: Path) -> Any:
    return functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(root))


@pytest.mark.parametrize('dropping_backend', ['close', 'reset'], indirect=True)
def test_a_v2_get_is_sent_again_at_once_on_a_new_connection(dropping_backend: Any) -> None:
    backend, server = dropping_backend
    job = backend.state.add_async_job()
    client, waits = _client(server)
    path = f'/v2/async_jobs/{job["id"]}/'
    assert client.async_jobs.retrieve(job['id']).id == job['id']  # connection 1, kept alive
    assert client.async_jobs.retrieve(job['id']).id == job['id']  # connection 1 dropped, then 2
    assert server.outcomes('GET', path) == [(1, 'answered'), (1, 'dropped'), (2, 'answered')]
    assert waits == []  # no backoff before the resend
    assert [r.headers.get('SYNAPSE-ACCESS-TOKEN') for r in backend.requests_to(path)] == [TOKEN] * 2


@pytest.mark.parametrize('dropping_backend', ['close', 'reset'], indirect=True)
def test_the_progress_stream_is_sent_again_at_once_not_after_its_reconnect_backoff(
    dropping_backend: Any,
) -> None:
    backend, server = dropping_backend
    job = backend.state.add_async_job()
    client, waits = _client(server)
    client.async_jobs.retrieve(job['id'])  # connection 1 answers and is kept alive
    events = [event.event for event in client.async_jobs.stream_progress(job['id'])]  # GET, NO_RETRY
    assert events == ['connected', *['async_job.progress'] * 3, 'async_job.completed']
    progress = f'/v2/async_jobs/{job["id"]}/progress/'
    assert server.outcomes('GET', progress) == [(1, 'dropped'), (2, 'answered')]
    assert waits == []  # neither the transport's backoff nor the stream's reconnect wait (2.5-5 s)


@HOW
def test_the_file_downloader_gets_its_file_with_one_resend(tmp_path: Path, how: str) -> None:
    served = tmp_path / 'served'
    served.mkdir()
    (served / 'a.bin').write_bytes(b'a' * 70_000)
    with misbehaving.drops_kept_alive(_files(served), how=how) as server, FileDownloader() as downloader:
        waits: list[float] = []
        downloader.sleep = waits.append
        for name in ('1.bin', '2.bin'):
            assert downloader.download(f'{server.url}/a.bin', tmp_path / name, size=70_000) == 70_000
    assert (tmp_path / '2.bin').read_bytes() == b'a' * 70_000
    assert server.outcomes('GET', '/a.bin') == [(1, 'answered'), (1, 'dropped'), (2, 'answered')]
    assert waits == []


@HOW
def test_no_retry_still_resends_a_get_once_and_counts_one_attempt(tmp_path: Path, how: str) -> None:
    (tmp_path / 'a.txt').write_text('a')
    with misbehaving.drops_kept_alive(_files(tmp_path), answers=(1, 0), how=how) as server:
        core = HttpCore(
            server.url, retry=NO_RETRY, headers={'Authorization': f'Token {TOKEN}'}, secrets=[TOKEN]
        )
        waits: list[float] = []
        core.sleep = waits.append
        assert core.request('GET', '/a.txt').text == 'a'
        with pytest.raises(ClientConnectionError) as caught:
            core.request('GET', '/a.txt')  # dropped on 1, resent once on 2, dropped there too: no third
        core.close()
    assert server.outcomes('GET', '/a.txt') == [(1, 'answered'), (1, 'dropped'), (2, 'dropped')]
    assert caught.value.attempts == 1 and waits == []
    assert not isinstance(caught.value, ResponseLostError)
    assert TOKEN not in str(caught.value) and TOKEN not in repr(caught.value)


@pytest.mark.parametrize('dropping_backend', ['close', 'reset'], indirect=True)
def test_a_post_without_idempotency_key_is_not_resent(dropping_backend: Any) -> None:
    backend, server = dropping_backend
    project = backend.state.add_project(title='p')
    client, waits = _client(server)
    http = client._http
    http.request('GET', f'/v2/projects/{project["id"]}/')  # connection 1 kept alive
    with pytest.raises(ResponseLostError) as caught:
        http.request('POST', '/v2/async_jobs/x/cancel/')
    assert server.outcomes('POST', '/v2/async_jobs/x/cancel/') == [(1, 'dropped')]
    assert waits == [] and TOKEN not in str(caught.value)
    # with a key it may be resent: at once, on a new connection
    http.request('GET', f'/v2/projects/{project["id"]}/')  # connection 2 kept alive
    job = backend.state.add_async_job()
    client.async_jobs.cancel(job['id'])
    assert server.outcomes('POST', f'/v2/async_jobs/{job["id"]}/cancel/') == [(2, 'dropped'), (3, 'answered')]
    assert waits == []


def test_new_connections_gives_a_request_a_new_connection_though_one_is_kept_alive(tmp_path: Path) -> None:
    (tmp_path / 'a.txt').write_text('a')
    with misbehaving.drops_kept_alive(_files(tmp_path), answers=10) as server:
        core = HttpCore(server.url)
        for _ in range(2):
            core.request('GET', '/a.txt')
        with new_connections():
            core.request('GET', '/a.txt')
        core.request('GET', '/a.txt')
        core.close()
    assert server.outcomes('GET', '/a.txt') == [
        (1, 'answered'),
        (1, 'answered'),
        (2, 'answered'),
        (2, 'answered'),
    ]
