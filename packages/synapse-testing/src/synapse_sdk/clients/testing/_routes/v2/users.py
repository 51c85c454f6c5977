"""v2 users: ``/v2/users/me/``."""

from __future__ import annotations

from synapse_sdk.clients.testing._routes.v2._common import envelope
from synapse_sdk.clients.testing._server import Router
from synapse_sdk.clients.testing._state import FakeState


def register(router: Router, state: FakeState) -> None:
    router.add('GET', '/v2/users/me/', lambda r: envelope(r, state.users[1]))
