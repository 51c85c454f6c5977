"""DRF page-number pagination for the v1 API: ``{count, next, previous, results}``."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, Protocol

DEFAULT_PAGE_SIZE = 100


class _Getter(Protocol):
    def _get(self, path: str, params: Mapping[str, Any] | None = None, **kwargs: Any) -> Any: ...


def list_pages(
    client: _Getter,
    path: str,
    params: Mapping[str, Any] | None = None,
    *,
    list_all: bool = False,
    page_size: int | None = None,
    **kwargs: Any,
) -> Any:
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


def _follow(client: _Getter, page: dict[str, Any], kwargs: dict[str, Any]) -> Iterator[Any]:
    seen: set[str] = set()
    while True:
        yield from page.get('results') or []
        next_url = page.get('next')
        if not next_url or next_url in seen:
            return
        seen.add(next_url)
        page = client._get(next_url, **kwargs)
