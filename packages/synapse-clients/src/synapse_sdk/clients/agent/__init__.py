"""Clients for the Ray agent's job API, with job-log tailing over WebSocket or HTTP streaming.

``tail_job_logs`` picks the protocol: WebSocket first, and if the upgrade is refused or the socket
cannot be opened before any line arrived, the HTTP stream (``jobs/{id}/logs/stream/``). The
WebSocket goes through the ``websockets`` library with the same proxy, CA bundle, origin and
deadline rules as the HTTP stream (see ``_websocket``).
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any, Literal, TypeVar

from synapse_sdk.clients._base import BaseClient
from synapse_sdk.clients._http import RetryPolicy, Timeout
from synapse_sdk.clients._sse import iter_response_lines
from synapse_sdk.clients.agent import _websocket
from synapse_sdk.clients.exceptions import ClientConnectionError, StreamError, WebSocketError

__all__ = ['AgentClient', 'AsyncAgentClient', 'Protocol', 'tail_job_logs']

Protocol = Literal['auto', 'websocket', 'http']
T = TypeVar('T')

_JOB_ID = re.compile(r'^[A-Za-z0-9_-]{1,100}$')
MAX_TAIL_TIMEOUT = 3600.0


def _check_tail_args(job_id: str, timeout: float, protocol: str) -> None:
    if not isinstance(job_id, str) or not _JOB_ID.match(job_id):
        raise ValueError(f'job_id must be 1-100 characters of letters, digits, "-" or "_"; got {job_id!r}')
    if not 0 < timeout <= MAX_TAIL_TIMEOUT:
        raise ValueError(f'timeout must be in (0, {MAX_TAIL_TIMEOUT:g}] seconds; got {timeout!r}')
    if protocol not in ('auto', 'websocket', 'http'):
        raise ValueError(f"protocol must be 'auto', 'websocket' or 'http'; got {protocol!r}")


def _message_text(raw: str | bytes) -> tuple[str, str | None]:
    """``(type, text)`` of one stream message; plain text lines are logs."""
    text = raw.decode('utf-8', 'replace') if isinstance(raw, bytes) else raw
    try:
        payload = json.loads(text)
    except ValueError:
        return 'log', text
    if not isinstance(payload, dict):
        return 'log', text
    kind = str(payload.get('type') or 'log')
    message = payload.get('message', payload.get('data'))
    return kind, None if message is None else str(message)


class AgentClient(BaseClient):
    """Synchronous client for an agent (``Authorization: <agent_token>`` raw, optional
    ``SYNAPSE-User: Token <user_token>`` and ``SYNAPSE-Tenant: Token <tenant>``)."""

    name = 'agent'

    def __init__(
        self,
        base_url: str,
        agent_token: str,
        *,
        user_token: str | None = None,
        tenant: str | None = None,
        timeout: Timeout | float | tuple[float, float] | dict[str, float] | None = None,
        retry: RetryPolicy | None = None,
    ) -> None:
        if not agent_token:
            raise ValueError('AgentClient needs the agent token')
        headers = {'Authorization': agent_token}
        if user_token:
            headers['SYNAPSE-User'] = f'Token {user_token}'
        if tenant:
            headers['SYNAPSE-Tenant'] = f'Token {tenant}'
        super().__init__(
            base_url,
            headers=headers,
            timeout=Timeout.coerce(timeout, Timeout(3.0, 10.0)),
            retry=retry,
            secrets=(agent_token, user_token),
        )

    # -- jobs ----------------------------------------------------------------------------------
    def health_check(self) -> Any:
        return self._get('health/')

    def list_jobs(self) -> Any:
        return self._get('jobs/')

    def get_job(self, job_id: str) -> Any:
        return self._get(f'jobs/{job_id}/')

    def get_job_logs(self, job_id: str) -> str:
        """The job's whole log so far, as text."""
        response = self._http.request('GET', f'jobs/{job_id}/logs/')
        if 'charset' not in response.headers.get('Content-Type', ''):
            return response.content.decode('utf-8', 'replace')
        return response.text

    def stop_job(self, job_id: str) -> Any:
        return self._post(f'jobs/{job_id}/stop/', idempotency_key=f'stop-{job_id}')

    # -- cluster -------------------------------------------------------------------------------
    def get_gpu_status(self) -> Any:
        return self._get('gpu_status/')

    def list_nodes(self) -> Any:
        return self._get('nodes/')

    def get_node(self, node_id: str) -> Any:
        return self._get(f'nodes/{node_id}/')

    def list_tasks(self) -> Any:
        return self._get('tasks/')

    def get_task(self, task_id: str) -> Any:
        return self._get(f'tasks/{task_id}/')

    def list_serve_applications(self) -> Any:
        return self._get('serve_applications/')

    def get_serve_application(self, name: str) -> Any:
        return self._get(f'serve_applications/{name}/')

    def delete_serve_application(self, name: str) -> Any:
        return self._delete(f'serve_applications/{name}/')

    def get_cluster_resources(self, *, use_cache: bool = True) -> Any:
        return self._get('resources/cluster/', params={'use_cache': 'true' if use_cache else 'false'})

    # -- log tailing ---------------------------------------------------------------------------
    def websocket_tail_job_logs(self, job_id: str, timeout: float = 30.0) -> Iterator[str]:
        """Log lines from ``ws(s)://<agent>/jobs/{id}/logs/`` until ``complete``; ``timeout`` bounds
        the opening handshake and is then the longest wait for a message (an idle deadline)."""
        _check_tail_args(job_id, timeout, 'websocket')
        url = self._http.url_for(f'jobs/{job_id}/logs/')
        with _websocket.connect(url, headers=self._http.headers, timeout=timeout) as conn:
            while (raw := conn.recv()) is not None:
                kind, text = _message_text(raw)
                if kind == 'complete':
                    return
                if kind == 'error':
                    raise StreamError(f'agent reported an error while tailing job {job_id}: {text}', url=url)
                if text is not None:
                    yield text

    def stream_tail_job_logs(self, job_id: str, timeout: float = 30.0) -> Iterator[str]:
        """Log lines from the HTTP stream ``jobs/{id}/logs/stream/`` (``data: {json}`` or plain lines);
        ``timeout`` is the longest wait for the next line (an idle deadline)."""
        _check_tail_args(job_id, timeout, 'http')
        response = self._http.request(
            'GET',
            f'jobs/{job_id}/logs/stream/',
            stream=True,
            timeout=Timeout(self.timeout.connect, timeout),
            idle_timeout=timeout,
        )
        with response:
            for line in iter_response_lines(response):
                if not line or line.startswith(':'):
                    continue
                kind, text = _message_text(line[5:].lstrip() if line.startswith('data:') else line)
                if kind == 'complete':
                    return
                if kind == 'error':
                    raise StreamError(f'agent reported an error while tailing job {job_id}: {text}')
                if text is not None:
                    yield text

    def tail_job_logs(
        self, job_id: str, timeout: float = 30.0, *, protocol: Protocol = 'auto'
    ) -> Iterator[str]:
        """Follow a job's logs. ``auto`` tries WebSocket and falls back to the HTTP stream when the
        WebSocket cannot be established (before any line was received)."""
        _check_tail_args(job_id, timeout, protocol)
        if protocol == 'http':
            yield from self.stream_tail_job_logs(job_id, timeout)
            return
        received = False
        try:
            for line in self.websocket_tail_job_logs(job_id, timeout):
                received = True
                yield line
            return
        except (WebSocketError, ClientConnectionError):
            if protocol == 'websocket' or received:
                raise
        yield from self.stream_tail_job_logs(job_id, timeout)


