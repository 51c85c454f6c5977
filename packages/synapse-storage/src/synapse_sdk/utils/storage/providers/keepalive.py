"""Telling a kept-alive connection that the server closed from the other failures of a request.

A server with a short keep-alive timeout (nginx, S3-compatible gateways) closes an idle connection when it
likes. urllib3 checks a pooled connection before reusing it, but the server may close it just after that
check, as the request is on its way: the request then fails before any answer came (end-of-file,
``http.client.RemoteDisconnected``, or a reset), where a new connection would have been answered. The
failure says nothing about the server or the request, so a request that may be sent twice can be sent
again (`HTTPStorage` does, once).

`track_reuse` makes a urllib3 pool manager create connections that mark that case: a connection that
already received an answer and then fails to receive one for its next request raises
`ReusedConnectionClosed` (a ``ConnectionResetError``) from the original error. The same failure on a new
connection is left as it is: that server saw the request and gave up on it, which sending it again does
not mend.
"""

from __future__ import annotations

import functools
from typing import Any

__all__ = ['ReusedConnectionClosed', 'closed_when_reused', 'track_reuse']


class ReusedConnectionClosed(ConnectionResetError):
    """The server closed a kept-alive connection as a request was sent on it: no answer came."""


@functools.cache
def _tracking_connection(base: type) -> type:
    class Tracking(base):  # type: ignore[misc]  # a urllib3 connection class chosen at run time
        _answered = 0  # answers received since this connection (re)connected
        _reused = False  # whether the request under way went on a connection that had answered before

        def connect(self) -> None:
            self._answered = 0
            super().connect()

        def request(self, *args: Any, **kwargs: Any) -> Any:
            self._reused = self._answered > 0 and getattr(self, 'sock', None) is not None
            return super().request(*args, **kwargs)

        def getresponse(self, *args: Any, **kwargs: Any) -> Any:
            try:
                response = super().getresponse(*args, **kwargs)
            except ConnectionError as exc:  # end-of-file before the status line, a reset, a broken pipe
                if self._reused:
                    raise ReusedConnectionClosed(
                        f'the server closed the kept-alive connection without answering ({type(exc).__name__})'
                    ) from exc
                raise
            self._answered += 1
            return response

    Tracking.__name__ = Tracking.__qualname__ = f'ReuseTracking{base.__name__}'
    return Tracking


@functools.cache
def _tracking_pool(base: Any) -> Any:
    if getattr(base, '_synapse_reuse_tracked', False):
        return base
    return type(
        f'ReuseTracking{base.__name__}',
        (base,),
        {'ConnectionCls': _tracking_connection(base.ConnectionCls), '_synapse_reuse_tracked': True},
    )


def track_reuse(manager: Any) -> Any:
    """Make the urllib3 pool manager `manager` (a requests adapter's ``poolmanager``, or a proxy manager)
    create connections that raise `ReusedConnectionClosed` as described above. Returns `manager`."""
    classes = getattr(manager, 'pool_classes_by_scheme', None)
    if isinstance(classes, dict):
        manager.pool_classes_by_scheme = {
            scheme: _tracking_pool(cls) if hasattr(cls, 'ConnectionCls') else cls
            for scheme, cls in classes.items()
        }
    return manager


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
