"""Help pages in the user's language: click commands and groups whose ``--help`` follows ``--lang``.

Why: a Korean-speaking author who runs ``synapse plugin run -l ko --help`` should read the page in
Korean, like every other message. The English help stays where click expects it (``help=`` and
docstrings, so completion and the click-free root page keep working); the other languages live in
`help_texts` keyed by the command path (``synapse plugin run``) and option (``--params``). Only when
the language is not English are the texts swapped in, for the time it takes to render the page,
together with click's headings (``Usage:``, ``Options``, ``Commands``, ``[default: ...]``).

The language of a help page: ``--lang``/``-l`` anywhere on the command line (before or after
``--help``), else an enclosing group's ``--lang``, else ``SYNAPSE_LANGUAGE``, else English.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import TYPE_CHECKING

import click

from synapse_sdk.cli.lazy import LazyGroup
from synapse_sdk.cli.output import get_state

__all__ = ['LocalizedCommand', 'LocalizedGroup', 'command_key', 'option_key']

_LANG_FLAGS = ('-l', '--lang')


def command_key(ctx: click.Context) -> str:
    """``'synapse plugin run'`` for the context of ``plugin run``, whatever the program was called."""
    names = []
    while ctx.parent is not None:
        names.append(ctx.command.name or '')
        ctx = ctx.parent
    return ' '.join(['synapse', *reversed(names)])


def option_key(param: click.Parameter) -> str:
    """The name a parameter's help is filed under: its first long option (``--params``), else its name."""
    long = [opt for opt in param.opts if opt.startswith('--')]
    return long[0] if long else (param.opts[0] if param.opts else param.name or '')


def _help_language(ctx: click.Context) -> str:
    from synapse_sdk.cli.messages import resolve_cli_language

    state = get_state(ctx)
    if state.language:
        return state.language
    try:
        return resolve_cli_language(None)
    except click.BadParameter:  # pragma: no cover - without an option there is nothing to reject
        return 'en'


def _scan_language(args: list[str]) -> str | None:
    """The value of ``-l``/``--lang`` in `args` (up to ``--``), so ``--help -l ko`` is Korean too."""
    for index, arg in enumerate(args):
        if arg == '--':
            break
        if arg in _LANG_FLAGS and index + 1 < len(args):
            return args[index + 1]
        if arg.startswith('--lang='):
            return arg.split('=', 1)[1]
        if arg.startswith('-l') and len(arg) > 2 and not arg.startswith('--'):
            return arg[2:]
    return None


if TYPE_CHECKING:
    _CommandBase = click.Command  # what the mixin is mixed into, for the checker
else:
    _CommandBase = object  # at run time the mixin adds nothing to the method resolution order


class _Localized(_CommandBase):
    """Mixin for `click.Command` subclasses: help rendered in the invocation's language."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        value = _scan_language(args)
        if value is not None:
            from synapse_sdk import i18n

            language = i18n.normalize_language(value)
            if language in i18n.supported_languages():
                get_state(ctx).language = language  # invalid values are left to the option to reject
        return super().parse_args(ctx, args)

    def format_help(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        language = _help_language(ctx)
        if language == 'en':
            super().format_help(ctx, formatter)
            return
        with _translated(self, ctx, language):
            super().format_help(ctx, formatter)

    def format_usage(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        language = _help_language(ctx)
        if language == 'en':
            super().format_usage(ctx, formatter)
            return
        from synapse_sdk.cli.messages import t

        pieces = self.collect_usage_pieces(ctx)
        formatter.write_usage(ctx.command_path, ' '.join(pieces), prefix=t('cli.help.usage', language) + ' ')

    def format_options(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        language = _help_language(ctx)
        if language == 'en':
            super().format_options(ctx, formatter)
            return
        from synapse_sdk.cli.messages import t

        rows = []
        for param in self.get_params(ctx):
            record = param.get_help_record(ctx)
            if record is not None and not isinstance(param, click.Argument):
                rows.append((record[0], _translate_extras(record[1], language)))
        if rows:
            with formatter.section(t('cli.help.options', language)):
                formatter.write_dl(rows)
        if isinstance(self, click.Group):
            self.format_commands(ctx, formatter)


def _translate_extras(text: str, language: str) -> str:
    """click's ``  [default: local; required]`` suffix, in `language`."""
    from synapse_sdk.cli.messages import t

    head, sep, tail = text.rpartition('  [')
    if not sep or not tail.endswith(']'):
        if text.startswith('[') and text.endswith(']'):  # an option without help: only the brackets
            head, tail = '', text[1:]
        else:
            return text
    items = []
    for item in tail[:-1].split('; '):
        if item.startswith('default: '):
            items.append(t('cli.help.default', language, value=item[len('default: ') :]))
        elif item == 'required':
            items.append(t('cli.help.required', language))
        elif item.startswith('env var: '):
            items.append(t('cli.help.envvar', language, value=item[len('env var: ') :]))
        else:
            items.append(item)
    suffix = '[' + '; '.join(items) + ']'
    return f'{head}  {suffix}' if head else suffix


@contextlib.contextmanager
def _translated(command: click.Command, ctx: click.Context, language: str) -> Iterator[None]:
    """Swap in the help texts of `command` and its options for `language`; restore them after."""
    from synapse_sdk.cli.help_texts import help_text

    key = command_key(ctx)
    saved: list[tuple[object, str, object]] = []

    def swap(obj: object, attribute: str, text: str | None) -> None:
        if text is not None:
            saved.append((obj, attribute, getattr(obj, attribute)))
            setattr(obj, attribute, text)

    swap(command, 'help', help_text(language, key))
    for param in command.get_params(ctx):
        if isinstance(param, click.Option):
            swap(param, 'help', help_text(language, key, option_key(param)))
    try:
        yield
    finally:
        for obj, attribute, value in reversed(saved):
            setattr(obj, attribute, value)


class LocalizedCommand(_Localized, click.Command):
    """A leaf command whose help follows ``--lang``."""


class LocalizedGroup(_Localized, LazyGroup):
    """A group (with lazily imported subcommands) whose help, and its command list, follow ``--lang``."""

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        language = _help_language(ctx)
        if language == 'en':
            super().format_commands(ctx, formatter)
            return
        from synapse_sdk.cli.help_texts import short_help
        from synapse_sdk.cli.messages import t

        key = command_key(ctx)
        rows = []
        for name in self.list_commands(ctx):
            if name in self.lazy_subcommands:
                english = self.lazy_subcommands[name][1]
            else:
                command = click.Group.get_command(self, ctx, name)
                if command is None or command.hidden:
                    continue
                english = command.get_short_help_str()
            rows.append((name, short_help(language, f'{key} {name}') or english))
        if rows:
            with formatter.section(t('cli.help.commands', language)):
                formatter.write_dl(rows)
