"""The HTTP transport shared by the v1, v2 and agent clients.

Retries are done here rather than by urllib3 so that one rule decides what may be resent: a request
that never reached the server is always retried; once it may have reached the server, only
idempotent methods (GET, HEAD, OPTIONS, PUT, DELETE) or requests carrying an ``Idempotency-Key``
are resent. That keeps a lost POST response from creating a second object.

One failure of those is no sign of trouble: a kept-alive connection the server closed as the request
went out, before any answer (`synapse_sdk.security.keepalive`). It is sent again at once, on a new
connection, once per request: no backoff wait, no attempt of the `RetryPolicy` spent, even under
`NO_RETRY`.
"""

from __future__ import annotations

import email.utils
import json as jsonlib
import logging
import os
import random
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from contextlib import nullcontext
from dataclasses import dataclass, field
from typing import Any, TypeVar
from urllib.parse import parse_qsl, urlsplit

import requests
from requests.adapters import HTTPAdapter

from synapse_sdk.clients.exceptions import (
    ClientConnectionError,
    ClientError,
    ClientTimeoutError,
    ResponseLostError,
    error_for_status,
)
from synapse_sdk.security.deadlines import Deadline, watch_pool_manager
from synapse_sdk.security.keepalive import closed_when_reused, new_connections
from synapse_sdk.security.origins import describe_origin, same_origin, strip_credentials, strip_if_leaving
from synapse_sdk.security.redaction import redact_url, scrub

logger = logging.getLogger('synapse_sdk.clients')

IDEMPOTENT_METHODS = frozenset({'GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE'})
IDEMPOTENCY_HEADER = 'Idempotency-Key'
REQUEST_ID_HEADERS = ('X-Request-ID', 'X-Request-Id', 'Request-Id')


@dataclass(frozen=True)
class Timeout:
    """Connect and read timeouts in seconds (``read=None`` waits forever, used for log tails)."""

    connect: float = 5.0
    read: float | None = 15.0

    def as_tuple(self) -> tuple[float, float | None]:
        return (self.connect, self.read)

    @classmethod
    def from_env(cls, prefix: str, connect: float, read: float | None) -> Timeout:
        """Defaults overridden by ``<prefix>_CONNECT`` / ``<prefix>_READ`` (positive floats)."""
        return cls(_env_float(f'{prefix}_CONNECT', connect), _env_float(f'{prefix}_READ', read))

    @classmethod
    def coerce(cls, value: Any, default: Timeout) -> Timeout:
        """Accept a Timeout, a number (both), a ``(connect, read)`` tuple or a ``{'connect', 'read'}`` dict."""
        if value is None:
            return default
        if isinstance(value, Timeout):
            return value
        if isinstance(value, int | float):
            return cls(float(value), float(value))
        if isinstance(value, tuple | list) and len(value) == 2:
            return cls(float(value[0]), None if value[1] is None else float(value[1]))
        if isinstance(value, Mapping):
            return cls(float(value.get('connect', default.connect)), value.get('read', default.read))
        raise TypeError(
            f'timeout must be a number, (connect, read) tuple or dict, not {type(value).__name__}'
        )


_Default = TypeVar('_Default', bound=float | None)


def _env_float(name: str, default: _Default) -> float | _Default:
    raw = os.environ.get(name)
    if raw is None or raw == '':
        return default
    try:
        value = float(raw)
    except ValueError:
        logger.warning('ignoring %s=%r: not a number', name, raw)
        return default
    if value <= 0:
        logger.warning('ignoring %s=%r: must be positive', name, raw)
        return default
    return value


