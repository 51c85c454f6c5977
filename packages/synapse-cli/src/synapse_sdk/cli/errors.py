"""Turning any failure into one readable paragraph and an exit code.

Why: a plugin author running ``synapse plugin run`` wants to read what went wrong and where (the
bad field, the config line, the missing package), not a 40-line traceback. The traceback is shown
only with ``--debug``. In ``--json`` mode the same error is also written as one JSON object on stdout.

Exit codes: 0 success, 1 the action or an operation failed, 2 bad input (usage, params, config,
unknown action), 3 a required component is not installed, 130 interrupted.
"""

from __future__ import annotations

from typing import Any

import click

__all__ = [
    'EXIT_FAILURE',
    'EXIT_INPUT',
    'EXIT_MISSING',
    'CliError',
    'from_exception',
    'from_usage_error',
    'missing_dependency',
]

EXIT_FAILURE = 1
EXIT_INPUT = 2
EXIT_MISSING = 3


class CliError(click.ClickException):
    """An error the CLI reports as ``Error: <message>`` plus optional detail lines and a hint."""

    def __init__(
        self,
        message: str,
        *,
        details: list[str] | None = None,
        hint: str | None = None,
        exit_code: int = EXIT_FAILURE,
        kind: str = 'error',
        data: dict[str, Any] | None = None,
    ):
        super().__init__(message)
        self.details = list(details or [])
        self.hint = hint
        self.exit_code = exit_code  # type: ignore[misc]  # click declares exit_code a ClassVar; a CliError carries its own, which click reads from the instance
        self.kind = kind
        self.data = dict(data or {})
        self.location: list[str] = []  # lines saying where it failed (file, line, source)
        self.preamble: list[str] = []  # lines before the paragraph (a usage error's usage line)
        self.json_mode = False
        self.language: str | None = None
        self.warnings: list[dict[str, Any]] = []

    def attach(self, state: Any) -> None:
        """Take the invocation's output mode, language and warnings (a `CliState`)."""
        self.json_mode = state.json
        self.language = self.language or state.language
        self.warnings = state.warnings

    def paragraph(self) -> str:
        from synapse_sdk.cli.messages import t

        lines = [f'{t("cli.error.prefix", self.language)}: {self.message}']
        lines += self.location
        lines += [f'  - {d}' for d in self.details]
        if self.hint:
            lines.append(self.hint)
        return '\n'.join(lines)

    def to_json(self) -> dict[str, Any]:
        error: dict[str, Any] = {'type': self.kind, 'message': self.message}
        if self.details:
            error['details'] = self.details
        if self.hint:
            error['hint'] = self.hint
        error.update(self.data)
        return {'ok': False, 'error': error, 'warnings': list(self.warnings)}

    def show(self, file: Any = None) -> None:
        if self.json_mode:
            import json

            click.echo(json.dumps(self.to_json(), ensure_ascii=False))
        for line in self.preamble:
            click.echo(line, err=True)
        click.echo(click.style(self.paragraph(), fg='red'), err=True)


def missing_dependency(feature: str, distribution: str, exc: BaseException | None = None) -> CliError:
    """The error for a command whose feature lives in a distribution that is not installed."""
    from synapse_sdk.cli.messages import t

    cause = f' ({exc})' if exc else ''
    return CliError(
        t('cli.error.missing_distribution', feature=feature, distribution=distribution, cause=cause),
        hint=t('cli.error.install_hint', distribution=distribution),
        exit_code=EXIT_MISSING,
        kind='missing_dependency',
    )


