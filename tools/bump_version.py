"""Release one distribution: give it the next calendar version, date its changelog, repin its dependents.

    uv run python tools/bump_version.py synapse-storage                 # version from today's date
    uv run python tools/bump_version.py synapse-core --date 2027-01-04   # version from that date
    uv run python tools/bump_version.py synapse-core 2027.1.3            # an explicit version

Versions are calendar versions ``YYYY.M.PATCH``: the year and month of the release, and a counter of that
distribution's releases within the month (from 0). Why calendar versions: the meta-package `synapse-sdk` takes
over the name of the previous SDK, whose last release is `PREVIOUS_SDK` (2026.2.17), and `synapse-cli` shares
its name with an unrelated project (0.1.3); every version of this family must sort above both, or pip picks
theirs. Each distribution is still released on its own.

The tool

- sets ``version = "..."`` in ``packages/<name>/pyproject.toml``; the version is the release month's
  ``YYYY.M.0``, or the next PATCH when the changelog already has a release of that month. It never repeats or
  goes below a released version, never goes below the version in pyproject.toml (which may run ahead of the
  changelog: a version nobody released yet is released as is), and never at or below `PREVIOUS_SDK`;
- turns the ``## [Unreleased]`` section of ``packages/<name>/CHANGELOG.md`` into ``## [<new>] - <date>`` under
  a fresh empty ``## [Unreleased]`` (it refuses an empty section: a version that changes says what changed);
- repins the siblings that require it: the meta-package's exact pins (``synapse-core==2026.12.0``) follow the
  new version; a compatible-release bound (``synapse-core~=2026.12``, meaning 2026.12 or later within 2026) is
  moved only when the new version leaves it (the first release of a new year). Each repinned sibling gets a
  ``### Changed`` entry under its own Unreleased section and must be released too; the tool names them;
- refreshes ``uv.lock`` (skip with --no-lock).

Compatibility policy that goes with the ``~=YYYY.M`` bounds: a distribution changes its public API in a way that
breaks callers only in its first release of a calendar year; within a year, releases are compatible.
"""

from __future__ import annotations

import argparse
import datetime as dt
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
#: The last release of the previous SDK under the name `synapse-sdk`; every version here must sort above it.
PREVIOUS_SDK = '2026.2.17'
#: The distribution that pins every sibling exactly.
META = 'synapse-sdk'

_VERSION_LINE = re.compile(r'^version\s*=\s*"(?P<version>[^"]+)"\s*$', re.MULTILINE)
_CALVER = re.compile(r'^(?P<year>[1-9]\d{3})\.(?P<month>[1-9]\d?)\.(?P<patch>0|[1-9]\d*)$')
_HEADING = re.compile(r'^## \[(?P<version>[^\]]+)\]', re.MULTILINE)

CalVer = tuple[int, int, int]


class BumpError(Exception):
    """The bump cannot be done as asked; the message says why."""


def parse_version(text: str) -> CalVer:
    """``'2026.12.0'`` -> ``(2026, 12, 0)``; anything that is not a canonical ``YYYY.M.PATCH`` raises."""
    match = _CALVER.match(text)
    if not match or not 1 <= int(match['month']) <= 12:
        raise BumpError(
            f'{text!r} is not a calendar version YYYY.M.PATCH (year, month 1-12 without a leading zero, '
            'and a release counter)'
        )
    return int(match['year']), int(match['month']), int(match['patch'])


def _loose(text: str) -> tuple[int, ...] | None:
    """A version as numbers, for ordering versions that predate the calendar scheme (``0.1.0``)."""
    return tuple(int(p) for p in text.split('.')) if re.fullmatch(r'\d+(\.\d+)*', text) else None


def format_version(version: CalVer) -> str:
    return '.'.join(str(part) for part in version)


def released_versions(changelog: str) -> list[tuple[int, ...]]:
    """The versions a changelog has released (its ``## [X]`` headings but Unreleased), as numbers."""
    found = (_loose(m['version']) for m in _HEADING.finditer(changelog) if m['version'] != 'Unreleased')
    return sorted(v for v in found if v is not None)


def next_version(
    current: str, date: dt.date, released: list[tuple[int, ...]], explicit: str | None = None
) -> str:
    """The version to release on `date`, given pyproject's `current` and the `released` versions.

    Without `explicit`: ``YYYY.M.0`` of `date`, or one PATCH above the newest release when that is of the same
    month. With `explicit`: that version, checked. Either way the result is above every released version and
    `PREVIOUS_SDK`, and not below `current`.
    """
    last = max(released, default=None)
    if explicit is not None:
        new = parse_version(explicit)
    else:
        new = (date.year, date.month, 0)
        if last is not None and last >= new:
            if tuple(last[:2]) != new[:2]:
                raise BumpError(
                    f'the newest release {format_version(last)} is later than {date.isoformat()}: check the date'
                )
            new = (new[0], new[1], last[2] + 1)
    if last is not None and new <= last:
        raise BumpError(f'{format_version(new)} is not above the released {format_version(last)}')
    current_loose = _loose(current)
    if current_loose is not None and new < current_loose:
        raise BumpError(f'{format_version(new)} is below the version in pyproject.toml ({current})')
    if new <= parse_version(PREVIOUS_SDK):
        raise BumpError(f'{format_version(new)} does not supersede the previous SDK ({PREVIOUS_SDK})')
    return format_version(new)


def release_changelog(text: str, version: str, date: str) -> str:
    """Move the Unreleased entries under a dated heading for `version`."""
    start, end = _unreleased_span(text)
    body = text[start:end].strip()
    if not body:
        raise BumpError('the "## [Unreleased]" section is empty: add the changes before releasing')
    heading = text.rfind('## [Unreleased]', 0, start)
    return (
        f'{text[:heading]}## [Unreleased]\n\n## [{version}] - {date}\n\n{body}\n\n{text[end:]}'.rstrip()
        + '\n'
    )