@dataclass(frozen=True)
class RetryPolicy:
    """When and how long to wait before resending a request.

    ``max_attempts`` counts the first try. Waits grow as ``backoff_base * 2**n`` (capped at
    ``backoff_cap``) with equal jitter; a ``Retry-After`` header (seconds or HTTP date) replaces the
    computed wait, capped at ``max_retry_after``. ``total_timeout`` bounds the whole call: every
    attempt, every wait and every byte of the response (for a streamed response, up to its headers);
    a server that drips its answer is cut off when it passes, with `ClientTimeoutError`.

    A resendable request that meets a kept-alive connection the server closed as it went out is sent
    again at once on a new connection, outside this policy (no wait, no attempt spent; see the module).
    """

    max_attempts: int = 4
    backoff_base: float = 0.5
    backoff_cap: float = 30.0
    retry_statuses: frozenset[int] = field(default_factory=lambda: frozenset({429, 502, 503, 504}))
    max_retry_after: float = 60.0
    total_timeout: float | None = 300.0

    def backoff(self, attempt: int) -> float:
        ceiling: float = min(self.backoff_cap, self.backoff_base * (2**attempt))
        return ceiling / 2 + random.uniform(0, ceiling / 2)

    def wait_for(self, attempt: int, retry_after: float | None) -> float:
        if retry_after is not None:
            return max(0.0, min(retry_after, self.max_retry_after))
        return self.backoff(attempt)


NO_RETRY = RetryPolicy(max_attempts=1)


