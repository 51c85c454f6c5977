"""Keep credentials out of reprs and messages."""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit


def redact_url(url: str) -> str:
    """``url`` without a ``user:password@`` part and without a query string (which may hold tokens)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return '<invalid url>'
    netloc = parts.hostname or ''
    if parts.port:
        netloc = f'{netloc}:{parts.port}'
    if parts.username or parts.password:
        netloc = f'***@{netloc}'
    query = '***' if parts.query else ''
    return urlunsplit((parts.scheme, netloc, parts.path, query, ''))


def scrub(message: str, secrets: list[str | None]) -> str:
    """Replace every non-empty secret in ``message`` by ``***``."""
    for secret in secrets:
        if secret and len(secret) >= 4:
            message = message.replace(secret, '***')
    return message


__all__ = ['redact_url', 'scrub']
