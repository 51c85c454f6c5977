"""Typed errors raised by every Synapse client.

One hierarchy for v1, v2 and the agent client, so callers catch by meaning (``NotFoundError``) rather
than by transport. Every error carries the HTTP status (when there was a response), the parsed error
detail and the backend request id, and never the credentials used for the request.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    'AuthenticationError',
    'AuthorizationError',
    'ClientConnectionError',
    'ClientError',
    'ClientTimeoutError',
    'ConflictError',
    'GpuUnavailableError',
    'HTTPError',
    'LogDeliveryError',
    'NotFoundError',
    'RateLimitError',
    'ResponseLostError',
    'ResponseValidationError',
    'ServerError',
    'StreamError',
    'ValidationError',
    'WebSocketError',
    'error_for_status',
]


class ClientError(Exception):
    """Base of every client error.

    Attributes:
        status_code: HTTP status of the response, or ``None`` when none was received.
        detail: the parsed error body (JSON value) or its text.
        request_id: the backend request id (``X-Request-ID`` header or ``meta.request_id``), if any.
        method / url: the request that failed (the URL without its query string, which may carry
            presigned signatures).
        attempts: how many times the request was sent.
    """

    default_message = 'request failed'

    def __init__(
        self,
        message: str | None = None,
        *,
        status_code: int | None = None,
        detail: Any = None,
        request_id: str | None = None,
        method: str | None = None,
        url: str | None = None,
        attempts: int = 1,
    ) -> None:
        self.message = message or self.default_message
        self.status_code = status_code
        self.detail = detail
        self.request_id = request_id
        self.method = method
        self.url = url
        self.attempts = attempts
        super().__init__(self._render())

    def _render(self) -> str:
        parts = []
        if self.status_code is not None:
            parts.append(f'HTTP {self.status_code}')
        if self.method and self.url:
            parts.append(f'{self.method} {self.url}')
        head = ' '.join(parts)
        text = f'{head}: {self.message}' if head else self.message
        detail = _detail_text(self.detail)
        if detail and detail not in text:
            text = f'{text} ({detail})'
        if self.request_id:
            text = f'{text} [request_id={self.request_id}]'
        if self.attempts > 1:
            text = f'{text} after {self.attempts} attempts'
        return text


class ClientConnectionError(ClientError):
    """The server could not be reached, or the connection broke.

    ``request_sent`` tells whether the request may have reached the server (the connection broke after
    it was written); when it is ``False`` nothing was delivered and retrying is always safe.
    """

    default_message = 'connection failed'

    def __init__(self, message: str | None = None, *, request_sent: bool = False, **kwargs: Any) -> None:
        self.request_sent = request_sent
        super().__init__(message, **kwargs)


class ResponseLostError(ClientConnectionError):
    """A non-idempotent request was sent but its response never arrived.

    The backend may or may not have applied it; the client did not resend it (no idempotency key).
    """

    default_message = 'the request was sent but its response was lost; it was not resent'

    def __init__(self, message: str | None = None, **kwargs: Any) -> None:
        kwargs.setdefault('request_sent', True)
        super().__init__(message, **kwargs)


class ClientTimeoutError(ClientConnectionError):
    """Connecting or reading took longer than the configured timeout (or the total time budget)."""

    default_message = 'timed out'


class HTTPError(ClientError):
    """The server answered with an error status not covered by a more specific class."""

    default_message = 'error response'


class ValidationError(HTTPError):
    """400 / 422: the server rejected the request body or query."""

    default_message = 'invalid request'


class ResponseValidationError(ValidationError):
    """The response lacked fields the typed model requires (a contract mismatch with the backend)."""

    default_message = 'response does not match the expected model'


class AuthenticationError(HTTPError):
    """401: missing, expired or wrong credentials."""

    default_message = 'authentication failed (check the access token)'


class AuthorizationError(HTTPError):
    """403: authenticated, but not allowed to do this."""

    default_message = 'permission denied'


class NotFoundError(HTTPError):
    """404: the object does not exist or is not visible to these credentials."""

    default_message = 'not found'


class ConflictError(HTTPError):
    """409: the request conflicts with the current state of the object."""

    default_message = 'conflict'


class RateLimitError(HTTPError):
    """429: too many requests; ``retry_after`` holds the server's hint in seconds, if any."""

    default_message = 'rate limited'

    def __init__(
        self, message: str | None = None, *, retry_after: float | None = None, **kwargs: Any
    ) -> None:
        self.retry_after = retry_after
        super().__init__(message, **kwargs)