def add_unreleased_entry(text: str, section: str, entry: str) -> str:
    """Add ``- entry`` under ``### section`` of the Unreleased section (created at its end if missing)."""
    start, end = _unreleased_span(text)
    body = text[start:end]
    sub = re.search(rf'^### {re.escape(section)}\s*$', body, re.MULTILINE)
    if sub:
        following = re.search(r'^### ', body[sub.end() :], re.MULTILINE)
        stop = sub.end() + (following.start() if following else len(body))
        block = body[:stop].rstrip() + f'\n- {entry}\n'
        new_body = block + ('\n' + body[stop:].lstrip('\n') if body[stop:].strip() else '')
    else:
        new_body = (body.rstrip() + '\n\n' if body.strip() else '\n') + f'### {section}\n- {entry}\n'
    return text[:start] + new_body.rstrip('\n') + '\n\n' + text[end:].lstrip('\n')


def _unreleased_span(text: str) -> tuple[int, int]:
    heading = re.search(r'^## \[Unreleased\]\s*$', text, re.MULTILINE)
    if not heading:
        raise BumpError('CHANGELOG.md has no "## [Unreleased]" section')
    following = re.search(r'^## \[', text[heading.end() :], re.MULTILINE)
    return heading.end(), heading.end() + following.start() if following else len(text)


def repin(pyproject_text: str, name: str, version: str) -> tuple[str, list[str]]:
    """Move the requirements on `name` in a dependent's pyproject so that `version` meets them.

    ``name==X`` becomes ``name==version``; ``name~=Y.M`` becomes ``name~=<year>.<month>`` of `version` when
    `version` is outside it (another year). Returns the new text and the requirements changed.
    """
    new_year, new_month, _ = parse_version(version)
    changed: list[str] = []
    pattern = re.compile(rf'"(?P<req>{re.escape(name)}(?:\[[^\]"]*\])?)\s*(?P<op>==|~=)\s*(?P<ver>[0-9.]+)"')

    def replace(match: re.Match[str]) -> str:
        req, op, old = match['req'], match['op'], match['ver']
        if op == '==':
            new = version
        else:
            year, month = (int(p) for p in old.split('.')[:2])
            new = (
                old
                if new_year == year and (new_year, new_month) >= (year, month)
                else f'{new_year}.{new_month}'
            )
        if new != old:
            changed.append(f'{req}{op}{new}')
        return f'"{req}{op}{new}"'

    return pattern.sub(replace, pyproject_text), changed


def bump(
    name: str,
    date: str,
    *,
    version: str | None = None,
    root: Path = ROOT,
    lock: bool = True,
) -> tuple[str, list[str]]:
    """Release `name`; returns the new version and the siblings that were repinned (release them too)."""
    packages = root / 'packages'
    pyproject = packages / name / 'pyproject.toml'
    changelog = packages / name / 'CHANGELOG.md'
    if not pyproject.exists():
        known = sorted(p.name for p in packages.iterdir() if (p / 'pyproject.toml').exists())
        raise BumpError(f'no distribution {name!r}; known: {", ".join(known)}')
    project_text = pyproject.read_text()
    current = _VERSION_LINE.search(project_text)
    if not current:
        raise BumpError(f'{pyproject} has no version = "..." line')
    changelog_text = changelog.read_text()
    try:
        day = dt.date.fromisoformat(date)
    except ValueError:
        raise BumpError(f'--date {date!r} is not a date YYYY-MM-DD') from None
    new = next_version(current['version'], day, released_versions(changelog_text), version)
    new_changelog = release_changelog(changelog_text, new, date)

    writes = {
        pyproject: project_text[: current.start('version')] + new + project_text[current.end('version') :],
        changelog: new_changelog,
    }
    repinned = []
    for other in sorted(p for p in packages.iterdir() if (p / 'pyproject.toml').exists() and p.name != name):
        text, changed = repin((other / 'pyproject.toml').read_text(), name, new)
        if not changed:
            continue
        entry = f'Requires {name} {new} (`{"`, `".join(changed)}`).'
        writes[other / 'pyproject.toml'] = text
        writes[other / 'CHANGELOG.md'] = add_unreleased_entry(
            (other / 'CHANGELOG.md').read_text(), 'Changed', entry
        )
        repinned.append(other.name)
    for path, text in writes.items():  # everything was computed first: a refusal changes no file
        path.write_text(text)
    if lock:
        subprocess.run(['uv', 'lock', '--quiet'], cwd=root, check=True)
    return new, repinned


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('name', help='distribution, e.g. synapse-core')
    parser.add_argument('version', nargs='?', help='explicit YYYY.M.PATCH (default: from the date)')
    parser.add_argument('--date', default=dt.date.today().isoformat(), help='release date (default: today)')
    parser.add_argument('--no-lock', action='store_true', help='do not refresh uv.lock')
    args = parser.parse_args(argv)
    if args.version in ('major', 'minor', 'patch'):
        parser.error(
            f'{args.version!r}: versions are calendar versions YYYY.M.PATCH taken from the release date; '
            'leave the version out, or give one explicitly'
        )
    try:
        new, repinned = bump(args.name, args.date, version=args.version, lock=not args.no_lock)
    except BumpError as exc:
        print(f'bump_version: {exc}', file=sys.stderr)
        return 2
    print(f'{args.name} is now {new}')
    if repinned:
        print(f'repinned to it (see their changelogs; release them too): {", ".join(repinned)}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
