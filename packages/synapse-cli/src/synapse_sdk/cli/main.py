"""The ``synapse`` command: entry point, global options and the registry of subcommands.

Subcommands are registered by import path and imported only when run (see `LazyGroup`), so
``synapse --help`` and ``synapse --version`` load click and this package only.
"""

from __future__ import annotations

import click

from synapse_sdk.cli.lazy import LazyGroup
from synapse_sdk.cli.output import get_state

__all__ = ['cli', 'main']

_COMMANDS = 'synapse_sdk.cli.commands'

SUBCOMMANDS: dict[str, tuple[str, str]] = {
    'plugin': (f'{_COMMANDS}.plugin:plugin', 'Create, run, validate and publish plugins.'),
    'convert': (f'{_COMMANDS}.convert:convert', 'Convert a dataset between DM, YOLO, COCO and Pascal VOC.'),
    'login': (f'{_COMMANDS}.login:login', 'Store a backend access token in ~/.synapse/config.json.'),
    'config': (f'{_COMMANDS}.config:config', 'Show the stored configuration (tokens masked).'),
    'doctor': (f'{_COMMANDS}.doctor:doctor', 'Check the installation, credentials, backend and Ray.'),
}


class RootGroup(LazyGroup):
    """Renders any exception escaping a subcommand as one paragraph (traceback only with --debug)."""

    def invoke(self, ctx: click.Context):
        # The error machinery is imported only when something fails, to keep start-up light.
        try:
            return super().invoke(ctx)
        except (click.exceptions.Exit, click.exceptions.Abort):
            raise
        except click.ClickException as exc:
            from synapse_sdk.cli.errors import CliError

            state = get_state(ctx)
            if isinstance(exc, CliError):
                exc.json_mode = state.json
                exc.language = exc.language or state.language
                raise
            if state.json:  # a usage error still answers with one JSON object under --json
                error = CliError(exc.format_message(), exit_code=exc.exit_code, kind='usage')
                error.json_mode = True
                error.language = state.language
                raise error from None
            raise
        except KeyboardInterrupt:
            from synapse_sdk.cli.errors import CliError

            error = CliError('interrupted', exit_code=130, kind='interrupted')
            error.json_mode = get_state(ctx).json
            raise error from None
        except Exception as exc:
            from synapse_sdk.cli.errors import from_exception

            state = get_state(ctx)
            error = from_exception(exc, debug=state.debug, language=state.language)
            error.json_mode = state.json
            raise error from None


def _print_version(ctx: click.Context, param: click.Parameter, value: bool) -> None:
    if not value or ctx.resilient_parsing:
        return
    from synapse_sdk.cli.versions import version_text

    click.echo(version_text())
    ctx.exit(0)


@click.group(
    cls=RootGroup,
    lazy_subcommands=SUBCOMMANDS,
    context_settings={'help_option_names': ['-h', '--help']},
)
@click.option(
    '--version',
    is_flag=True,
    expose_value=False,
    is_eager=True,
    callback=_print_version,
    help='Show the installed synapse distributions and their versions.',
)
@click.option('--debug', is_flag=True, envvar='SYNAPSE_DEBUG', help='Show tracebacks of failures.')
@click.pass_context
def cli(ctx: click.Context, debug: bool) -> None:
    """Synapse SDK command line: build, run and publish plugins of the Synapse platform.

    Run an action of the plugin in the current directory:

        synapse plugin run train --params '{"epochs": 10}'

    Shell completion (bash): eval "$(_SYNAPSE_COMPLETE=bash_source synapse)"
    """
    get_state(ctx).debug = debug


def main(argv: list[str] | None = None) -> int:
    """Console-script entry point (``synapse = synapse_sdk.cli.main:main``)."""
    cli.main(args=argv, prog_name='synapse', terminal_width=_terminal_width())
    return 0


def _terminal_width(max_width: int = 100) -> int:
    """Help text width as click computes it (terminal columns, at most `max_width`, minus 2, at least 50).

    Computed here from ``$COLUMNS`` or the terminal because click would otherwise import `shutil`
    (and with it bz2, lzma and zlib) on every ``--help``.
    """
    import os
    import sys

    try:
        columns = int(os.environ['COLUMNS'])
    except (KeyError, ValueError):
        try:
            columns = os.get_terminal_size(sys.__stdout__.fileno()).columns
        except (AttributeError, ValueError, OSError):
            columns = 80
    return max(min(columns, max_width) - 2, 50)
