"""A stateful fake Synapse backend on a loopback port, for tests (ours and plugin authors').

>>> from synapse_sdk.clients.testing import FakeBackend
>>> with FakeBackend() as backend:                                  # doctest: +SKIP
...     project = backend.state.add_project(title='Demo')
...     backend.state.add_tasks(project['id'], 3)
...     client = backend.v2_client()
...     page = client.tasks.list(project=project['id'])

It speaks the v1 routes (DRF pages, ``{"detail": ...}`` errors), the v2 routes (``{data, meta}``
envelopes, URL cursors that keep the filters, bulk endpoints, SSE progress) and the agent's job-log
routes under ``/agent/`` (WebSocket and HTTP stream). ``inject()`` scripts faults. Stdlib only.
See docs/clients/testing.md.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from synapse_sdk.clients.testing._media import new_media
from synapse_sdk.clients.testing._routes import register_routes
from synapse_sdk.clients.testing._server import Fault, IdempotencyStore, ServerCore
from synapse_sdk.clients.testing._state import FakeState, RecordedRequest, RequestLog

if TYPE_CHECKING:
    from synapse_sdk.clients.agent import AgentClient
    from synapse_sdk.clients.backend import BackendClient
    from synapse_sdk.clients.backend_v2 import BackendV2Client

__all__ = ['FakeBackend', 'FakeState', 'Fault', 'IdempotencyStore', 'RecordedRequest', 'RequestLog']

DEFAULT_ACCESS_TOKEN = 'syn_test'
DEFAULT_AGENT_TOKEN = 'agent_test'


class FakeBackend(ServerCore):
    """Start with ``with FakeBackend() as backend:`` or ``start()`` / ``stop()``.

    ``state`` holds the data (seed with ``state.add_project(...)`` etc., inspect ``state.tasks``,
    ``state.job_logs``, ``state.requests``). Requests must carry ``access_token`` (default
    ``syn_test``) unless ``require_auth=False``. With ``max_request_bytes`` set, a request body over
    that many bytes is answered 413 (an HTML page, connection closed) without reaching a route, as
    a reverse proxy with a body limit (nginx ``client_max_body_size``) answers; it is still recorded
    in ``state.requests``.
    """

    def __init__(
        self,
        state: FakeState | None = None,
        *,
        access_token: str = DEFAULT_ACCESS_TOKEN,
        require_auth: bool = True,
        host: str = '127.0.0.1',
        port: int = 0,
        max_request_bytes: int | None = None,
    ) -> None:
        super().__init__(state, host=host, port=port, max_request_bytes=max_request_bytes)
        self.access_token = access_token
        self.state.access_tokens.add(access_token)
        self.state.require_auth = require_auth
        self._websocket_enabled = [True]
        register_routes(self.router, self.state, websocket_enabled=self._websocket_enabled)

    @property
    def agent_url(self) -> str:
        return f'{self.url}/agent/'

    @property
    def websocket_enabled(self) -> bool:
        """Whether the agent log route accepts WebSocket upgrades (off: answers 503, like a proxy)."""
        return self._websocket_enabled[0]

    @websocket_enabled.setter
    def websocket_enabled(self, value: bool) -> None:
        self._websocket_enabled[0] = value

    def add_media(self, content: bytes | None = None, **spec: Any) -> dict[str, Any]:
        """Serve a file (an "original file" of a record) and return ``{'url', 'size', 'checksum'}``.

        ``content`` is served as given; without it the bytes are generated (``size``, ``name``; a
        ``.jpg`` name gives a JPEG header with ``width`` x ``height``). See ``_media``.
        """
        return new_media(self.state, self.url, content=content, **spec)

    def env(self, **extra: str) -> dict[str, str]:
        """Environment variables that point ``create_backend_client()`` and the v2 factory here."""
        return {'SYNAPSE_HOST': self.url, 'SYNAPSE_ACCESS_TOKEN': self.access_token, **extra}

    def client(self, **kwargs: Any) -> BackendClient:
        """A v1 ``BackendClient`` for this server."""
        from synapse_sdk.clients.backend import BackendClient

        kwargs.setdefault('access_token', self.access_token)
        return BackendClient(self.url, **kwargs)

    def v2_client(self, **kwargs: Any) -> BackendV2Client:
        """A ``BackendV2Client`` for this server."""
        from synapse_sdk.clients.backend_v2 import BackendV2Client

        kwargs.setdefault('access_token', self.access_token)
        return BackendV2Client(self.url, **kwargs)

    def agent_client(self, **kwargs: Any) -> AgentClient:
        """An ``AgentClient`` for the fake agent routes."""
        from synapse_sdk.clients.agent import AgentClient

        return AgentClient(self.agent_url, DEFAULT_AGENT_TOKEN, **kwargs)
