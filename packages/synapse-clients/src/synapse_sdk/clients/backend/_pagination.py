"""DRF page-number pagination for the v1 API: ``{count, next, previous, results}``."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, Literal, Protocol, TypedDict, overload

DEFAULT_PAGE_SIZE = 100


class DRFPage(TypedDict):
    """One page of a v1 list, as the backend sends it (``DRFPage`` in specs/backend.openapi.yaml).

    The rows are the server's JSON objects; their fields are the backend contract's, held to the
    document by the contract tests, not by the checker.
    """

    count: int
    next: str | None
    previous: str | None
    results: list[dict[str, Any]]


#: What a v1 ``list_*(..., list_all=True)`` returns: every row, fetched lazily, and the total count.
AllRows = tuple[Iterator[dict[str, Any]], int]


class _Getter(Protocol):
    def _get(self, path: str, params: Mapping[str, Any] | None = None, **kwargs: Any) -> Any: ...


@overload
def list_pages(
    client: _Getter,
    path: str,
    params: Mapping[str, Any] | None = None,
    *,
    list_all: Literal[False] = False,
    page_size: int | None = None,
    **kwargs: Any,
) -> DRFPage: ...
@overload
def list_pages(
    client: _Getter,
    path: str,
    params: Mapping[str, Any] | None = None,
    *,
    list_all: Literal[True],
    page_size: int | None = None,
    **kwargs: Any,
) -> AllRows: ...
@overload
def list_pages(
    client: _Getter,
    path: str,
    params: Mapping[str, Any] | None = None,
    *,
    list_all: bool = False,
    page_size: int | None = None,
    **kwargs: Any,
) -> DRFPage | AllRows: ...
def list_pages(
    client: _Getter,
    path: str,
    params: Mapping[str, Any] | None = None,
    *,
    list_all: bool = False,
    page_size: int | None = None,
    **kwargs: Any,
) -> DRFPage | AllRows:
    """One page (the raw dict) or, with ``list_all=True``, ``(iterator over every item, count)``.

    The first page is fetched eagerly so ``count`` is known; later pages are fetched lazily by
    following ``next`` verbatim, so memory stays flat however many items there are.
    """
    query = {k: v for k, v in (params or {}).items() if v is not None}
    if page_size is not None:
        query['page_size'] = page_size
    if not list_all:
        return client._get(path, params=query, **kwargs)
    query.setdefault('page_size', DEFAULT_PAGE_SIZE)
    first = client._get(path, params=query, **kwargs)
    if isinstance(first, list):
        return iter(first), len(first)
    if not isinstance(first, dict) or 'results' not in first:
        raise TypeError(
            f'GET {path} did not return a page ({{count, next, results}}): {type(first).__name__}'
        )
    count = first.get('count')
    return _follow(client, first, kwargs), (count if isinstance(count, int) else len(first['results']))


def _follow(client: _Getter, page: dict[str, Any], kwargs: dict[str, Any]) -> Iterator[dict[str, Any]]:
    seen: set[str] = set()
    while True:
        yield from page.get('results') or []
        next_url = page.get('next')
        if not next_url or next_url in seen:
            return
        seen.add(next_url)
        page = client._get(next_url, **kwargs)
