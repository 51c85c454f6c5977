"""The agent's job-log WebSocket, through the maintained ``websockets`` library (its sync client).

What this module adds to the library is the SDK's own rules, so the WebSocket path behaves like the
HTTP fallback next to it:

- the same proxy and CA bundle as ``requests`` (``HTTPS_PROXY``/``HTTP_PROXY``/``NO_PROXY``,
  ``REQUESTS_CA_BUNDLE``/``CURL_CA_BUNDLE``, else certifi's bundle), chosen by requests' own code;
- credentials stay with their origin: a redirect of the upgrade to another origin is followed
  without any of the client's configured headers (the library itself drops only ``Authorization``
  and ``Cookie``), a redirect from ``wss`` to ``ws`` is refused;
- the opening handshake has a total deadline (``open_timeout``, dripping servers included) and
  every later wait is an idle deadline per *message*, not per byte.
"""

from __future__ import annotations

import ssl
from collections.abc import Iterable, Mapping
from typing import Any

from websockets.datastructures import Headers
from websockets.exceptions import (
    ConnectionClosedError,
    ConnectionClosedOK,
    InvalidHandshake,
    InvalidStatus,
    InvalidURI,
)
from websockets.sync.client import ClientConnection, reconnect

from synapse_sdk.clients.exceptions import ClientTimeoutError, WebSocketError
from synapse_sdk.security.origins import describe_origin, same_origin, strip_credentials
from synapse_sdk.security.redaction import redact_url

MAX_MESSAGE_BYTES = 10 * 1024 * 1024


def to_ws_url(url: str) -> str:
    if url.startswith('https://'):
        return 'wss://' + url[len('https://') :]
    if url.startswith('http://'):
        return 'ws://' + url[len('http://') :]
    return url


def _to_http_url(url: str) -> str:
    if url.startswith('wss://'):
        return 'https://' + url[len('wss://') :]
    if url.startswith('ws://'):
        return 'http://' + url[len('ws://') :]
    return url


def network_settings(url: str) -> tuple[str | None, ssl.SSLContext | None]:
    """``(proxy URL or None, TLS context or None)`` for `url`, as ``requests`` would choose them.

    Using requests' own environment logic keeps the WebSocket and the HTTP fallback on the same
    proxy and the same trusted certificates.
    """
    import requests
    from requests.utils import select_proxy

    http_url = _to_http_url(url)
    settings = requests.Session().merge_environment_settings(http_url, {}, None, None, None)
    proxy = select_proxy(http_url, settings.get('proxies') or {})
    context = None
    if http_url.startswith('https://'):
        verify = settings.get('verify', True)
        if verify is False:
            context = ssl.create_default_context()
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        elif isinstance(verify, str):
            import os

            context = (
                ssl.create_default_context(capath=verify)
                if os.path.isdir(verify)
                else ssl.create_default_context(cafile=verify)
            )
        else:
            from requests.utils import DEFAULT_CA_BUNDLE_PATH  # certifi's bundle, as requests uses it

            context = ssl.create_default_context(cafile=DEFAULT_CA_BUNDLE_PATH)
    return proxy, context


class _OriginBoundConnector(reconnect):
    """The library's connector (websockets >= 17.1: the threading client follows redirects through it),
    with every configured credential header dropped when a redirect leaves the origin (the library
    itself drops only ``Authorization`` and ``Cookie``)."""

    def __init__(self, *args: Any, credential_names: Iterable[str] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._credential_names = frozenset(name.lower() for name in credential_names)

    def process_redirect(self, exc: Exception) -> Exception | str:
        before = self.uri
        result = super().process_redirect(exc)
        if isinstance(result, str) and not same_origin(before, result) and self.additional_headers:
            kept = dict(Headers(self.additional_headers).raw_items())
            strip_credentials(kept, self._credential_names)
            self.additional_headers = kept
        return result


def _open(url: str, credential_names: Iterable[str], **kwargs: Any) -> tuple[ClientConnection, str]:
    """The open connection and the URL it ended up at (after same- or cross-origin redirects)."""
    connector = _OriginBoundConnector(url, credential_names=credential_names, **kwargs)
    try:
        connection = connector.connect()
    except InvalidStatus as exc:
        exc.final_uri = connector.uri  # type: ignore[attr-defined]  # an attribute this module adds to the exception for its callers
        raise
    if hasattr(connection, 'pending_legacy_warning'):
        connection.pending_legacy_warning = False  # we own the connection and close it ourselves
    return connection, connector.uri


class WebSocketConnection:
    """An open connection; ``recv()`` returns the next message, or ``None`` once it closed normally."""

    def __init__(self, connection: ClientConnection, url: str, timeout: float) -> None:
        self._connection = connection
        self._url = url
        self._timeout = timeout
        self.closed = False

    def recv(self) -> str | bytes | None:
        """The next message; `ClientTimeoutError` when none completes within the idle timeout."""
        if self.closed:
            return None
        try:
            return self._connection.recv(timeout=self._timeout)
        except TimeoutError:
            raise ClientTimeoutError(
                f'no WebSocket message within the idle timeout of {self._timeout:g} s', url=self._url
            ) from None
        except ConnectionClosedOK:
            self.close()
            return None
        except ConnectionClosedError as exc:
            self.close()
            raise WebSocketError(f'WebSocket connection broke: {exc}', url=self._url) from None

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            self._connection.close()

    def __enter__(self) -> WebSocketConnection:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def connect(
    url: str,
    *,
    headers: Mapping[str, str] | None = None,
    timeout: float = 30.0,
    credential_names: Iterable[str] | None = None,
) -> WebSocketConnection:
    """Open a WebSocket to ``ws(s)://`` (or ``http(s)://``) `url`; `WebSocketError` when refused.

    `timeout` bounds the whole opening handshake and then each wait for a message. The names in
    `credential_names` (default: every header in `headers`) never reach another origin.
    """
    ws_url = to_ws_url(url)
    shown = redact_url(ws_url)
    proxy, context = network_settings(ws_url)
    headers = dict(headers or {})
    names = headers if credential_names is None else credential_names
    try:
        connection, _ = _open(
            ws_url,
            names,
            additional_headers=headers,
            open_timeout=timeout,
            ssl=context,
            proxy=proxy,
            max_size=MAX_MESSAGE_BYTES,
            user_agent_header=None,
        )
    except TimeoutError:
        raise ClientTimeoutError(f'WebSocket handshake with {shown} took longer than {timeout:g} s') from None
    except InvalidStatus as exc:
        status = exc.response.status_code
        final = getattr(exc, 'final_uri', ws_url)
        where = '' if same_origin(final, ws_url) else f' (after a redirect to {describe_origin(final)})'
        raise WebSocketError(
            f'WebSocket upgrade refused (HTTP {status}){where}', status_code=status, url=shown
        ) from None
    except (InvalidHandshake, InvalidURI, ValueError) as exc:
        raise WebSocketError(f'WebSocket handshake with {shown} failed: {redact_url(str(exc))}') from None
    except OSError as exc:
        raise WebSocketError(f'cannot connect to {describe_origin(ws_url)}: {exc.strerror or exc}') from None
    return WebSocketConnection(connection, shown, timeout)
