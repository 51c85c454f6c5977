"""Check that the declared dependency floors (``pydantic>=2.7``, ``ray>=2.40`` ...) really work.

Why: uv.lock pins the newest versions, so every other check runs against them; a floor that is too low
would only show on a user's machine that happens to have the old version. Two runs:

1. The workspace resolved with ``--resolution lowest-direct`` (every direct dependency at the lowest
   version its specifier allows; what those need, as usual), in a copy of the tree so uv.lock and .venv
   stay untouched. It prints each floor beside the version installed (a floor can be lifted by another
   package's requirement: then the floor itself is not what ran, and the table says by how much), imports
   every module of every distribution, and runs the tests of core, clients, storage and the typing
   tests against those versions.
2. synapse-core and synapse-converters (no sibling dependencies) installed alone with their floors pinned
   exactly (pydantic 2.7.0, pyyaml 6.0 ...), running their isolation smoke scripts: the floors the
   whole workspace cannot reach because a sibling's dependency lifts them.

    uv run --no-sync python tools/floors.py
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import tomllib
from pathlib import Path

from packaging.version import Version

ROOT = Path(__file__).resolve().parent.parent
#: Test directories run against the lowest versions (quick ones; Ray's own suite stays on the lock).
TESTS = ['tests/core', 'tests/clients', 'tests/storage', 'tests/typing']
#: Distributions with no synapse dependency: installed alone with their floors pinned exactly.
ALONE = ['synapse-core', 'synapse-converters']
_SPEC = re.compile(r'^([A-Za-z0-9_.\-]+)(\[[^\]]*\])?\s*>=\s*([0-9][^,;\s]*)')


def run(cmd: list[str], **kwargs: object) -> None:
    print('$', ' '.join(cmd), flush=True)
    subprocess.run(cmd, check=True, **kwargs)  # type: ignore[call-overload]  # kwargs are subprocess.run's


def floors() -> dict[str, tuple[str, str]]:
    """``{normalised name: (floor, declared by)}`` for every third-party ``>=`` floor of every distribution."""
    out: dict[str, tuple[str, str]] = {}
    for pyproject in sorted((ROOT / 'packages').glob('*/pyproject.toml')):
        project = tomllib.loads(pyproject.read_text())['project']
        specs = list(project.get('dependencies', []))
        for extra in project.get('optional-dependencies', {}).values():
            specs += extra
        for spec in specs:
            m = _SPEC.match(spec)
            if m and not m.group(1).startswith('synapse-'):
                out[m.group(1).lower().replace('_', '-')] = (m.group(3), project['name'])
    return out


def installed(python: Path) -> dict[str, str]:
    probe = 'import importlib.metadata as m, json; print(json.dumps({d.metadata["Name"]: d.version for d in m.distributions()}))'
    text = subprocess.run([str(python), '-c', probe], check=True, capture_output=True, text=True).stdout
    import json

    return {k.lower().replace('_', '-'): v for k, v in json.loads(text).items()}


def lowest_workspace(work: Path) -> None:
    copy = work / 'tree'
    files = subprocess.run(['git', 'ls-files', '-z'], cwd=ROOT, check=True, capture_output=True).stdout
    for name in filter(None, files.decode().split('\0')):
        source = ROOT / name
        if source.is_file():
            (copy / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, copy / name)
    env = {**os.environ, 'UV_PROJECT_ENVIRONMENT': str(copy / '.venv')}
    run(
        ['uv', 'sync', '--all-packages', '--all-extras', '--resolution', 'lowest-direct', '--quiet'],
        cwd=copy,
        env=env,
    )
    python = copy / '.venv' / 'bin' / 'python'
    versions = installed(python)
    print(f'\n{"dependency":24} {"floor":10} {"installed":12} declared by')
    for name, (floor, owner) in sorted(floors().items()):
        have = versions.get(name, '-')
        note = '' if have != '-' and Version(have) == Version(floor) else '  (lifted by another requirement)'
        print(f'{name:24} {floor:10} {have:12} {owner}{note}')
    sources = sorted(str(p) for p in (copy / 'packages').glob('*/src'))
    sweep = (
        'import pkgutil, importlib, sys\n'
        'import synapse_sdk\n'
        'skip = ("synapse_sdk.cli.templates",)\n'
        'names = [m.name for m in pkgutil.walk_packages(synapse_sdk.__path__, "synapse_sdk.")]\n'
        'for n in names:\n'
        '    if not n.startswith(skip) and not n.endswith(".__main__"): importlib.import_module(n)\n'
        'print(f"imported {len(names)} modules")\n'
    )
    assert sources
    run([str(python), '-c', sweep], cwd=copy, env=env)
    run([str(python), '-m', 'pytest', '-q', '-x', '-p', 'no:cacheprovider', *TESTS], cwd=copy, env=env)


def alone_at_floors(work: Path) -> None:
    for dist in ALONE:
        project = tomllib.loads((ROOT / 'packages' / dist / 'pyproject.toml').read_text())['project']
        pins = []
        for spec in project.get('dependencies', []):
            m = _SPEC.match(spec)
            if m:
                pins.append(f'{m.group(1)}{m.group(2) or ""}=={m.group(3)}')
        venv = work / f'venv-{dist}'
        run(['uv', 'venv', '--quiet', str(venv)])
        python = venv / 'bin' / 'python'
        run(
            ['uv', 'pip', 'install', '--quiet', '--python', str(python), *pins, str(ROOT / 'packages' / dist)]
        )
        versions = installed(python)
        print(
            f'{dist} alone: '
            + ', '.join(
                f'{p.split("==")[0]} {versions.get(p.split("==")[0].split("[")[0].lower())}' for p in pins
            )
        )
        run([str(python), str(ROOT / 'tools' / 'isolation_smoke' / f'{dist}.py')], cwd=work)


def main() -> int:
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix='synapse-floors-') as tmp:
        work = Path(tmp)
        lowest_workspace(work)
        alone_at_floors(work)
    print(f'floors ok ({time.monotonic() - started:.0f}s)')
    return 0


if __name__ == '__main__':
    sys.exit(main())
