"""Checking a plugin's working dir before Ray packages it.

Ray zips a ``working_dir`` and uploads it to the cluster; the Jobs API refuses packages over 100 MiB
with an error that names no file. Walking the directory first with Ray's own exclusion rules
(gitignore-style ``excludes``, ``.gitignore`` and ``.rayignore`` files at any level) plus sensible
defaults lets us refuse early, with the largest paths listed, and lets the same exclusion list go to
Ray so what we measured is what gets uploaded.

The size measured is the uncompressed total: it is predictable and cheap (no zipping), and for the
model weights and media that usually cause the problem it matches the zipped size closely.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from synapse_sdk.plugins.executors.ray.errors import WorkingDirTooLargeError

__all__ = ['DEFAULT_EXCLUDES', 'MAX_WORKING_DIR_BYTES', 'WorkingDirReport', 'check_working_dir']

#: Ray's limit for a package uploaded through the dashboard (the Jobs API path).
MAX_WORKING_DIR_BYTES = 100 * 1024 * 1024

#: Excluded unless `default_excludes=False`: version control, virtualenvs, caches and build litter.
#: Any directory holding a ``pyvenv.cfg`` is excluded too, whatever its name.
DEFAULT_EXCLUDES: tuple[str, ...] = (
    '.git',
    '.hg',
    '.svn',
    '.venv',
    'venv',
    '__pycache__',
    '*.pyc',
    '.mypy_cache',
    '.pytest_cache',
    '.ruff_cache',
    '.tox',
    '.nox',
    '.ipynb_checkpoints',
    'node_modules',
    '*.egg-info',
    '.DS_Store',
)

_LISTED = 10


@dataclass(frozen=True)
class WorkingDirReport:
    """What would be uploaded: total bytes, file count, and the exclusion list to hand to Ray."""

    path: str
    total_bytes: int
    file_count: int
    excludes: list[str] = field(default_factory=list)
    largest: list[tuple[str, int]] = field(default_factory=list)


def _matcher(patterns: Sequence[str]) -> Callable[[str], bool]:
    if not patterns:
        return lambda _rel: False
    try:  # Ray's vendored copy of pathspec: the exact matcher Ray applies to `excludes`.
        from ray._private.thirdparty.pathspec.pathspec import PathSpec
    except ImportError:  # pragma: no cover - only if Ray reorganises its internals
        import fnmatch

        def match(rel: str) -> bool:
            parts = rel.split('/')
            return any(fnmatch.fnmatch(rel, p) or any(fnmatch.fnmatch(x, p) for x in parts) for p in patterns)

        return match
    lines = list(patterns)
    spec = PathSpec.from_lines('gitwildmatch', lines)  # type: ignore[no-untyped-call]  # vendored, unannotated

    def matches(rel: str) -> bool:
        return bool(spec.match_file(rel))

    return matches


def _ignore_file_matchers(directory: Path, include_gitignore: bool) -> list[Callable[[str], bool]]:
    names = ['.rayignore'] + (['.gitignore'] if include_gitignore else [])
    out = []
    for name in names:
        f = directory / name
        if f.is_file():
            lines = [ln for ln in f.read_text(encoding='utf-8', errors='replace').splitlines() if ln.strip()]
            out.append(_matcher(lines))
    return out


def check_working_dir(
    path: str | os.PathLike[str],
    *,
    excludes: Iterable[str] = (),
    default_excludes: bool = True,
    include_gitignore: bool = True,
    limit: int = MAX_WORKING_DIR_BYTES,
) -> WorkingDirReport:
    """Measure `path` as Ray would package it; raise `WorkingDirTooLargeError` if over `limit`.

    `excludes` are gitignore-style patterns relative to `path` (Ray's ``runtime_env['excludes']``).
    The returned report's `excludes` is the complete list (defaults, detected virtualenvs, yours) to
    put into the runtime_env, so Ray skips exactly what was skipped here.
    """
    root = Path(path).expanduser().resolve()
    if not root.is_dir():
        raise FileNotFoundError(f'Working dir {root} does not exist or is not a directory')
    patterns = [*(DEFAULT_EXCLUDES if default_excludes else ()), *excludes]
    venvs: list[str] = []
    base_match = _matcher(patterns)
    top_sizes: dict[str, int] = {}
    files: list[tuple[str, int]] = []
    total = 0

    def walk(directory: Path, inherited: list[tuple[Path, Callable[[str], bool]]]) -> None:
        nonlocal total
        local = inherited + [(directory, m) for m in _ignore_file_matchers(directory, include_gitignore)]
        try:
            entries = list(os.scandir(directory))
        except PermissionError:
            return
        for entry in entries:
            p = Path(entry.path)
            rel = p.relative_to(root).as_posix()
            is_dir = entry.is_dir(follow_symlinks=False)
            if base_match(rel) or (is_dir and base_match(rel + '/')):
                continue
            if any(m(p.relative_to(d).as_posix()) for d, m in local):
                continue
            if is_dir:
                if default_excludes and (p / 'pyvenv.cfg').is_file():
                    venvs.append(f'/{rel}/')
                    continue
                walk(p, local)
            elif entry.is_file():
                size = entry.stat().st_size
                total += size
                files.append((rel, size))
                top = rel.split('/', 1)[0] + '/' if '/' in rel else rel
                top_sizes[top] = top_sizes.get(top, 0) + size

    walk(root, [])
    largest = sorted(top_sizes.items(), key=lambda kv: kv[1], reverse=True)[:_LISTED]
    listed = {name for name, _ in largest}
    biggest_files = [f for f in sorted(files, key=lambda kv: kv[1], reverse=True) if f[0] not in listed][:5]
    largest += biggest_files
    report = WorkingDirReport(str(root), total, len(files), [*patterns, *venvs], largest)
    if total > limit:
        raise WorkingDirTooLargeError(str(root), total, limit, largest)
    return report
