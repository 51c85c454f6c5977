"""Which origin a credential belongs to, and what to drop before a request leaves it.

The rule every Synapse HTTP and WebSocket client applies: credentials configured for a base URL
are sent only to that URL's *origin* (scheme, host, port). When a request goes elsewhere (an
absolute URL such as a page link, or a redirect to another host, port or scheme), the credential
headers are **stripped** and the request continues without them, as browsers, curl and requests
do for ``Authorization``; here every configured credential header counts, not only
``Authorization``. ``ws``/``wss`` compare as ``http``/``https``, so an agent's WebSocket shares the
origin of its HTTP base URL. Same-origin redirects keep the headers.
"""

from __future__ import annotations

from collections.abc import Iterable, MutableMapping
from urllib.parse import urlsplit

from synapse_sdk.security.redaction import is_secret_key

__all__ = [
    'ALWAYS_STRIPPED',
    'Origin',
    'credential_header_names',
    'describe_origin',
    'origin_of',
    'same_origin',
    'strip_credentials',
    'strip_if_leaving',
]

#: Headers that are credentials whatever the client configured.
ALWAYS_STRIPPED = frozenset({'authorization', 'proxy-authorization', 'cookie'})

_DEFAULT_PORTS = {'http': 80, 'https': 443}
_WS_SCHEMES = {'ws': 'http', 'wss': 'https'}

Origin = tuple[str, str, int | None]


def origin_of(url: str) -> Origin:
    """``(scheme, host, port)`` of `url`, lower-cased, with the scheme's default port filled in."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return ('', url, None)
    scheme = _WS_SCHEMES.get(parts.scheme.lower(), parts.scheme.lower())
    host = (parts.hostname or '').lower()
    return (scheme, host, port if port is not None else _DEFAULT_PORTS.get(scheme))


def same_origin(a: str, b: str) -> bool:
    """Whether two URLs share scheme, host and port (``ws``/``wss`` equal ``http``/``https``)."""
    return origin_of(a) == origin_of(b)


def describe_origin(url: str) -> str:
    """``scheme://host:port`` of `url`, without credentials, path or query: safe to show."""
    scheme, host, port = origin_of(url)
    if ':' in host:
        host = f'[{host}]'
    return f'{scheme}://{host}' + (f':{port}' if port is not None else '')


def credential_header_names(headers: Iterable[str]) -> frozenset[str]:
    """Lower-cased names among `headers` that are credentials (`ALWAYS_STRIPPED` or secret-looking)."""
    names = {name.lower() for name in headers}
    return frozenset(name for name in names if name in ALWAYS_STRIPPED or is_secret_key(name))


def strip_credentials(headers: MutableMapping[str, str], credential_names: Iterable[str] = ()) -> list[str]:
    """Remove from `headers` every credential: the names in `credential_names` (case-insensitive),
    `ALWAYS_STRIPPED` and any secret-looking name. Returns the removed names."""
    drop = {name.lower() for name in credential_names} | ALWAYS_STRIPPED
    removed = [name for name in list(headers) if name.lower() in drop or is_secret_key(name)]
    for name in removed:
        del headers[name]
    return removed


def strip_if_leaving(
    headers: MutableMapping[str, str], from_url: str, to_url: str, credential_names: Iterable[str] = ()
) -> list[str]:
    """`strip_credentials` when `to_url` is of another origin than `from_url` (a redirect hop or an
    absolute URL); nothing otherwise. Returns the removed names."""
    if same_origin(from_url, to_url):
        return []
    return strip_credentials(headers, credential_names)
