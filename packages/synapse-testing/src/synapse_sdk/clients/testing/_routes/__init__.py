"""The fake backend's routes: ``v1`` and ``v2`` (one module per resource) and ``agent``."""

from __future__ import annotations

from synapse_sdk.clients.testing._media import register_media
from synapse_sdk.clients.testing._routes.agent import register_agent
from synapse_sdk.clients.testing._routes.v1 import register_v1
from synapse_sdk.clients.testing._routes.v2 import register_v2
from synapse_sdk.clients.testing._server import Router
from synapse_sdk.clients.testing._state import FakeState


def register_routes(router: Router, state: FakeState, *, websocket_enabled: list[bool]) -> None:
    """Mount every route of the fake on ``router``."""
    register_v1(router, state)
    register_v2(router, state)
    register_agent(router, state, websocket_enabled=websocket_enabled)
    register_media(router, state)
