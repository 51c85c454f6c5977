"""``synapse --help`` and ``synapse --version`` answered without importing click.

Why: these are the commands people type to find their way, and importing click alone costs about four
times Python's own start-up (it pulls in `inspect`, `typing`, `enum`, `uuid`, ...). The root help page
is plain data (`catalog`), so it is laid out here the way click lays out a group's help: a usage line,
the re-wrapped description, then the ``Options`` and ``Commands`` definition lists. A test renders
both at many widths and requires identical text, so the two cannot drift apart. Anything else
(subcommand help, ``--debug --help``, completion) goes through click.
"""

from __future__ import annotations

import sys
import textwrap

from synapse_sdk.cli.catalog import (
    DEBUG_HELP,
    HELP_OPTION_NAMES,
    LANG_HELP,
    LANG_METAVAR,
    ROOT_HELP,
    SUBCOMMANDS,
    VERSION_HELP,
)

__all__ = ['answer_without_click', 'render_root_help']

_INDENT = 2  # click indents each section's body by two columns
_FIRST_COLUMN_MAX = 30  # click's widest first column in a definition list
_COLUMN_GAP = 2
_USAGE = 'Usage: synapse '
_USAGE_ARGS = '[OPTIONS] COMMAND [ARGS]...'
_HELP_OPTION_HELP = 'Show this message and exit.'  # click's text for its built-in help option


def answer_without_click(args: list[str], width: int) -> bool:
    """Print the root help or the version when `args` asks for exactly that; False otherwise.

    The page here is English: with ``SYNAPSE_LANGUAGE`` naming another language, click renders it.
    """
    if len(args) != 1:
        return False
    if args[0] in HELP_OPTION_NAMES:
        if _language_from_env() not in ('', 'en'):
            return False
        text = render_root_help(width)
    elif args[0] == '--version':
        from synapse_sdk.cli.versions import version_text

        text = version_text()
    else:
        return False
    sys.stdout.write(text + '\n')
    sys.stdout.flush()
    return True


def _language_from_env() -> str:
    """``SYNAPSE_LANGUAGE`` reduced to its language part (``ko_KR.UTF-8`` -> ``ko``), as `i18n` does."""
    import os

    value = os.environ.get('SYNAPSE_LANGUAGE', '').strip()
    return value.replace('_', '-').split('-')[0].lower()


def render_root_help(width: int) -> str:
    """The root help page at `width` columns, without a trailing newline."""
    options = [
        ('--version', VERSION_HELP),
        ('--debug', DEBUG_HELP),
        (f'-l, --lang {LANG_METAVAR}', LANG_HELP),
        (', '.join(HELP_OPTION_NAMES), _HELP_OPTION_HELP),
    ]
    commands = [(name, SUBCOMMANDS[name][1]) for name in sorted(SUBCOMMANDS)]
    blocks = [
        _wrap(_USAGE_ARGS, width, _USAGE, ' ' * len(_USAGE)),
        _paragraphs(ROOT_HELP, width, ' ' * _INDENT),
        'Options:\n' + _definition_list(options, width),
        'Commands:\n' + _definition_list(commands, width),
    ]
    return '\n\n'.join(blocks)


def _wrap(text: str, width: int, first_indent: str = '', next_indent: str = '') -> str:
    wrapper = textwrap.TextWrapper(
        width, initial_indent=first_indent, subsequent_indent=next_indent, replace_whitespace=False
    )
    return wrapper.fill(text)


def _paragraphs(text: str, width: int, indent: str) -> str:
    """Re-wrap each blank-line separated paragraph, keeping the extra indent of its first line."""
    wrapped = []
    for paragraph in text.expandtabs().split('\n\n'):
        lines = [line for line in paragraph.splitlines() if line]
        if not lines:
            continue
        extra = ' ' * (len(lines[0]) - len(lines[0].lstrip()))
        joined = ' '.join([lines[0].lstrip(), *lines[1:]])
        wrapped.append(_wrap(joined, width, indent + extra, indent + extra))
    return '\n\n'.join(wrapped)


def _definition_list(rows: list[tuple[str, str]], width: int) -> str:
    first_column = min(max(len(term) for term, _ in rows), _FIRST_COLUMN_MAX) + _COLUMN_GAP
    body_indent = ' ' * (first_column + _INDENT)
    text_width = max(width - first_column - 2, 10)
    lines = []
    for term, description in rows:
        head = ' ' * _INDENT + term
        if len(term) <= first_column - _COLUMN_GAP:
            head += ' ' * (first_column - len(term))
        else:
            lines.append(head)
            head = body_indent
        description_lines = _paragraphs(description, text_width, '').splitlines()
        lines.append(head + description_lines[0])
        lines.extend(body_indent + line for line in description_lines[1:])
    return '\n'.join(lines)
