"""v2 tenants: ``/v2/tenants/`` list and detail by code."""

from __future__ import annotations

from synapse_sdk.clients.testing._routes.v2._common import detail, listing
from synapse_sdk.clients.testing._server import Router
from synapse_sdk.clients.testing._state import FakeState


def register(router: Router, state: FakeState) -> None:
    listing(router, state, '/v2/tenants/', 'tenants', dict)
    detail(router, state, '/v2/tenants/{code}/', 'tenants', dict, key='code')
