"""The ``synapse`` click group: global options, error rendering and the lazily loaded subcommands.

Subcommands are registered by import path in `catalog` and imported only when run (see `LazyGroup`),
so ``synapse plugin --help`` loads click, this package and the plugin command module only.
"""

from __future__ import annotations

from typing import Any

import click

from synapse_sdk.cli.catalog import DEBUG_HELP, HELP_OPTION_NAMES, ROOT_HELP, SUBCOMMANDS, VERSION_HELP
from synapse_sdk.cli.localized import LocalizedGroup
from synapse_sdk.cli.options import lang_option
from synapse_sdk.cli.output import CliState, get_state

__all__ = ['cli']


class RootGroup(LocalizedGroup):
    """Renders any exception escaping a subcommand as one paragraph (traceback only with --debug),
    usage errors in the invocation's language, and warnings as one line each (`warning_lines`)."""

    def make_context(
        self, info_name: str | None, args: list[str], parent: click.Context | None = None, **extra: Any
    ) -> click.Context:
        try:
            return super().make_context(info_name, args, parent, **extra)
        except click.UsageError as exc:  # a bad root option: synapse --nope
            from synapse_sdk.cli.errors import from_usage_error

            raise from_usage_error(exc, get_state(exc.ctx).language if exc.ctx else None) from None

    def invoke(self, ctx: click.Context) -> Any:
        from synapse_sdk.cli.warning_lines import capture_warnings

        state = get_state(ctx)
        with capture_warnings(state):
            return self._invoke(ctx, state)

    def _invoke(self, ctx: click.Context, state: CliState) -> Any:
        # The error machinery is imported only when something fails, to keep start-up light.
        try:
            return super().invoke(ctx)
        except (click.exceptions.Exit, click.exceptions.Abort):
            raise
        except click.UsageError as exc:
            from synapse_sdk.cli.errors import from_usage_error

            error = from_usage_error(exc, state.language)
            error.attach(state)  # under --json, a usage error still answers with one JSON object
            raise error from None
        except click.ClickException as exc:
            from synapse_sdk.cli.errors import CliError

            if isinstance(exc, CliError):
                exc.attach(state)
                raise
            if state.json:
                error = CliError(exc.format_message(), exit_code=exc.exit_code, kind='usage')
                error.attach(state)
                raise error from None
            raise
        except KeyboardInterrupt:
            from synapse_sdk.cli.errors import CliError
            from synapse_sdk.cli.messages import t

            error = CliError(t('cli.error.interrupted', state.language), exit_code=130, kind='interrupted')
            error.attach(state)
            raise error from None
        except Exception as exc:
            from synapse_sdk.cli.errors import from_exception

            error = from_exception(
                exc, debug=state.debug, language=state.language, plugin_root=state.plugin_root
            )
            error.attach(state)
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
    help=ROOT_HELP,
    context_settings={'help_option_names': list(HELP_OPTION_NAMES)},
)
@click.option(
    '--version',
    is_flag=True,
    expose_value=False,
    is_eager=True,
    callback=_print_version,
    help=VERSION_HELP,
)
@click.option('--debug', is_flag=True, envvar='SYNAPSE_DEBUG', help=DEBUG_HELP)
@lang_option
@click.pass_context
def cli(ctx: click.Context, debug: bool, language: str) -> None:
    # The help text is ROOT_HELP (catalog), shared with the click-free `roothelp`.
    get_state(ctx).debug = debug
