"""v1 data collections: ``/data_collections/``."""

from __future__ import annotations

from synapse_sdk.clients.testing._routes.v1._common import detail, listing
from synapse_sdk.clients.testing._server import Router
from synapse_sdk.clients.testing._state import FakeState


def register(router: Router, state: FakeState) -> None:
    listing(router, state, '/data_collections/', 'data_collections')
    detail(router, state, '/data_collections/{id}/', 'data_collections')