def from_usage_error(exc: click.UsageError, language: str | None = None) -> CliError:
    """click's usage error (bad option, missing argument, bad value) laid out as click does, in `language`.

    Usage line, ``Try '... -h' for help.``, a blank line, then ``Error: ...``. The kinds of error click
    raises are put in the CLI's words; a message click composed itself (a choice's "is not one of")
    is kept inside them.
    """
    from synapse_sdk.cli.messages import t

    error = CliError(_usage_message(exc, language), exit_code=exc.exit_code, kind='usage')
    error.language = language
    ctx = exc.ctx
    if ctx is not None:
        error.preamble.append(ctx.get_usage())
        names = ctx.command.get_help_option_names(ctx) if ctx.command.get_help_option(ctx) else []
        if names:
            error.preamble.append(t('cli.usage.try_help', language, command=f'{ctx.command_path} {names[0]}'))
        error.preamble.append('')
    return error


def _usage_message(exc: click.UsageError, language: str | None) -> str:
    from synapse_sdk.cli.messages import t

    ctx = exc.ctx
    no_such_command = getattr(click.exceptions, 'NoSuchCommand', None)  # click >= 8.4
    if no_such_command is not None and isinstance(exc, no_such_command):
        from difflib import get_close_matches

        text = t('cli.usage.no_such_command', language, name=exc.command_name)
        group = ctx.command if ctx is not None else None
        names = group.list_commands(ctx) if isinstance(group, click.Group) and ctx is not None else []
        close = get_close_matches(exc.command_name, names)
        if close:
            text += ' ' + t('cli.usage.did_you_mean', language, names=', '.join(close))
        return text
    if isinstance(exc, click.NoSuchOption):
        text = t('cli.usage.no_such_option', language, name=exc.option_name)
        if exc.possibilities:
            text += ' ' + t('cli.usage.did_you_mean', language, names=', '.join(sorted(exc.possibilities)))
        return text
    if isinstance(exc, click.BadParameter):
        hint = exc.param_hint
        if hint is None and exc.param is not None:
            hint = exc.param.get_error_hint(ctx)
        if isinstance(hint, tuple | list):
            hint = ' / '.join(repr(h) for h in hint)
        if isinstance(exc, click.MissingParameter):
            kind = exc.param_type or (exc.param.param_type_name if exc.param is not None else 'parameter')
            return t(
                'cli.usage.missing', language, kind=t(f'cli.usage.kind.{kind}', language), name=hint or ''
            )
        message = exc.message
        if (
            language not in (None, 'en')
            and exc.param is not None
            and isinstance(exc.param.type, click.Choice)
        ):
            # click's own "'x' is not one of ..." is English only; the choices say the same.
            message = t(
                'cli.usage.choose_from', language, choices=', '.join(map(repr, exc.param.type.choices))
            )
        if hint:
            return t('cli.usage.bad_value', language, name=hint, message=message)
        return t('cli.usage.bad_value_unnamed', language, message=message)
    return exc.format_message()


def from_exception(
    exc: BaseException, *, debug: bool, language: str | None = None, plugin_root: str | None = None
) -> CliError:
    """Translate an exception raised by a command into a `CliError` (printing the traceback if `debug`).

    A failed action also says where: the last frame in the plugin's code under `plugin_root`.
    """
    if debug:
        import traceback

        click.echo(''.join(traceback.format_exception(exc)).rstrip(), err=True)
    if isinstance(exc, CliError):
        exc.language = exc.language or language
        return exc
    error = _translate(exc, language, plugin_root)
    error.language = language
    if not debug and error.exit_code == EXIT_FAILURE and error.hint is None:
        from synapse_sdk.cli.messages import t

        error.hint = t('cli.error.debug_hint', language)
    return error


def _translate(exc: BaseException, language: str | None, plugin_root: str | None = None) -> CliError:
    from synapse_sdk.plugins import errors as plugin_errors  # synapse-core: a declared dependency

    error = _translate_plugin_error(exc, plugin_errors, language, plugin_root)
    if error is not None:
        return error
    if isinstance(exc, ModuleNotFoundError):
        from synapse_sdk.cli.messages import t

        return CliError(
            t('cli.error.missing_module', language, module=exc.name or exc),
            hint=t('cli.error.missing_module_hint', language),
            exit_code=EXIT_MISSING,
            kind='missing_dependency',
        )
    if isinstance(exc, FileNotFoundError | NotADirectoryError | IsADirectoryError | PermissionError):
        return CliError(str(exc), exit_code=EXIT_INPUT, kind=type(exc).__name__)
    message = str(exc).strip() or type(exc).__name__
    return CliError(f'{type(exc).__name__}: {message}', kind=type(exc).__name__)


