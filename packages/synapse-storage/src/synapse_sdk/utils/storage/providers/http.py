"""HTTP file servers (``http`` / ``https``), through requests.

Reads use ``GET``/``HEAD``; listings parse the server's HTML directory index (Apache, nginx ``autoindex``,
Python's ``http.server``). Uploads (``PUT``) and deletes (``DELETE``) work when the server accepts them;
otherwise they raise :class:`StorageCapabilityError`. A ``GET``, ``HEAD`` or ``DELETE`` that meets a kept-alive
connection the server closed at that moment is sent again, once, on a new connection (`OriginBoundSession`).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from html.parser import HTMLParser
from pathlib import Path
from typing import IO, Any
from urllib.parse import quote, unquote, urljoin, urlsplit

import requests
import urllib3
from requests.adapters import HTTPAdapter

from synapse_sdk.security.deadlines import Deadline, watch_pool_manager
from synapse_sdk.security.keepalive import closed_when_reused, new_connections
from synapse_sdk.security.origins import strip_if_leaving
from synapse_sdk.security.redaction import redact_url
from synapse_sdk.utils.storage.base import CHUNK_SIZE, StorageMixin, buffered
from synapse_sdk.utils.storage.errors import (
    StorageCapabilityError,
    StorageConfigError,
    StorageConnectionError,
    StorageError,
    StorageNotFoundError,
    StoragePermissionError,
)
from synapse_sdk.utils.storage.keys import dir_prefix
from synapse_sdk.utils.storage.protocol import StorageEntry

#: Methods sent again when a kept-alive connection was closed under them: sending them twice leaves the
#: server as sending them once. An upload (``PUT`` of a stream) is not among them: its body is spent.
RESENDABLE_METHODS = frozenset({'GET', 'HEAD', 'DELETE'})


class _LinkParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == 'a':
            href = dict(attrs).get('href')
            if href:
                self.links.append(href)


class OriginBoundSession(requests.Session):
    """A session whose configured headers (``X-Api-Key``, ``Authorization`` ...) never follow a redirect
    to another origin (scheme, host, port): they are stripped and the redirect is followed without them,
    so a file server may still send downloads to a CDN or a presigned URL
    (`synapse_sdk.security.origins`). Its connections are watched by active deadlines."""

    # Not thread-safe (no requests.Session is): `HTTPStorage` keeps one per thread.

    def __init__(self, headers: Mapping[str, str] | None = None, verify: bool = True) -> None:
        super().__init__()
        self.headers.update(dict(headers or {}))
        self.credential_names = frozenset(name.lower() for name in (headers or {}))
        self.verify = verify
        adapter = _DeadlineAdapter()
        self.mount('http://', adapter)
        self.mount('https://', adapter)

    def rebuild_auth(self, prepared_request: Any, response: Any) -> None:
        strip_if_leaving(
            prepared_request.headers, response.request.url, prepared_request.url, self.credential_names
        )
        super().rebuild_auth(prepared_request, response)  # type: ignore[no-untyped-call]  # types-requests leaves Session.rebuild_auth unannotated

    def send_within(self, seconds: float | None, method: str, url: str, **kwargs: Any) -> requests.Response:
        """``request`` whose response headers (and, unless streamed, its body) must arrive within
        `seconds` in all, however slowly the server drips them; past it ``requests.Timeout``.

        A request of `RESENDABLE_METHODS` that meets a kept-alive connection the server closed as it was
        sent (no answer came: `synapse_sdk.security.keepalive`) is sent again, once, on a new connection,
        within the same `seconds`. Done here rather than by urllib3's ``Retry``: that cannot tell this case from a server
        that dropped a request on a new connection, or from a deadline that shut the socket, and it logs a
        warning quoting the request's path and query (a presigned URL's signature)."""
        deadline = Deadline(seconds)
        try:
            with deadline.active():
                try:
                    try:
                        return self.request(method, url, **kwargs)
                    except requests.ConnectionError as exc:
                        if deadline.expired or method.upper() not in RESENDABLE_METHODS:
                            raise
                        if not closed_when_reused(exc):
                            raise
                    with new_connections():
                        return self.request(method, url, **kwargs)
                except requests.RequestException as exc:
                    if deadline.expired:
                        raise requests.Timeout(f'no response within {seconds:g} s') from exc
                    raise
        finally:
            deadline.cancel()


class _DeadlineAdapter(HTTPAdapter):
    """Connections watched by active deadlines, which tell a kept-alive connection the server closed."""

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        watch_pool_manager(self.poolmanager)

    def proxy_manager_for(self, proxy: str, **proxy_kwargs: Any) -> Any:
        return watch_pool_manager(super().proxy_manager_for(proxy, **proxy_kwargs))


def _content_length(response: requests.Response) -> int | None:
    """The response's ``Content-Length`` as a number; ``None`` when absent or not a valid number."""
    value = response.headers.get('Content-Length', '').strip()
    return int(value) if value.isdigit() else None


