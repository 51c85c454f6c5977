"""``synapse doctor``: is this machine ready to build, run and publish plugins? Each problem comes with a fix."""

from __future__ import annotations

import sys
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING

import click

from synapse_sdk.cli.localized import LocalizedCommand
from synapse_sdk.cli.messages import t
from synapse_sdk.cli.options import debug_option, json_option, lang_option
from synapse_sdk.cli.output import get_output

if TYPE_CHECKING:
    from synapse_sdk.utils.auth import Credentials

OK, WARN, FAIL, SKIP = 'ok', 'warn', 'fail', 'skip'

# Distributions the CLI cannot work without; what the others enable is said by `cli.doctor.why.<name>`.
REQUIRED = ('synapse-core', 'synapse-clients', 'synapse-cli', 'synapse-testing')


@dataclass
class Check:
    name: str
    status: str
    detail: str
    fix: str = ''


@click.command(cls=LocalizedCommand)
@click.option('--offline', is_flag=True, help='Skip the checks that contact the backend.')
@click.option(
    '--timeout', type=float, default=5.0, show_default=True, help='Seconds to wait for the backend.'
)
@lang_option
@json_option
@debug_option
def doctor(offline: bool, timeout: float, language: str) -> None:
    """Check the installation of each distribution, credentials, backend reachability and Ray.

    Each check passes, warns (an optional piece is missing), is skipped or fails; the last line counts
    each kind. Exits 1 when a check fails (a required piece is missing, the config file is broken, the
    backend rejects the token or cannot be reached), else 0.
    """
    out = get_output()
    checks = [_python_check(language), *_distribution_checks(language)]
    credential_checks, creds = _credential_checks(language)
    checks += credential_checks
    checks.append(_backend_check(creds, offline, timeout, language))
    checks.append(_ray_check(language))
    counts = {status: sum(c.status == status for c in checks) for status in (OK, WARN, SKIP, FAIL)}
    if out.json_mode:
        summary = {
            'passed': counts[OK],
            'warnings': counts[WARN],
            'skipped': counts[SKIP],
            'failed': counts[FAIL],
        }
        out.emit_json({'ok': not counts[FAIL], 'summary': summary, 'checks': [asdict(c) for c in checks]})
    else:
        colours = {OK: 'green', WARN: 'yellow', FAIL: 'red', SKIP: None}
        for check in checks:
            status = click.style(f'[{check.status.upper():4}]', fg=colours[check.status])
            out.echo(f'{status} {_label(check.name, language)}: {check.detail}')
            if check.fix and check.status != OK:
                out.echo(f'       {t("cli.doctor.fix", language)}: {check.fix}')
        out.echo(
            t('cli.doctor.summary', language, total=len(checks), passed=counts[OK], warned=counts[WARN],
              skipped=counts[SKIP], failed=counts[FAIL]),
            fg='red' if counts[FAIL] else None,
        )  # fmt: skip
    if counts[FAIL]:
        raise click.exceptions.Exit(1)


def _label(name: str, language: str) -> str:
    """A check's name as shown: distributions by their name, the other checks in `language`.

    ``--json`` keeps the names themselves (``config file``, ``backend`` ...), for scripts."""
    return name if name.startswith('synapse') else t(f'cli.doctor.check.{name.replace(" ", "_")}', language)


def _python_check(language: str) -> Check:
    """Which interpreter runs the CLI: plugins run with it in --mode local, so it matters which one."""
    version = '.'.join(map(str, sys.version_info[:3]))
    return Check('python', OK, t('cli.doctor.python', language, version=version, path=sys.executable))


def _distribution_checks(language: str) -> list[Check]:
    from synapse_sdk.cli.versions import installed_distributions

    checks = []
    for name, version in installed_distributions().items():
        if version:
            checks.append(Check(name, OK, t('cli.doctor.installed', language, version=version)))
        elif name in REQUIRED:
            checks.append(Check(name, FAIL, t('cli.doctor.not_installed', language), f'pip install {name}'))
        else:
            why = t(f'cli.doctor.why.{name}', language)
            checks.append(
                Check(name, WARN, t('cli.doctor.optional', language, why=why), f'pip install {name}')
            )
    return checks


def _credential_checks(language: str) -> tuple[list[Check], Credentials]:
    from synapse_sdk.utils.auth import ConfigFileError, config_path, load_config, resolve_credentials

    path = config_path()
    checks: list[Check] = []
    try:
        load_config(path, strict=True)
    except ConfigFileError as exc:
        checks.append(
            Check('config file', FAIL, str(exc), t('cli.doctor.config_broken_fix', language, path=path))
        )
    else:
        if path.exists():
            mode = path.stat().st_mode & 0o777
            if mode & 0o077:
                checks.append(
                    Check(
                        'config file',
                        WARN,
                        t('cli.doctor.config_readable', language, path=path, mode=f'{mode:o}'),
                        f'chmod 600 {path}',
                    )
                )
            else:
                checks.append(Check('config file', OK, str(path)))
        else:
            checks.append(
                Check(
                    'config file', WARN, t('cli.doctor.config_missing', language, path=path), 'synapse login'
                )
            )
    creds = resolve_credentials()
    if creds.has_v1_token or creds.has_v2_token:
        sources = sorted(
            {creds.sources.get(k, '') for k in ('access_token', 'user_token') if creds.sources.get(k)}
        )
        config_file = t('cli.doctor.config_file', language)
        where = ', '.join(config_file if s.startswith('config:') else f'${s}' for s in sources)
        checks.append(Check('credentials', OK, t('cli.doctor.token', language, host=creds.host, where=where)))
    else:
        checks.append(Check('credentials', WARN, t('cli.doctor.no_token', language), 'synapse login'))
    return checks, creds


def _backend_check(creds: Credentials, offline: bool, timeout: float, language: str) -> Check:
    if offline:
        return Check('backend', SKIP, t('cli.doctor.offline', language))
    if not (creds.has_v1_token or creds.has_v2_token):
        return Check('backend', SKIP, t('cli.doctor.no_credentials', language), 'synapse login')
    from synapse_sdk.cli.commands.credentials import verify_token

    result = verify_token(
        creds.host,
        access_token=creds.v2_access_token or creds.access_token,
        user_token=creds.v2_drf_token or creds.user_token,
        tenant=creds.v2_tenant or creds.tenant,
        timeout=timeout,
        language=language,
    )
    if result.status == 'ok':
        return Check('backend', OK, f'{creds.host}: {result.detail}')
    if result.status == 'rejected':
        return Check('backend', FAIL, result.detail, t('cli.doctor.rejected_fix', language))
    # Credentials are set up but cannot be used: every backend command would fail the same way.
    return Check('backend', FAIL, result.detail, t('cli.doctor.unreachable_fix', language))


def _ray_check(language: str) -> Check:
    """Whether Ray is importable, without importing it (that alone takes seconds)."""
    import importlib.util
    from importlib import metadata

    if importlib.util.find_spec('ray') is None:
        return Check('ray', WARN, t('cli.doctor.no_ray', language), 'pip install "synapse-sdk[ray]"')
    try:
        version = metadata.version('ray')
    except metadata.PackageNotFoundError:
        version = t('cli.doctor.unknown_version', language)
    try:
        metadata.version('synapse-executors-ray')
    except metadata.PackageNotFoundError:
        return Check(
            'ray',
            WARN,
            t('cli.doctor.ray_without_executors', language, version=version),
            'pip install synapse-executors-ray',
        )
    return Check('ray', OK, t('cli.doctor.ray_ok', language, version=version))
