"""``.gitignore``-style patterns, used to decide what goes into a plugin archive.

Each pattern is translated by `pathspec` (its git-exact ``GitIgnoreSpecPattern``), a maintained library,
rather than by hand. What stays here is how patterns combine, as git combines them: a pattern file applies
to its own directory and below, the last matching pattern wins (deeper files and the caller's extra
patterns come later, so they win), a trailing ``/`` matches directories only, and a file inside an excluded
directory cannot be re-included (the walker in ``archive.py`` does not descend into it). Invalid patterns
(such as the range ``[z-a]``) are dropped, as git drops them. ``tests/storage/test_ignore_against_git.py``
checks all of it against the real ``git``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from pathspec.patterns.gitignore import GitIgnorePatternError
from pathspec.patterns.gitignore.spec import GitIgnoreSpecPattern

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
    compiled: GitIgnoreSpecPattern  # the pattern without its trailing slash
    dir_only: bool  # the pattern ended with a slash: it names directories only
    pattern: str

    @property
    def negate(self) -> bool:
        return self.compiled.include is False

    @cached_property
    def _to_end(self) -> re.Pattern[str] | None:
        regex = self.compiled.regex
        return None if regex is None else re.compile(f'(?:{regex.pattern})\\Z', regex.flags)

    def matches(self, target: str, is_dir: bool) -> bool:
        """Whether the pattern names ``target`` itself, not merely a directory above it.

        pathspec's expressions are searched, and the group ``ps_d`` marks a match that stopped at a directory
        boundary (``build`` in ``build/x``): such a match names the directory above, which git handles by not
        descending into it, never by the pattern matching the files below. Expressions without that group
        (from a trailing ``**``: ``^logs/`` for ``logs/**``) match everything below on purpose.
        """
        if self.dir_only and not is_dir:
            return False
        regex, to_end = self.compiled.regex, self._to_end
        if regex is None or to_end is None:
            return False
        if 'ps_d' not in regex.groupindex:
            return regex.search(target) is not None
        return to_end.search(target) is not None


def _strip_line(line: str) -> tuple[str, bool]:
    """``(pattern, dir_only)``: trailing spaces dropped unless escaped, then the trailing slash taken off.

    The slash is handled here, not by pathspec, because pathspec reads ``logs/**/`` as naming ``logs``
    itself, where git names only the directories inside it.
    """
    while line.endswith(' ') and not line.endswith('\\ '):
        line = line[:-1]
    if line.endswith('/') and not line.startswith('#'):
        return line[:-1], True
    return line, False


def parse_patterns(lines: Iterable[str], base: str = '') -> list[Rule]:
    """Rules for ``lines`` of a pattern file living in directory ``base`` (blank lines, comments and
    invalid patterns give none)."""
    rules: list[Rule] = []
    for raw in lines:
        line, dir_only = _strip_line(raw.rstrip('\n').rstrip('\r'))
        if line in ('', '!'):
            continue
        try:
            compiled = GitIgnoreSpecPattern(line)
        except (GitIgnorePatternError, ValueError):
            continue  # git ignores a pattern it cannot parse
        if compiled.include is None:
            continue
        rules.append(Rule(base, compiled, dir_only, raw.strip()))
    return rules


class IgnoreMatcher:
    """Decides whether a relative path is ignored, given the rules collected so far."""

    def __init__(self, rules: Iterable[Rule] = ()) -> None:
        self.rules = list(rules)

    def extend(self, rules: Iterable[Rule]) -> IgnoreMatcher:
        return IgnoreMatcher([*self.rules, *rules])

    def is_ignored(self, relative: str, is_dir: bool) -> bool:
        """Whether ``relative`` itself is excluded; whether a directory above it is, is the caller's walk."""
        ignored = False
        for rule in self.rules:
            if rule.base:
                if not relative.startswith(f'{rule.base}/'):
                    continue
                target = relative[len(rule.base) + 1 :]
            else:
                target = relative
            if rule.matches(target, is_dir):
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
