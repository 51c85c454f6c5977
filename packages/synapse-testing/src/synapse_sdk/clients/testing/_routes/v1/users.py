"""v1 users: ``POST /users/login/`` (email and password from ``state.logins``; unauthenticated)."""

from __future__ import annotations

import hashlib
import uuid
from typing import Any

from synapse_sdk.clients.testing._server import HTTPFailure, Request, Router
from synapse_sdk.clients.testing._state import FakeState


def register(router: Router, state: FakeState) -> None:
    def login(r: Request) -> Any:
        body = r.json() or {}
        expected = state.logins.get(body.get('email', ''))
        if expected is None or expected != body.get('password'):
            raise HTTPFailure(400, {'non_field_errors': ['Unable to log in with provided credentials.']})
        token = hashlib.sha1(f'{body["email"]}:{uuid.uuid4()}'.encode(), usedforsecurity=False).hexdigest()
        state.user_tokens.add(token)
        return {'token': token}

    router.add('POST', '/users/login/', login, public=True)