class HTTPStorage(StorageMixin):
    """Files served below ``base_url``. ``headers`` (e.g. an ``Authorization`` or ``X-Api-Key`` header) are
    sent with every request to the origin of ``base_url``, never to another origin a redirect points to, and
    never shown in reprs or errors.

    ``timeout`` (seconds) bounds connecting and the arrival of each response's headers as a whole (a server
    dripping them byte by byte is cut off), and is the idle deadline of a download: the body may take as
    long as it needs while bytes keep arriving, but a pause longer than ``timeout`` fails it.
    """

    provider = 'http'

    def __init__(
        self,
        base_url: str,
        timeout: float = 30,
        headers: dict[str, str] | None = None,
        verify_ssl: bool = True,
    ) -> None:
        if not isinstance(base_url, str) or urlsplit(base_url).scheme not in ('http', 'https'):
            raise StorageConfigError("http storage: 'base_url' must be an http:// or https:// URL")
        if not urlsplit(base_url).hostname:
            raise StorageConfigError("http storage: 'base_url' has no host")
        self.base_url = base_url if base_url.endswith('/') else f'{base_url}/'
        self.timeout = timeout
        self.verify_ssl = verify_ssl
        self.__headers = dict(headers or {})
        self._reset_connections()

    _transient = ('_local',)

    def _reset_connections(self) -> None:
        self._local = threading.local()

    def _describe(self) -> str:
        return f'base_url={redact_url(self.base_url)!r}'

    @property
    def session(self) -> OriginBoundSession:
        """A ``requests.Session`` per thread (sessions are not thread-safe)."""
        session: OriginBoundSession | None = getattr(self._local, 'session', None)
        if session is None:
            session = OriginBoundSession(self.__headers, verify=self.verify_ssl)
            self._local.session = session
        return session

    def close(self) -> None:
        session = getattr(self._local, 'session', None)
        if session is not None:
            session.close()
            self._local.session = None

    def _url(self, key: str) -> str:
        return urljoin(self.base_url, quote(key))

    def _safe(self, key: str) -> str:
        return redact_url(self._url(key))

    @contextmanager
    def _errors(self, key: str, action: str) -> Iterator[None]:
        """requests' and urllib3's exceptions as storage errors (urllib3's reach the caller directly
        when a stream `open` returned is read)."""
        try:
            yield
        except (requests.Timeout, urllib3.exceptions.TimeoutError):
            raise StorageConnectionError(
                f'{action} {self._safe(key)}: timed out after {self.timeout} s'
            ) from None
        except (requests.exceptions.ChunkedEncodingError, urllib3.exceptions.ProtocolError):
            raise StorageConnectionError(
                f'{action} {self._safe(key)}: the connection broke off in the middle of the body'
            ) from None
        except requests.ConnectionError:
            raise StorageConnectionError(
                f'{action} {self._safe(key)}: cannot connect to the server'
            ) from None
        except (requests.RequestException, urllib3.exceptions.HTTPError) as exc:
            raise StorageError(f'{action} {self._safe(key)} failed: {type(exc).__name__}') from None

    def _request(self, method: str, key: str, action: str, **kwargs: Any) -> requests.Response:
        with self._errors(key, action):
            return self.session.send_within(
                self.timeout, method, self._url(key), timeout=self.timeout, **kwargs
            )

    def _check(self, response: requests.Response, key: str, action: str) -> None:
        status = response.status_code
        if status < 400:
            return
        response.close()
        where = self._safe(key)
        if status == 404:
            raise StorageNotFoundError(f'{where} does not exist (HTTP 404)')
        if status in (401, 403):
            raise StoragePermissionError(f'{action} {where} refused (HTTP {status})')
        if status in (405, 501) and action in ('upload to', 'delete of'):
            raise StorageCapabilityError(
                f'{action} {where}: the server does not accept {"PUT" if action == "upload to" else "DELETE"} '
                f'(HTTP {status}); this HTTP storage is read-only'
            )
        raise StorageError(f'{action} {where} failed (HTTP {status} {response.reason})')

    # --- primitives ---------------------------------------------------------------------------------------
    def _upload(self, source: Path, key: str) -> None:
        with source.open('rb') as stream:
            response = self._request('PUT', key, 'upload to', data=stream)
        self._check(response, key, 'upload to')

    def _download_to(self, key: str, destination: Path) -> None:
        response = self._request('GET', key, 'download of', stream=True)
        self._check(response, key, 'download of')
        with response, self._errors(key, 'download of'), destination.open('wb') as out:
            received = 0
            for chunk in response.iter_content(CHUNK_SIZE):
                out.write(chunk)
                received += len(chunk)
        expected = _content_length(response)
        if expected is not None and 'Content-Encoding' not in response.headers and expected != received:
            raise StorageError(f'download of {self._safe(key)} truncated: {received} of {expected} bytes')

    def _head(self, key: str) -> requests.Response | None:
        response = self._stat_request(key, follow=False)
        if 300 <= response.status_code < 400:
            location = urljoin(self._url(key), response.headers.get('Location', ''))
            if location.rstrip('/') == self._url(key).rstrip('/'):
                return None  # the server's redirect to ``key/``: a directory, not a file
            # A file served from elsewhere (a CDN, a presigned URL), as `download` follows it; the
            # configured headers stay with this origin.
            response = self._stat_request(key, follow=True)
        if response.status_code == 404 or 300 <= response.status_code < 400:
            return None
        self._check(response, key, 'stat of')
        return response

    def _stat_request(self, key: str, *, follow: bool) -> requests.Response:
        response = self._request('HEAD', key, 'stat of', allow_redirects=follow)
        if response.status_code == 405:
            response = self._request('GET', key, 'stat of', stream=True, allow_redirects=follow)
            response.close()
        return response

    def _exists(self, key: str) -> bool:
        return self._head(key) is not None

    def _size(self, key: str) -> int:
        response = self._head(key)
        if response is None:
            raise StorageNotFoundError(f'{self._safe(key)} does not exist')
        length = _content_length(response)
        if length is None:
            raise StorageCapabilityError(f'the server sends no valid Content-Length for {self._safe(key)}')
        return length

    def _listing(self, prefix: str) -> list[tuple[str, bool]] | None:
        """Names (and whether each is a directory) in the HTML index of ``prefix``; ``None`` if none."""
        response = self._request('GET', dir_prefix(prefix), 'listing of')
        if response.status_code == 404:
            return None
        self._check(response, dir_prefix(prefix), 'listing of')
        if 'html' not in response.headers.get('Content-Type', ''):
            raise StorageCapabilityError(
                f'listing of {self._safe(dir_prefix(prefix))}: the server returns no HTML directory index'
            )
        parser = _LinkParser()
        parser.feed(response.text)
        base_path = urlsplit(self._url(dir_prefix(prefix))).path
        names: dict[str, bool] = {}
        for href in parser.links:
            parts = urlsplit(urljoin(response.url, href))
            if (
                parts.query
                or parts.netloc != urlsplit(response.url).netloc
                or not parts.path.startswith(base_path)
            ):
                continue
            rest = parts.path[len(base_path) :]
            is_dir = rest.endswith('/')
            name = unquote(rest.rstrip('/'))
            if name and '/' not in name and name not in ('.', '..'):
                names[name] = is_dir
        return sorted(names.items())

    def _entries(self, prefix: str, recursive: bool) -> Iterator[StorageEntry]:
        pending = [prefix]
        while pending:
            current = pending.pop()
            for name, is_dir in self._listing(current) or []:
                key = f'{current}/{name}' if current else name
                if is_dir:
                    if recursive:
                        pending.append(key)
                    else:
                        yield StorageEntry(key, 0, True)
                else:
                    yield StorageEntry(key, self._size(key))

    def _is_dir(self, key: str) -> bool:
        try:
            return self._listing(key) is not None
        except StorageCapabilityError:
            return False

    def _delete(self, key: str) -> None:
        response = self._request('DELETE', key, 'delete of')
        self._check(response, key, 'delete of')

    def _open(self, key: str) -> IO[bytes]:
        response = self._request('GET', key, 'read of', stream=True)
        self._check(response, key, 'read of')
        response.raw.decode_content = True
        return buffered(response.raw, close=response.close, guard=lambda: self._errors(key, 'read of'))


__all__ = ['HTTPStorage', 'OriginBoundSession']
