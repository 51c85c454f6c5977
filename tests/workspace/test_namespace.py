"""The shared `synapse_sdk` namespace works the three ways users meet it.

1. the editable workspace (this test process's environment),
2. every wheel installed together in one fresh environment,
3. each wheel installed alone (with only the synapse siblings it requires).

In each, every module a distribution ships must import, and `synapse_sdk.plugins.executors.ray` (from
synapse-executors-ray) must import beside `synapse_sdk.plugins.executors.local` (from synapse-core).
"""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from collections import Counter
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
NAMESPACES = ('synapse_sdk/__init__.py', 'synapse_sdk/utils/__init__.py')
BESIDE = ('synapse_sdk.plugins.executors.local', 'synapse_sdk.plugins.executors.ray')

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def _source_modules(distribution: str) -> list[str]:
    """Modules of a distribution as laid out in its src/ folder (the editable view)."""
    src = ROOT / 'packages' / distribution / 'src'
    modules = []
    for path in sorted(src.rglob('*.py')):
        parts = list(path.relative_to(src).with_suffix('').parts)
        if parts[-1] == '__main__':
            continue
        if parts[-1] == '__init__':
            parts = parts[:-1]
        modules.append('.'.join(parts))
    return modules


def _import_in(python: str | Path, modules: list[str], optional: set[str]) -> dict:
    """Import `modules` in a fresh interpreter; return which failed (beyond `optional` missing packages)."""
    code = (
        'import importlib, json, sys\n'
        'optional, failed = set(json.loads(sys.argv[1])), {}\n'
        'for m in json.loads(sys.argv[2]):\n'
        '    try:\n'
        '        importlib.import_module(m)\n'
        '    except ModuleNotFoundError as e:\n'
        "        if not any((e.name or '') == o or (e.name or '').startswith(o + '.') for o in optional):\n"
        '            failed[m] = repr(e)\n'
        '    except Exception as e:\n'
        '        failed[m] = repr(e)\n'
        'print(json.dumps(failed))\n'
    )
    done = subprocess.run(
        [str(python), '-c', code, json.dumps(sorted(optional)), json.dumps(modules)],
        capture_output=True,
        text=True,
        check=True,
        cwd='/',
    )
    return json.loads(done.stdout)


def test_no_distribution_ships_a_namespace_init_or_another_ones_file(wheels):
    owners: Counter[str] = Counter()
    for wheel in wheels.values():
        with zipfile.ZipFile(wheel) as zf:
            names = [n for n in zf.namelist() if n.startswith('synapse_sdk/')]
        for namespace_init in NAMESPACES:
            assert namespace_init not in names, (
                f'{wheel.name} ships {namespace_init}, shadowing the namespace'
            )
        owners.update(names)
    shared = sorted(name for name, count in owners.items() if count > 1)
    assert not shared, f'files shipped by more than one wheel: {shared}'


def test_editable_workspace_imports_every_module():
    modules = [m for d in sorted(p.name for p in (ROOT / 'packages').iterdir()) for m in _source_modules(d)]
    assert BESIDE[0] in modules and BESIDE[1] in modules
    assert _import_in(sys.executable, modules, set()) == {}


def test_all_wheels_installed_together(isolation, wheels, tmp_path):
    venv = tmp_path / 'all'
    subprocess.run(['uv', 'venv', '--quiet', '--python', sys.executable, str(venv)], check=True)
    python = venv / 'bin' / 'python'
    subprocess.run(
        ['uv', 'pip', 'install', '--quiet', '--python', str(python), *(str(w) for w in wheels.values())],
        check=True,
    )
    modules = [m for wheel in wheels.values() for m in isolation._wheel_modules(wheel)]
    optional = {'pytest', 'ray.serve'}  # tools a user brings along, not dependencies of the SDK
    assert _import_in(python, modules, optional) == {}
    assert _import_in(python, list(BESIDE), set()) == {}


@pytest.mark.parametrize(
    'distribution',
    [
        'synapse-core',
        'synapse-clients',
        'synapse-storage',
        'synapse-converters',
        'synapse-executors-ray',
        'synapse-cli',
        'synapse-sdk',
        'synapse-testing',
    ],
)
def test_each_wheel_installed_alone(isolation, wheels, tmp_path, distribution):
    venv = tmp_path / distribution
    subprocess.run(['uv', 'venv', '--quiet', '--python', sys.executable, str(venv)], check=True)
    python = venv / 'bin' / 'python'
    closure = isolation.sibling_closure(distribution, wheels)
    subprocess.run(
        ['uv', 'pip', 'install', '--quiet', '--python', str(python), *(str(wheels[n]) for n in closure)],
        check=True,
    )
    installed = {n for n in isolation._installed(python) if n.startswith('synapse-')}
    assert installed == set(closure)
    own = isolation._wheel_modules(wheels[distribution])
    assert own, f'{distribution} ships no module'
    optional = set(isolation.DISTRIBUTIONS[distribution].optional_imports)
    assert _import_in(python, own, optional) == {}
    if distribution == 'synapse-executors-ray':
        assert _import_in(python, list(BESIDE), set()) == {}
