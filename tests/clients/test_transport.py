"""The shared HTTP core against the fake backend: retries, Retry-After, lost responses, typed errors."""

from __future__ import annotations

import socket
import time
from email.utils import formatdate

import pytest

from synapse_sdk.clients._http import RetryPolicy, Timeout, parse_retry_after
from synapse_sdk.clients.backend import BackendClient
from synapse_sdk.clients.backend_v2 import BackendV2Client
from synapse_sdk.clients.exceptions import (
    AuthenticationError,
    AuthorizationError,
    ClientConnectionError,
    ClientTimeoutError,
    LogDeliveryError,
    NotFoundError,
    RateLimitError,
    ResponseLostError,
    ServerError,
    ValidationError,
)
from synapse_sdk.clients.testing import FakeBackend


def test_503_with_retry_after_is_retried_and_succeeds(backend: FakeBackend, record_sleeps) -> None:
    backend.state.add_project(id=7, title='P')
    client = backend.client()
    waits = record_sleeps(client)
    backend.inject(r'^/projects/7/$', status=503, retry_after=2, times=2)
    assert client.get_project(7)['title'] == 'P'
    assert waits == [2.0, 2.0]
    assert len(backend.requests_to(r'^/projects/7/$')) == 3


def test_retry_after_is_capped(backend: FakeBackend, record_sleeps) -> None:
    backend.state.add_project(id=7)
    client = BackendClient(backend.url, 'syn_test', retry=RetryPolicy(max_retry_after=5))
    waits = record_sleeps(client)
    backend.inject(r'^/projects/7/$', status=429, retry_after=3600)
    client.get_project(7)
    assert waits == [5]


def test_exhausted_retries_raise_server_error_with_request_id(backend: FakeBackend, record_sleeps) -> None:
    client = backend.v2_client()
    waits = record_sleeps(client)
    backend.inject(r'^/v2/users/me/$', status=503, times=None)
    with pytest.raises(ServerError) as caught:
        client.users.me()
    error = caught.value
    assert error.status_code == 503
    assert error.attempts == 4 and len(waits) == 3
    last = backend.requests_to(r'^/v2/users/me/$')[-1]
    assert error.request_id == last.request_id
    assert last.request_id in str(error)
    # exponential backoff with jitter: each wait lies in [d/2, d] for d = 0.5 * 2**n
    for n, wait in enumerate(waits):
        assert 0.25 * 2**n <= wait <= 0.5 * 2**n


def test_post_whose_response_was_lost_is_not_sent_twice(backend: FakeBackend, record_sleeps) -> None:
    job = backend.state.add_job()
    client = backend.client()
    record_sleeps(client)
    backend.inject(r'^/plugins/.+/run/$', drop='after')
    backend.state.add_plugin(code='demo')
    with pytest.raises(ResponseLostError) as caught:
        client.run_plugin('demo', {'action': 'train'})
    assert caught.value.request_sent is True
    assert len(backend.requests_to(r'^/plugins/demo/run/$', 'POST')) == 1
    # the server did apply it once: a second job exists next to the seeded one
    assert len(backend.state.jobs) == 2 and job['id'] in backend.state.jobs


def test_post_with_idempotency_key_is_resent_and_applied_once(backend: FakeBackend, record_sleeps) -> None:
    client = backend.client()
    record_sleeps(client)
    backend.inject(r'^/logs/$', drop='after')
    client.create_logs([{'job': 'j1', 'event': 'e', 'data': {}}])
    assert len(backend.requests_to(r'^/logs/$', 'POST')) == 2
    assert len(backend.state.job_logs) == 1


