"""``synapse plugin run``: run one action through `run_plugin`, the same path the SDK's API uses."""

from __future__ import annotations

import contextlib
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from synapse_sdk.cli.localized import LocalizedCommand
from synapse_sdk.cli.options import (
    debug_option,
    json_option,
    lang_option,
    parse_params,
    plugin_source_options,
    resolve_plugin_source,
)
from synapse_sdk.cli.output import dumps, get_output


@click.command(cls=LocalizedCommand)
@click.argument('action')
@plugin_source_options
@click.option(
    '--params',
    'params_text',
    metavar='JSON|@FILE',
    help='Action params as a JSON object, or @file.json to read them from a file.',
)
@click.option(
    '--mode',
    '-m',
    type=click.Choice(['local', 'task', 'job']),
    default='local',
    show_default=True,
    help='local: this process; task: a Ray actor; job: a Ray job (returns its id).',
)
@click.option(
    '--ray-address',
    metavar='ADDRESS',
    help='Ray cluster for --mode task (e.g. ray://host:10001) or '
    'the Ray dashboard for --mode job (e.g. http://host:8265).',
)
@click.option(
    '--fake-backend',
    is_flag=True,
    help="Run against the SDK's fake backend (synapse-testing) on a loopback port, seeded with the "
    "plugin's samples/backend.json; --mode local only.",
)
@click.option(
    '--seed',
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    metavar='FILE',
    help='Sample data for --fake-backend: {"table": [rows]} JSON (default: samples/backend.json).',
)
@click.option(
    '--strict-params',
    is_flag=True,
    default=None,
    help='Unknown params keys are an error, not a warning (also: SYNAPSE_STRICT_PARAMS=1).',
)
@lang_option
@json_option
@debug_option
def run(
    action: str,
    plugin_path: Path | None,
    plugin_module: str | None,
    params_text: str | None,
    mode: str,
    ray_address: str | None,
    fake_backend: bool,
    seed: Path | None,
    strict_params: bool | None,
    language: str,
) -> None:
    """Run ACTION of the plugin in the current directory (or --path DIR / --plugin MODULE).

    \b
    Examples:
      synapse plugin run train --params '{"epochs": 10}'
      synapse plugin run train -l ko --params @params.json
      synapse plugin run greet --path examples/hello_plugin --params '{"name": "Ada"}' --json
      synapse plugin run export --params @samples/params/export.json --fake-backend

    Logs and progress are written to stderr (a progress bar on a terminal, plain lines otherwise);
    the result to stdout. With --json, stdout holds one JSON object and nothing else.
    """
    from synapse_sdk.cli.messages import t

    out = get_output()
    if seed is not None and not fake_backend:
        raise click.UsageError(t('cli.fake.seed_alone'))
    if fake_backend and mode != 'local':
        raise click.UsageError(t('cli.fake.local_only', mode=mode))
    source = resolve_plugin_source(plugin_path, plugin_module)
    params = parse_params(params_text)
    out.state.plugin_root = _plugin_root(source, plugin_module)

    executor_kwargs: dict[str, Any] = {'language': language}
    if mode in ('local', 'task'):  # task mode draws the actor's console here too (synapse-executors-ray)
        from synapse_sdk.cli.console import CliConsoleLogger

        executor_kwargs['console'] = CliConsoleLogger(sys.stderr)
    if ray_address:
        executor_kwargs['ray_address'] = ray_address
    if strict_params:
        executor_kwargs['strict_params'] = True

    from synapse_sdk.plugins.runner import run_plugin

    label = plugin_module or source
    with contextlib.ExitStack() as stack:
        fake = None
        if fake_backend:
            from synapse_sdk.cli.fake_backend import fake_backend as serve

            fake = stack.enter_context(serve(Path(out.state.plugin_root), seed))
            seeded = ', '.join(f'{table} {count}' for table, count in fake.seeded.items())
            if fake.seed is None:
                out.echo(t('cli.fake.serving_empty', url=fake.url), err=True)
            else:
                out.echo(
                    t('cli.fake.serving', url=fake.url, seed=_shown(fake.seed), rows=seeded or '-'), err=True
                )
        out.echo(t('cli.run.start', language, action=action, plugin=label, mode=mode), err=True)
        started = time.monotonic()
        outcome = _run(run_plugin, source, action, params, mode, executor_kwargs)
        seconds = time.monotonic() - started
        fake_summary = fake.as_dict() if fake is not None else None
    if fake_summary is not None:
        rows = [f'{table} +{count}' for table, count in fake_summary['added'].items()]
        rows += [f'{table} ~{count}' for table, count in fake_summary['changed'].items()]
        changes = ', '.join(rows) or t('cli.fake.nothing_added')
        out.echo(t('cli.fake.summary', requests=fake_summary['requests'], rows=changes), err=True)

    if mode == 'job':
        if out.json_mode:
            out.emit_json({'ok': True, 'action': action, 'mode': mode, 'job_id': outcome})
            return
        out.success(t('cli.run.job_submitted', language, action=action, job_id=outcome))
        out.echo(t('cli.run.job_hint', language, job_id=outcome))
        return
    if out.json_mode:
        payload = {
            'ok': True,
            'action': action,
            'mode': mode,
            'seconds': round(seconds, 3),
            'result': outcome,
        }
        if fake_summary is not None:
            payload['fake_backend'] = fake_summary
        out.emit_json(payload)
        return
    out.echo(t('cli.run.done', language, action=action, seconds=seconds), err=True, fg='green')
    out.echo(t('cli.run.result', language), bold=True)
    out.echo(dumps(outcome, indent=2))


def _shown(path: Path) -> str:
    """A seed file as the user would type it: relative to the current directory when below it."""
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def _plugin_root(source: str, plugin_module: str | None) -> str:
    """Where a failure's frame is looked for: the plugin directory (for --plugin, the current one)."""
    if plugin_module is not None:
        return str(Path.cwd())
    path = Path(source)
    return str(path.parent if path.is_file() else path)


def _run(
    run_plugin: Callable[..., Any],
    source: str,
    action: str,
    params: dict[str, Any],
    mode: str,
    executor_kwargs: dict[str, Any],
) -> Any:
    from synapse_sdk.cli.errors import missing_dependency

    # Logs go to stderr and the result to stdout: what the action prints counts as log output, so a
    # piped result (and the single --json object) is never mixed with it. So does what Ray prints while
    # this process is connected to it, and that ends here, before the result is written.
    redirect = contextlib.redirect_stdout(sys.stderr)
    try:
        with redirect, _ray_connection_closed_at_the_end(mode):
            return run_plugin(source, action, params, mode=mode, **executor_kwargs)
    except ImportError as exc:
        if mode != 'local' and 'executors' in str(exc).lower():
            raise missing_dependency(f'--mode {mode}', 'synapse-executors-ray', None) from exc
        raise


def _ray_connection_closed_at_the_end(mode: str) -> contextlib.AbstractContextManager[object]:
    """Task mode: the Ray connection the run opens is closed when it returns (`closing_connection`).

    Ray's driver prints worker lines and autoscaler events on ``sys.stdout`` from a thread for as long as
    the process is connected; left open until exit, they could follow the result on stdout.
    """
    if mode != 'task':
        return contextlib.nullcontext()
    try:
        from synapse_sdk.plugins.executors.ray.connection import closing_connection
    except ImportError:  # not installed: run_plugin raises the error that says what to install
        return contextlib.nullcontext()
    return closing_connection()
