"""Console-script entry point of ``synapse`` (``synapse = synapse_sdk.cli.main:main``).

Imports nothing heavy at module level: the root help and ``--version`` are answered by `roothelp`
without click; everything else loads the click group (`app`).
"""

from __future__ import annotations

import os
import sys

__all__ = ['main', 'terminal_width']


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else list(argv)
    width = terminal_width()
    if '_SYNAPSE_COMPLETE' not in os.environ:  # shell completion is click's business
        from synapse_sdk.cli.roothelp import answer_without_click

        if answer_without_click(args, width):
            return 0

    from synapse_sdk.cli.app import cli

    cli.main(args=argv, prog_name='synapse', terminal_width=width)
    return 0


def terminal_width(max_width: int = 100) -> int:
    """Help text width as click computes it (terminal columns, at most `max_width`, minus 2, at least 50).

    Computed here from ``$COLUMNS`` or the terminal because click would otherwise import `shutil`
    (and with it bz2, lzma and zlib) on every ``--help``.
    """
    try:
        columns = int(os.environ['COLUMNS'])
    except (KeyError, ValueError):
        stdout = sys.__stdout__  # None without a console (pythonw)
        try:
            columns = os.get_terminal_size(stdout.fileno()).columns if stdout is not None else 80
        except (AttributeError, ValueError, OSError):
            columns = 80
    return max(min(columns, max_width) - 2, 50)
