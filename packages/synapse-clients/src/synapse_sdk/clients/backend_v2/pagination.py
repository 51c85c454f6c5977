"""Cursor pagination for v2 lists: ``meta.pagination.next_cursor`` is the URL of the next page."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterator
from typing import Any, Generic, TypeVar

__all__ = ['MAX_PER_PAGE', 'CursorPage', 'RepeatGuard']

T = TypeVar('T')

PageFetcher = Callable[[str], 'CursorPage[Any]']

#: The largest ``per_page`` the v2 list endpoints accept (the live backend takes 1-10000).
MAX_PER_PAGE = 10_000


class RepeatGuard:
    """Tells whether a next-page URL was seen before, in memory that does not grow with the listing.

    Keeping every URL (what a plain ``set`` does) costs ~150 bytes per page for the whole listing. Instead:
    the last ``window`` URLs are remembered exactly, so a server that points back to a recent page (the
    usual failure: the same ``next`` again) is caught before that page is fetched twice; a longer cycle is
    caught by Brent's cycle detection, which compares every URL with one saved at doubling distances and so
    finds any cycle within about twice its length, keeping a single URL.
    """

    __slots__ = ('_power', '_recent', '_recent_set', '_saved', '_steps', '_window')

    def __init__(self, window: int = 64) -> None:
        self._window = window
        self._recent: deque[str] = deque()
        self._recent_set: set[str] = set()
        self._saved: str | None = None
        self._power = 1
        self._steps = 0

    def seen(self, url: str) -> bool:
        """True if `url` repeats one seen before (then the listing must stop); else remember it."""
        if url in self._recent_set or url == self._saved:
            return True
        self._recent.append(url)
        self._recent_set.add(url)
        if len(self._recent) > self._window:
            self._recent_set.discard(self._recent.popleft())
        self._steps += 1
        if self._steps == self._power:
            self._saved, self._power, self._steps = url, self._power * 2, 0
        return False


class CursorPage(Generic[T]):
    """One page of results: ``results``, ``next``/``previous`` cursor URLs and the ``request_id``.

    Iterating a page yields its own items; ``iter_all()`` yields these and then every later page's,
    fetching lazily and keeping only the current page, so memory stays flat however long the listing.
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

    def iter_pages(self) -> Iterator[CursorPage[T]]:
        """This page and every later one, following ``next`` until it is empty or repeats (`RepeatGuard`).

        The previous page is let go before the next one is fetched, so a caller that keeps no reference
        holds one page at a time, not two.
        """
        page: CursorPage[T] | None = self
        del self  # the generator's frame would otherwise keep the first page for the whole listing
        guard = RepeatGuard()
        while page is not None:
            yield page
            url, fetch = page.next, page._fetch
            page = None
            if not url or fetch is None or guard.seen(url):
                return
            page = fetch(url)

    def iter_all(self) -> Iterator[T]:
        """Every item from this page on (see `iter_pages`)."""
        for page in self.iter_pages():
            yield from page.results
