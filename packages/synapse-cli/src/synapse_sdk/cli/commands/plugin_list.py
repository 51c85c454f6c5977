"""``synapse plugin list``: the actions of a plugin, their run method and data types."""

from __future__ import annotations

from pathlib import Path

import click

from synapse_sdk.cli.localized import LocalizedCommand
from synapse_sdk.cli.options import (
    debug_option,
    json_option,
    lang_option,
    plugin_source_options,
    resolve_plugin_source,
)
from synapse_sdk.cli.output import get_output


@click.command('list', cls=LocalizedCommand)
@plugin_source_options
@lang_option
@json_option
@debug_option
def list_actions(plugin_path: Path | None, plugin_module: str | None, language: str) -> None:
    """List the actions of the plugin in the current directory (or --path DIR / --plugin MODULE).

    Reads config.yaml only; no action code is imported (use `synapse plugin validate` for that).
    """
    from synapse_sdk.cli.commands._discovery import discover
    from synapse_sdk.cli.messages import t

    out = get_output()
    source = resolve_plugin_source(plugin_path, plugin_module)
    discovery = discover(source, plugin_module)
    config = discovery.config
    actions = [
        {
            'name': name,
            'method': action.method.value,
            'entrypoint': action.entrypoint,
            'input_type': action.input_type,
            'output_type': action.output_type,
            'description': action.description,
        }
        for name, action in config.actions.items()
    ]
    if out.json_mode:
        out.emit_json(
            {
                'name': config.name,
                'code': config.code,
                'version': config.version,
                'category': str(config.category.value),
                'source': discovery.source,
                'actions': actions,
            }
        )
        return
    out.echo(
        t('cli.list.title', name=config.name, code=config.code, version=config.version,
          category=config.category.value),
        bold=True,
    )  # fmt: skip
    if not actions:
        out.echo(t('cli.list.empty'))
        return
    out.table(
        [t(f'cli.list.column.{c}') for c in ('action', 'method', 'input', 'output', 'description')],
        [
            [a['name'], a['method'], a['input_type'] or '-', a['output_type'] or '-', a['description']]
            for a in actions
        ],
    )
