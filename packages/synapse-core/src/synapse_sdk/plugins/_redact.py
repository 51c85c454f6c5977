"""Recognising and masking secrets before they reach a repr, a log line or an error message."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

MASK = '***'

_SECRET_KEY = re.compile(
    r'(TOKEN|SECRET|PASSW(OR)?D|PASSPHRASE|CREDENTIAL|PRIVATE|AUTH|COOKIE|SESSION|DSN|SIGNATURE|'
    r'(API|ACCESS|SSH|SIGNING|ENCRYPTION|MASTER|LICENSE)[_\-.]?KEY)',
    re.IGNORECASE,
)
_URL_USERINFO = re.compile(r'(?P<scheme>[a-zA-Z][a-zA-Z0-9+.\-]*://)(?P<userinfo>[^/@\s]+)@')


def is_secret_key(key: object) -> bool:
    """True for names such as ``SYNAPSE_ACCESS_TOKEN``, ``password``, ``aws_secret_key``, ``API_KEY``."""
    return isinstance(key, str) and bool(_SECRET_KEY.search(key))


def redact_url(text: str) -> str:
    """Mask the ``user:password@`` part of every URL in `text`."""
    return _URL_USERINFO.sub(lambda m: f'{m.group("scheme")}{MASK}@', text)


def redact(value: Any, _depth: int = 0) -> Any:
    """Return a copy of `value` with secret-looking keys masked and URL credentials removed.

    Walks dicts, lists and tuples (to a bounded depth); other objects are returned unchanged.
    """
    if _depth > 20:
        return value
    if isinstance(value, Mapping):
        return {
            k: (MASK if is_secret_key(k) and v not in (None, '') else redact(v, _depth + 1))
            for k, v in value.items()
        }
    if isinstance(value, list | tuple):
        return type(value)(redact(v, _depth + 1) for v in value)
    if isinstance(value, str) and '@' in value and '://' in value:
        return redact_url(value)
    return value
