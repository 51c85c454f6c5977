"""Python warnings raised while a command runs, shown as one CLI line each (and kept as data).

Why: Python prints a warning as ``path:line: Category: text`` followed by the source line it is
attributed to, which for a warning issued during a command is a line of click's own code. A plugin
author wants ``Warning: config.yaml:12: unknown key 'bogus' is ignored``: what is wrong and where,
in their file. The same warning repeated (discovery runs more than once, a loop warns per item)
is shown once. Python's warning filters still apply (``-W ignore``, ``PYTHONWARNINGS``).
"""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Iterator
from typing import Any, TextIO

__all__ = ['capture_warnings', 'sdk_warning_text', 'warning_data']

# Modules whose warnings speak to plugin authors directly: their text already says where.
_SDK_PREFIX = 'synapse_sdk.'
# What an SDK warning carries as data for tools (`UnknownParamsWarning`: action, param, suggestion,
# never_read; `ConfigWarning`: key, reason): copied into the --json output as they are.
_FIELDS = ('action', 'param', 'suggestion', 'never_read', 'key', 'reason')


@contextlib.contextmanager
def capture_warnings(state: Any) -> Iterator[None]:
    """Show each warning issued inside the block once, as a CLI line on stderr; record it on `state`.

    `state` is the invocation's `CliState`: its ``warnings`` list receives `warning_data` dicts,
    which ``--json`` output carries.
    """
    seen: set[tuple[str, str]] = set()

    def show(
        message: Warning | str,
        category: type[Warning],
        filename: str,
        lineno: int,
        file: TextIO | None = None,
        line: str | None = None,
    ) -> None:
        data = warning_data(message, category, filename, lineno)
        key = (data['category'], data['message'])
        if key in seen:
            return
        seen.add(key)
        state.warnings.append(data)
        _echo(_line(data, category, state.language))

    with warnings.catch_warnings():
        warnings.showwarning = show
        yield


def warning_data(
    message: Warning | str, category: type[Warning], filename: str, lineno: int
) -> dict[str, Any]:
    """``{'category', 'message', 'file', 'line'}``: where the warning points (the config file and line
    when the warning carries them, else the code that issued it for warnings from outside the SDK), plus
    the data an SDK warning carries (an unknown param's ``action``, ``param``, ``suggestion`` and
    ``never_read``; a config warning's ``key`` and ``reason``)."""
    data: dict[str, Any] = {'category': category.__name__, 'message': str(message)}
    file = getattr(message, 'file', None)
    if file is not None:
        data['file'] = str(file)
        data['line'] = getattr(message, 'line', None)
    elif not category.__module__.startswith(_SDK_PREFIX):
        data['file'] = filename
        data['line'] = lineno
    if category.__module__.startswith(_SDK_PREFIX):
        data.update((name, getattr(message, name)) for name in _FIELDS if hasattr(message, name))
    return data


def sdk_warning_text(data: dict[str, Any], language: str | None) -> str:
    """The text of an SDK warning (its `warning_data`) in the CLI's words and `language`: an unknown params
    key and an unknown config.yaml key are put from their data; any other keeps the SDK's own text."""
    from synapse_sdk.cli.messages import t

    if data['category'] == 'UnknownParamsWarning' and data.get('param'):
        kind = 'cli.warning.never_read' if data.get('never_read') else 'cli.warning.unknown_param'
        text = t(kind, language, action=data.get('action', ''), param=data['param'])
        if data.get('suggestion'):
            text += ' ' + t('cli.warning.did_you_mean', language, suggestion=data['suggestion'])
        return text
    if data['category'] == 'ConfigWarning' and data.get('reason') == 'unknown_key' and data.get('file'):
        where = f'{data["file"]}:{data["line"]}' if data.get('line') else data['file']
        return t('cli.warning.config_unknown_key', language, where=where, name=data.get('key'))
    return str(data['message'])


def _line(data: dict[str, Any], category: type[Warning], language: str | None) -> str:
    from synapse_sdk.cli.messages import t

    if category.__module__.startswith(_SDK_PREFIX):  # the SDK's own text already says where
        return t('cli.warning.line', language, text=sdk_warning_text(data, language))
    # A library's warning: its kind and the code it points at, on the same line.
    return t('cli.warning.located', language, **data)


def _echo(text: str) -> None:
    import click

    click.echo(click.style(text, fg='yellow'), err=True)
