"""Options shared by several commands, so each is spelled and behaves the same everywhere."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from synapse_sdk.cli.catalog import LANG_HELP, LANG_METAVAR
from synapse_sdk.cli.output import get_state

F = TypeVar('F', bound=Callable[..., Any])


def _set_debug(ctx: click.Context, param: click.Parameter, value: bool) -> None:
    if value:
        get_state(ctx).debug = True


def _set_json(ctx: click.Context, param: click.Parameter, value: bool) -> None:
    if value:
        get_state(ctx).json = True


def _set_language(ctx: click.Context, param: click.Parameter, value: str | None) -> str:
    from synapse_sdk.cli.messages import resolve_cli_language

    state = get_state(ctx)
    if value is None and state.language is not None:  # given to an enclosing group: synapse -l ko plugin ...
        return state.language
    language = resolve_cli_language(value)
    state.language = language
    return language


debug_option = click.option(
    '--debug',
    is_flag=True,
    expose_value=False,
    callback=_set_debug,
    help='Show the full traceback when something fails.',
)

json_option = click.option(
    '--json',
    'json_output',
    is_flag=True,
    expose_value=False,
    is_eager=True,
    callback=_set_json,
    help='Print one JSON object with the result on stdout (human text goes to stderr).',
)

lang_option = click.option(
    '--lang',
    '-l',
    'language',
    metavar=LANG_METAVAR,
    callback=_set_language,
    help=LANG_HELP,
)


def plugin_source_options(func: F) -> F:
    """``--path DIR`` / ``--plugin MODULE``: which plugin a command works on (default: the current dir)."""
    func = click.option(
        '--plugin',
        '-p',
        'plugin_module',
        metavar='MODULE',
        help='Importable Python module holding @action functions or BaseAction classes.',
    )(func)
    func = click.option(
        '--path',
        'plugin_path',
        type=click.Path(file_okay=True, dir_okay=True, path_type=Path),
        help='Plugin directory with a config.yaml (default: the current directory).',
    )(func)
    return func


def resolve_plugin_source(plugin_path: Path | None, plugin_module: str | None) -> str:
    """The first argument for `run_plugin` / discovery: a config directory or a module name.

    For ``--plugin``, the current directory is made importable first, as ``python -m`` does (a
    console script does not put it on ``sys.path``).
    """
    from synapse_sdk.cli.messages import t

    if plugin_path is not None and plugin_module is not None:
        raise click.UsageError(t('cli.source.both'))
    if plugin_module is not None:
        import sys

        cwd = str(Path.cwd())
        if cwd not in sys.path:
            sys.path.insert(0, cwd)
        return plugin_module
    path = (plugin_path or Path.cwd()).expanduser()
    if not path.exists():
        raise click.BadParameter(t('cli.source.missing', path=path), param_hint="'--path'")
    if path.is_dir() and not (path / 'config.yaml').is_file():
        where = t('cli.source.cwd') if plugin_path is None else str(path)
        raise click.UsageError(t('cli.source.no_config', where=where))
    return str(path.resolve())


def parse_params(value: str | None) -> dict[str, Any]:
    """``--params`` as inline JSON or ``@file.json``; must decode to a JSON object."""
    from synapse_sdk.cli.messages import t

    if value is None or value.strip() == '':
        return {}
    source = t('cli.params.inline')
    text = value
    if value.startswith('@'):
        file = Path(value[1:]).expanduser()
        source = str(file)
        try:
            text = file.read_text(encoding='utf-8')
        except OSError as exc:
            raise click.BadParameter(
                t('cli.params.unreadable', file=file, reason=exc.strerror or exc), param_hint="'--params'"
            ) from None
    try:
        params = json.loads(text)
    except json.JSONDecodeError as exc:
        raise click.BadParameter(
            t('cli.params.bad_json', source=source, line=exc.lineno, column=exc.colno, reason=exc.msg),
            param_hint="'--params'",
        ) from None
    if not isinstance(params, dict):
        raise click.BadParameter(
            t('cli.params.not_object', source=source, example='{"epochs": 10}', kind=type(params).__name__),
            param_hint="'--params'",
        )
    return params
