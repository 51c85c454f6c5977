"""Filtering and pagination shared by the fake's v1 (DRF pages) and v2 (cursor) routes."""

from __future__ import annotations

import base64
from typing import Any

from synapse_sdk.clients.testing._server import HTTPFailure, Request, page_url
from synapse_sdk.clients.testing._state import FakeState

RESERVED = frozenset(
    {
        'page',
        'page_size',
        'cursor',
        'per_page',
        'url_host',
        'expand',
        'fields',
        'sort',
        'ordering',
        'with_configuration',
        'response_mode',
        'dry_run',
        'search',
    }
)
CACHE_THRESHOLD = 5000


def _norm(value: Any) -> str:
    if value is True:
        return 'true'
    if value is False:
        return 'false'
    if value is None:
        return ''
    return str(value).lower()


def matches(row: dict[str, Any], filters: dict[str, str]) -> bool:
    """DRF-like filter semantics: ``project=1`` (or ``project_id=1``), ``ids=1,2`` on plural names,
    ``pgh_obj_id__in=1,2``."""
    for key, value in filters.items():
        if key.endswith('__in') and key[:-4] in row:
            if _norm(row[key[:-4]]) not in {_norm(v) for v in value.split(',')}:
                return False
            continue
        field = key
        if field not in row and field.endswith('_id') and field[:-3] in row:
            field = field[:-3]
        if field not in row:
            singular = field[:-1] if field.endswith('s') else None
            if singular == 'id':
                singular = None
            target = 'id' if field == 'ids' else singular
            if target and target in row and _norm(row[target]) not in {_norm(v) for v in value.split(',')}:
                return False
            continue
        current = row[field]
        if isinstance(current, list):
            if value not in {str(v) for v in current}:
                return False
        elif _norm(current) != _norm(value):
            return False
    return True


def filters_of(request: Request) -> dict[str, str]:
    return {k: v[-1] for k, v in request.query.items() if k not in RESERVED}


def select(
    state: FakeState, table: str, request: Request, extra: dict[str, str] | None = None
) -> list[dict[str, Any]]:
    """Rows of ``table`` matching the request's filters, in id order (descending for ``sort=-...``)."""
    filters = {**filters_of(request), **(extra or {})}
    rows = state.table(table)
    with state.lock:
        if len(rows) > CACHE_THRESHOLD:
            cache: dict[tuple[Any, ...], list[dict[str, Any]]] = state.__dict__.setdefault(
                '_select_cache', {}
            )
            key = (table, tuple(sorted(filters.items())), len(rows), state.__dict__.get('_touched', 0))
            hit = cache.get(key)
            if hit is None:
                hit = [row for row in rows.values() if matches(row, filters)]
                cache.clear()
                cache[key] = hit
            result = hit
        else:
            result = [row for row in rows.values() if matches(row, filters)]
    sort = request.q('sort') or request.q('ordering') or ''
    if sort.startswith('-'):
        result = list(reversed(result))
    return result


def _positive(request: Request, name: str, default: int, cap: int) -> int:
    raw = request.q(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise HTTPFailure(400, {'detail': f'{name} must be an integer'}) from None
    if value < 1 or value > cap:
        raise HTTPFailure(400, {'detail': f'{name} must be between 1 and {cap}'})
    return value


def drf_page(request: Request, rows: list[dict[str, Any]], render: Any = None) -> dict[str, Any]:
    """``{count, next, previous, results}`` with absolute ``next`` URLs that keep every filter."""
    size = _positive(request, 'page_size', 100, 10000)
    page = _positive(request, 'page', 1, 10**9)
    start = (page - 1) * size
    chunk = rows[start : start + size]
    if page > 1 and not chunk:
        raise HTTPFailure(404, {'detail': 'Invalid page.'})
    render = render or (lambda row: row)
    return {
        'count': len(rows),
        'next': page_url(request, page=page + 1) if start + size < len(rows) else None,
        'previous': page_url(request, page=page - 1) if page > 1 else None,
        'results': [render(row) for row in chunk],
    }


def _encode_cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(f'o:{offset}'.encode()).decode().rstrip('=')


def _decode_cursor(cursor: str) -> int:
    try:
        raw = base64.urlsafe_b64decode(cursor + '=' * (-len(cursor) % 4)).decode()
        kind, _, value = raw.partition(':')
        if kind != 'o':
            raise ValueError(raw)
        return int(value)
    except (ValueError, UnicodeDecodeError):
        raise HTTPFailure(
            400,
            {'error': {'code': 'invalid_cursor', 'message': 'Invalid cursor', 'details': None}, 'meta': {}},
        ) from None


def cursor_page(
    request: Request, rows: list[dict[str, Any]], render: Any
) -> tuple[list[Any], dict[str, Any]]:
    """One v2 page plus its ``pagination`` meta; cursors are full URLs carrying the filters."""
    per_page = _positive(request, 'per_page', 50, 10000)
    cursor = request.q('cursor')
    offset = _decode_cursor(cursor) if cursor else 0
    chunk = rows[offset : offset + per_page]
    has_next = offset + per_page < len(rows)
    pagination = {
        'next_cursor': page_url(request, cursor=_encode_cursor(offset + per_page), per_page=per_page)
        if has_next
        else None,
        'previous_cursor': (
            page_url(request, cursor=_encode_cursor(max(offset - per_page, 0)), per_page=per_page)
            if offset
            else None
        ),
        'per_page': per_page,
    }
    return [render(row) for row in chunk], pagination