def _translate_plugin_error(
    exc: BaseException, errors: Any, language: str | None, plugin_root: str | None
) -> CliError | None:
    from synapse_sdk.cli.messages import t

    if isinstance(exc, errors.ParamsValidationError):
        return CliError(
            t('cli.error.params', language, action=exc.action, count=len(exc.errors)).rstrip(':'),
            details=[f'{e["loc"] or "<root>"}: {e["msg"]}' for e in exc.errors],
            exit_code=EXIT_INPUT,
            kind='params_validation',
            data={'action': exc.action, 'errors': exc.errors},
        )
    if isinstance(exc, errors.ConfigError):
        details = []
        for key, line, msg in exc.problems:
            where = t('cli.error.config_line', language, line=line) + ': ' if line else ''
            details.append(f'{where}{key + ": " if key else ""}{msg}')
        return CliError(
            t('cli.error.config', language, path=exc.path),
            details=details,
            exit_code=EXIT_INPUT,
            kind='config',
            data={'path': exc.path},
        )
    if isinstance(exc, errors.ActionExecutionError):
        return _action_failed(exc, language, plugin_root)
    if isinstance(exc, errors.ActionNotFoundError):
        return _action_not_found(exc, language)
    input_errors = (
        errors.ActionNotFoundError,
        errors.PluginNotFoundError,
        errors.InvalidModeError,
        errors.EntrypointError,
    )
    if isinstance(exc, input_errors):
        return CliError(str(exc), exit_code=EXIT_INPUT, kind=type(exc).__name__)
    if isinstance(exc, errors.PluginError):
        return CliError(str(exc), kind=type(exc).__name__)
    return None


def _action_not_found(exc: Any, language: str | None) -> CliError:
    """``Unknown action 'trian' in <where>. Available actions: 'train'`` with a did-you-mean, in `language`."""
    from difflib import get_close_matches

    from synapse_sdk.cli.messages import t

    available = ', '.join(repr(a) for a in exc.available) or t('cli.error.no_actions', language)
    where = getattr(exc, 'where', None)
    key = 'cli.error.unknown_action_in' if where else 'cli.error.unknown_action'
    close = get_close_matches(exc.action, exc.available, n=1)
    return CliError(
        t(key, language, action=exc.action, where=where, available=available),
        hint=t('cli.error.action_did_you_mean', language, name=close[0]) if close else None,
        exit_code=EXIT_INPUT,
        kind=type(exc).__name__,
        data={'action': exc.action, 'available': list(exc.available)},
    )


def _action_failed(exc: Any, language: str | None, plugin_root: str | None) -> CliError:
    """``action 'x' failed: KeyError: 'k'`` plus the plugin's frame: file and line, then its source."""
    from synapse_sdk.cli.failure_frame import plugin_frame
    from synapse_sdk.cli.messages import t

    original = exc.original
    # A CapturedError (the original could not cross a process boundary) names the original's type.
    kind = getattr(original, 'type_name', None) or type(original).__name__
    text = getattr(original, 'message', None) if hasattr(original, 'type_name') else str(original)
    error = CliError(
        t('cli.error.action_failed', language, action=exc.action, error=f'{kind.rsplit(".", 1)[-1]}: {text}'),
        kind='action_failed',
        data={'action': exc.action, 'exception': kind},
    )
    frame = plugin_frame(original, exc.original_traceback, plugin_root)
    if frame is not None:
        shown = t(
            'cli.error.frame', language, file=frame.shown_file(), line=frame.line, function=frame.function
        )
        error.location = [f'  {shown}'] + ([f'    {frame.source}'] if frame.source else [])
        error.data['frame'] = frame.as_dict()
    return error
