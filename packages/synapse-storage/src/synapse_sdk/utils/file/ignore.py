"""``.gitignore``-style patterns, used to decide what goes into a plugin archive.

Supported syntax (as git): blank lines and ``#`` comments, ``!`` re-includes, a trailing ``/`` matches
directories only, a pattern with a ``/`` elsewhere is anchored to the directory of its file, otherwise it
matches a name at any depth; ``*``, ``?``, ``[...]`` and ``**`` (``**/x``, ``x/**``, ``a/**/b``). As in git, a
file inside an excluded directory cannot be re-included. The last matching pattern wins.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

#: Files whose patterns apply to their directory and below.
IGNORE_FILES = ('.gitignore', '.synapseignore')

#: Never archived unless re-included with ``!``: VCS data, caches, virtualenvs, builds and secrets.
DEFAULT_IGNORE = (
    '.git/',
    '.hg/',
    '.svn/',
    '__pycache__/',
    '*.py[cod]',
    '.venv/',
    'venv/',
    '*.egg-info/',
    '.mypy_cache/',
    '.pytest_cache/',
    '.ruff_cache/',
    '.tox/',
    '.idea/',
    '.vscode/',
    'node_modules/',
    'dist/',
    'build/',
    '.DS_Store',
    'Thumbs.db',
    '.env',
    '.env.*',
    '*.swp',
)


@dataclass(frozen=True)
class Rule:
    base: str  # directory (relative, posix) the pattern applies below; '' for the root
    regex: re.Pattern[str]
    negate: bool
    dir_only: bool
    pattern: str


def _translate(pattern: str) -> str:
    out: list[str] = []
    i = 0
    while i < len(pattern):
        if pattern.startswith('**/', i):
            out.append('(?:.*/)?')
            i += 3
            continue
        if pattern.startswith('/**', i) and i + 3 == len(pattern):
            out.append('/.*')
            i += 3
            continue
        if pattern.startswith('**', i):
            out.append('.*')
            i += 2
            continue
        char = pattern[i]
        if char == '*':
            out.append('[^/]*')
        elif char == '?':
            out.append('[^/]')
        elif char == '\\' and i + 1 < len(pattern):
            i += 1
            out.append(re.escape(pattern[i]))
        elif char == '[' and ']' in pattern[i + 2 :]:
            end = pattern.index(']', i + 2)
            body = pattern[i + 1 : end]
            if body.startswith('!'):
                body = '^' + body[1:]
            out.append('[' + body.replace('\\', '\\\\') + ']')
            i = end
        else:
            out.append(re.escape(char))
        i += 1
    return ''.join(out)


def parse_patterns(lines: Iterable[str], base: str = '') -> list[Rule]:
    """Rules for ``lines`` of a pattern file living in directory ``base``."""
    rules: list[Rule] = []
    for raw in lines:
        line = raw.rstrip('\n').rstrip('\r')
        if not line.endswith('\\ '):
            line = line.rstrip()
        if not line or line.startswith('#'):
            continue
        negate = line.startswith('!')
        if negate or line.startswith(('\\!', '\\#')):
            line = line[1:]
        dir_only = line.endswith('/')
        line = line.rstrip('/')
        if not line:
            continue
        anchored = '/' in line
        line = line.lstrip('/')
        body = _translate(line)
        regex = re.compile(body if anchored else f'(?:.*/)?{body}', re.DOTALL)
        rules.append(Rule(base, regex, negate, dir_only, raw.strip()))
    return rules


class IgnoreMatcher:
    """Decides whether a relative path is ignored, given the rules collected so far."""

    def __init__(self, rules: Iterable[Rule] = ()) -> None:
        self.rules = list(rules)

    def extend(self, rules: Iterable[Rule]) -> IgnoreMatcher:
        return IgnoreMatcher([*self.rules, *rules])

    def is_ignored(self, relative: str, is_dir: bool) -> bool:
        ignored = False
        for rule in self.rules:
            if rule.base:
                if not relative.startswith(f'{rule.base}/'):
                    continue
                target = relative[len(rule.base) + 1 :]
            else:
                target = relative
            if rule.dir_only and not is_dir:
                continue
            if rule.regex.fullmatch(target):
                ignored = not rule.negate
        return ignored


def read_ignore_files(directory: Path, base: str) -> list[Rule]:
    """Rules from the ignore files found directly in ``directory`` (relative path ``base``)."""
    rules: list[Rule] = []
    for name in IGNORE_FILES:
        path = directory / name
        if path.is_file():
            rules.extend(
                parse_patterns(path.read_text(encoding='utf-8', errors='replace').splitlines(), base)
            )
    return rules


__all__ = ['DEFAULT_IGNORE', 'IGNORE_FILES', 'IgnoreMatcher', 'Rule', 'parse_patterns', 'read_ignore_files']
