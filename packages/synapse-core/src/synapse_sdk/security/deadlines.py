"""Deadlines that hold even against a server that drips one byte at a time.

A socket timeout bounds each read, not a whole response: a server sending one header byte every half
second never trips it. A `Deadline` bounds a span of time instead. While it is *active* in a thread,
every socket that an HTTP connection uses in that thread is watched (`watch_socket`, called by the
connection classes that `watch_pool_manager` installs); when the deadline passes, one watchdog
thread shuts those sockets down, so the blocked read returns at once and the caller raises its typed
timeout error (it checks `Deadline.expired`).

Two kinds, one class: a *total* deadline (``RetryPolicy(total_timeout=...)``, the response-header
phase of a storage request) is armed once; an *idle* deadline (log tails) is pushed forward with
`Deadline.extend` each time a message arrives, which costs one float assignment.

Only the standard library is imported; the HTTP glue is duck-typed over urllib3's pool and
connection classes, so synapse-clients and synapse-storage wire it into their own sessions, and over
`http.client`'s, which core's own URL downloads use (`watched_connection_class`). The same classes tell a
kept-alive connection the server closed as a request went out (`synapse_sdk.security.keepalive`): one
wrapping of urllib3's pools for both.
"""

from __future__ import annotations

import contextlib
import functools
import heapq
import itertools
import socket
import threading
import time
import weakref
from collections.abc import Iterator
from typing import Any

from synapse_sdk.security.keepalive import NewConnectionsWhenAsked, ReuseTracking

__all__ = ['Deadline', 'watch_pool_manager', 'watch_socket', 'watched_connection_class']


class Deadline:
    """`seconds` from now (from the last `extend` for an idle deadline); ``None`` never expires."""

    def __init__(self, seconds: float | None) -> None:
        self.seconds = seconds
        self.at: float | None = None if seconds is None else time.monotonic() + seconds
        self.expired = False
        self._sockets: weakref.WeakSet[Any] = weakref.WeakSet()
        self._lock = threading.Lock()
        self._scheduled = False

    def __repr__(self) -> str:
        return f'Deadline({self.seconds!r}, expired={self.expired})'

    def remaining(self) -> float | None:
        """Seconds left (never negative), or ``None`` for no deadline."""
        return None if self.at is None else max(0.0, self.at - time.monotonic())

    def extend(self) -> None:
        """Restart the countdown (an idle deadline after each message)."""
        if self.seconds is not None and not self.expired:
            self.at = time.monotonic() + self.seconds

    def cancel(self) -> None:
        """Stop watching: the deadline will not fire any more."""
        self.at = None
        with self._lock:
            self._sockets = weakref.WeakSet()

    def watch(self, sock: Any) -> None:
        """Shut `sock` down when the deadline passes (at once if it already has)."""
        if self.at is None and not self.expired:
            return
        with self._lock:
            if not self.expired:
                self._sockets.add(sock)
                return
        _shutdown(sock)

    @contextlib.contextmanager
    def active(self) -> Iterator[Deadline]:
        """Within the block, sockets used by watched HTTP connections in this thread are watched."""
        if self.at is None:
            yield self
            return
        _WATCHDOG.schedule(self)
        stack = _active_stack()
        stack.append(self)
        try:
            yield self
        finally:
            stack.remove(self)

    def _fire(self) -> None:
        with self._lock:
            self.expired = True
            sockets = list(self._sockets)
            self._sockets = weakref.WeakSet()
        for sock in sockets:
            _shutdown(sock)


def _shutdown(sock: Any) -> None:
    # The plain socket's shutdown also works for an SSLSocket (it acts on the descriptor) and never
    # touches the TLS state another thread may be reading with.
    with contextlib.suppress(OSError, TypeError, ValueError):
        socket.socket.shutdown(sock, socket.SHUT_RDWR)


_local = threading.local()


def _active_stack() -> list[Deadline]:
    stack = getattr(_local, 'stack', None)
    if stack is None:
        stack = _local.stack = []
    return stack


def watch_socket(sock: Any) -> None:
    """Put `sock` under every deadline active in this thread (no-op when none is)."""
    if sock is None:
        return
    for deadline in getattr(_local, 'stack', ()):
        deadline.watch(sock)


