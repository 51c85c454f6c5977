"""How the CLI writes to the terminal, to a pipe, and as JSON.

Why one module: every command must behave the same way when its output is piped (plain lines, no
control characters) and with ``--json`` (one machine-readable object on stdout, human text moved to
stderr). Commands never call ``print``; they go through `Output`. Progress bars are drawn by the
SDK's `ConsoleLogger` (a bar on a terminal, a line every 10 % otherwise), for actions and
conversions alike.
"""

from __future__ import annotations

import os
import sys
from typing import Any

import click

__all__ = [
    'CliState',
    'Output',
    'display_width',
    'dumps',
    'get_output',
    'get_state',
    'is_interactive',
    'render_table',
]


class CliState:
    """Options shared by all commands, set by the root group and by each command's common options.

    A plain class rather than a dataclass: importing `dataclasses` would slow every start-up.
    """

    __slots__ = ('debug', 'json', 'language', 'plugin_root', 'warnings')

    def __init__(self, debug: bool = False, json: bool = False, language: str | None = None):
        self.debug = debug
        self.json = json
        self.language = language
        self.plugin_root: str | None = None  # the plugin directory, where a failure's frame is looked for
        self.warnings: list[dict[str, Any]] = []  # shown as they happen; carried by --json output


def get_state(ctx: click.Context | None = None) -> CliState:
    """The `CliState` of the current invocation (created on first use)."""
    ctx = ctx or click.get_current_context()
    return ctx.find_root().ensure_object(CliState)


def get_output(ctx: click.Context | None = None) -> Output:
    return Output(get_state(ctx))


def is_interactive() -> bool:
    """True when stdin is a terminal: only then may a command prompt the user."""
    try:
        return sys.stdin is not None and sys.stdin.isatty()
    except (AttributeError, ValueError):
        return False


def render_table(headers: list[str], rows: list[list[Any]]) -> str:
    """A plain-text table (no box-drawing characters, so it survives any pipe or log file)."""
    cells = [[str(h) for h in headers]] + [['' if c is None else str(c) for c in row] for row in rows]
    widths = [max(display_width(row[i]) for row in cells) for i in range(len(headers))]
    lines = [
        '  '.join(cell + ' ' * (widths[i] - display_width(cell)) for i, cell in enumerate(row)).rstrip()
        for row in cells
    ]
    lines.insert(1, '  '.join('-' * w for w in widths))
    return '\n'.join(lines)


def display_width(text: str) -> int:
    """Terminal columns `text` takes: East Asian wide characters (Hangul, CJK) take two, combining marks none.

    `len` would misalign any table holding Korean file names or messages.
    """
    from unicodedata import combining, east_asian_width

    return sum(0 if combining(ch) else 2 if east_asian_width(ch) in 'WF' else 1 for ch in text)


class Output:
    """Writes human text to stdout (stderr in ``--json`` mode) and the JSON result to stdout."""

    def __init__(self, state: CliState):
        self.state = state

    @property
    def json_mode(self) -> bool:
        return self.state.json

    def echo(
        self, message: str = '', *, err: bool = False, fg: str | None = None, bold: bool = False
    ) -> None:
        """One line of human text. Styling is dropped automatically when the stream is not a terminal."""
        text = click.style(message, fg=fg, bold=bold) if (fg or bold) else message
        click.echo(text, err=err or self.state.json)

    def success(self, message: str) -> None:
        self.echo(message, fg='green')

    def warn(self, message: str) -> None:
        self.echo(message, err=True, fg='yellow')

    def table(self, headers: list[str], rows: list[list[Any]]) -> None:
        self.echo(render_table(headers, rows))

    def emit_json(self, payload: Any) -> None:
        """The single machine-readable result of a ``--json`` run, on stdout (with the warnings shown)."""
        if isinstance(payload, dict):
            payload = {**payload, 'warnings': list(self.state.warnings)}
        click.echo(dumps(payload))


def dumps(value: Any, *, indent: int | None = None) -> str:
    """JSON text of a command's result (non-ASCII kept readable, e.g. Korean messages)."""
    import json

    return json.dumps(value, ensure_ascii=False, indent=indent, default=_json_default)


def _json_default(value: Any) -> Any:
    """Serialise what actions commonly return: pydantic models, paths, sets, enums, dataclasses."""
    dump = getattr(value, 'model_dump', None)
    if callable(dump):
        return dump(mode='json')
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    if isinstance(value, set | frozenset | tuple):
        return list(value)
    enum_value = getattr(value, 'value', None)
    if enum_value is not None and type(value).__module__ != 'builtins':
        return enum_value
    if hasattr(value, '__dataclass_fields__'):
        from dataclasses import asdict

        return asdict(value)
    return str(value)
