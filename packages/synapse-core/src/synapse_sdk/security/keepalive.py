"""Telling a kept-alive connection that the server closed from the other failures of a request.

A server with a short keep-alive timeout (nginx, S3-compatible gateways) closes an idle connection when it
likes. urllib3 checks a pooled connection before reusing it, but the server may close it just after that
check, as the request is on its way: the request then fails before any answer came (end-of-file,
``http.client.RemoteDisconnected``, or a reset), where a new connection would have been answered. The
failure says nothing about the server or the request, so a request that may be sent twice can be sent
again at once, on a new connection (synapse-storage's HTTP provider and the clients' transport do, once).

The connections that `synapse_sdk.security.deadlines.watch_pool_manager` installs mark that case
(`ReuseTracking`): a connection that already received an answer and then fails to receive one for its
next request raises `ReusedConnectionClosed` (a ``ConnectionResetError``) from the original error, which
`closed_when_reused` finds however requests and urllib3 wrapped it. The same failure on a new connection
is left as it is: that server saw the request and gave up on it, which sending it again does not mend.
Within `new_connections`, the pools that function installs give this thread no kept-alive connection:
the resend goes on a new one even when other threads share the pool.

Only the standard library is imported; the classes here are mixins over urllib3's (or ``http.client``'s)
connection and pool classes, chosen at run time.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from typing import Any

__all__ = [
    'NewConnectionsWhenAsked',
    'ReuseTracking',
    'ReusedConnectionClosed',
    'closed_when_reused',
    'kept_alive',
    'new_connections',
]


class ReusedConnectionClosed(ConnectionResetError):
    """The server closed a kept-alive connection as a request was sent on it: no answer came."""


class ReuseTracking:
    """Mixin for a connection class (urllib3's or ``http.client``'s) that raises `ReusedConnectionClosed`
    when a connection that answered before gives no answer to its next request."""

    _answered = 0  # answers received since this connection (re)connected
    _reused = False  # whether the request under way went on a connection that had answered before

    def connect(self) -> None:
        self._answered = 0
        super().connect()  # type: ignore[misc]  # the connection class this is mixed into

    def request(self, *args: Any, **kwargs: Any) -> Any:
        self._reused = kept_alive(self)
        return super().request(*args, **kwargs)  # type: ignore[misc]  # the connection class this is mixed into

    def getresponse(self, *args: Any, **kwargs: Any) -> Any:
        try:
            response = super().getresponse(*args, **kwargs)  # type: ignore[misc]  # as above
        except ConnectionError as exc:  # end-of-file before the status line, a reset, a broken pipe
            if self._reused:
                raise ReusedConnectionClosed(
                    f'the server closed the kept-alive connection without answering ({type(exc).__name__})'
                ) from exc
            raise
        self._answered += 1
        return response


class NewConnectionsWhenAsked:
    """Mixin for a urllib3 pool class: within `new_connections`, a kept-alive connection taken from the
    pool is closed first, as urllib3 closes one it finds dropped, so that it connects anew (through the
    proxy, if any: urllib3 prepares the tunnel of a connection without a socket)."""

    def _get_conn(self, *args: Any, **kwargs: Any) -> Any:
        conn = super()._get_conn(*args, **kwargs)  # type: ignore[misc]  # the pool class this is mixed into
        if getattr(_local, 'depth', 0) and kept_alive(conn):
            conn.close()
        return conn


def kept_alive(conn: Any) -> bool:
    """Whether `conn` is open and has answered a request before (a request now would reuse it)."""
    return getattr(conn, '_answered', 0) > 0 and getattr(conn, 'sock', None) is not None


_local = threading.local()


@contextlib.contextmanager
def new_connections() -> Iterator[None]:
    """Within the block, requests this thread sends through the pools `watch_pool_manager` installs go
    on new connections (a kept-alive one is closed, not reused)."""
    depth = getattr(_local, 'depth', 0)
    _local.depth = depth + 1
    try:
        yield
    finally:
        _local.depth = depth


def closed_when_reused(exc: BaseException) -> bool:
    """Whether `exc` (as requests or urllib3 raise it) comes from `ReusedConnectionClosed`.

    requests wraps urllib3's error, which wraps the connection's: the wrapped one is an argument
    (``ConnectionError(ProtocolError('Connection aborted.', <error>))``), a ``reason`` or a cause."""
    pending: list[BaseException] = [exc]
    seen: set[int] = set()
    while pending:
        error = pending.pop()
        if id(error) in seen:
            continue
        seen.add(id(error))
        if isinstance(error, ReusedConnectionClosed):
            return True
        linked = [*error.args, getattr(error, 'reason', None), error.__cause__, error.__context__]
        pending.extend(item for item in linked if isinstance(item, BaseException))
    return False