class ServerError(HTTPError):
    """5xx: the backend failed; ``retry_after`` holds the server's hint in seconds, if any."""

    default_message = 'server error'

    def __init__(
        self, message: str | None = None, *, retry_after: float | None = None, **kwargs: Any
    ) -> None:
        self.retry_after = retry_after
        super().__init__(message, **kwargs)


class GpuUnavailableError(ServerError):
    """503 with ``error_type == 'gpu_unavailable'`` from the agent: no GPU free for the job."""

    default_message = 'no GPU available'


class StreamError(ClientError):
    """A streaming endpoint (SSE, WebSocket, log stream) failed or gave up reconnecting."""

    default_message = 'stream failed'


class WebSocketError(StreamError):
    """The WebSocket handshake or framing failed."""

    default_message = 'websocket failed'


class LogDeliveryError(ClientError):
    """A batch of job log entries could not be delivered; ``lost_entries`` says how many were lost."""

    default_message = 'job log entries were not delivered'

    def __init__(self, message: str | None = None, *, lost_entries: int = 0, **kwargs: Any) -> None:
        self.lost_entries = lost_entries
        super().__init__(message, **kwargs)


_STATUS_CLASSES: dict[int, type[HTTPError]] = {
    400: ValidationError,
    401: AuthenticationError,
    403: AuthorizationError,
    404: NotFoundError,
    409: ConflictError,
    422: ValidationError,
    429: RateLimitError,
}


def error_for_status(
    status_code: int,
    detail: Any = None,
    *,
    request_id: str | None = None,
    method: str | None = None,
    url: str | None = None,
    retry_after: float | None = None,
    attempts: int = 1,
) -> HTTPError:
    """Build the typed error for an error status (does not raise it)."""
    common: dict[str, Any] = {
        'status_code': status_code,
        'detail': detail,
        'request_id': request_id,
        'method': method,
        'url': url,
        'attempts': attempts,
    }
    message = _detail_message(detail)
    if status_code == 503 and isinstance(detail, dict) and detail.get('error_type') == 'gpu_unavailable':
        return GpuUnavailableError(message, retry_after=retry_after, **common)
    if status_code >= 500:
        return ServerError(message, retry_after=retry_after, **common)
    if status_code == 429:
        return RateLimitError(message, retry_after=retry_after, **common)
    cls = _STATUS_CLASSES.get(status_code, HTTPError)
    return cls(message, **common)


def _detail_message(detail: Any) -> str | None:
    """Pull a one-line message out of the error body shapes the backends use."""
    if isinstance(detail, dict):
        error = detail.get('error')
        if isinstance(error, dict) and error.get('message'):
            return str(error['message'])
        for key in ('detail', 'message'):
            text = detail.get(key)
            if isinstance(text, str):
                return text
    if isinstance(detail, str) and detail.strip() and len(detail) <= 300:
        return detail.strip()
    return None


def _detail_text(detail: Any) -> str:
    """Readable rendering of field errors (DRF ``{field: [msg]}``, v2 ``details``, FastAPI ``detail`` lists)."""
    if isinstance(detail, dict):
        error = detail.get('error')
        if isinstance(error, dict):
            items = error.get('details') or []
            fields = [f'{d.get("field")}: {d.get("message")}' for d in items if isinstance(d, dict)]
            code = error.get('code')
            text = '; '.join(fields)
            return f'{code}: {text}' if code and text else (text or (str(code) if code else ''))
        if isinstance(detail.get('detail'), list):
            out = []
            for item in detail['detail']:
                if isinstance(item, dict):
                    loc = '.'.join(str(p) for p in item.get('loc', []))
                    out.append(f'{loc}: {item.get("msg")}' if loc else str(item.get('msg')))
            return '; '.join(out)
        field_errors = {
            k: v for k, v in detail.items() if k not in {'detail', 'message', 'meta', 'error_type'}
        }
        if field_errors:
            return '; '.join(
                f'{k}: {", ".join(map(str, v)) if isinstance(v, list) else v}'
                for k, v in field_errors.items()
            )[:500]
    return ''
