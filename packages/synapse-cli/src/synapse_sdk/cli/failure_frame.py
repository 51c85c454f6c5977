"""Where in the plugin author's code an action failed: the frame the CLI shows without ``--debug``.

Why: ``KeyError: 'missing_key'`` alone sends the author hunting; the full traceback buries their one
line under the SDK's and click's frames. The useful frame is the last one in the plugin's own code
(under the plugin directory), else the last one outside the SDK, the standard library and
installed packages. A failure that crossed a process boundary (Ray) carries its traceback as text
only; that text is read back into frames.
"""

from __future__ import annotations

import os
import re
import sys
import sysconfig
import traceback
from pathlib import Path
from typing import Any

__all__ = ['Frame', 'plugin_frame']

_SDK_MARKER = os.sep + 'synapse_sdk' + os.sep
# Python's own traceback layout: '  File "<path>", line <n>, in <name>' then the indented source line.
_TEXT_FRAME = re.compile(
    r'^  File "(?P<file>[^"]+)", line (?P<line>\d+), in (?P<name>.+)\n(?:    (?P<source>.*)\n)?', re.M
)


class Frame:
    """One stack frame: `file`, `line`, `function` and the stripped `source` line (may be empty)."""

    __slots__ = ('file', 'function', 'line', 'source')

    def __init__(self, file: str, line: int, function: str, source: str = ''):
        self.file = file
        self.line = line
        self.function = function
        self.source = source.strip()

    def shown_file(self) -> str:
        """The file relative to the current directory when it lies below it, else as is."""
        try:
            return str(Path(self.file).resolve().relative_to(Path.cwd()))
        except (ValueError, OSError):
            return self.file

    def as_dict(self) -> dict[str, Any]:
        return {'file': self.file, 'line': self.line, 'function': self.function, 'source': self.source}


def plugin_frame(
    exc: BaseException, traceback_text: str = '', plugin_root: str | None = None
) -> Frame | None:
    """The frame to show for `exc`: the last in `plugin_root`, else the last in non-library code.

    `traceback_text` is used when `exc` has no traceback object (it came back from another process).
    """
    frames = _frames(exc, traceback_text)
    if not frames:
        return None
    if plugin_root:
        root = os.path.realpath(plugin_root) + os.sep
        inside = [f for f in frames if os.path.realpath(f.file).startswith(root)]
        if inside:
            return inside[-1]
    own = [f for f in frames if _is_authors_code(f.file)]
    return own[-1] if own else None


def _frames(exc: BaseException, text: str) -> list[Frame]:
    if exc.__traceback__ is not None:
        return [
            Frame(f.filename, f.lineno or 0, f.name, f.line or '')
            for f in traceback.extract_tb(exc.__traceback__)
        ]
    # Only the last exception's block: a chained traceback lists its causes first.
    last = text.rsplit('\nTraceback (most recent call last):\n', 1)[-1]
    return [
        Frame(m['file'], int(m['line']), m['name'], m['source'] or '') for m in _TEXT_FRAME.finditer(last)
    ]


def _library_dirs() -> tuple[str, ...]:
    paths = sysconfig.get_paths()
    dirs = {paths.get(k) for k in ('stdlib', 'platstdlib', 'purelib', 'platlib')}
    dirs |= {os.path.join(p, 'lib') for p in {sys.base_prefix, sys.prefix}}
    return tuple(os.path.realpath(d) + os.sep for d in dirs if d)


def _is_authors_code(file: str) -> bool:
    if file.startswith('<') or _SDK_MARKER in file:  # <frozen ...>, <string>; the SDK itself
        return False
    return not os.path.realpath(file).startswith(_library_dirs())
