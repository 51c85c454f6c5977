"""Install each synapse distribution alone and prove it works with only what it declares.

Why: in the editable workspace every distribution sees every other one, so an undeclared import or a
module that shadows a sibling's namespace goes unnoticed until a user installs one wheel on its own.
This check builds every wheel, then for each distribution:

1. creates a fresh virtual environment and installs that wheel plus the wheels of the synapse siblings it
   requires, always by file path from the local build (so a same-named project on the package index is never
   picked up; third-party dependencies come from the index as usual),
2. checks that no package it must not depend on was installed (for synapse-core: no ray, requests, boto3,
   google-cloud-storage, paramiko or click),
3. imports every module the wheel ships,
4. runs `tools/isolation_smoke/<distribution>.py`, a short use of its main feature.

It prints one line per distribution and exits non-zero if any fails.

    uv run python tools/isolation.py            # all of them
    uv run python tools/isolation.py synapse-core synapse-cli
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SMOKE_DIR = ROOT / 'tools' / 'isolation_smoke'

# What must never arrive with each distribution when it is installed without extras.
_NEVER_LIGHT = ('ray', 'boto3', 'google-cloud-storage', 'paramiko')


@dataclass(frozen=True)
class Distribution:
    name: str
    forbidden: tuple[str, ...]
    # Modules that may fail to import because they need a tool the user brings along (a pytest plugin
    # needs pytest), keyed by the top-level package whose absence is acceptable.
    optional_imports: frozenset[str] = field(default_factory=frozenset)


DISTRIBUTIONS: dict[str, Distribution] = {
    d.name: d
    for d in (
        Distribution('synapse-core', (*_NEVER_LIGHT, 'requests', 'click', 'numpy', 'pillow')),
        Distribution('synapse-clients', (*_NEVER_LIGHT, 'click', 'numpy')),
        Distribution('synapse-storage', (*_NEVER_LIGHT, 'click', 'numpy')),
        Distribution('synapse-converters', (*_NEVER_LIGHT, 'requests', 'click', 'numpy', 'pillow')),
        Distribution(
            'synapse-executors-ray', ('boto3', 'google-cloud-storage', 'paramiko'), frozenset({'ray.serve'})
        ),
        Distribution('synapse-cli', (*_NEVER_LIGHT, 'numpy')),
        Distribution('synapse-sdk', (*_NEVER_LIGHT, 'numpy'), frozenset({'pytest'})),
        Distribution('synapse-testing', (*_NEVER_LIGHT, 'click', 'numpy'), frozenset({'pytest'})),
    )
}


def _normalise(name: str) -> str:
    return re.sub(r'[-_.]+', '-', name).lower()


def build_wheels(out_dir: Path) -> dict[str, Path]:
    """Build every workspace member's wheel into `out_dir`; map distribution name to wheel path."""
    subprocess.run(
        ['uv', 'build', '--all-packages', '--wheel', '--out-dir', str(out_dir), '--quiet'],
        cwd=ROOT,
        check=True,
    )
    wheels = {}
    for wheel in out_dir.glob('*.whl'):
        wheels[_normalise(wheel.name.split('-')[0])] = wheel
    missing = set(DISTRIBUTIONS) - set(wheels)
    if missing:
        raise SystemExit(f'uv build produced no wheel for: {", ".join(sorted(missing))}')
    return wheels


def wheel_requirements(wheel: Path, extras: frozenset[str] = frozenset()) -> list[str]:
    """The synapse-* distributions a wheel requires (for the given extras), read from its METADATA."""
    with zipfile.ZipFile(wheel) as zf:
        meta_name = next(n for n in zf.namelist() if n.endswith('.dist-info/METADATA'))
        metadata = zf.read(meta_name).decode()
    needed = []
    for line in metadata.splitlines():
        if not line.startswith('Requires-Dist:'):
            continue
        spec = line.split(':', 1)[1].strip()
        name = _normalise(re.split(r'[\s\[<>=!~;(]', spec, maxsplit=1)[0])
        marker = spec.split(';', 1)[1] if ';' in spec else ''
        extra = re.search(r'extra\s*==\s*["\']([^"\']+)["\']', marker)
        if extra and extra.group(1) not in extras:
            continue
        if name.startswith('synapse-'):
            needed.append(name)
    return needed


def sibling_closure(name: str, wheels: dict[str, Path]) -> list[str]:
    """`name` and every synapse distribution it needs, transitively (no extras)."""
    seen: list[str] = []
    pending = [name]
    while pending:
        current = pending.pop()
        if current in seen:
            continue
        seen.append(current)
        pending.extend(wheel_requirements(wheels[current]))
    return seen


def _run(cmd: list[str], **kwargs) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, capture_output=True, text=True, **kwargs)


def _venv_size(venv: Path) -> int:
    return sum(p.stat().st_size for p in venv.rglob('*') if p.is_file() and not p.is_symlink())


def _installed(python: Path) -> dict[str, str]:
    out = _run(['uv', 'pip', 'list', '--format', 'json', '--python', str(python)], check=True)
    return {_normalise(p['name']): p['version'] for p in json.loads(out.stdout)}


