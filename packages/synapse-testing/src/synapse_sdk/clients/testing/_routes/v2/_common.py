"""What the v2 route modules share: the ``{data, meta}`` envelope, the error shape, list/detail/bulk routes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from synapse_sdk.clients.testing._query import cursor_page, select
from synapse_sdk.clients.testing._server import HTTPFailure, Request, Response, Router
from synapse_sdk.clients.testing._state import FakeState

BULK_LIMIT = 200
Render = Callable[[dict[str, Any]], dict[str, Any]]


def envelope(
    request: Request, data: Any, status: int = 200, pagination: dict[str, Any] | None = None
) -> Response:
    meta: dict[str, Any] = {'request_id': request.request_id}
    if pagination is not None:
        meta['pagination'] = pagination
    return Response(status, {'data': data, 'meta': meta})


def v2_error(
    request: Request, status: int, code: str, message: str, details: list[dict[str, str]] | None = None
) -> HTTPFailure:
    return HTTPFailure(
        status,
        {
            'error': {'code': code, 'message': message, 'details': details},
            'meta': {'request_id': request.request_id},
        },
    )


def get_row(state: FakeState, table: str, key: Any, request: Request) -> dict[str, Any]:
    """The row ``key`` of ``table`` (a digit string also finds an int id), or the v2 404."""
    rows = state.table(table)
    row = rows.get(key)
    if row is None and isinstance(key, str) and key.isdigit():
        row = rows.get(int(key))
    if row is None:
        raise v2_error(request, 404, 'not_found', 'Not found.')
    return row


def require(request: Request, body: Any, fields: tuple[str, ...]) -> dict[str, Any]:
    """``body`` as a dict with every one of ``fields`` set, or a 400 naming the missing ones."""
    if not isinstance(body, dict):
        raise v2_error(request, 400, 'VALIDATION_ERROR', 'Expected a JSON object.')
    missing = [f for f in fields if body.get(f) in (None, '')]
    if missing:
        raise v2_error(
            request,
            400,
            'VALIDATION_ERROR',
            'Invalid input.',
            [{'field': f, 'message': 'This field is required.'} for f in missing],
        )
    return body


def listing(router: Router, state: FakeState, path: str, table: str, render: Render) -> None:
    """``GET path``: a cursor page of ``table``, filtered by the query, in an envelope."""

    def handler(r: Request) -> Response:
        items, pagination = cursor_page(r, select(state, table, r), render)
        return envelope(r, items, pagination=pagination)

    router.add('GET', path, handler)


def detail(router: Router, state: FakeState, path: str, table: str, render: Render, key: str = 'id') -> None:
    """``GET path``: one row of ``table``, keyed by the path parameter ``key``, in an envelope."""
    router.add('GET', path, lambda r: envelope(r, render(get_row(state, table, r.params[key], r))))


def bulk(state: FakeState, table: str, key: str, render: Render) -> Callable[[Request], Response]:
    """``POST .../bulk-*``: the rows named by the body's ``key`` list (at most BULK_LIMIT), unknown ones skipped.

    ``?response_mode=presigned`` replaces string ``data`` by a presigned descriptor.
    """

    def handler(r: Request) -> Response:
        body = r.json()
        ids = body.get(key) if isinstance(body, dict) else None
        if not isinstance(ids, list) or not ids:
            raise v2_error(
                r,
                422,
                'VALIDATION_ERROR',
                f'{key} must be a non-empty list',
                [{'field': key, 'message': 'This list may not be empty.'}],
            )
        if len(ids) > BULK_LIMIT:
            raise v2_error(r, 400, 'ids_limit_exceeded', f'at most {BULK_LIMIT} ids per request')
        mode = r.q('response_mode', 'inline')
        if mode not in ('inline', 'presigned'):
            raise v2_error(r, 400, 'VALIDATION_ERROR', 'response_mode must be inline or presigned')
        rows = state.table(table)
        lookup = rows if key == 'ids' else {row['pgh_id']: row for row in rows.values()}
        out = []
        for object_id in ids:
            row = lookup.get(object_id)
            if row is None:
                continue
            item = render(row)
            if mode == 'presigned' and isinstance(item.get('data'), str):
                item['data'] = {
                    'mode': 'presigned',
                    'presigned_url': f'{r.base_url}/media/bulk/{table}/{row["id"]}.json',
                    'size': len(item['data']),
                    'data_digest': None,
                }
            out.append(item)
        return envelope(r, out)

    return handler