class AsyncAgentClient:
    """The ``AgentClient`` API as coroutines (and an async ``tail_job_logs`` iterator).

    Blocking I/O runs in worker threads (``asyncio.to_thread``), so the event loop never blocks and
    no async HTTP library is required.
    """

    def __init__(
        self,
        base_url: str,
        agent_token: str,
        *,
        user_token: str | None = None,
        tenant: str | None = None,
        timeout: Timeout | float | tuple[float, float] | dict[str, float] | None = None,
    ) -> None:
        self._sync = AgentClient(base_url, agent_token, user_token=user_token, tenant=tenant, timeout=timeout)

    def __repr__(self) -> str:
        return f'AsyncAgentClient({self._sync.base_url!r})'

    @property
    def base_url(self) -> str:
        return self._sync.base_url

    async def __aenter__(self) -> AsyncAgentClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def close(self) -> None:
        await asyncio.to_thread(self._sync.close)

    async def _run(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        return await asyncio.to_thread(fn, *args, **kwargs)

    async def health_check(self) -> Any:
        return await self._run(self._sync.health_check)

    async def list_jobs(self) -> Any:
        return await self._run(self._sync.list_jobs)

    async def get_job(self, job_id: str) -> Any:
        return await self._run(self._sync.get_job, job_id)

    async def get_job_logs(self, job_id: str) -> str:
        return await self._run(self._sync.get_job_logs, job_id)

    async def stop_job(self, job_id: str) -> Any:
        return await self._run(self._sync.stop_job, job_id)

    async def get_cluster_resources(self, *, use_cache: bool = True) -> Any:
        return await self._run(self._sync.get_cluster_resources, use_cache=use_cache)

    async def get_gpu_status(self) -> Any:
        return await self._run(self._sync.get_gpu_status)

    async def list_nodes(self) -> Any:
        return await self._run(self._sync.list_nodes)

    async def get_node(self, node_id: str) -> Any:
        return await self._run(self._sync.get_node, node_id)

    async def list_tasks(self) -> Any:
        return await self._run(self._sync.list_tasks)

    async def get_task(self, task_id: str) -> Any:
        return await self._run(self._sync.get_task, task_id)

    async def list_serve_applications(self) -> Any:
        return await self._run(self._sync.list_serve_applications)

    async def get_serve_application(self, name: str) -> Any:
        return await self._run(self._sync.get_serve_application, name)

    async def delete_serve_application(self, name: str) -> Any:
        return await self._run(self._sync.delete_serve_application, name)

    async def _iterate(self, iterator: Iterator[str]) -> AsyncIterator[str]:
        done = object()
        try:
            while True:
                item = await asyncio.to_thread(next, iterator, done)
                if item is done:
                    return
                yield item  # type: ignore[misc]  # next() with a sentinel default: the checker cannot tell the sentinel apart from items
        finally:
            close = getattr(iterator, 'close', None)
            if close is not None:
                await asyncio.to_thread(close)

    def tail_job_logs(
        self, job_id: str, timeout: float = 30.0, *, protocol: Protocol = 'auto'
    ) -> AsyncIterator[str]:
        """``async for line in client.tail_job_logs(job_id): ...`` (same protocol rules as the sync client)."""
        _check_tail_args(job_id, timeout, protocol)
        return self._iterate(self._sync.tail_job_logs(job_id, timeout, protocol=protocol))

    def websocket_tail_job_logs(self, job_id: str, timeout: float = 30.0) -> AsyncIterator[str]:
        _check_tail_args(job_id, timeout, 'websocket')
        return self._iterate(self._sync.websocket_tail_job_logs(job_id, timeout))

    def stream_tail_job_logs(self, job_id: str, timeout: float = 30.0) -> AsyncIterator[str]:
        _check_tail_args(job_id, timeout, 'http')
        return self._iterate(self._sync.stream_tail_job_logs(job_id, timeout))


def tail_job_logs(
    agent_url: str,
    agent_token: str,
    job_id: str,
    *,
    timeout: float = 30.0,
    protocol: Protocol = 'auto',
    user_token: str | None = None,
    tenant: str | None = None,
) -> Iterator[str]:
    """Follow a job's logs on an agent without managing a client (WebSocket, else HTTP stream)."""
    _check_tail_args(job_id, timeout, protocol)
    client = AgentClient(agent_url, agent_token, user_token=user_token, tenant=tenant)
    try:
        yield from client.tail_job_logs(job_id, timeout, protocol=protocol)
    finally:
        client.close()
