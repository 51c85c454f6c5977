"""tools/bump_version.py changes exactly one distribution's version and changelog."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


CHANGELOG = """# Changelog

## [Unreleased]

## [0.1.0] - 2026-11-01

### Added
- First release.
"""


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    """Two distributions with their real pyproject.toml and an empty Unreleased changelog section."""
    for name in ('synapse-core', 'synapse-storage'):
        target = tmp_path / 'packages' / name
        target.mkdir(parents=True)
        shutil.copy(ROOT / 'packages' / name / 'pyproject.toml', target / 'pyproject.toml')
        (target / 'CHANGELOG.md').write_text(CHANGELOG)
    return tmp_path


def _add_unreleased(changelog: Path, entry: str) -> None:
    text = changelog.read_text().replace('## [Unreleased]\n', f'## [Unreleased]\n\n### Added\n- {entry}\n', 1)
    changelog.write_text(text)


def test_bumps_one_distribution_and_dates_its_changelog(bump_version, workspace):
    storage, core = workspace / 'packages' / 'synapse-storage', workspace / 'packages' / 'synapse-core'
    core_before = {f: (core / f).read_text() for f in ('pyproject.toml', 'CHANGELOG.md')}
    current = bump_version._VERSION_LINE.search((storage / 'pyproject.toml').read_text()).group('version')
    major, minor, _ = (int(x) for x in current.split('.'))
    _add_unreleased(storage / 'CHANGELOG.md', 'Azure provider.')

    new = bump_version.bump('synapse-storage', 'minor', '2026-12-01', root=workspace, lock=False)

    assert new == f'{major}.{minor + 1}.0'
    assert f'version = "{new}"' in (storage / 'pyproject.toml').read_text()
    changelog = (storage / 'CHANGELOG.md').read_text()
    unreleased, released = changelog.split(f'## [{new}] - 2026-12-01')
    assert unreleased.rstrip().endswith('## [Unreleased]')
    assert '- Azure provider.' in released
    assert {f: (core / f).read_text() for f in ('pyproject.toml', 'CHANGELOG.md')} == core_before


def test_refuses_an_empty_unreleased_section(bump_version, workspace):
    with pytest.raises(bump_version.BumpError, match='Unreleased'):
        bump_version.bump('synapse-core', 'patch', '2026-12-01', root=workspace, lock=False)


@pytest.mark.parametrize(
    ('current', 'part', 'expected'),
    [
        ('0.1.0', 'major', '1.0.0'),
        ('0.1.0', 'minor', '0.2.0'),
        ('0.1.9', 'patch', '0.1.10'),
        ('0.1.0', '0.4.2', '0.4.2'),
    ],
)
def test_next_version(bump_version, current, part, expected):
    assert bump_version.next_version(current, part) == expected


@pytest.mark.parametrize('part', ['0.1.0', '0.0.9', 'mayor', '1.2'])
def test_next_version_rejects_bad_parts(bump_version, part):
    with pytest.raises(bump_version.BumpError):
        bump_version.next_version('0.1.0', part)


def test_unknown_distribution_lists_the_known_ones(bump_version, workspace):
    with pytest.raises(bump_version.BumpError, match='synapse-core, synapse-storage'):
        bump_version.bump('synapse-nope', 'patch', '2026-12-01', root=workspace, lock=False)
