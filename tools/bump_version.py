"""Bump one distribution's version and date its changelog, leaving every other distribution alone.

    uv run python tools/bump_version.py synapse-storage minor
    uv run python tools/bump_version.py synapse-core 0.3.0 --date 2026-12-01

It rewrites `version = "..."` in `packages/<name>/pyproject.toml`, turns the `## [Unreleased]` section of
`packages/<name>/CHANGELOG.md` into `## [<new>] - <date>` under a fresh empty `## [Unreleased]`, and refreshes
`uv.lock` (skip with --no-lock). It refuses to release a distribution whose Unreleased section is empty,
because a version that changes must say what changed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
_VERSION_LINE = re.compile(r'^version\s*=\s*"(?P<version>[^"]+)"\s*$', re.MULTILINE)
_SEMVER = re.compile(r'^(\d+)\.(\d+)\.(\d+)$')


class BumpError(Exception):
    """The bump cannot be done as asked; the message says why."""


def next_version(current: str, part: str) -> str:
    """`part` is major, minor, patch or an explicit X.Y.Z greater than `current`."""
    match = _SEMVER.match(current)
    if not match:
        raise BumpError(f'current version {current!r} is not X.Y.Z')
    major, minor, patch = (int(x) for x in match.groups())
    if part == 'major':
        return f'{major + 1}.0.0'
    if part == 'minor':
        return f'{major}.{minor + 1}.0'
    if part == 'patch':
        return f'{major}.{minor}.{patch + 1}'
    explicit = _SEMVER.match(part)
    if not explicit:
        raise BumpError(f'{part!r} is neither major, minor, patch nor a version X.Y.Z')
    if tuple(int(x) for x in explicit.groups()) <= (major, minor, patch):
        raise BumpError(f'new version {part} must be greater than the current {current}')
    return part


def release_changelog(text: str, version: str, date: str) -> str:
    """Move the Unreleased entries under a dated heading for `version`."""
    heading = re.search(r'^## \[Unreleased\]\s*$', text, re.MULTILINE)
    if not heading:
        raise BumpError('CHANGELOG.md has no "## [Unreleased]" section')
    following = re.search(r'^## \[', text[heading.end() :], re.MULTILINE)
    body_end = heading.end() + following.start() if following else len(text)
    body = text[heading.end() : body_end].strip()
    if not body:
        raise BumpError('the "## [Unreleased]" section is empty: add the changes before releasing')
    return (
        f'{text[: heading.start()]}## [Unreleased]\n\n## [{version}] - {date}\n\n{body}\n\n{text[body_end:]}'.rstrip()
        + '\n'
    )


def bump(name: str, part: str, date: str, *, root: Path = ROOT, lock: bool = True) -> str:
    package = root / 'packages' / name
    pyproject = package / 'pyproject.toml'
    changelog = package / 'CHANGELOG.md'
    if not pyproject.exists():
        known = sorted(p.name for p in (root / 'packages').iterdir() if (p / 'pyproject.toml').exists())
        raise BumpError(f'no distribution {name!r}; known: {", ".join(known)}')
    project_text = pyproject.read_text()
    current = _VERSION_LINE.search(project_text)
    if not current:
        raise BumpError(f'{pyproject} has no version = "..." line')
    new = next_version(current.group('version'), part)
    new_changelog = release_changelog(changelog.read_text(), new, date)
    pyproject.write_text(
        project_text[: current.start('version')] + new + project_text[current.end('version') :]
    )
    changelog.write_text(new_changelog)
    if lock:
        subprocess.run(['uv', 'lock', '--quiet'], cwd=root, check=True)
    return new


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('name', help='distribution, e.g. synapse-core')
    parser.add_argument('part', help='major, minor, patch, or an explicit X.Y.Z')
    parser.add_argument('--date', default=dt.date.today().isoformat(), help='release date (default: today)')
    parser.add_argument('--no-lock', action='store_true', help='do not refresh uv.lock')
    args = parser.parse_args(argv)
    try:
        new = bump(args.name, args.part, args.date, lock=not args.no_lock)
    except BumpError as exc:
        print(f'bump_version: {exc}', file=sys.stderr)
        return 2
    print(f'{args.name} is now {new}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
