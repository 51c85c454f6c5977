"""v1 Ray Serve applications: ``/serve_applications/`` list and create."""

from __future__ import annotations

from synapse_sdk.clients.testing._routes.v1._common import listing, public
from synapse_sdk.clients.testing._server import Response, Router
from synapse_sdk.clients.testing._state import FakeState


def register(router: Router, state: FakeState) -> None:
    listing(router, state, '/serve_applications/', 'serve_applications')
    router.add(
        'POST',
        '/serve_applications/',
        lambda r: Response(201, public(state.add('serve_applications', **(r.json() or {})))),
    )
