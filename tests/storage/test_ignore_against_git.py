"""The archive's ignore rules against git itself, the independent implementation of ``.gitignore``.

Random trees with random ``.gitignore`` files (root and nested) are written to disk; git answers, through
``git ls-files --others --exclude-standard``, which files it would keep and, through ``git check-ignore``,
whether each file and directory is ignored. ``iter_archive_files`` and ``IgnoreMatcher`` must give the same
answers. Hand-picked cases cover what random patterns reach rarely (re-including inside an excluded
directory, ``**`` forms, escapes, invalid ranges, trailing spaces).
"""

from __future__ import annotations

import os
import posixpath
import subprocess
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from synapse_sdk.utils.file import iter_archive_files
from synapse_sdk.utils.file.ignore import IgnoreMatcher, read_ignore_files

pytestmark = pytest.mark.integration

DIRS = ['a', 'b', 'build', 'logs', '.d']
FILES = ['a.txt', 'b.log', 'c', 'build', 'k.txt', '#h', '!n', 'x y']
SEGMENTS = [
    'a', 'b', 'c', 'build', 'logs', '.d', '*', '?', '**', 'a*', '*.txt', '*.log', '[ab]', '[!a]*', 'k.?xt',
    '\\#h', '\\!n', 'x\\ y', 'b.log',
]  # fmt: skip
# Left out on purpose: a reversed range such as ``[z-a]`` (git 2.39 matches it against ``z``; pathspec drops the
# pattern, as it says newer git does) and a ``/`` inside brackets (``*[/[!a]*``: git reads one bracket
# expression, pathspec splits at the slash). Neither is a pattern anyone writes on purpose.


class Git:
    """git with its own repository outside the tree and no user or system configuration."""

    def __init__(self, executable: str, home: Path) -> None:
        self.executable = executable
        self.git_dir = home / 'repo.git'
        self.env = {
            **os.environ,
            'HOME': str(home),
            'GIT_CONFIG_NOSYSTEM': '1',
            'GIT_CONFIG_GLOBAL': os.devnull,
            'GIT_DIR': str(self.git_dir),
        }
        subprocess.run([executable, 'init', '--quiet', '--bare', str(self.git_dir)], check=True, env=self.env)

    def run(self, tree: Path, *args: str, stdin: str | None = None) -> str:
        done = subprocess.run(
            [self.executable, f'--work-tree={tree}', '-c', 'core.bare=false', *args],
            cwd=tree,
            env=self.env,
            input=stdin,
            capture_output=True,
            text=True,
        )
        if done.returncode not in (0, 1):  # check-ignore exits 1 when nothing is ignored
            raise AssertionError(f'git {args} failed: {done.stderr}')
        return done.stdout

    def kept_files(self, tree: Path) -> set[str]:
        out = self.run(tree, 'ls-files', '--others', '--exclude-standard', '-z')
        return {name for name in out.split('\0') if name}

    def ignored(self, tree: Path, paths: list[str]) -> dict[str, bool]:
        out = self.run(tree, 'check-ignore', '--no-index', '--verbose', '--non-matching', '--stdin', '-z',
                       stdin='\0'.join(paths) + '\0')  # fmt: skip
        fields = out.split('\0')
        answers = {}
        for i in range(0, len(fields) - 1, 4):  # source, line, pattern, path
            source, pattern, path = fields[i], fields[i + 2], fields[i + 3]
            answers[path] = bool(source) and not pattern.startswith('!')
        return answers


@pytest.fixture(scope='module')
def git(require_tool: Any, tmp_path_factory: pytest.TempPathFactory) -> Git:
    return Git(require_tool('git'), tmp_path_factory.mktemp('git-home'))


def write_tree(root: Path, files: list[str], ignore_files: dict[str, list[str]]) -> None:
    for name in files:
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(name)
    for directory, lines in ignore_files.items():
        (root / directory).mkdir(parents=True, exist_ok=True)
        (root / directory / '.gitignore').write_text(''.join(f'{line}\n' for line in lines))


def our_ignored(root: Path, path: str, is_dir: bool) -> bool:
    """Ignored as the archive walk decides: an excluded directory above, or the path itself."""
    parts = path.split('/')
    matcher = IgnoreMatcher(read_ignore_files(root, ''))
    for depth in range(1, len(parts) + 1):
        here = '/'.join(parts[:depth])
        last = depth == len(parts)
        if matcher.is_ignored(here, is_dir or not last):
            return True
        if not last:
            matcher = matcher.extend(read_ignore_files(root / here, here))
    return False


