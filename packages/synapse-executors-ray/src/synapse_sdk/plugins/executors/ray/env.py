"""Which environment variables travel from the submitter to Ray workers, and by which path.

Only an explicit allow-list travels (never the whole ``os.environ``: the reference SDK once shipped
``GITHUB_TOKEN`` into job records that way). What travels is split in two:

* **public** values (host, tenant, language ...) go into the Ray ``runtime_env['env_vars']``, where Ray
  shows them in the dashboard and the job record like any other runtime env setting;
* **secret** values (any name that looks like a token, password, key ...) never enter a runtime env.
  Task mode hands them to the actor as a call argument; job mode seals them in a one-off blob in the
  cluster's internal key-value store that the job driver reads once and deletes (see `secrets`).

In both modes the worker puts them into its own process environment before the core builds the
`RuntimeContext`, so the v1/v2 clients are created there from the worker's environment.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from synapse_sdk.security.redaction import MASK, is_secret_key

__all__ = ['DEFAULT_ENV_ALLOWLIST', 'WorkerEnv', 'collect_worker_env']

#: Variables read from the submitter's environment when set. Anything else must be named through
#: ``env_allowlist=`` or passed explicitly with ``env=``.
DEFAULT_ENV_ALLOWLIST: tuple[str, ...] = (
    'SYNAPSE_HOST',
    'SYNAPSE_ACCESS_TOKEN',
    'SYNAPSE_PLUGIN_RUN_USER_TOKEN',
    'SYNAPSE_PLUGIN_RUN_TENANT',
    'SYNAPSE_PLUGIN_RUN_URL_HOST',
    'SYNAPSE_BACKEND_V2_ACCESS_TOKEN',
    'SYNAPSE_BACKEND_V2_DRF_TOKEN',
    'SYNAPSE_BACKEND_V2_TENANT',
    'SYNAPSE_AGENT_URL',
    'SYNAPSE_AGENT_TOKEN',
    'SYNAPSE_LANGUAGE',
)


@dataclass(frozen=True)
class WorkerEnv:
    """The variables for a worker, split by how they may travel. `repr` masks the secret values."""

    public: dict[str, str] = field(default_factory=dict)
    secret: dict[str, str] = field(default_factory=dict, repr=False)

    def __repr__(self) -> str:
        return f'WorkerEnv(public={self.public!r}, secret={ {k: MASK for k in self.secret}!r})'

    @property
    def names(self) -> list[str]:
        return sorted({*self.public, *self.secret})


def collect_worker_env(
    env: Mapping[str, object] | None = None,
    *,
    allowlist: Iterable[str] = (),
    environ: Mapping[str, str] | None = None,
) -> WorkerEnv:
    """Pick the variables that travel and split them into public and secret ones.

    `env` (the executor's explicit ``env=``) travels as given, values turned into strings. From
    `environ` (default ``os.environ``) only the names in `DEFAULT_ENV_ALLOWLIST` and `allowlist` are
    taken, and only when `env` does not already set them.
    """
    source = os.environ if environ is None else environ
    chosen: dict[str, str] = {}
    for name in (*DEFAULT_ENV_ALLOWLIST, *allowlist):
        value = source.get(name)
        if value not in (None, ''):
            chosen[name] = value
    for key, given in (env or {}).items():
        if given is None:
            continue
        chosen[str(key)] = given if isinstance(given, str) else _to_text(given)
    public = {k: v for k, v in chosen.items() if not is_secret_key(k)}
    secret = {k: v for k, v in chosen.items() if is_secret_key(k)}
    return WorkerEnv(public, secret)


def _to_text(value: object) -> str:
    if isinstance(value, bool):
        return 'true' if value else 'false'
    if isinstance(value, dict | list):
        import json

        return json.dumps(value)
    return str(value)
