"""``synapse plugin publish``: validate, archive (honouring ignore files) and upload a plugin release.

``--dry-run`` shows exactly what would be uploaded and changes no file: the archive is built in a
temporary directory outside the plugin, and bytecode writing is switched off while the plugin's
modules are imported for validation, so no ``__pycache__`` appears either.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from synapse_sdk.cli.errors import EXIT_INPUT, CliError, missing_dependency
from synapse_sdk.cli.localized import LocalizedCommand
from synapse_sdk.cli.messages import t
from synapse_sdk.cli.options import debug_option, json_option, lang_option
from synapse_sdk.cli.output import Output, get_output, is_interactive

if TYPE_CHECKING:
    from synapse_sdk.clients.backend import BackendClient
    from synapse_sdk.plugins.config import PluginConfig


@click.command(cls=LocalizedCommand)
@click.option(
    '--path',
    'plugin_path',
    type=click.Path(file_okay=False, exists=True, path_type=Path),
    default=Path('.'),
    help='Plugin directory with a config.yaml (default: the current directory).',
)
@click.option('--dry-run', is_flag=True, help='Show what would be uploaded; upload nothing, change no file.')
@click.option('--debug-release', is_flag=True, help='Mark the release as a debug build.')
@click.option('--yes', '-y', is_flag=True, help='Do not ask for confirmation on a terminal.')
@lang_option
@json_option
@debug_option
def publish(plugin_path: Path, dry_run: bool, debug_release: bool, yes: bool, language: str) -> None:
    """Archive the plugin and upload it to the backend as a plugin release.

    Files matched by .gitignore and .synapseignore (and caches, virtualenvs, VCS folders) are left
    out. The plugin is validated first; a plugin with problems is not published.
    """
    previous = sys.dont_write_bytecode
    sys.dont_write_bytecode = True  # importing the plugin to validate it must not write __pycache__
    try:
        _publish(plugin_path, dry_run, debug_release, yes)
    finally:
        sys.dont_write_bytecode = previous


def _publish(plugin_path: Path, dry_run: bool, debug_release: bool, yes: bool) -> None:
    try:
        from synapse_sdk.utils.file import calculate_checksum, create_archive, iter_archive_files
    except ImportError as exc:
        raise missing_dependency('synapse plugin publish', 'synapse-storage', exc) from None
    from synapse_sdk.cli.commands.plugin_validate import check_plugin
    from synapse_sdk.cli.options import resolve_plugin_source
    from synapse_sdk.plugins.discovery import PluginDiscovery
    from synapse_sdk.plugins.utils import read_requirements, redact_requirement

    out = get_output()
    source = resolve_plugin_source(plugin_path, None)
    plugin_dir = Path(source)
    report = check_plugin(source)
    if report['problems']:
        raise CliError(
            t('cli.publish.invalid', count=len(report['problems'])),
            details=[
                f'{p["where"]}: {p["message"]}' if p['where'] else p['message'] for p in report['problems']
            ],
            hint=t('cli.publish.invalid_hint'),
            exit_code=EXIT_INPUT,
            kind='invalid_plugin',
        )
    config = PluginDiscovery.from_path(plugin_dir).config
    requirements = read_requirements(plugin_dir / 'requirements.txt') or []
    files = [arcname for arcname, _ in iter_archive_files(plugin_dir)]

    with tempfile.TemporaryDirectory(prefix='synapse-publish-') as tmp:
        archive = create_archive(plugin_dir, Path(tmp) / f'{config.code}-{config.version}.zip')
        summary: dict[str, Any] = {
            'plugin': config.code,
            'version': config.version,
            'category': config.category.value,
            'files': files,
            'archive_bytes': archive.stat().st_size,
            'checksum_md5': calculate_checksum(archive),
            'requirements': [redact_requirement(r) for r in requirements],
            'debug': debug_release,
        }
        if dry_run:
            _show(out, summary, dry_run=True)
            return
        client, host = _client()
        if is_interactive() and not yes and not out.json_mode:
            _show(out, summary, dry_run=False)
            click.confirm(
                t('cli.publish.confirm', plugin=config.code, version=config.version, host=host), abort=True
            )
        release = _upload(client, config, requirements, debug_release, archive)
    summary['release'] = {'id': release.get('id'), 'file': release.get('file')}
    if out.json_mode:
        out.emit_json({'ok': True, 'dry_run': False, 'host': host, **summary})
        return
    out.success(
        t(
            'cli.publish.done',
            plugin=config.code,
            version=config.version,
            host=host,
            release=release.get('id'),
        )
    )


def _client() -> tuple[BackendClient, str]:
    from synapse_sdk.utils.auth import create_backend_client, resolve_credentials

    creds = resolve_credentials()
    client = create_backend_client(creds)
    if client is None:
        raise CliError(
            t('cli.backend.no_token', host=creds.host),
            hint=t('cli.publish.no_token_hint'),
            exit_code=EXIT_INPUT,
            kind='no_credentials',
        )
    return client, creds.host


def _upload(
    client: BackendClient, config: PluginConfig, requirements: list[str], debug_release: bool, archive: Path
) -> dict[str, Any]:
    from synapse_sdk.clients import exceptions as client_errors

    data = {
        'plugin': config.code,
        'version': config.version,
        'config': config.model_dump(mode='json'),
        'requirements': requirements,
        'debug': debug_release,
    }
    try:
        return client.create_plugin_release(data, file=archive)
    except (client_errors.ValidationError, client_errors.ConflictError) as exc:
        raise CliError(
            t('cli.publish.refused', plugin=config.code, version=config.version, reason=exc),
            hint=t('cli.publish.refused_hint'),
            kind='release_refused',
        ) from None
    except client_errors.AuthenticationError:
        raise CliError(t('cli.backend.token_rejected'), hint=t('cli.backend.token_rejected_hint')) from None


def _show(out: Output, summary: dict[str, Any], *, dry_run: bool) -> None:
    if out.json_mode:
        out.emit_json({'ok': True, 'dry_run': True, **summary})
        return
    title = 'cli.publish.dry_run_title' if dry_run else 'cli.publish.title'
    out.echo(
        t(title, plugin=summary['plugin'], version=summary['version'], category=summary['category']),
        bold=True,
    )
    out.echo(
        t('cli.publish.archive', files=len(summary['files']), size=summary['archive_bytes'],
          md5=summary['checksum_md5'])
    )  # fmt: skip
    for name in summary['files']:
        out.echo(f'  {name}')
    if summary['requirements']:
        out.echo(t('cli.publish.requirements', requirements=', '.join(summary['requirements'])))
    if dry_run:
        out.echo(t('cli.publish.nothing_uploaded'))