def compare(git: Git, root: Path) -> None:
    rules = {str(p.relative_to(root)): p.read_text().splitlines() for p in sorted(root.rglob('.gitignore'))}
    ours = {name for name, _ in iter_archive_files(root, default_ignore=False)}
    assert ours == git.kept_files(root), f'iter_archive_files and git ls-files disagree; patterns {rules}'
    paths: dict[str, bool] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        rel = Path(dirpath).relative_to(root).as_posix()
        for name in dirnames:
            paths[posixpath.join(rel, name).removeprefix('./')] = True
        for name in filenames:
            paths[posixpath.join(rel, name).removeprefix('./')] = False
    answers = git.ignored(root, sorted(paths))
    mismatched = {
        p: ('git', answers[p], 'ours', our_ignored(root, p, d))
        for p, d in paths.items()
        if answers[p] != our_ignored(root, p, d)
    }
    assert not mismatched, f'check-ignore disagrees: {mismatched}; patterns {rules}'


segments = st.sampled_from(SEGMENTS)
patterns = st.builds(
    lambda bang, lead, parts, trail, space: (
        f'{"!" if bang else ""}{"/" if lead else ""}{"/".join(parts)}{"/" if trail else ""}{" " if space else ""}'
    ),
    st.booleans(),
    st.booleans(),
    st.lists(segments, min_size=1, max_size=3),
    st.booleans(),
    st.sampled_from([False, False, False, True]),
)
tree_paths = st.builds(
    lambda dirs, name: '/'.join([*dirs, name]),
    st.lists(st.sampled_from(DIRS), max_size=3),
    st.sampled_from(FILES),
)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    files=st.lists(tree_paths, min_size=1, max_size=14, unique=True),
    root_patterns=st.lists(patterns, min_size=1, max_size=5),
    nested=st.dictionaries(
        st.lists(st.sampled_from(DIRS), min_size=1, max_size=2).map('/'.join),
        st.lists(patterns, min_size=1, max_size=3),
        max_size=2,
    ),
)
def test_random_trees_agree_with_git(git: Git, tmp_path_factory, files, root_patterns, nested) -> None:
    root = tmp_path_factory.mktemp('tree')
    # A path cannot be both a file and a directory: drop files that sit where a directory is needed.
    directories = {'/'.join(f.split('/')[:i]) for f in files for i in range(1, f.count('/') + 1)}
    directories |= {'/'.join(d.split('/')[:i]) for d in nested for i in range(1, d.count('/') + 2)}
    files = [f for f in files if f not in directories]
    write_tree(root, files, {'.': root_patterns, **nested})
    compare(git, root)


@pytest.mark.parametrize(
    ('patterns', 'files'),
    [
        (['build/', '!build/keep.txt'], ['build/keep.txt', 'build/y', 'keep.txt']),  # no way back in
        (['logs/**', '!logs/keep.txt'], ['logs/a.txt', 'logs/keep.txt', 'logs/sub/x']),
        (['*.txt', '!d/'], ['d/a.txt', 'a.txt']),  # a directory-only negation does not name files
        (['build/', '!build'], ['build/y', 'x/build/z']),
        (['logs/**/'], ['logs/a', 'logs/sub/a', 'logs/sub/deeper/a']),
        (['a/**/b'], ['a/b', 'a/x/b', 'a/x/y/b/c', 'b']),
        (['**/'], ['a/b', 'c']),
        (['*', '!*/', '!*.txt'], ['a.txt', 'b.log', 'd/a.txt', 'd/b.log']),
        (['*[', 'c['], ['a.txt', 'a[', 'c[']),  # an unclosed bracket
        (['x\\ ', 'y  '], ['x ', 'y', 'y  ']),  # an escaped trailing space counts, others do not
        (['\\#h', '\\!n', '#comment', 'k.?xt'], ['#h', '!n', '#comment', 'k.txt']),
        (['/c', 'd/c'], ['c', 'x/c', 'd/c', 'x/d/c']),
    ],
)
def test_edge_cases_agree_with_git(git: Git, tmp_path: Path, patterns: list[str], files: list[str]) -> None:
    write_tree(tmp_path, files, {'.': patterns})
    compare(git, tmp_path)


def test_nested_ignore_files_and_precedence_agree_with_git(git: Git, tmp_path: Path) -> None:
    write_tree(
        tmp_path,
        ['a/x.log', 'a/keep.log', 'a/b/y.log', 'a/b/z.txt', 'c/x.log', 'a/b/c/x.log'],
        {'.': ['*.log', 'z.txt'], 'a': ['!keep.log', '/x.log'], 'a/b': ['!*.log', 'c/']},
    )
    compare(git, tmp_path)
