"""tools/bump_version.py: calendar versions above the previous SDK, one distribution at a time, siblings repinned."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
NAMES = sorted(p.name for p in (ROOT / 'packages').iterdir() if (p / 'pyproject.toml').is_file())

CHANGELOG = """# Changelog

## [Unreleased]

## [2026.11.0] - 2026-11-01

### Added
- First release.
"""


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    """Every distribution's real pyproject.toml, with changelogs that released 2026.11.0 and nothing since."""
    for name in NAMES:
        target = tmp_path / 'packages' / name
        target.mkdir(parents=True)
        shutil.copy(ROOT / 'packages' / name / 'pyproject.toml', target / 'pyproject.toml')
        (target / 'CHANGELOG.md').write_text(CHANGELOG)
    return tmp_path


def _add_unreleased(changelog: Path, entry: str) -> None:
    text = changelog.read_text().replace('## [Unreleased]\n', f'## [Unreleased]\n\n### Added\n- {entry}\n', 1)
    changelog.write_text(text)


def _set_version(workspace: Path, name: str, version: str) -> None:
    path = workspace / 'packages' / name / 'pyproject.toml'
    text = path.read_text()
    path.write_text(text.replace(f'version = "{_version(path)}"', f'version = "{version}"', 1))


def _version(pyproject: Path) -> str:
    import tomllib

    return tomllib.loads(pyproject.read_text())['project']['version']


def _snapshot(workspace: Path, names: list[str]) -> dict[str, str]:
    return {
        f'{n}/{f}': (workspace / 'packages' / n / f).read_text()
        for n in names
        for f in ('pyproject.toml', 'CHANGELOG.md')
    }


def test_releases_one_distribution_and_repins_only_its_dependents(bump_version, workspace):
    storage = workspace / 'packages' / 'synapse-storage'
    untouched = [n for n in NAMES if n not in ('synapse-storage', 'synapse-sdk')]
    before = _snapshot(workspace, untouched)
    _add_unreleased(storage / 'CHANGELOG.md', 'Azure provider.')

    new, repinned = bump_version.bump('synapse-storage', '2027-02-10', root=workspace, lock=False)

    assert new == '2027.2.0'
    assert _version(storage / 'pyproject.toml') == '2027.2.0'
    changelog = (storage / 'CHANGELOG.md').read_text()
    unreleased, released = changelog.split('## [2027.2.0] - 2027-02-10')
    assert unreleased.rstrip().endswith('## [Unreleased]')
    assert '- Azure provider.' in released.split('## [2026.11.0]')[0]
    # the meta-package pins storage exactly, in its dependencies and in every extra that names it
    assert repinned == ['synapse-sdk']
    meta = (workspace / 'packages' / 'synapse-sdk' / 'pyproject.toml').read_text()
    assert meta.count('"synapse-storage==2027.2.0"') == 1
    for extra in ('s3', 'gcs', 'sftp', 's3,gcs,sftp'):
        assert f'"synapse-storage[{extra}]==2027.2.0"' in meta
    meta_log = (workspace / 'packages' / 'synapse-sdk' / 'CHANGELOG.md').read_text()
    unreleased = meta_log.split('## [2026.11.0]')[0]
    assert '### Changed\n- Requires synapse-storage 2027.2.0' in unreleased
    assert _snapshot(workspace, untouched) == before


def test_compatible_bounds_move_only_when_a_new_year_leaves_them(bump_version, workspace):
    core = workspace / 'packages' / 'synapse-core'
    cli = workspace / 'packages' / 'synapse-cli' / 'pyproject.toml'
    _set_version(workspace, 'synapse-core', '2026.12.0')
    (core / 'CHANGELOG.md').write_text(
        CHANGELOG.replace('2026.11.0] - 2026-11-01', '2026.12.0] - 2026-12-01')
    )
    cli_before = cli.read_text()
    assert '"synapse-core~=2026.12"' in cli_before

    _add_unreleased(core / 'CHANGELOG.md', 'A fix.')
    new, repinned = bump_version.bump('synapse-core', '2026-12-20', root=workspace, lock=False)
    assert new == '2026.12.1'
    assert repinned == ['synapse-sdk']  # the meta's exact pin moves; cli's ~=2026.12 still holds
    assert cli.read_text() == cli_before

    _add_unreleased(core / 'CHANGELOG.md', 'A breaking change, allowed in the first release of a year.')
    new, repinned = bump_version.bump('synapse-core', '2027-01-04', root=workspace, lock=False)
    assert new == '2027.1.0'
    dependents = sorted(
        n for n in NAMES if '"synapse-core' in (workspace / 'packages' / n / 'pyproject.toml').read_text()
    )
    assert {'synapse-cli', 'synapse-executors-ray', 'synapse-sdk'} <= set(dependents)
    assert repinned == [
        n for n in dependents if n != 'synapse-core'
    ]  # every ~= bound left behind by the year
    assert '"synapse-core~=2027.1"' in cli.read_text()
    assert '"synapse-clients~=2026.12"' in cli.read_text()  # another sibling's bound is left alone
    assert (
        'Requires synapse-core 2027.1.0 (`synapse-core~=2027.1`).'
        in (cli.parent / 'CHANGELOG.md').read_text()
    )


