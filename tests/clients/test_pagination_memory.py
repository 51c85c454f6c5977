"""Cursor pagination keeps no per-page state for the whole listing, yet still stops on a repeating cursor."""

from __future__ import annotations

import tracemalloc

from hypothesis import given, settings
from hypothesis import strategies as st

from synapse_sdk.clients.backend_v2 import CursorPage
from synapse_sdk.clients.backend_v2.pagination import RepeatGuard


def chain(tail: int, cycle: int, fetched: list[str]) -> CursorPage[int]:
    """Pages 0..tail+cycle-1 whose ``next`` after the last page points back to page ``tail`` (a rho shape);
    ``cycle=0`` ends normally. Every fetch is recorded in `fetched`."""
    total = tail + cycle

    def page(index: int) -> CursorPage[int]:
        if cycle == 0:
            nxt = f'https://b.example/v2/x/?cursor={index + 1}' if index + 1 < total else None
        else:
            nxt = f'https://b.example/v2/x/?cursor={index + 1 if index + 1 < total else tail}'
        return CursorPage([index], next=nxt, fetch=fetch)

    def fetch(url: str) -> CursorPage[int]:
        fetched.append(url)
        return page(int(url.rsplit('=', 1)[1]))

    return page(0)


@settings(max_examples=60, deadline=None)
@given(tail=st.integers(0, 40), cycle=st.integers(1, 300))
def test_a_cursor_cycle_of_any_length_ends_the_listing(tail: int, cycle: int) -> None:
    fetched: list[str] = []
    items = list(chain(tail, cycle, fetched).iter_all())
    distinct = tail + cycle
    assert items[:distinct] == list(range(distinct))  # every page once, in order, before any repeat
    if cycle <= 64:
        # A short cycle is caught before any page is fetched twice, except the first page, whose own URL
        # the listing never saw (it was requested with params): it comes once more.
        assert len(items) == distinct + (tail == 0)
    else:
        assert len(items) <= distinct + 2 * cycle + 2  # a long one within about twice its length


def test_a_normal_listing_is_complete() -> None:
    fetched: list[str] = []
    assert list(chain(500, 0, fetched).iter_all()) == list(range(500))
    assert len(fetched) == 499 == len(set(fetched))


def test_guard_memory_does_not_grow_with_the_number_of_pages() -> None:
    def peak(pages: int) -> int:
        guard = RepeatGuard()
        tracemalloc.start()
        for index in range(pages):
            assert not guard.seen(f'https://b.example/v2/tasks/?cursor={index:012d}&per_page=10000&project=1')
        _, top = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        return top

    small, large = peak(1_000), peak(20_000)
    # A set of every URL would hold ~150 bytes per page: 2.8 MB more at 20,000 pages than at 1,000.
    assert large - small < 16_000, (small, large)
