"""Credential resolution and the factories that build backend clients from the environment.

One resolution pass (``resolve_credentials``) feeds both factories, so a single ``synapse login`` (or
the env block the plugin runtime injects) configures v1 and v2 alike. Environment variables always win
over ``~/.synapse/config.json``; the file fills in only what the environment leaves unset.

Priority, highest first (v2-only variables are never read by the v1 factory):

============  ========================================  ==================================================
setting       v1 ``create_backend_client``              v2 ``create_backend_v2_client``
============  ========================================  ==================================================
host          SYNAPSE_HOST, config ``host``, default    same
access token  SYNAPSE_ACCESS_TOKEN, config               SYNAPSE_ACCESS_TOKEN, SYNAPSE_BACKEND_V2_ACCESS_TOKEN,
              ``access_token``                          config ``access_token``
user (DRF)    SYNAPSE_PLUGIN_RUN_USER_TOKEN, config     SYNAPSE_PLUGIN_RUN_USER_TOKEN,
token         ``user_token``                            SYNAPSE_BACKEND_V2_DRF_TOKEN, config ``user_token``
tenant        SYNAPSE_PLUGIN_RUN_TENANT, config         SYNAPSE_PLUGIN_RUN_TENANT, SYNAPSE_BACKEND_V2_TENANT,
              ``tenant``                                config ``tenant``
url_host      SYNAPSE_PLUGIN_RUN_URL_HOST               same
============  ========================================  ==================================================

This module imports nothing heavy: the client classes are imported inside the factories, which the
plugin runtime calls when it builds a ``RuntimeContext``.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from synapse_sdk.clients.agent import AgentClient
    from synapse_sdk.clients.backend import BackendClient
    from synapse_sdk.clients.backend_v2 import BackendV2Client

__all__ = [
    'CONFIG_PATH_ENV',
    'CREDENTIAL_ENV_VARS',
    'DEFAULT_HOST',
    'ConfigFileError',
    'Credentials',
    'config_path',
    'create_agent_client',
    'create_backend_client',
    'create_backend_v2_client',
    'load_config',
    'resolve_credentials',
    'save_config',
]

logger = logging.getLogger('synapse_sdk.utils.auth')

DEFAULT_HOST = 'https://api.synapse.sh'
CONFIG_PATH_ENV = 'SYNAPSE_CONFIG_PATH'
CONFIG_KEYS = ('host', 'access_token', 'user_token', 'tenant')


class ConfigFileError(ValueError):
    """``~/.synapse/config.json`` exists but cannot be used (unreadable, not JSON, wrong shape)."""


def config_path() -> Path:
    """Where the CLI stores credentials: ``$SYNAPSE_CONFIG_PATH`` or ``~/.synapse/config.json``."""
    override = os.environ.get(CONFIG_PATH_ENV)
    if override:
        return Path(override).expanduser()
    return Path.home() / '.synapse' / 'config.json'


def load_config(path: Path | None = None, *, strict: bool = False) -> dict[str, str]:
    """Read the credentials file; a missing file is ``{}``.

    A malformed file is reported (``ConfigFileError`` when ``strict``, otherwise a warning naming the
    file) instead of being silently treated as empty.
    """
    path = path or config_path()
    try:
        raw = path.read_text(encoding='utf-8')
    except FileNotFoundError:
        return {}
    except OSError as exc:
        return _config_problem(f'cannot read {path}: {exc.strerror or exc}', strict)
    try:
        data = json.loads(raw) if raw.strip() else {}
    except json.JSONDecodeError as exc:
        return _config_problem(f'{path} is not valid JSON (line {exc.lineno}: {exc.msg})', strict)
    if not isinstance(data, dict):
        return _config_problem(f'{path} must hold a JSON object, found {type(data).__name__}', strict)
    return {k: str(v) for k, v in data.items() if k in CONFIG_KEYS and v not in (None, '')}


def _config_problem(message: str, strict: bool) -> dict[str, str]:
    if strict:
        raise ConfigFileError(message)
    logger.warning('ignoring Synapse config: %s', message)
    return {}


def save_config(values: dict[str, Any], path: Path | None = None) -> Path:
    """Merge ``values`` into the credentials file atomically, readable by the owner only (0600).

    Keys set to ``None`` are removed. Unknown keys raise ``ValueError``.
    """
    unknown = set(values) - set(CONFIG_KEYS)
    if unknown:
        raise ValueError(f'unknown config keys {sorted(unknown)}; allowed: {list(CONFIG_KEYS)}')
    path = path or config_path()
    current = load_config(path)
    for key, value in values.items():
        if value is None:
            current.pop(key, None)
        else:
            current[key] = str(value)
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd, tmp = tempfile.mkstemp(prefix='.config-', suffix='.json', dir=path.parent)
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, 'w', encoding='utf-8') as fh:
            json.dump(current, fh, indent=2, sort_keys=True)
            fh.write('\n')
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def _mask(value: str | None) -> str | None:
    if not value:
        return value
    return f'{value[:4]}***' if len(value) > 8 else '***'


@dataclass(frozen=True)
class Credentials:
    """Everything the factories need, resolved once. ``repr`` masks the tokens.

    ``sources`` maps each resolved field to where it came from (an env var name or ``config:<path>``),
    which ``synapse`` CLI diagnostics can show without revealing values.
    """

    host: str = DEFAULT_HOST
    access_token: str | None = field(default=None, repr=False)
    user_token: str | None = field(default=None, repr=False)
    tenant: str | None = None
    url_host: str | None = None
    v2_access_token: str | None = field(default=None, repr=False)
    v2_drf_token: str | None = field(default=None, repr=False)
    v2_tenant: str | None = None
    sources: dict[str, str] = field(default_factory=dict, compare=False)

    def __repr__(self) -> str:
        shown = []
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name == 'sources' or value is None:
                continue
            if 'token' in f.name:
                value = _mask(value)
            shown.append(f'{f.name}={value!r}')
        return f'Credentials({", ".join(shown)})'

    @property
    def has_v1_token(self) -> bool:
        return bool(self.access_token or self.user_token)

    @property
    def has_v2_token(self) -> bool:
        return bool(self.v2_access_token or self.v2_drf_token)


_ENV_V1 = {
    'host': ('SYNAPSE_HOST',),
    'access_token': ('SYNAPSE_ACCESS_TOKEN',),
    'user_token': ('SYNAPSE_PLUGIN_RUN_USER_TOKEN',),
    'tenant': ('SYNAPSE_PLUGIN_RUN_TENANT',),
    'url_host': ('SYNAPSE_PLUGIN_RUN_URL_HOST',),
}
_ENV_V2 = {
    'v2_access_token': ('SYNAPSE_ACCESS_TOKEN', 'SYNAPSE_BACKEND_V2_ACCESS_TOKEN'),
    'v2_drf_token': ('SYNAPSE_PLUGIN_RUN_USER_TOKEN', 'SYNAPSE_BACKEND_V2_DRF_TOKEN'),
    'v2_tenant': ('SYNAPSE_PLUGIN_RUN_TENANT', 'SYNAPSE_BACKEND_V2_TENANT'),
}
_ENV_AGENT = ('SYNAPSE_AGENT_URL', 'SYNAPSE_AGENT_TOKEN')

#: Every environment variable the factories read, in one place (tests clear them to isolate a run).
CREDENTIAL_ENV_VARS: tuple[str, ...] = (
    tuple(dict.fromkeys(name for table in (_ENV_V1, _ENV_V2) for names in table.values() for name in names))
    + _ENV_AGENT
)

_CONFIG_KEY_FOR = {
    'host': 'host',
    'access_token': 'access_token',
    'user_token': 'user_token',
    'tenant': 'tenant',
    'v2_access_token': 'access_token',
    'v2_drf_token': 'user_token',
    'v2_tenant': 'tenant',
}


def resolve_credentials(env: dict[str, str] | None = None, config: Path | None = None) -> Credentials:
    """Resolve host, tokens and tenant for both clients in one pass (see the module table).

    ``env`` defaults to ``os.environ``; ``config`` to ``config_path()``. The config file is read only
    when some field is left unset by the environment.
    """
    env = dict(os.environ if env is None else env)
    values: dict[str, str | None] = {}
    sources: dict[str, str] = {}
    for name, variables in {**_ENV_V1, **_ENV_V2}.items():
        for variable in variables:
            if env.get(variable):
                values[name] = env[variable]
                sources[name] = variable
                break
    missing = [name for name in _CONFIG_KEY_FOR if not values.get(name)]
    if missing:
        path = config or (Path(env[CONFIG_PATH_ENV]).expanduser() if env.get(CONFIG_PATH_ENV) else None)
        path = path or config_path()
        file_values = load_config(path)
        for name in missing:
            value = file_values.get(_CONFIG_KEY_FOR[name])
            if value:
                values[name] = value
                sources[name] = f'config:{path}'
    host = values.pop('host', None) or DEFAULT_HOST
    sources.setdefault('host', 'default')
    return Credentials(host=host.rstrip('/'), sources=sources, **values)


def create_backend_client(credentials: Credentials | None = None) -> BackendClient | None:
    """A v1 ``BackendClient`` for the resolved credentials, or ``None`` when no token is available.

    A user (DRF) token, when present, is sent as ``Authorization: Token`` and replaces the access
    token, matching what the plugin runtime injects.
    """
    creds = credentials or resolve_credentials()
    if not creds.has_v1_token:
        return None
    from synapse_sdk.clients.backend import BackendClient

    if creds.user_token:
        return BackendClient(
            creds.host, authorization_token=creds.user_token, tenant=creds.tenant, url_host=creds.url_host
        )
    return BackendClient(
        creds.host, access_token=creds.access_token, tenant=creds.tenant, url_host=creds.url_host
    )


def create_backend_v2_client(credentials: Credentials | None = None) -> BackendV2Client | None:
    """A ``BackendV2Client`` for the resolved credentials, or ``None`` when no token is available.

    ``tenant_token_prefix=True`` is forced: plugin-runtime deployments route tenants by the v1-style
    ``SYNAPSE-Tenant: Token <code>`` header. Build ``BackendV2Client`` directly for the raw form.
    """
    creds = credentials or resolve_credentials()
    if not creds.has_v2_token:
        return None
    from synapse_sdk.clients.backend_v2 import BackendV2Client

    return BackendV2Client(
        creds.host,
        access_token=creds.v2_access_token,
        drf_token=creds.v2_drf_token,
        tenant=creds.v2_tenant,
        tenant_token_prefix=True,
        url_host=creds.url_host,
    )


def create_agent_client() -> AgentClient | None:
    """An ``AgentClient`` from ``SYNAPSE_AGENT_URL`` + ``SYNAPSE_AGENT_TOKEN``, or ``None`` if either is unset.

    The user token and tenant of the resolved credentials are forwarded when present.
    """
    url, token = (os.environ.get(name) for name in _ENV_AGENT)
    if not url or not token:
        return None
    from synapse_sdk.clients.agent import AgentClient

    creds = resolve_credentials()
    return AgentClient(url, token, user_token=creds.user_token, tenant=creds.tenant)
