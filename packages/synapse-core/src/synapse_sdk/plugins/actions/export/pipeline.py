"""`prefetch`: run a producer in a background thread, a bounded number of items ahead of its consumer.

An export fetches over the network (waiting on the backend) and writes to disk (waiting on the
disk, encoding in between). On its own each side leaves the other idle; with the fetch in a thread
and a small queue between them the two overlap, and the queue bound keeps memory to ``depth``
batches whatever the item count. A v2 export runs two of them, each fetching every other batch
(`RecordStream` ``fetchers``), so one request is being served while the other's answer is taken in;
more would only contend for the GIL.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Generator, Iterable
from typing import Any, TypeVar

__all__ = ['prefetch']

T = TypeVar('T')

_DONE = object()
_POLL = 0.1


class _Failed:
    __slots__ = ('error',)

    def __init__(self, error: BaseException) -> None:
        self.error = error


def prefetch(
    source: Iterable[T], depth: int = 2, *, name: str = 'synapse-prefetch', join_timeout: float = 2.0
) -> Generator[T, None, None]:
    """Yield the items of `source`, produced in a thread at most `depth` items ahead.

    An exception raised by `source` is re-raised here, at its place in the sequence. When the
    consumer stops early (``break``, an exception, ``close()``, Ctrl-C), the producer is told to stop,
    `source` is closed in its own thread. The thread is joined for at most `join_timeout` seconds:
    one that is still waiting on the network then (a request in flight) is a daemon thread whose
    result nobody reads, so an interrupted export does not hang on a slow backend.
    """
    if depth < 1:
        raise ValueError(f'depth must be at least 1, got {depth}')
    items: queue.Queue[Any] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def put(value: Any) -> bool:
        while not stop.is_set():
            try:
                items.put(value, timeout=_POLL)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        iterator = iter(source)
        try:
            for item in iterator:
                if not put(item):
                    break
            else:
                put(_DONE)
        except BaseException as exc:  # handed to the consumer, which decides
            put(_Failed(exc))
        finally:
            close = getattr(iterator, 'close', None)
            if close is not None:
                close()

    thread = threading.Thread(target=produce, name=name, daemon=True)
    thread.start()
    try:
        while True:
            try:
                item = items.get(timeout=_POLL)
            except queue.Empty:
                if not thread.is_alive() and items.empty():
                    raise RuntimeError('the prefetch thread ended without a result') from None
                continue
            if item is _DONE:
                return
            if isinstance(item, _Failed):
                raise item.error
            yield item
    finally:
        stop.set()
        deadline = time.monotonic() + join_timeout
        while thread.is_alive() and time.monotonic() < deadline:
            try:
                items.get_nowait()
            except queue.Empty:
                thread.join(_POLL)
