"""Cursor pagination for v2 lists: ``meta.pagination.next_cursor`` is the URL of the next page."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, Generic, TypeVar

T = TypeVar('T')

PageFetcher = Callable[[str], 'CursorPage[Any]']


class CursorPage(Generic[T]):
    """One page of results: ``results``, ``next``/``previous`` cursor URLs and the ``request_id``.

    Iterating a page yields its own items; ``iter_all()`` yields these and then every later page's,
    fetching lazily so memory stays flat.
    """

    __slots__ = ('_fetch', 'next', 'previous', 'request_id', 'results')

    def __init__(
        self,
        results: list[T],
        *,
        next: str | None = None,
        previous: str | None = None,
        request_id: str | None = None,
        fetch: PageFetcher | None = None,
    ) -> None:
        self.results = results
        self.next = next
        self.previous = previous
        self.request_id = request_id
        self._fetch = fetch

    def __iter__(self) -> Iterator[T]:
        return iter(self.results)

    def __len__(self) -> int:
        return len(self.results)

    def __repr__(self) -> str:
        return f'CursorPage(results=<{len(self.results)} items>, next={self.next!r})'

    @property
    def has_next(self) -> bool:
        return bool(self.next)

    def next_page(self) -> CursorPage[T] | None:
        if not self.next or self._fetch is None:
            return None
        return self._fetch(self.next)

    def iter_all(self) -> Iterator[T]:
        """Every item from this page on, following ``next`` until it is empty or repeats."""
        page: CursorPage[T] | None = self
        seen: set[str] = set()
        while page is not None:
            yield from page.results
            if not page.next or page.next in seen:
                return
            seen.add(page.next)
            page = page.next_page()
