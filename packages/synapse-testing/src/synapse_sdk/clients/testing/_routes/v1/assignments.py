"""v1 assignments: ``/sdk/assignments/`` lists, ``/assignments/`` detail and tags."""

from __future__ import annotations

from synapse_sdk.clients.testing._routes.v1._common import detail, listing, set_tags
from synapse_sdk.clients.testing._server import Router
from synapse_sdk.clients.testing._state import FakeState


def register(router: Router, state: FakeState) -> None:
    for suffix in ('', 'data/', 'files/'):
        listing(router, state, f'/sdk/assignments/{suffix}', 'assignments')
    detail(router, state, '/assignments/{id}/', 'assignments')
    router.add('POST', '/assignments/set_tags/', set_tags(state, 'assignments'))
