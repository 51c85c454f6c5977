"""``synapse config show``: what the SDK will use to reach the backend, with tokens masked."""

from __future__ import annotations

import click

from synapse_sdk.cli.localized import LocalizedCommand, LocalizedGroup
from synapse_sdk.cli.messages import t
from synapse_sdk.cli.options import debug_option, json_option, lang_option
from synapse_sdk.cli.output import get_output


@click.group(cls=LocalizedGroup)
@lang_option
def config(language: str) -> None:
    """Inspect the stored configuration."""


@config.command('show', cls=LocalizedCommand)
@lang_option
@json_option
@debug_option
def show(language: str) -> None:
    """Show the effective host, tokens (masked) and tenant, and where each value comes from.

    Environment variables override ~/.synapse/config.json; the source column says which one won.
    """
    from synapse_sdk.cli.commands.credentials import mask
    from synapse_sdk.cli.errors import CliError
    from synapse_sdk.utils.auth import ConfigFileError, config_path, load_config, resolve_credentials

    out = get_output()
    path = config_path()
    try:
        load_config(path, strict=True)
    except ConfigFileError as exc:
        raise CliError(
            str(exc), hint=t('cli.doctor.config_broken_fix', path=path), kind='config_file'
        ) from None
    creds = resolve_credentials()
    rows = [
        ('host', creds.host, False),
        ('access_token', creds.access_token, True),
        ('user_token', creds.user_token, True),
        ('tenant', creds.tenant, False),
    ]
    if out.json_mode:
        out.emit_json(
            {
                'config_path': str(path),
                'config_exists': path.exists(),
                'values': {
                    key: {
                        'value': mask(value) if secret and value else value,
                        'source': creds.sources.get(key),
                    }
                    for key, value, secret in rows
                },
            }
        )
        return
    out.echo(t('cli.config.file' if path.exists() else 'cli.config.file_missing', path=path))
    table = []
    for key, value, secret in rows:
        shown = mask(value) if secret else (value or t('cli.config.not_set'))
        table.append([key, shown, _source(creds.sources.get(key))])
    out.table([t(f'cli.config.column.{c}') for c in ('key', 'value', 'source')], table)


def _source(source: str | None) -> str:
    if not source:
        return ''
    if source.startswith('config:'):
        return t('cli.doctor.config_file')
    if source == 'default':
        return t('cli.config.default')
    return f'${source}'