def parse_retry_after(value: str | None) -> float | None:
    """``Retry-After`` as seconds from now: delta-seconds or an HTTP date; ``None`` if absent/invalid."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when is None:
        return None
    return max(0.0, when.timestamp() - time.time())


def parse_body(response: requests.Response) -> Any:
    """JSON when the body parses as JSON, else text; ``None`` for 204 or an empty body."""
    if response.status_code == 204 or not response.content:
        return None
    try:
        return response.json()
    except ValueError:
        return response.text


def request_id_of(response: requests.Response, body: Any = None) -> str | None:
    for name in REQUEST_ID_HEADERS:
        value = response.headers.get(name)
        if value:
            return value
    if isinstance(body, dict) and isinstance(body.get('meta'), dict):
        rid = body['meta'].get('request_id')
        if isinstance(rid, str):
            return rid
    return None


def _never_reached_server(exc: requests.RequestException) -> bool:
    """True when the failure happened before the request could be written (connect/DNS/refused)."""
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return True
    if isinstance(exc, requests.exceptions.ConnectionError):
        from urllib3.exceptions import MaxRetryError, NewConnectionError

        reason = exc.args[0] if exc.args else None
        if isinstance(reason, MaxRetryError):
            reason = reason.reason
        return isinstance(reason, NewConnectionError)
    return False


class OriginBoundSession(requests.Session):
    """A session whose credentials never reach another origin.

    ``requests`` itself drops only ``Authorization`` on a cross-host redirect; this drops every
    header in `credential_names` (the client's configured headers) as well as ``Authorization``,
    ``Proxy-Authorization``, ``Cookie`` and any secret-looking header, on any change of scheme, host
    or port (`synapse_sdk.security.origins`). The redirect is still followed, without them.

    With `origin` (the client's base URL), a request sent anywhere else (an absolute page link) goes
    without them too, cookies included: the cookie jar matches hosts, not ports or schemes, so a
    cookie the backend set would otherwise go to another port of its host.
    """

    def __init__(self, credential_names: Iterable[str] = (), origin: str | None = None) -> None:
        super().__init__()
        self.credential_names = frozenset(name.lower() for name in credential_names)
        self.origin = origin

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        if self.origin is not None and request.url and not same_origin(request.url, self.origin):
            proxy_auth = request.headers.get('Proxy-Authorization')  # for the proxy, not the origin
            strip_credentials(request.headers, self.credential_names)
            if proxy_auth is not None:
                request.headers['Proxy-Authorization'] = proxy_auth
        return super().send(request, **kwargs)

    def rebuild_auth(self, prepared_request: Any, response: Any) -> None:
        removed = strip_if_leaving(
            prepared_request.headers, response.request.url, prepared_request.url, self.credential_names
        )
        if removed:
            logger.debug(
                'redirect from %s to %s: %d credential header(s) not sent',
                describe_origin(response.request.url),
                describe_origin(prepared_request.url),
                len(removed),
            )
        super().rebuild_auth(prepared_request, response)  # type: ignore[no-untyped-call]  # types-requests leaves Session.rebuild_auth unannotated


class DeadlineAdapter(HTTPAdapter):
    """An adapter whose connections are watched by active `Deadline`s (`synapse_sdk.security.deadlines`)."""

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        watch_pool_manager(self.poolmanager)

    def proxy_manager_for(self, proxy: str, **proxy_kwargs: Any) -> Any:
        return watch_pool_manager(super().proxy_manager_for(proxy, **proxy_kwargs))


class HttpCore:
    """A configured ``requests`` session plus the retry, timeout and error-mapping rules.

    Credentials live only in ``headers``; they are never logged, never rendered in ``repr`` and are
    scrubbed from error details (``secrets``).
    """

    def __init__(
        self,
        base_url: str,
        *,
        headers: Mapping[str, str] | None = None,
        timeout: Timeout | None = None,
        retry: RetryPolicy | None = None,
        default_params: Mapping[str, str] | None = None,
        secrets: Iterable[str | None] = (),
        pool_size: int = 16,
    ) -> None:
        if not isinstance(base_url, str) or not base_url.startswith(('http://', 'https://')):
            raise ValueError(f'base_url must start with http:// or https://, got {base_url!r}')
        self.base_url = base_url.rstrip('/')
        self.headers: dict[str, str] = dict(headers or {})
        self.timeout = timeout or Timeout()
        self.retry = retry or RetryPolicy()
        self.default_params = {k: v for k, v in (default_params or {}).items() if v is not None}
        self._secrets = tuple(s for s in secrets if s)
        self._pool_size = pool_size
        self._session: OriginBoundSession | None = None
        self._lock = threading.Lock()
        self.sleep: Callable[[float], None] = time.sleep

    def __repr__(self) -> str:
        return f'{type(self).__name__}({self.base_url!r})'

    # -- session ------------------------------------------------------------------------------
    @property
    def session(self) -> OriginBoundSession:
        if self._session is None:
            with self._lock:
                if self._session is None:
                    session = OriginBoundSession(self.headers, origin=self.base_url)
                    adapter = DeadlineAdapter(pool_connections=4, pool_maxsize=self._pool_size, max_retries=0)
                    session.mount('http://', adapter)
                    session.mount('https://', adapter)
                    session.headers.update(self.headers)
                    self._session = session
        return self._session

    def set_header(self, name: str, value: str | None, *, secret: bool = True) -> None:
        """Set (or remove, with ``None``) a header on this and future requests."""
        if value is None:
            self.headers.pop(name, None)
            if self._session is not None:
                self._session.headers.pop(name, None)
            return
        self.headers[name] = value
        if self._session is not None:
            self._session.headers[name] = value
            self._session.credential_names |= {name.lower()}
        if secret:
            self._secrets = (*self._secrets, value.split(' ', 1)[-1])

    def close(self) -> None:
        if self._session is not None:
            self._session.close()
            self._session = None

    # -- requests -----------------------------------------------------------------------------
    def url_for(self, path: str) -> str:
        if path.startswith(('http://', 'https://')):
            return path
        return f'{self.base_url}/{path.lstrip("/")}'

    def _params_for(self, url: str, params: Mapping[str, Any] | None) -> dict[str, Any] | None:
        merged: dict[str, Any] = {}
        if self.default_params:
            present = {k for k, _ in parse_qsl(urlsplit(url).query, keep_blank_values=True)}
            merged.update({k: v for k, v in self.default_params.items() if k not in present})
        if params:
            merged.update({k: v for k, v in params.items() if v is not None})
        return merged or None

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        data: Any = None,
        files: Any = None,
        headers: Mapping[str, str] | None = None,
        timeout: Timeout | None = None,
        stream: bool = False,
        idempotency_key: str | None = None,
        retry: RetryPolicy | None = None,
        raise_for_status: bool = True,
        idle_timeout: float | None = None,
    ) -> requests.Response:
        """Send one logical request, resending it when the rules allow; raise typed errors.

        Credentials (the configured headers) go only to the origin of ``base_url``: an absolute URL
        elsewhere, or a redirect elsewhere, is requested without them. ``policy.total_timeout``
        bounds the whole call. With ``stream=True``, ``idle_timeout`` is the longest pause allowed
        between two units the reader marks (``response.idle_deadline.extend()``; lines, for
        `iter_response_lines`), enforced even against a server dripping bytes.
        """
        method = method.upper()
        url = self.url_for(path)
        shown = redact_url(url)
        policy = retry or self.retry
        timeout = timeout or self.timeout
        extra_headers: dict[str, str | None] = dict(
            headers or {}
        )  # the session strips credentials off-origin
        if idempotency_key:
            extra_headers[IDEMPOTENCY_HEADER] = idempotency_key
        body = None
        if json is not None:
            body = jsonlib.dumps(json, default=str).encode()
            extra_headers.setdefault('Content-Type', 'application/json')
        elif data is not None:
            body = data
        resendable = method in IDEMPOTENT_METHODS or bool(idempotency_key)
        total = Deadline(policy.total_timeout)
        file_positions = _file_positions(files)
        attempt = 0
        sends = 0
        resent = False  # sent again after a kept-alive connection closed under it (once per request)
        resend_now = False
        try:
            while True:
                if not resend_now:
                    attempt += 1
                sends += 1
                if sends > 1:
                    _rewind(file_positions)
                idle = Deadline(idle_timeout) if stream and idle_timeout else None
                fresh = new_connections() if resend_now else nullcontext()
                resend_now = False
                try:
                    with total.active(), (idle or Deadline(None)).active(), fresh:
                        response = self.session.request(
                            method,
                            url,
                            params=self._params_for(url, params),
                            data=body,
                            files=files,
                            headers=extra_headers or None,
                            timeout=_bounded(timeout, total.remaining()),
                            stream=stream,
                        )
                except requests.RequestException as exc:
                    if idle is not None:
                        idle.cancel()
                    if total.expired:
                        raise ClientTimeoutError(
                            f'no response within the total time budget of {policy.total_timeout:g} s',
                            method=method,
                            url=shown,
                            request_sent=True,
                            attempts=attempt,
                        ) from exc
                    if resendable and not resent and closed_when_reused(exc):
                        logger.debug(
                            'sending %s %s again on a new connection: the server closed the kept-alive one',
                            method,
                            shown,
                        )
                        resent = resend_now = True
                        continue
                    sent = not _never_reached_server(exc)
                    error = self._transport_error(exc, method, shown, sent=sent, resendable=resendable)
                    error.attempts = attempt
                    wait = policy.wait_for(attempt - 1, None)
                    if (sent and not resendable) or not _may_retry(policy, attempt, total, wait):
                        raise _rerender(error) from exc
                    logger.debug('retrying %s %s in %.2fs after %s', method, shown, wait, type(exc).__name__)
                    self.sleep(wait)
                    continue
                if idle is not None:
                    response.idle_deadline = idle  # type: ignore[attr-defined]  # an attribute this module adds to the requests Response for the stream reader
                status = response.status_code
                if status < 400 or not raise_for_status:
                    return response
                if idle is not None:
                    idle.cancel()
                retry_after = parse_retry_after(response.headers.get('Retry-After'))
                wait = policy.wait_for(attempt - 1, retry_after)
                if (
                    status in policy.retry_statuses
                    and resendable
                    and _may_retry(policy, attempt, total, wait)
                ):
                    logger.debug('retrying %s %s in %.2fs after HTTP %s', method, shown, wait, status)
                    response.close()
                    self.sleep(wait)
                    continue
                raise self.error_from_response(
                    response, method, shown, attempts=attempt, retry_after=retry_after, requested=url
                )
        finally:
            total.cancel()

    def error_from_response(
        self,
        response: requests.Response,
        method: str,
        shown_url: str,
        *,
        attempts: int = 1,
        retry_after: float | None = None,
        requested: str | None = None,
    ) -> ClientError:
        """The typed error for an error response (not raised). When redirects took the request to
        another origin, the message says so: credentials were not sent there."""
        try:
            body = parse_body(response)
        except requests.RequestException:
            body = None
        if retry_after is None:
            retry_after = parse_retry_after(response.headers.get('Retry-After'))
        if body is None:
            body = response.reason
        error = error_for_status(
            response.status_code,
            self.redact(body),
            request_id=request_id_of(response, body),
            method=method,
            url=shown_url,
            retry_after=retry_after,
            attempts=attempts,
        )
        final = getattr(response, 'url', None)
        if requested and isinstance(final, str) and final and not same_origin(requested, final):
            error.message = (
                f'{error.message} (redirected from {describe_origin(requested)} to {describe_origin(final)}; '
                'credentials are never sent to another origin)'
            )
            _rerender(error)
        return error

    def _transport_error(
        self, exc: requests.RequestException, method: str, shown: str, *, sent: bool, resendable: bool
    ) -> ClientConnectionError:
        if isinstance(exc, requests.exceptions.ConnectTimeout):
            return ClientTimeoutError('timed out connecting', method=method, url=shown, request_sent=sent)
        if isinstance(exc, requests.exceptions.ReadTimeout):
            return ClientTimeoutError(
                'timed out waiting for the response', method=method, url=shown, request_sent=sent
            )
        if sent and not resendable:
            return ResponseLostError(method=method, url=shown)
        reason = 'connection refused or host unreachable' if not sent else 'connection broken'
        return ClientConnectionError(reason, method=method, url=shown, request_sent=sent)

    def redact(self, value: Any) -> Any:
        """Replace any configured secret inside an error body with ``***``."""
        return scrub(value, self._secrets)


def _may_retry(policy: RetryPolicy, attempt: int, deadline: Deadline, wait: float) -> bool:
    """Another attempt is allowed, and waiting ``wait`` seconds for it stays within the time budget."""
    if attempt >= policy.max_attempts:
        return False
    remaining = deadline.remaining()
    return remaining is None or wait < remaining


def _bounded(timeout: Timeout, remaining: float | None) -> tuple[float, float | None]:
    """The attempt's ``(connect, read)`` socket timeouts, never beyond the remaining time budget."""
    if remaining is None:
        return timeout.as_tuple()
    remaining = max(remaining, 0.001)
    read = remaining if timeout.read is None else min(timeout.read, remaining)
    return (min(timeout.connect, remaining), read)


def _rerender(error: ClientError) -> ClientError:
    error.args = (error._render(),)
    return error


def _file_positions(files: Any) -> list[tuple[Any, int]]:
    """Seekable file objects in a ``requests`` ``files`` argument, with their start positions.

    A resent multipart request must stream each file from where the first attempt started.
    """
    positions: list[tuple[Any, int]] = []
    values = files.values() if isinstance(files, Mapping) else (files or [])
    for value in values:
        if isinstance(value, tuple) and len(value) == 2 and isinstance(value[1], tuple):
            value = value[1]  # list form: (field_name, (filename, fileobj, ...))
        obj = value[1] if isinstance(value, tuple) and len(value) > 1 else value
        if hasattr(obj, 'seek') and hasattr(obj, 'tell'):
            positions.append((obj, obj.tell()))
    return positions


def _rewind(positions: list[tuple[Any, int]]) -> None:
    for obj, pos in positions:
        obj.seek(pos)
