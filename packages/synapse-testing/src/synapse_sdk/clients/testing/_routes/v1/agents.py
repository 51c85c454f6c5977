"""v1 agents: ``/agents/`` list and ``/agents/{token}/connect/``."""

from __future__ import annotations

from typing import Any

from synapse_sdk.clients.testing._query import drf_page, select
from synapse_sdk.clients.testing._routes.v1._common import public
from synapse_sdk.clients.testing._server import HTTPFailure, Request, Router
from synapse_sdk.clients.testing._state import FakeState


def register(router: Router, state: FakeState) -> None:
    router.add('GET', '/agents/', lambda r: drf_page(r, select(state, 'agents', r), public))

    def connect_agent(r: Request) -> Any:
        agent = next((a for a in state.agents.values() if a.get('token') == r.params['token']), None)
        if agent is None:
            raise HTTPFailure(404, {'detail': 'Not found.'})
        return {'id': agent['id'], 'status': 'connected'}

    router.add('POST', '/agents/{token}/connect/', connect_agent)