def _wheel_modules(wheel: Path) -> list[str]:
    """Dotted names of the Python modules a wheel ships under synapse_sdk."""
    with zipfile.ZipFile(wheel) as zf:
        names = [n for n in zf.namelist() if n.startswith('synapse_sdk/') and n.endswith('.py')]
    modules = []
    for n in sorted(names):
        dotted = n[: -len('.py')].replace('/', '.')
        if dotted.endswith('.__init__'):
            dotted = dotted[: -len('.__init__')]
        if dotted.endswith('.__main__'):
            continue
        modules.append(dotted)
    return modules


_IMPORT_ALL = """
import importlib, json, sys
optional = set(json.loads(sys.argv[1]))
report = {'ok': [], 'optional': [], 'failed': []}
for module in json.loads(sys.argv[2]):
    try:
        importlib.import_module(module)
    except ModuleNotFoundError as exc:
        missing = exc.name or ''
        if any(missing == o or missing.startswith(o + '.') for o in optional):
            report['optional'].append(f'{module} (needs {missing})')
        else:
            report['failed'].append(f'{module}: {exc!r}')
    except Exception as exc:
        report['failed'].append(f'{module}: {exc!r}')
    else:
        report['ok'].append(module)
print(json.dumps(report))
"""


@dataclass
class Outcome:
    name: str
    ok: bool
    packages: dict[str, str]
    venv_bytes: int
    modules: int
    problems: list[str]
    seconds: float

    def line(self) -> str:
        third_party = sorted(p for p in self.packages if not p.startswith('synapse-'))
        status = 'OK  ' if self.ok else 'FAIL'
        return (
            f'{status} {self.name:<22} {len(self.packages):>3} packages, venv {self.venv_bytes / 2**20:7.1f} MiB, '
            f'{self.modules:>3} modules imported, {self.seconds:5.1f}s | third-party: {", ".join(third_party)}'
        )


def check(dist: Distribution, wheels: dict[str, Path], workdir: Path) -> Outcome:
    started = time.monotonic()
    venv = workdir / dist.name
    problems: list[str] = []
    _run(['uv', 'venv', '--quiet', '--python', sys.executable, str(venv)], check=True)
    python = venv / 'bin' / 'python'
    closure = sibling_closure(dist.name, wheels)
    install = _run(
        ['uv', 'pip', 'install', '--quiet', '--python', str(python), *(str(wheels[n]) for n in closure)],
        env={**os.environ, 'UV_COMPILE_BYTECODE': '0'},
    )
    if install.returncode != 0:
        return Outcome(dist.name, False, {}, 0, 0, [f'install failed: {install.stderr.strip()}'], 0.0)
    packages = _installed(python)
    unexpected_synapse = set(p for p in packages if p.startswith('synapse-')) - set(closure)
    if unexpected_synapse:
        problems.append(f'undeclared synapse distributions installed: {sorted(unexpected_synapse)}')
    for name in dist.forbidden:
        if _normalise(name) in packages:
            problems.append(f'must not depend on {name}, but it was installed')

    modules = _wheel_modules(wheels[dist.name])
    imported = _run(
        [str(python), '-c', _IMPORT_ALL, json.dumps(sorted(dist.optional_imports)), json.dumps(modules)]
    )
    if imported.returncode != 0:
        problems.append(f'import check crashed: {imported.stderr.strip()[-2000:]}')
        report = {'ok': [], 'failed': []}
    else:
        report = json.loads(imported.stdout)
        problems.extend(f'import failed: {f}' for f in report['failed'])

    smoke = SMOKE_DIR / f'{dist.name}.py'
    if not smoke.exists():
        problems.append(f'no smoke test at {smoke.relative_to(ROOT)}')
    else:
        with tempfile.TemporaryDirectory() as smoke_cwd:
            ran = _run([str(python), str(smoke)], cwd=smoke_cwd, timeout=600)
        if ran.returncode != 0:
            problems.append(f'smoke failed: {(ran.stdout + ran.stderr).strip()[-3000:]}')

    return Outcome(
        dist.name,
        not problems,
        packages,
        _venv_size(venv),
        len(report['ok']),
        problems,
        time.monotonic() - started,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('names', nargs='*', help='distributions to check (default: all)')
    parser.add_argument('--keep', action='store_true', help='keep the virtual environments for inspection')
    args = parser.parse_args(argv)
    names = args.names or list(DISTRIBUTIONS)
    unknown = [n for n in names if n not in DISTRIBUTIONS]
    if unknown:
        parser.error(f'unknown distribution(s) {unknown}; known: {", ".join(DISTRIBUTIONS)}')

    workdir = Path(tempfile.mkdtemp(prefix='synapse-isolation-'))
    try:
        wheels = build_wheels(workdir / 'dist')
        outcomes = []
        for name in names:
            outcome = check(DISTRIBUTIONS[name], wheels, workdir / 'venvs')
            outcomes.append(outcome)
            print(outcome.line(), flush=True)
            for problem in outcome.problems:
                print(f'      - {problem}', flush=True)
    finally:
        if args.keep:
            print(f'environments kept in {workdir}')
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    failed = [o.name for o in outcomes if not o.ok]
    print(f'isolation: {len(outcomes) - len(failed)} passed, {len(failed)} failed')
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