_PURGE_MIN = 32


class _Watchdog:
    """One daemon thread that fires deadlines in time order; started on first use."""

    def __init__(self) -> None:
        self._heap: list[tuple[float, int, Deadline]] = []
        self._counter = itertools.count()
        self._cond = threading.Condition()
        self._thread: threading.Thread | None = None
        self._purge_at = _PURGE_MIN

    def _purge(self) -> None:
        """Drop cancelled deadlines (under the lock). A cancelled deadline otherwise stays in the heap
        until its original time: with the default 300 s total timeout, every request of the last five
        minutes (a 100,000-file export makes 100,000) would be held there, ~1 KB each. Purging when the
        heap has doubled since the last purge keeps it proportional to the live deadlines, at O(1)
        amortised cost per request."""
        live = []
        for entry in self._heap:
            if entry[2].at is None:
                entry[2]._scheduled = False
            else:
                live.append(entry)
        heapq.heapify(live)
        self._heap = live
        self._purge_at = max(_PURGE_MIN, 2 * len(live))

    def schedule(self, deadline: Deadline) -> None:
        with self._cond:
            if deadline._scheduled or deadline.at is None:
                return
            deadline._scheduled = True
            if len(self._heap) >= self._purge_at:
                self._purge()
            heapq.heappush(self._heap, (deadline.at, next(self._counter), deadline))
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name='synapse-deadlines', daemon=True)
                self._thread.start()
            self._cond.notify()

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._heap:
                    self._cond.wait()
                at, _, deadline = self._heap[0]
                now = time.monotonic()
                if at > now:
                    self._cond.wait(at - now)
                    continue
                heapq.heappop(self._heap)
                current = deadline.at
                if current is None:
                    deadline._scheduled = False
                    continue
                if current > now:  # extended meanwhile: wait for the new time
                    heapq.heappush(self._heap, (current, next(self._counter), deadline))
                    continue
                deadline._scheduled = False
            deadline._fire()


_WATCHDOG = _Watchdog()


@functools.cache
def _watched_connection(base: type) -> type:
    class Watched(ReuseTracking, base):  # type: ignore[misc]  # a base class chosen at run time (urllib3's, whichever it is)
        def connect(self) -> None:
            super().connect()
            watch_socket(getattr(self, 'sock', None))

        def request(self, *args: Any, **kwargs: Any) -> Any:
            watch_socket(getattr(self, 'sock', None))  # a kept-alive connection does not connect again
            return super().request(*args, **kwargs)

    Watched.__name__ = Watched.__qualname__ = f'Watched{base.__name__}'
    return Watched


def watched_connection_class(base: type) -> type:
    """`base` (an `http.client` or urllib3 connection class) as a subclass whose sockets the deadlines
    active in the connecting thread watch; for urllib, whose handlers take the connection class."""
    watched: type = _watched_connection(base)
    return watched


@functools.cache
def _watched_pool(base: Any) -> type:
    if getattr(base, '_synapse_watched', False):
        pool: type = base  # a urllib3 pool class (urllib3 is no dependency of core, so untyped here)
        return pool
    return type(
        f'Watched{base.__name__}',
        (NewConnectionsWhenAsked, base),
        {'ConnectionCls': _watched_connection(base.ConnectionCls), '_synapse_watched': True},
    )


def watch_pool_manager(manager: Any) -> Any:
    """Make the urllib3 pool manager `manager` (a requests adapter's ``poolmanager``, or a proxy
    manager) create connections whose sockets active deadlines watch, which raise
    `~synapse_sdk.security.keepalive.ReusedConnectionClosed` when the server closed a kept-alive one
    under a request, and which `~synapse_sdk.security.keepalive.new_connections` renews. Returns
    `manager`."""
    classes = getattr(manager, 'pool_classes_by_scheme', None)
    if isinstance(classes, dict):
        manager.pool_classes_by_scheme = {
            scheme: _watched_pool(cls) if hasattr(cls, 'ConnectionCls') else cls
            for scheme, cls in classes.items()
        }
    return manager