def test_refusals_change_no_file(bump_version, workspace):
    before = _snapshot(workspace, NAMES)
    with pytest.raises(bump_version.BumpError, match='Unreleased'):
        bump_version.bump('synapse-core', '2026-12-06', root=workspace, lock=False)
    _add_unreleased(workspace / 'packages' / 'synapse-core' / 'CHANGELOG.md', 'Something.')
    with pytest.raises(bump_version.BumpError, match=r'not above the released 2026\.11\.0'):
        bump_version.bump('synapse-core', '2026-12-06', version='2026.11.0', root=workspace, lock=False)
    assert _snapshot(workspace, [n for n in NAMES if n != 'synapse-core']) == {
        k: v for k, v in before.items() if not k.startswith('synapse-core/')
    }


@pytest.mark.parametrize(
    ('current', 'date', 'released', 'explicit', 'expected'),
    [
        (
            '2026.12.0',
            '2026-12-06',
            [],
            None,
            '2026.12.0',
        ),  # pyproject ran ahead of the changelog: released as is
        ('0.1.0', '2026-12-06', [(0, 1, 0)], None, '2026.12.0'),  # versions before the calendar scheme
        ('2026.12.0', '2026-12-24', [(2026, 12, 0)], None, '2026.12.1'),
        ('2026.12.4', '2027-01-02', [(2026, 12, 4)], None, '2027.1.0'),
        ('2026.12.0', '2026-12-06', [(2026, 12, 0)], '2026.12.7', '2026.12.7'),
    ],
)
def test_next_version(bump_version, current, date, released, explicit, expected):
    assert bump_version.next_version(current, dt.date.fromisoformat(date), released, explicit) == expected


@pytest.mark.parametrize(
    ('current', 'date', 'released', 'explicit', 'message'),
    [
        ('2026.12.0', '2026-12-06', [(2026, 12, 0)], '2026.12.0', 'not above the released'),
        ('2027.1.0', '2026-12-06', [], None, 'below the version in pyproject.toml'),
        ('2026.12.0', '2026-11-30', [(2026, 12, 0)], None, 'later than 2026-11-30'),
        ('0.1.0', '2026-01-15', [], None, 'does not supersede the previous SDK'),
        ('0.1.0', '2026-12-06', [], '2026.2.17', 'does not supersede the previous SDK'),
        ('0.1.0', '2026-12-06', [], '2026.01.3', 'not a calendar version'),
        ('0.1.0', '2026-12-06', [], '2026.13.0', 'not a calendar version'),
        ('0.1.0', '2026-12-06', [], '1.2', 'not a calendar version'),
    ],
)
def test_next_version_refusals(bump_version, current, date, released, explicit, message):
    with pytest.raises(bump_version.BumpError, match=message):
        bump_version.next_version(current, dt.date.fromisoformat(date), released, explicit)


def test_semver_parts_are_refused_with_the_reason(bump_version, capsys):
    with pytest.raises(SystemExit):
        bump_version.main(['synapse-core', 'minor', '--no-lock'])
    assert 'calendar versions YYYY.M.PATCH' in capsys.readouterr().err


def test_unknown_distribution_lists_the_known_ones(bump_version, workspace):
    with pytest.raises(bump_version.BumpError, match='synapse-cli, synapse-clients'):
        bump_version.bump('synapse-nope', '2026-12-06', root=workspace, lock=False)


def test_the_workspace_follows_the_scheme(bump_version):
    """Every version is a calendar version above the previous SDK; the meta pins every sibling exactly at its
    version; the others bound their siblings with ~= bounds their versions meet."""
    import tomllib

    from packaging.requirements import Requirement

    projects = {
        n: tomllib.loads((ROOT / 'packages' / n / 'pyproject.toml').read_text())['project'] for n in NAMES
    }
    versions = {n: p['version'] for n, p in projects.items()}
    floor = bump_version.parse_version(bump_version.PREVIOUS_SDK)
    assert all(bump_version.parse_version(v) > floor for v in versions.values()), versions
    seen_meta = set()
    for name, project in projects.items():
        requirements = list(project.get('dependencies', []))
        requirements += [r for extra in project.get('optional-dependencies', {}).values() for r in extra]
        for text in requirements:
            req = Requirement(text)
            if req.name not in versions:
                continue
            assert versions[req.name] in req.specifier, f'{name}: {text} excludes {versions[req.name]}'
            operators = [s.operator for s in req.specifier]
            if name == bump_version.META:
                assert operators == ['=='], text
                seen_meta.add(req.name)
            else:
                assert operators == ['~='], text
    assert seen_meta == set(NAMES) - {bump_version.META}


@pytest.mark.integration
def test_uv_locks_the_workspace_after_a_release(bump_version, tmp_path):
    """The repinned workspace (exact pins, ~= bounds, uv workspace sources) still locks, and the lock holds
    the new version: the release tool's own `uv lock` run, on a copy of the repository's project files."""
    root = tmp_path / 'repo'
    for rel in (
        'pyproject.toml',
        'uv.lock',
        *(f'packages/{n}/{f}' for n in NAMES for f in ('pyproject.toml', 'README.md')),
    ):
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / rel, root / rel)
    for name in NAMES:
        (root / 'packages' / name / 'CHANGELOG.md').write_text(
            CHANGELOG.replace(
                '2026.11.0] - 2026-11-01', f'{_version(root / "packages" / name / "pyproject.toml")}]'
            )
        )
    _add_unreleased(root / 'packages' / 'synapse-core' / 'CHANGELOG.md', 'A new year.')

    new, _ = bump_version.bump('synapse-core', '2027-01-04', root=root, lock=True)

    lock = (root / 'uv.lock').read_text()
    assert f'name = "synapse-core"\nversion = "{new}"' in lock
    subprocess.run(['uv', 'lock', '--locked', '--offline', '--quiet'], cwd=root, check=True)
