"""Shared by ``login``, ``config show`` and ``doctor``: masking and verifying stored credentials.

The file format and its location (``~/.synapse/config.json``, or ``$SYNAPSE_CONFIG_PATH``) belong to
`synapse_sdk.utils.auth` in synapse-clients, which the backend client factories read: the CLI writes
through the same functions so the two can never disagree.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from synapse_sdk.clients import RetryPolicy

SECRET_KEYS = ('access_token', 'user_token')


def mask(value: str | None) -> str:
    """A token shown as its first 4 characters and its length; never the whole value."""
    from synapse_sdk.cli.messages import t

    if not value:
        return t('cli.config.not_set')
    shown = value[:4] if len(value) >= 12 else ''
    return t('cli.config.masked', shown=shown, length=len(value))


@dataclass
class Verification:
    """Outcome of checking a token against the backend.

    ``ok`` (the backend named the user), ``rejected`` (401/403), ``unreachable`` (no HTTP answer:
    refused, unknown host, timeout, TLS) or ``unexpected`` (an answer that is not a user, e.g. the
    URL is not a Synapse backend). Only ``ok`` means the token works.
    """

    status: str
    detail: str
    user: dict[str, Any] | None = None


def verify_token(
    host: str,
    *,
    access_token: str | None,
    user_token: str | None = None,
    tenant: str | None = None,
    timeout: float = 5.0,
    language: str | None = None,
) -> Verification:
    """Ask the backend who the token belongs to (``GET /v2/users/me/``).

    Never raises for network trouble: ``login`` and ``doctor`` turn each outcome into their own words.
    """
    from synapse_sdk.cli.messages import t
    from synapse_sdk.clients import exceptions as client_errors
    from synapse_sdk.clients.backend_v2 import BackendV2Client

    client = BackendV2Client(
        host,
        retry=_quick_retry(timeout),
        access_token=access_token,
        drf_token=user_token,
        tenant=tenant,
        tenant_token_prefix=True,
        timeout=timeout,
        allow_insecure=True,
    )
    try:
        me = client.users.me()
    except (client_errors.AuthenticationError, client_errors.AuthorizationError) as exc:
        detail = t('cli.verify.rejected', language, host=host, status=exc.status_code)
        return Verification('rejected', detail)
    except client_errors.ClientConnectionError as exc:
        reason = t(f'cli.verify.reason.{_network_reason(exc)}', language, timeout=timeout)
        return Verification('unreachable', t('cli.verify.unreachable', language, host=host, reason=reason))
    except client_errors.ClientError as exc:
        status = getattr(exc, 'status_code', None) or '?'
        return Verification('unexpected', t('cli.verify.answered', language, host=host, status=status))
    finally:
        close = getattr(client, 'close', None)
        if callable(close):
            close()
    user = me.model_dump(mode='json') if hasattr(me, 'model_dump') else dict(me)
    who = user.get('email') or user.get('username') or user.get('name') or f'user {user.get("id", "?")}'
    return Verification('ok', t('cli.verify.ok', language, who=who), user)


def _network_reason(exc: BaseException) -> str:
    """Why no answer came, from the exception chain: ``refused``, ``dns``, ``timeout``, ``tls`` or ``other``."""
    import socket
    import ssl

    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, ConnectionRefusedError):
            return 'refused'
        if isinstance(current, socket.gaierror):
            return 'dns'
        if isinstance(current, TimeoutError) or 'Timeout' in type(current).__name__:
            return 'timeout'
        if isinstance(current, ssl.SSLError):
            return 'tls'
        current = current.__cause__ or current.__context__
    return 'other'


def _quick_retry(timeout: float) -> RetryPolicy:
    """One retry at most, bounded by `timeout`: a person is waiting for ``login`` or ``doctor``."""
    from synapse_sdk.clients import RetryPolicy

    return RetryPolicy(max_attempts=2, backoff_base=0.2, total_timeout=timeout)
