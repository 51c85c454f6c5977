"""Per-context tracking of backend request ids (``meta.request_id``) for log correlation.

Each thread and each asyncio task sees its own ``last_request_id``, so concurrent callers sharing
one client never read each other's ids.
"""

from __future__ import annotations

import contextvars
import itertools
from collections.abc import Iterator
from contextlib import contextmanager

_counter = itertools.count()


class RequestIdTracker:
    def __init__(self) -> None:
        n = next(_counter)
        self._last: contextvars.ContextVar[str | None] = contextvars.ContextVar(
            f'synapse_v2_rid_{n}', default=None
        )
        self._collectors: contextvars.ContextVar[tuple[list[str], ...]] = contextvars.ContextVar(
            f'synapse_v2_rid_collectors_{n}', default=()
        )

    @property
    def last(self) -> str | None:
        return self._last.get()

    def record(self, request_id: str | None) -> None:
        self._last.set(request_id)
        if request_id:
            for collector in self._collectors.get():
                collector.append(request_id)

    @contextmanager
    def capture(self) -> Iterator[list[str]]:
        """Collect the ids of every successful enveloped response inside the block, in order.

        ``last_request_id`` is cleared on entry and keeps the block's last id after it, so it can be
        logged once the block is done.
        """
        collected: list[str] = []
        self._last.set(None)
        token = self._collectors.set((*self._collectors.get(), collected))
        try:
            yield collected
        finally:
            self._collectors.reset(token)
