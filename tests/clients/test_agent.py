"""AgentClient / AsyncAgentClient log tailing over WebSocket with HTTP-stream fallback (seed 002)."""

from __future__ import annotations

import asyncio

import pytest

from synapse_sdk.clients.agent import AgentClient, AsyncAgentClient, tail_job_logs
from synapse_sdk.clients.exceptions import AuthenticationError, NotFoundError, WebSocketError
from synapse_sdk.clients.testing import FakeBackend

LINES = ['epoch 1 loss=0.9', 'epoch 2 loss=0.5', '{"not": "a frame"}', 'done ✓']


@pytest.fixture
def job(backend: FakeBackend) -> str:
    job = backend.state.add_job(id='raysubmit_abc123', status='RUNNING')
    backend.state.agent_job_logs[job['id']] = list(LINES)
    return job['id']


def test_websocket_tail_yields_lines_until_complete(backend: FakeBackend, job: str) -> None:
    client = backend.agent_client(user_token='u1', tenant='acme')
    assert list(client.tail_job_logs(job, protocol='websocket')) == LINES
    (upgrade,) = backend.requests_to('/agent/jobs/.+/logs/$')
    assert upgrade.header('Authorization') == 'agent_test'
    assert upgrade.header('SYNAPSE-User') == 'Token u1' and upgrade.header('SYNAPSE-Tenant') == 'Token acme'
    assert not backend.requests_to('/logs/stream/$')


def test_auto_falls_back_to_http_stream_when_websocket_is_refused(backend: FakeBackend, job: str) -> None:
    backend.websocket_enabled = False
    client = backend.agent_client()
    assert list(client.tail_job_logs(job)) == LINES
    assert len(backend.requests_to('/logs/stream/$')) == 1
    with pytest.raises(WebSocketError, match='HTTP 503'):
        list(client.tail_job_logs(job, protocol='websocket'))


def test_http_protocol_skips_websocket(backend: FakeBackend, job: str) -> None:
    assert list(backend.agent_client().tail_job_logs(job, protocol='http')) == LINES
    assert not backend.requests_to('/agent/jobs/.+/logs/$')


def test_stream_error_frame_raises(backend: FakeBackend, job: str) -> None:
    from synapse_sdk.clients.exceptions import StreamError

    backend.inject(
        '/logs/stream/$',
        status=200,
        body='data: {"type": "log", "message": "a"}\n\ndata: {"type": "error", "message": "driver died"}\n\n',
    )
    with pytest.raises(StreamError, match='driver died'):
        list(backend.agent_client().stream_tail_job_logs(job))


def test_bad_arguments_are_rejected_before_any_request(backend: FakeBackend) -> None:
    client = backend.agent_client()
    with pytest.raises(ValueError, match='job_id'):
        list(client.tail_job_logs('../etc/passwd'))
    with pytest.raises(ValueError, match='timeout'):
        list(client.tail_job_logs('abc', timeout=0))
    with pytest.raises(ValueError, match='protocol'):
        list(client.tail_job_logs('abc', protocol='carrier-pigeon'))  # type: ignore[arg-type]
    assert backend.state.requests == []


def test_plain_helper_and_job_api(backend: FakeBackend, job: str) -> None:
    assert list(tail_job_logs(backend.agent_url, 'agent_test', job)) == LINES
    client = backend.agent_client()
    assert client.get_job(job)['status'] == 'RUNNING'
    assert client.get_job_logs(job).splitlines() == LINES
    client.stop_job(job)
    assert backend.state.jobs[job]['status'] == 'STOPPED'
    with pytest.raises(NotFoundError):
        client.get_job('missing')
    with pytest.raises(AuthenticationError):
        AgentClient(backend.agent_url, 'wrong').health_check()


def test_async_client_tails_without_blocking_the_loop(backend: FakeBackend, job: str) -> None:
    async def main() -> tuple[list[str], list[str], int]:
        ticks = 0

        async def ticker() -> None:
            nonlocal ticks
            while True:
                ticks += 1
                await asyncio.sleep(0.001)

        task = asyncio.create_task(ticker())
        async with AsyncAgentClient(backend.agent_url, 'agent_test') as client:
            lines = [line async for line in client.tail_job_logs(job)]
            backend.websocket_enabled = False
            fallback = [line async for line in client.tail_job_logs(job)]
            status = (await client.get_job(job))['status']
        task.cancel()
        assert status == 'RUNNING'
        return lines, fallback, ticks

    lines, fallback, ticks = asyncio.run(main())
    assert lines == LINES and fallback == LINES
    assert ticks > 0


def test_async_tail_can_stop_early(backend: FakeBackend, job: str) -> None:
    async def first_line() -> str:
        client = AsyncAgentClient(backend.agent_url, 'agent_test')
        async for line in client.tail_job_logs(job):
            return line
        raise AssertionError('no line')

    assert asyncio.run(first_line()) == LINES[0]
