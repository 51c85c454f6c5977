"""``synapse plugin validate``: everything that would make a run or a publish fail, listed at once."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import click

from synapse_sdk.cli.errors import CliError
from synapse_sdk.cli.localized import LocalizedCommand
from synapse_sdk.cli.options import (
    debug_option,
    json_option,
    lang_option,
    plugin_source_options,
    resolve_plugin_source,
)
from synapse_sdk.cli.output import get_output


@click.command(cls=LocalizedCommand)
@plugin_source_options
@lang_option
@json_option
@debug_option
def validate(plugin_path: Path | None, plugin_module: str | None, language: str) -> None:
    """Check a plugin: config.yaml, entrypoints, params models and UI schemas.

    \b
    Checked for every action, and every problem is reported (not just the first):
      - config.yaml parses and matches the schema (unknown keys count as problems),
      - the entrypoint imports and is an action,
      - the params and result models build a JSON schema,
      - the UI schema for the params generates.
    """
    from synapse_sdk.cli.messages import t

    out = get_output()
    source = resolve_plugin_source(plugin_path, plugin_module)
    report = check_plugin(source, plugin_module)
    label = report['plugin'] or source
    if out.json_mode:
        out.emit_json({'ok': not report['problems'], **report})
        if report['problems']:
            raise click.exceptions.Exit(1)
        return
    if report['problems']:
        raise CliError(
            t('cli.validate.failed', language, plugin=label, count=len(report['problems'])).rstrip(':'),
            details=[
                f'{p["where"]}: {p["message"]}' if p['where'] else p['message'] for p in report['problems']
            ],
            kind='invalid_plugin',
        )
    for action in report['actions']:
        params = ', '.join(action['params']) or t('cli.validate.no_params')
        out.echo(f'  {action["name"]}: {params}')
    out.success(t('cli.validate.ok', language, plugin=label, count=len(report['actions'])))


def check_plugin(source: str, plugin_module: str | None = None) -> dict[str, Any]:
    """Validate a plugin and return ``{'plugin', 'actions': [...], 'problems': [{'where', 'message'}]}``."""
    from synapse_sdk.cli.commands._discovery import discover
    from synapse_sdk.cli.messages import t
    from synapse_sdk.plugins.errors import ConfigError, PluginError

    problems: list[dict[str, str]] = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter('always')
        try:
            discovery = discover(source, plugin_module)
        except ConfigError as exc:
            for key, line, message in exc.problems:
                where = f'{exc.path}:{line}' if line else exc.path
                problems.append({'where': where, 'message': f'{key}: {message}' if key else message})
            return {'plugin': None, 'actions': [], 'problems': problems}
        except (PluginError, ImportError) as exc:
            return {'plugin': None, 'actions': [], 'problems': [{'where': source, 'message': str(exc)}]}
    from synapse_sdk.cli.messages import current_language
    from synapse_sdk.cli.warning_lines import sdk_warning_text, warning_data

    language = current_language()
    problems += [
        {
            'where': '',
            'message': sdk_warning_text(warning_data(w.message, w.category, w.filename, w.lineno), language),
        }
        for w in caught
        if _is_config_warning(w)
    ]

    actions = []
    for name in discovery.list_actions():
        where = t('cli.validate.where_action', action=name)
        try:
            definition = discovery.get_action_definition(name)
        except Exception as exc:  # any import-time failure of user code is a finding, not a crash
            problems.append({'where': where, 'message': f'{type(exc).__name__}: {exc}'})
            continue
        entry: dict[str, Any] = {'name': name, 'kind': definition.kind, 'params': []}
        for label, model in (('params', definition.params_model), ('result', definition.result_model)):
            if model is None:
                continue
            try:
                schema = model.model_json_schema()
            except Exception as exc:
                problems.append(
                    {
                        'where': where,
                        'message': t(f'cli.validate.no_schema.{label}', model=model.__name__, error=exc),
                    }
                )
                continue
            if label == 'params':
                entry['params'] = list(schema.get('properties', {}))
        if definition.params_model is not None:
            try:
                entry['ui_fields'] = len(discovery.get_action_ui_schema(name))
            except Exception as exc:
                problems.append(
                    {
                        'where': where,
                        'message': t('cli.validate.no_ui_schema', error=f'{type(exc).__name__}: {exc}'),
                    }
                )
        actions.append(entry)
    return {'plugin': discovery.config.code, 'actions': actions, 'problems': problems}


def _is_config_warning(w: warnings.WarningMessage) -> bool:
    try:
        from synapse_sdk.plugins.config import ConfigWarning
    except ImportError:  # pragma: no cover
        return False
    return issubclass(w.category, ConfigWarning)