def test_post_is_not_retried_on_503_without_key(backend: FakeBackend, record_sleeps) -> None:
    backend.state.add_plugin(code='demo')
    client = backend.client()
    waits = record_sleeps(client)
    backend.inject(r'/run/$', status=503, times=None)
    with pytest.raises(ServerError):
        client.run_plugin('demo', {})
    assert waits == [] and len(backend.requests_to(r'/run/$')) == 1


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def test_connection_refused_is_retried_even_for_post(record_sleeps) -> None:
    client = BackendClient(f'http://127.0.0.1:{_closed_port()}', 'syn_test')
    waits = record_sleeps(client)
    with pytest.raises(LogDeliveryError) as caught:
        client.create_logs([{'event': 'x', 'data': {}}])
    assert caught.value.lost_entries == 1
    cause = caught.value.__cause__
    assert isinstance(cause, ClientConnectionError) and cause.request_sent is False
    assert len(waits) == 3


def test_read_timeout_is_typed(backend: FakeBackend) -> None:
    backend.state.add_project(id=1)
    client = BackendClient(
        backend.url, 'syn_test', timeout=Timeout(2, 0.2), retry=RetryPolicy(max_attempts=1)
    )
    backend.inject(r'^/projects/1/$', delay=0.6)
    with pytest.raises(ClientTimeoutError):
        client.get_project(1)


def test_total_time_budget_stops_retrying(backend: FakeBackend) -> None:
    client = BackendClient(backend.url, 'syn_test', retry=RetryPolicy(max_attempts=10, total_timeout=0.3))
    backend.inject(r'^/projects/', status=503, retry_after=1, times=None)
    started = time.monotonic()
    with pytest.raises(ServerError):
        client.get_project(1)
    assert time.monotonic() - started < 1.0
    assert len(backend.requests_to('^/projects/')) == 1


def test_timeouts_overridable_by_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv('SYNAPSE_BACKEND_V2_TIMEOUT_CONNECT', '1.5')
    monkeypatch.setenv('SYNAPSE_BACKEND_V2_TIMEOUT_READ', 'nonsense')
    client = BackendV2Client('https://x.example', access_token='syn_x')
    assert client.timeout == Timeout(1.5, 30.0)
    assert BackendV2Client('https://x.example', timeout=(2, 3)).timeout == Timeout(2, 3)


def test_401_raises_authentication_error_without_the_token(backend: FakeBackend) -> None:
    secret = 'syn_this_is_not_valid_123'
    for client in (BackendClient(backend.url, secret), BackendV2Client(backend.url, access_token=secret)):
        with pytest.raises(AuthenticationError) as caught:
            client.get_project(1) if isinstance(client, BackendClient) else client.users.me()
        text = str(caught.value) + repr(caught.value) + repr(client) + str(caught.value.detail)
        assert secret not in text
        assert caught.value.status_code == 401 and caught.value.request_id


def test_secret_echoed_by_server_is_redacted(backend: FakeBackend) -> None:
    client = backend.client()
    backend.inject(r'^/projects/', status=400, body={'detail': 'bad token syn_test in header'})
    with pytest.raises(ValidationError) as caught:
        client.get_project(1)
    assert 'syn_test' not in str(caught.value) and '***' in str(caught.value)


@pytest.mark.parametrize(
    ('status', 'error'),
    [
        (400, ValidationError),
        (403, AuthorizationError),
        (404, NotFoundError),
        (422, ValidationError),
        (429, RateLimitError),
        (500, ServerError),
    ],
)
def test_status_mapping(backend: FakeBackend, status: int, error: type[Exception]) -> None:
    client = BackendClient(backend.url, 'syn_test', retry=RetryPolicy(max_attempts=1))
    backend.inject('^/projects/', status=status)
    with pytest.raises(error):
        client.get_project(1)


def test_v1_field_errors_are_readable(backend: FakeBackend) -> None:
    client = backend.client()
    backend.inject('^/tasks/$', status=400, body={'project': ['This field is required.']})
    with pytest.raises(ValidationError, match='project: This field is required'):
        client.create_tasks({'project': 1, 'data': []})


def test_parse_retry_after_accepts_seconds_and_dates() -> None:
    assert parse_retry_after('3') == 3.0
    assert 9 <= parse_retry_after(formatdate(time.time() + 10, usegmt=True)) <= 10
    assert parse_retry_after('soon') is None
    assert parse_retry_after(None) is None
