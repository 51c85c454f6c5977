"""``synapse config show``: what the SDK will use to reach the backend, with tokens masked."""

from __future__ import annotations

import click

from synapse_sdk.cli.options import debug_option, json_option
from synapse_sdk.cli.output import get_output


@click.group()
def config() -> None:
    """Inspect the stored configuration."""


@config.command('show')
@json_option
@debug_option
def show() -> None:
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
            str(exc), hint=f'Fix or delete {path}, then run: synapse login', kind='config_file'
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
    out.echo(f'Config file: {path}' + ('' if path.exists() else ' (not created yet; run synapse login)'))
    table = []
    for key, value, secret in rows:
        shown = mask(value) if secret else (value or '(not set)')
        table.append([key, shown, _source(creds.sources.get(key))])
    out.table(['key', 'value', 'source'], table)


def _source(source: str | None) -> str:
    if not source:
        return ''
    if source.startswith('config:'):
        return 'config file'
    if source == 'default':
        return 'default'
    return f'${source}'
