"""The one place a Ray ``runtime_env`` is built, for every Ray executor (actor, job, pipeline, Serve).

It merges the caller's ``runtime_env`` with the working dir (checked for size first, see `workdir`),
the plugin's requirements and the *public* part of the worker environment. Secret values are taken
out here and returned separately: they never enter a runtime env (see `env`). Nothing is printed;
requirement lines can hold private index URLs with credentials.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from synapse_sdk.plugins.executors.ray.env import WorkerEnv, collect_worker_env
from synapse_sdk.plugins.executors.ray.workdir import (
    MAX_WORKING_DIR_BYTES,
    WorkingDirReport,
    check_working_dir,
)
from synapse_sdk.security.redaction import redact_url

__all__ = ['RuntimeEnvPlan', 'plan_runtime_env', 'read_requirements', 'upload_working_dir']


@dataclass(frozen=True)
class RuntimeEnvPlan:
    """A runtime env without secrets, the secrets kept apart, and the working-dir measurement."""

    runtime_env: dict[str, Any]
    worker_env: WorkerEnv
    working_dir: WorkingDirReport | None = None
    requirements: list[str] = field(default_factory=list, repr=False)


def read_requirements(path: str | os.PathLike[str]) -> list[str] | None:
    """Requirement lines of a ``requirements.txt`` (comments and blanks dropped); None if absent.

    Never printed or logged: a line such as ``--extra-index-url https://user:token@host`` is a secret.
    """
    p = Path(path)
    if not p.is_file():
        return None
    lines = []
    for raw in p.read_text(encoding='utf-8').splitlines():
        line = raw.split(' #', 1)[0].strip()
        if line and not line.startswith('#'):
            lines.append(line)
    return lines


def plan_runtime_env(
    *,
    runtime_env: Mapping[str, Any] | None = None,
    working_dir: str | os.PathLike[str] | None = None,
    requirements_file: str | os.PathLike[str] | None = None,
    env: Mapping[str, object] | None = None,
    env_allowlist: Iterable[str] = (),
    excludes: Iterable[str] = (),
    default_excludes: bool = True,
    max_working_dir_bytes: int = MAX_WORKING_DIR_BYTES,
    environ: Mapping[str, str] | None = None,
) -> RuntimeEnvPlan:
    """Build the runtime env for a worker.

    * ``runtime_env['env_vars']`` and `env` go through the allow-list split: only the public values
      stay in the runtime env, secret-looking ones move to ``plan.worker_env.secret``;
    * a local `working_dir` (argument or ``runtime_env['working_dir']``) is measured and refused over
      `max_working_dir_bytes`; the exclusions used are written to ``runtime_env['excludes']``;
    * `requirements_file` (default ``<working_dir>/requirements.txt`` when present) becomes
      ``runtime_env['pip']`` unless the caller already set ``pip``, ``uv`` or ``conda``.
    """
    renv: dict[str, Any] = {k: v for k, v in dict(runtime_env or {}).items() if k != 'env_vars'}
    declared_vars = dict((runtime_env or {}).get('env_vars') or {})
    worker_env = collect_worker_env(
        {**declared_vars, **dict(env or {})}, allowlist=env_allowlist, environ=environ
    )
    if worker_env.public:
        renv['env_vars'] = dict(worker_env.public)

    report = None
    wd = working_dir if working_dir is not None else renv.get('working_dir')
    if wd is not None and '://' not in str(wd):
        report = check_working_dir(
            wd,
            excludes=[*renv.get('excludes', ()), *excludes],
            default_excludes=default_excludes,
            limit=max_working_dir_bytes,
        )
        renv['working_dir'] = report.path
        renv['excludes'] = report.excludes
    elif wd is not None:
        renv['working_dir'] = str(wd)

    requirements: list[str] = []
    source: dict[str, object] = {'pip': "runtime_env['pip']", 'uv': "runtime_env['uv']"}
    if not any(k in renv for k in ('pip', 'uv', 'conda')):
        req_path = requirements_file
        if req_path is None and report is not None:
            req_path = Path(report.path) / 'requirements.txt'
        if req_path is not None:
            found = read_requirements(req_path)
            if found is None and requirements_file is not None:
                raise FileNotFoundError(f'Requirements file not found: {requirements_file}')
            requirements = found or []
            if requirements:
                renv['pip'] = list(requirements)
                source['pip'] = req_path
    for key in ('pip', 'uv'):
        _refuse_embedded_credentials(renv.get(key), source[key])
    return RuntimeEnvPlan(renv, worker_env, report, requirements)


def _refuse_embedded_credentials(spec: Any, source: object) -> None:
    """Requirement lines end up in the runtime env, which Ray displays: no ``user:pass@`` URLs there."""
    packages = spec.get('packages') if isinstance(spec, Mapping) else spec
    if not isinstance(packages, list | tuple):
        return
    for number, line in enumerate(packages, 1):
        if isinstance(line, str) and redact_url(line) != line:
            raise ValueError(
                f'Requirement {number} of {source} embeds credentials in a URL; Ray would show them in '
                'the job record. Configure the private index on the cluster instead (pip.conf, '
                'PIP_INDEX_URL/PIP_EXTRA_INDEX_URL on the nodes, or a .netrc).'
            )


def upload_working_dir(runtime_env: dict[str, Any]) -> dict[str, Any]:
    """Return a copy of `runtime_env` whose local ``working_dir`` is uploaded and replaced by its URI.

    Ray accepts local directories only at job level (``ray.init``/Jobs API); actors need a package
    URI. The package is content-addressed, so an unchanged directory is uploaded once per cluster.
    Needs a connected Ray (``ray.init`` done).
    """
    wd = runtime_env.get('working_dir')
    if wd is None or '://' in str(wd):
        return dict(runtime_env)
    try:
        from ray._private.runtime_env import packaging
    except ImportError as exc:  # pragma: no cover - Ray moved its internals
        raise ImportError(
            'This Ray version does not expose ray._private.runtime_env.packaging; pass a working_dir '
            'URI (gcs://, s3://, https://...zip) instead of a local path'
        ) from exc
    excludes = list(runtime_env.get('excludes') or [])
    include_gitignore = os.environ.get('RAY_RUNTIME_ENV_IGNORE_GITIGNORE', '0') != '1'
    uri = packaging.get_uri_for_directory(wd, include_gitignore=include_gitignore, excludes=excludes)
    import tempfile

    with tempfile.TemporaryDirectory(prefix='synapse-pkg-') as scratch:
        packaging.upload_package_if_needed(
            uri, scratch, wd, include_gitignore=include_gitignore, excludes=excludes, logger=None
        )
    out = {k: v for k, v in runtime_env.items() if k != 'excludes'}
    out['working_dir'] = uri
    return out
