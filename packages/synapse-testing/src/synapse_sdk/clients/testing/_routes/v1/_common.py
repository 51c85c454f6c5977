"""What the v1 route modules share: DRF's 404 and field errors, and the plain list and detail routes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from synapse_sdk.clients.testing._query import drf_page, select
from synapse_sdk.clients.testing._server import HTTPFailure, Request, Router
from synapse_sdk.clients.testing._state import FakeState


def get_row(state: FakeState, table: str, key: Any) -> dict[str, Any]:
    """The row ``key`` of ``table`` (a digit string also finds an int id), or DRF's 404."""
    rows = state.table(table)
    row = rows.get(key)
    if row is None and isinstance(key, str) and key.isdigit():
        row = rows.get(int(key))
    if row is None:
        raise HTTPFailure(404, {'detail': 'Not found.'})
    return row


def public(row: dict[str, Any]) -> dict[str, Any]:
    """A row as the API shows it: no ``_private`` bookkeeping, no stored bytes."""
    return {k: v for k, v in row.items() if not k.startswith('_') and not isinstance(v, bytes)}


def field_errors(errors: dict[str, str]) -> HTTPFailure:
    """DRF's 400 shape: ``{field: [message]}``."""
    return HTTPFailure(400, {k: [v] for k, v in errors.items()})


def listing(
    router: Router, state: FakeState, path: str, table: str, extra: Callable[[Request], Any] | None = None
) -> None:
    """``GET path``: a DRF page of ``table``, filtered by the query."""
    router.add(
        'GET', path, lambda r: drf_page(r, select(state, table, r, extra(r) if extra else None), public)
    )


def detail(router: Router, state: FakeState, path: str, table: str) -> None:
    """``GET path`` (with ``{id}``): one row of ``table``."""
    router.add('GET', path, lambda r: public(get_row(state, table, r.params['id'])))


def set_tags(state: FakeState, table: str) -> Callable[[Request], Any]:
    """``POST .../set_tags/``: add or remove tags on the rows ``ids`` of ``table``."""

    def handler(r: Request) -> Any:
        body = r.json() or {}
        action = body.get('action', 'add')
        if action not in ('add', 'remove'):
            raise field_errors({'action': f'"{action}" is not a valid choice.'})
        with state.lock:
            for object_id in body.get('ids', []):
                row = get_row(state, table, object_id)
                tags = set(row.get('tags', []))
                tags = (
                    tags | set(body.get('tags', [])) if action == 'add' else tags - set(body.get('tags', []))
                )
                row['tags'] = sorted(tags)
        state.touch()
        return {'updated': len(body.get('ids', []))}

    return handler
