"""v2 access tokens: ``/v2/tokens/`` list, detail, create (plaintext shown once) and delete."""

from __future__ import annotations

import secrets
from typing import Any

from synapse_sdk.clients.testing._routes.v2._common import detail, envelope, get_row, listing
from synapse_sdk.clients.testing._server import Request, Response, Router
from synapse_sdk.clients.testing._state import FakeState


def token_view(t: dict[str, Any]) -> dict[str, Any]:
    return {
        'id': t['id'],
        'description': t.get('description', ''),
        'last_used': t.get('last_used'),
    }


def register(router: Router, state: FakeState) -> None:
    listing(router, state, '/v2/tokens/', 'tokens', token_view)
    detail(router, state, '/v2/tokens/{id}/', 'tokens', token_view)

    def create_token(r: Request) -> Response:
        body = r.json() or {}
        plaintext = f'syn_{secrets.token_hex(16)}'
        row = state.add('tokens', description=body.get('description') or '', last_used=None, _token=plaintext)
        state.access_tokens.add(plaintext)
        return envelope(r, {**token_view(row), 'token': plaintext}, status=201)

    router.add('POST', '/v2/tokens/', create_token)

    def delete_token(r: Request) -> Response:
        row = get_row(state, 'tokens', r.params['id'], r)
        with state.lock:
            state.access_tokens.discard(row.get('_token'))
            del state.tokens[row['id']]
        return Response(204)

    router.add('DELETE', '/v2/tokens/{id}/', delete_token)
