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
    A frame of another machine's copy of the plugin (Ray's working directory of the actor) is shown
    as the same file in `plugin_root`, when that file exists here.
    """
    frames = _frames(exc, traceback_text)
    if not frames:
        return None
    if plugin_root:
        root = os.path.realpath(plugin_root)
        if exc.__traceback__ is None:
            frames = [_here(f, root) for f in frames]
        inside = [f for f in frames if os.path.realpath(f.file).startswith(root + os.sep)]
        if inside:
            return inside[-1]
    own = [f for f in frames if _is_authors_code(f.file)]
    return own[-1] if own else None


def _here(frame: Frame, root: str) -> Frame:
    """`frame` moved into `root` when it ran in a copy of the plugin shipped elsewhere (Ray's working dir).

    The copy is recognised by the longest tail of its path naming a file in `root` whose line
    `frame.line` is the frame's source line: the same code, not a namesake.
    """
    if not frame.source or not _is_authors_code(frame.file):
        return frame
    parts = Path(frame.file).parts
    for start in range(1, len(parts)):
        candidate = Path(root, *parts[start:])
        if candidate.is_file() and _line_of(candidate, frame.line) == frame.source:
            return Frame(str(candidate), frame.line, frame.function, frame.source)
    return frame


def _line_of(path: Path, number: int) -> str:
    try:
        lines = path.read_text(encoding='utf-8', errors='replace').splitlines()
    except OSError:
        return ''
    return lines[number - 1].strip() if 0 < number <= len(lines) else ''


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
