"""The http(s) and file URLs the category actions read themselves (dataset files, the model file,
annotation files), each call under one total deadline.

urllib's ``timeout`` bounds each socket read, not a call: a server that drips one header byte every
half second holds it for as long as it drips. Here the connections urllib opens (redirects included)
are watched by a `synapse_sdk.security.deadlines.Deadline` that bounds the whole call: connecting, the
response headers and every byte of the body. When it passes, the sockets are shut down and the call
raises `TimeoutError` (what urllib raises for a socket timeout, so ``except OSError`` keeps working)
naming the URL with its credentials masked; a file being written is removed. Other failures
(`urllib.error.HTTPError`, `urllib.error.URLError`) keep their type and gain a note naming the URL.
No header is sent, so nothing of ours can follow a redirect to another origin.
"""

from __future__ import annotations

import functools
import http.client
import shutil
import urllib.parse
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any, TypeVar

from synapse_sdk.security.deadlines import Deadline, watched_connection_class
from synapse_sdk.security.redaction import redact_url

__all__ = ['download_url', 'read_url_bytes']

T = TypeVar('T')


def _watching(handler: type[urllib.request.AbstractHTTPHandler]) -> type[urllib.request.BaseHandler]:
    """`handler` (urllib's HTTP or HTTPS handler) opening connections whose sockets deadlines watch."""

    def do_open(self: Any, http_class: Any, req: urllib.request.Request, **kwargs: Any) -> Any:
        watched: Any = watched_connection_class(http_class)  # typeshed wants a callable protocol
        return handler.do_open(self, watched, req, **kwargs)

    return type(f'Watched{handler.__name__}', (handler,), {'do_open': do_open})


@functools.cache
def _opener() -> urllib.request.OpenerDirector:
    # build_opener puts these in place of its default HTTP(S) handlers; proxies from the environment
    # still apply, as with urlopen.
    return urllib.request.build_opener(
        _watching(urllib.request.HTTPHandler), _watching(urllib.request.HTTPSHandler)
    )


def _local_path(url: str, verb: str) -> Path | None:
    """The path of a file URL (or a plain path), ``None`` for http(s); anything else is refused."""
    parsed = urllib.parse.urlparse(url)
    if parsed.scheme in ('', 'file'):
        return Path(urllib.request.url2pathname(parsed.path))
    if parsed.scheme not in ('http', 'https'):
        raise ValueError(f'cannot {verb} {redact_url(url)!r}: only http(s) and file URLs are supported')
    return None


def _timed_out(url: str, timeout: float, setting: str) -> TimeoutError:
    return TimeoutError(
        f'downloading {redact_url(url)} did not finish within its deadline of {timeout:g} s '
        f'(the whole call, every byte of the answer included; set it with {setting})'
    )


def _fetch(url: str, timeout: float, setting: str, sink: Callable[[IO[bytes]], T]) -> T:
    deadline = Deadline(timeout)
    try:
        with deadline.active(), _opener().open(url, timeout=timeout) as response:
            result = sink(response)
    except (OSError, http.client.HTTPException) as exc:
        # Once the deadline has shut the socket down, the read fails with whatever the cut produced
        # (RemoteDisconnected, IncompleteRead, a reset); a per-read socket timeout is the same failure.
        if deadline.expired or isinstance(exc, TimeoutError):
            raise _timed_out(url, timeout, setting) from exc
        exc.add_note(f'while downloading {redact_url(url)}')
        raise
    finally:
        deadline.cancel()
    if deadline.expired:  # a body without a length ends quietly when its socket is shut down
        raise _timed_out(url, timeout, setting)
    return result


def download_url(url: str, dest: Path, *, timeout: float, setting: str) -> None:
    """Write what `url` (http(s) or file) holds to `dest`, the whole call within `timeout` seconds.

    `setting` names how a user sets the deadline; it is quoted in the timeout error.
    """
    local = _local_path(url, 'download')
    if local is not None:
        shutil.copyfile(local, dest)
        return
    try:
        with dest.open('wb') as fh:
            _fetch(url, timeout, setting, lambda response: shutil.copyfileobj(response, fh))
    except BaseException:
        dest.unlink(missing_ok=True)
        raise


def read_url_bytes(url: str, *, timeout: float, setting: str) -> bytes:
    """The content behind `url` (http(s) or file), the whole call within `timeout` seconds."""
    local = _local_path(url, 'read')
    if local is not None:
        return local.read_bytes()
    return _fetch(url, timeout, setting, lambda response: response.read())
