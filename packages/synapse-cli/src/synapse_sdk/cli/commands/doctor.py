"""``synapse doctor``: is this machine ready to build, run and publish plugins? Each problem comes with a fix."""

from __future__ import annotations

import sys
from dataclasses import asdict, dataclass

import click

from synapse_sdk.cli.options import debug_option, json_option
from synapse_sdk.cli.output import get_output

OK, WARN, FAIL, SKIP = 'ok', 'warn', 'fail', 'skip'

# Distributions the CLI cannot work without; the others only enable some commands.
REQUIRED = ('synapse-core', 'synapse-clients', 'synapse-cli')
ENABLES = {
    'synapse-sdk': 'the meta-package (optional)',
    'synapse-storage': 'needed by plugin publish (archives)',
    'synapse-converters': 'needed by synapse convert',
    'synapse-executors-ray': 'needed by plugin run --mode task|job',
}


@dataclass
class Check:
    name: str
    status: str
    detail: str
    fix: str = ''


@click.command()
@click.option('--offline', is_flag=True, help='Skip the checks that contact the backend.')
@click.option(
    '--timeout', type=float, default=5.0, show_default=True, help='Seconds to wait for the backend.'
)
@json_option
@debug_option
def doctor(offline: bool, timeout: float) -> None:
    """Check the installation of each distribution, credentials, backend reachability and Ray.

    Exits non-zero when a check fails; warnings (an optional piece missing) do not fail.
    """
    out = get_output()
    checks = [_python_check(), *_distribution_checks()]
    credential_checks, creds = _credential_checks()
    checks += credential_checks
    checks.append(_backend_check(creds, offline, timeout))
    checks.append(_ray_check())
    failed = [c for c in checks if c.status == FAIL]
    if out.json_mode:
        out.emit_json({'ok': not failed, 'checks': [asdict(c) for c in checks]})
    else:
        colours = {OK: 'green', WARN: 'yellow', FAIL: 'red', SKIP: None}
        for check in checks:
            status = click.style(f'[{check.status.upper():4}]', fg=colours[check.status])
            out.echo(f'{status} {check.name}: {check.detail}')
            if check.fix and check.status != OK:
                out.echo(f'       fix: {check.fix}')
        summary = f'{len(checks) - len(failed)} of {len(checks)} checks passed'
        out.echo(summary + ('' if not failed else f'; {len(failed)} failed'))
    if failed:
        raise click.exceptions.Exit(1)


def _python_check() -> Check:
    """Which interpreter runs the CLI: plugins run with it in --mode local, so it matters which one."""
    version = '.'.join(map(str, sys.version_info[:3]))
    return Check('python', OK, f'Python {version} at {sys.executable}')


def _distribution_checks() -> list[Check]:
    from synapse_sdk.cli.versions import installed_distributions

    checks = []
    for name, version in installed_distributions().items():
        if version:
            checks.append(Check(name, OK, f'installed, version {version}'))
        elif name in REQUIRED:
            checks.append(Check(name, FAIL, 'not installed', f'pip install {name}'))
        else:
            checks.append(
                Check(name, WARN, f'not installed ({ENABLES.get(name, "optional")})', f'pip install {name}')
            )
    return checks


def _credential_checks():
    from synapse_sdk.utils.auth import ConfigFileError, config_path, load_config, resolve_credentials

    path = config_path()
    checks = []
    try:
        load_config(path, strict=True)
    except ConfigFileError as exc:
        checks.append(Check('config file', FAIL, str(exc), f'Fix or delete {path}, then run: synapse login'))
    else:
        if path.exists():
            mode = path.stat().st_mode & 0o777
            if mode & 0o077:
                checks.append(
                    Check(
                        'config file',
                        WARN,
                        f'{path} is readable by others (mode {mode:o})',
                        f'chmod 600 {path}',
                    )
                )
            else:
                checks.append(Check('config file', OK, str(path)))
        else:
            checks.append(Check('config file', WARN, f'{path} does not exist', 'synapse login'))
    creds = resolve_credentials()
    if creds.has_v1_token or creds.has_v2_token:
        sources = sorted(
            {creds.sources.get(k, '') for k in ('access_token', 'user_token') if creds.sources.get(k)}
        )
        where = ', '.join('config file' if s.startswith('config:') else f'${s}' for s in sources)
        checks.append(Check('credentials', OK, f'token for {creds.host} (from {where})'))
    else:
        checks.append(Check('credentials', WARN, 'no access token found', 'synapse login'))
    return checks, creds


def _backend_check(creds, offline: bool, timeout: float) -> Check:
    if offline:
        return Check('backend', SKIP, 'skipped (--offline)')
    if not (creds.has_v1_token or creds.has_v2_token):
        return Check('backend', SKIP, 'skipped (no credentials)', 'synapse login')
    from synapse_sdk.cli.commands.credentials import verify_token

    result = verify_token(
        creds.host,
        access_token=creds.v2_access_token or creds.access_token,
        user_token=creds.v2_drf_token or creds.user_token,
        tenant=creds.v2_tenant or creds.tenant,
        timeout=timeout,
    )
    if result.status == 'ok':
        return Check('backend', OK, f'{creds.host}: {result.detail}')
    if result.status == 'rejected':
        return Check('backend', FAIL, result.detail, 'synapse login (with a valid token)')
    return Check('backend', WARN, result.detail, 'Check your network and the host (synapse config show).')


def _ray_check() -> Check:
    """Whether Ray is importable, without importing it (that alone takes seconds)."""
    import importlib.util
    from importlib import metadata

    if importlib.util.find_spec('ray') is None:
        return Check(
            'ray', WARN, 'not installed (only --mode local is available)', 'pip install "synapse-sdk[ray]"'
        )
    try:
        version = metadata.version('ray')
    except metadata.PackageNotFoundError:
        version = 'unknown version'
    try:
        metadata.version('synapse-executors-ray')
    except metadata.PackageNotFoundError:
        return Check(
            'ray',
            WARN,
            f'ray {version} found but synapse-executors-ray is missing',
            'pip install synapse-executors-ray',
        )
    return Check('ray', OK, f'ray {version} available for --mode task|job')
