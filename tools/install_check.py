"""Install the SDK by its advertised names, from our wheels *with the package index in reach*.

Why: our distribution names are shared with other software on the package index. `synapse-cli` there is an
unrelated project (0.1.3: its own `synapse` command and a top-level `cli` module) and `synapse-sdk` there is
the previous SDK (2026.2.17). A user who runs ``pip install --find-links dist "synapse-sdk[all]"`` gets
whichever candidate pip prefers, so the version scheme and the sibling requirements must leave pip no choice
but ours. `tools/isolation.py` installs wheels by file path and cannot see this; this check installs by *name*.

What it does:

1. builds every wheel (`uv build`), and checks statically that each ships no top-level module but
   `synapse_sdk` and that every requirement on a sibling can only be met by our releases (a lower bound above
   the previous SDK, `PREVIOUS_SDK` in tools/bump_version.py; exact pins from the meta-package);
2. builds look-alike wheels of the projects we collide with (an unrelated `synapse-cli 0.1.3` with its own
   `synapse` command and top-level `cli`; the previous `synapse-sdk 2026.2.17`, Python >= 3.12) into a second
   find-links folder, so the check keeps testing the collision even if the index changes;
3. for Python 3.11 and 3.12 (pyenv), and for ``synapse-core`` and ``synapse-sdk[all]``: creates a fresh
   venv (``python -m venv``, the bundled pip) and runs
   ``pip install --find-links <our wheels> --find-links <look-alikes> <name>``, the package index in reach;
4. checks that every installed `synapse*` distribution is one we built (name and version), that the files of
   each are the bytes of our wheel (sha256 against the wheel's RECORD), that nothing else installed files
   under `synapse_sdk/` or a `synapse` command, and that the expected set arrived (synapse-core alone: only
   synapse-core; synapse-sdk[all]: every distribution);
5. runs the installed code: synapse-core runs the hello example through ``python -m
   synapse_sdk.plugins.runner``; with synapse-sdk[all], ``synapse --version``, ``synapse plugin --help`` and
   ``synapse plugin run`` must be ours.

It prints what it checked, the package count and the size of each environment, and exits non-zero on any
failure.

    uv run --no-sync python tools/install_check.py                 # 3.11 and 3.12, both targets
    uv run --no-sync python tools/install_check.py --python 3.12 --keep
"""

from __future__ import annotations

import argparse
import base64
import concurrent.futures
import hashlib
import json
import re
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from packaging.requirements import Requirement
from packaging.version import Version

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bump_version import PREVIOUS_SDK
from isolation import DISTRIBUTIONS, build_wheels

ROOT = Path(__file__).resolve().parent.parent
HELLO = ROOT / 'examples' / 'hello_plugin'
PYTHONS = ('3.11', '3.12')
TARGETS = ('synapse-core', 'synapse-sdk[all]')
# Installed by `python -m venv` itself, not by the install: left out of the package count.
VENV_SEED = frozenset({'pip', 'setuptools'})
# The projects on the package index that share our names, as far as this check is concerned.
LOOK_ALIKES = {
    'synapse-cli': ('0.1.3', '>=3.11'),
    'synapse-sdk': (PREVIOUS_SDK, '>=3.12'),
}


def normalise(name: str) -> str:
    return re.sub(r'[-_.]+', '-', name).lower()


def _run(cmd: list[str], **kwargs) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, capture_output=True, text=True, **kwargs)


def _tree_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob('*') if p.is_file() and not p.is_symlink())


# -- what we built ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class Built:
    name: str
    version: str
    wheel: Path
    record: dict[str, str]  # path -> 'sha256=...' as the wheel's RECORD lists it
    requires: tuple[str, ...]


def read_wheel(wheel: Path) -> Built:
    with zipfile.ZipFile(wheel) as zf:
        names = zf.namelist()
        info = next(n for n in names if n.endswith('.dist-info/METADATA'))
        metadata = zf.read(info).decode()
        record_text = zf.read(info.replace('METADATA', 'RECORD')).decode()
    meta = dict(re.findall(r'^(Name|Version): (.+)$', metadata, re.MULTILINE))
    record = {}
    for line in record_text.splitlines():
        path, digest, _size = line.rsplit(',', 2)
        if digest:
            record[path] = digest
    requires = tuple(re.findall(r'^Requires-Dist: (.+)$', metadata, re.MULTILINE))
    return Built(normalise(meta['Name']), meta['Version'], wheel, record, requires)


def static_problems(built: dict[str, Built]) -> list[str]:
    """Top-level modules and sibling requirements, read from the wheels' RECORD and METADATA."""
    problems = []
    floor = Version(PREVIOUS_SDK)
    for b in built.values():
        tops = {p.split('/', 1)[0] for p in b.record if '.dist-info/' not in p}
        if tops != {'synapse_sdk'}:
            problems.append(f'{b.wheel.name} ships top-level {sorted(tops)}, expected only synapse_sdk')
        if Version(b.version) <= floor:
            problems.append(f'{b.name} {b.version} does not supersede the previous SDK {PREVIOUS_SDK}')
        for text in b.requires:
            req = Requirement(text)
            sibling = normalise(req.name)
            if sibling not in built:
                continue
            spec, ours = req.specifier, built[sibling].version
            if ours not in spec:
                problems.append(f'{b.name} requires {text!r}, which our {sibling} {ours} does not meet')
            floors = [Version(s.version) for s in spec if s.operator in ('==', '===', '~=', '>=', '>')]
            if not floors or max(floors) <= floor:
                problems.append(f'{b.name} requires {text!r}: no lower bound above {PREVIOUS_SDK}')
            if b.name == 'synapse-sdk' and [s.operator for s in spec] != ['==']:
                problems.append(f'the meta-package must pin its siblings exactly, not {text!r}')
            if b.name != 'synapse-sdk' and not any(s.operator == '~=' for s in spec):
                problems.append(f'{b.name} requires {text!r}: expected a compatible-release bound (~=)')
    return problems


def build_look_alikes(out_dir: Path) -> list[Path]:
    """Wheels that imitate the same-named projects of the index (see LOOK_ALIKES)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    builder = find_python(max(PYTHONS))  # one Python that meets every look-alike's requires-python
    if builder is None:
        raise SystemExit(f'no Python {max(PYTHONS)} found to build the look-alike wheels')
    for name, (version, requires_python) in LOOK_ALIKES.items():
        src = out_dir.parent / f'src-{name}'
        module = 'cli' if name == 'synapse-cli' else 'synapse_sdk'
        (src / module).mkdir(parents=True, exist_ok=True)
        (src / module / '__init__.py').write_text('def main():\n    print("not the synapse SDK")\n')
        (src / 'pyproject.toml').write_text(
            textwrap.dedent(f"""\
                [project]
                name = "{name}"
                version = "{version}"
                requires-python = "{requires_python}"
                [project.scripts]
                synapse = "{module}:main"
                [build-system]
                requires = ["hatchling"]
                build-backend = "hatchling.build"
                [tool.hatch.build.targets.wheel]
                packages = ["{module}"]
                """)
        )
        built = _run(
            [
                'uv',
                'build',
                '--wheel',
                '--quiet',
                '--python',
                str(builder),
                '--out-dir',
                str(out_dir),
                str(src),
            ]
        )
        if built.returncode != 0:
            raise SystemExit(f'could not build the {name} look-alike: {built.stderr.strip()[-1500:]}')
    return sorted(out_dir.glob('*.whl'))


# -- one installation ------------------------------------------------------------------------------
_INSPECT = r"""
import json, sys, sysconfig
from importlib import metadata
out = {'purelib': sysconfig.get_paths()['purelib'], 'python': sys.version.split()[0], 'dists': []}
for d in metadata.distributions():
    scripts = [e.name for e in d.entry_points if e.group == 'console_scripts']
    files = [(str(f), f.hash.mode + '=' + f.hash.value if f.hash else '') for f in (d.files or [])]
    out['dists'].append({'name': d.metadata['Name'], 'version': d.version, 'files': files, 'scripts': scripts})
print(json.dumps(out))
"""


@dataclass
class Outcome:
    python: str
    target: str
    ok: bool = True
    packages: int = 0
    venv_bytes: int = 0
    added_bytes: int = 0
    checked: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    seconds: float = 0.0
    pip: str = ''
    full_python: str = ''

    def fail(self, problem: str) -> None:
        self.ok = False
        self.problems.append(problem)

    def lines(self) -> list[str]:
        status = 'OK  ' if self.ok else 'FAIL'
        head = (
            f'{status} python {self.full_python or self.python:<7} {self.target:<17} {self.packages:>3} packages, '
            f'venv {self.venv_bytes / 2**20:6.1f} MiB (+{self.added_bytes / 2**20:.1f} MiB installed), '
            f'{self.seconds:5.1f}s, pip {self.pip}'
        )
        return [
            head,
            *(f'       checked: {c}' for c in self.checked),
            *(f'     - {p}' for p in self.problems),
        ]


def find_python(version: str) -> Path | None:
    """The interpreter for `version`: pyenv's newest install of it, else uv's (installed by uv if need be)."""
    found = _run(['pyenv', 'versions', '--bare']) if shutil.which('pyenv') else None
    if found is not None and found.returncode == 0:
        candidates = [
            v.strip() for v in found.stdout.splitlines() if re.fullmatch(rf'{version}\.\d+', v.strip())
        ]
        for candidate in sorted(candidates, key=lambda v: Version(v), reverse=True):
            prefix = _run(['pyenv', 'prefix', candidate])
            exe = Path(prefix.stdout.strip()) / 'bin' / f'python{version}'
            if prefix.returncode == 0 and exe.is_file():
                return exe
    found = _run(['uv', 'python', 'find', '--no-project', version])
    if (
        found.returncode != 0
    ):  # a CI runner without pyenv: let uv fetch it (refused where UV_PYTHON_DOWNLOADS=never)
        _run(['uv', 'python', 'install', version])
        found = _run(['uv', 'python', 'find', '--no-project', version])
    if found.returncode == 0 and found.stdout.strip():
        return Path(found.stdout.strip())
    return None


def _sha256(path: Path) -> str:
    digest = hashlib.sha256(path.read_bytes()).digest()
    return 'sha256=' + base64.urlsafe_b64encode(digest).rstrip(b'=').decode()


def install_and_check(
    version: str, target: str, built: dict[str, Built], find_links: list[Path], workdir: Path
) -> Outcome:
    started = time.monotonic()
    outcome = Outcome(version, target)
    interpreter = find_python(version)
    if interpreter is None:
        outcome.fail(f'no Python {version} found (pyenv or uv); this check needs it')
        return outcome
    venv = workdir / f'py{version}-{normalise(target.split("[")[0])}'
    made = _run([str(interpreter), '-m', 'venv', str(venv)])
    if made.returncode != 0:
        outcome.fail(f'python -m venv failed: {made.stderr.strip()[-1000:]}')
        return outcome
    python, bindir = venv / 'bin' / 'python', venv / 'bin'
    seed_bytes = _tree_bytes(venv)
    links = [arg for d in find_links for arg in ('--find-links', str(d))]
    install = _run(
        [str(python), '-m', 'pip', 'install', '--disable-pip-version-check', '--no-input', *links, target],
        cwd=workdir,
    )
    if install.returncode != 0:
        outcome.fail(f'pip install {target} failed:\n{(install.stdout + install.stderr).strip()[-3000:]}')
        return outcome
    inspect = _run([str(python), '-c', _INSPECT], check=True)
    state = json.loads(inspect.stdout)
    outcome.full_python = state['python']
    dists = {normalise(d['name']): d for d in state['dists']}
    outcome.pip = dists.get('pip', {}).get('version', '?')
    outcome.packages = len(set(dists) - VENV_SEED)
    outcome.venv_bytes = _tree_bytes(venv)
    outcome.added_bytes = outcome.venv_bytes - seed_bytes
    purelib = Path(state['purelib'])

    # 1. the synapse* distributions are exactly the ones we built and expected
    ours = {n: d for n, d in dists.items() if n.startswith('synapse')}
    expected = {'synapse-core'} if target == 'synapse-core' else set(DISTRIBUTIONS)
    for name, dist in sorted(ours.items()):
        mine = built.get(name)
        if mine is None or dist['version'] != mine.version:
            outcome.fail(
                f'{name} {dist["version"]} is not one we built (ours: {mine.version if mine else "none"})'
            )
    if set(ours) != expected:
        outcome.fail(f'installed synapse distributions {sorted(ours)}, expected {sorted(expected)}')
    listed = ', '.join(f'{n} {d["version"]}' for n, d in sorted(ours.items()))
    outcome.checked.append(f'synapse distributions installed = built: {listed}')

    # 2. their files are the bytes of our wheels; nothing else owns synapse_sdk/ or a `synapse` command
    compared = 0
    for name in sorted(set(ours) & set(built)):
        for path, digest in built[name].record.items():
            target_path = purelib / path
            if not target_path.is_file():
                outcome.fail(f'{name}: {path} from our wheel is not installed')
            elif _sha256(target_path) != digest:
                outcome.fail(f'{name}: {path} differs from our wheel ({digest})')
            else:
                compared += 1
    outcome.checked.append(f"{compared} installed files have the sha256 of our wheels' RECORD")
    strangers = sorted(
        f'{d["name"]} {d["version"]}'
        for n, d in dists.items()
        if n not in ours
        and (any(f.startswith('synapse_sdk/') for f, _ in d['files']) or 'synapse' in d['scripts'])
    )
    if strangers:
        outcome.fail(f'other distributions install synapse_sdk/ or a synapse command: {strangers}')
    stray_tops = sorted(
        {f.split('/', 1)[0] for n in ours for f, _ in ours[n]['files']}
        - {'synapse_sdk', '..', '__pycache__'}
        - {f.split('/', 1)[0] for n in ours for f, _ in ours[n]['files'] if '.dist-info/' in f}
    )
    if stray_tops:
        outcome.fail(f'our distributions installed top-level {stray_tops}')
    outcome.checked.append(
        'no other distribution installs synapse_sdk/ or `synapse`; top-level: synapse_sdk only'
    )

    # 3. it runs, and `synapse` is our command
    if target == 'synapse-core':
        if (bindir / 'synapse').exists():
            outcome.fail('synapse-core alone installed a `synapse` command')
        ran = _run(
            [
                str(python),
                '-m',
                'synapse_sdk.plugins.runner',
                str(HELLO),
                'greet',
                '--quiet',
                '--params',
                '{"name": "Ada"}',
            ],
            cwd=workdir,
        )
        if ran.returncode != 0 or (json.loads(ran.stdout or '{}') or {}).get('message') != 'Hello, Ada!':
            outcome.fail(f'the hello example did not run: {(ran.stdout + ran.stderr).strip()[-1500:]}')
        else:
            outcome.checked.append(
                'python -m synapse_sdk.plugins.runner runs the hello example; no `synapse` command'
            )
    else:
        script = bindir / 'synapse'
        owner = [f for f, _ in ours.get('synapse-cli', {'files': []})['files'] if f.endswith('/bin/synapse')]
        if not script.is_file() or not owner:
            outcome.fail("bin/synapse is missing or not listed in synapse-cli's RECORD")
        shown = _run([str(script), '--version'], cwd=workdir)
        cli = built['synapse-cli']
        if shown.returncode != 0 or not re.search(rf'synapse-cli\s+{re.escape(cli.version)}\b', shown.stdout):
            outcome.fail(f'`synapse --version` is not ours: {(shown.stdout + shown.stderr).strip()[-800:]}')
        helped = _run([str(script), 'plugin', '--help'], cwd=workdir)
        if helped.returncode != 0 or not re.search(r'^\s+run\s', helped.stdout, re.MULTILINE):
            outcome.fail(
                f'`synapse plugin --help` is not ours: {(helped.stdout + helped.stderr).strip()[-800:]}'
            )
        greeted = _run(
            [str(script), 'plugin', 'run', 'greet', '--path', str(HELLO), '--params', '{"name": "Ada"}'],
            cwd=workdir,
        )
        if greeted.returncode != 0 or 'Hello, Ada!' not in greeted.stdout + greeted.stderr:
            outcome.fail(
                f'`synapse plugin run greet` failed: {(greeted.stdout + greeted.stderr).strip()[-800:]}'
            )
        if outcome.ok:
            outcome.checked.append(
                f'`synapse --version` says synapse-cli {cli.version}; `synapse plugin --help` lists run; '
                '`synapse plugin run greet` runs the hello example'
            )
    outcome.seconds = time.monotonic() - started
    return outcome


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        '--python', action='append', help=f'Python version(s) (default: {", ".join(PYTHONS)})'
    )
    parser.add_argument('--target', action='append', help=f'what to install (default: {", ".join(TARGETS)})')
    parser.add_argument('--jobs', type=int, default=2, help='installations run at once (default 2)')
    parser.add_argument('--keep', action='store_true', help='keep the wheels and environments for inspection')
    args = parser.parse_args(argv)
    started = time.monotonic()
    workdir = Path(tempfile.mkdtemp(prefix='synapse-install-check-'))
    outcomes: list[Outcome] = []
    problems: list[str] = []
    try:
        wheels = build_wheels(workdir / 'dist')
        built = {b.name: b for b in map(read_wheel, wheels.values())}
        print(f'built {len(built)} wheels: ' + ', '.join(f'{b.name} {b.version}' for b in built.values()))
        problems = static_problems(built)
        for problem in problems:
            print(f'FAIL static: {problem}')
        if not problems:
            print(
                f'static: every wheel ships only synapse_sdk/; every version is above {PREVIOUS_SDK}; synapse-sdk '
                'pins its siblings exactly (==), the others bound them with ~=; no sibling requirement admits '
                f'a release at or below {PREVIOUS_SDK}'
            )
        look_alikes = build_look_alikes(workdir / 'look-alikes' / 'dist')
        print(
            'look-alikes beside ours: ' + ', '.join(w.name for w in look_alikes) + ' (and the package index)'
        )
        jobs = [(p, t) for p in (args.python or PYTHONS) for t in (args.target or TARGETS)]
        with concurrent.futures.ThreadPoolExecutor(max(1, args.jobs)) as pool:
            futures = [
                pool.submit(
                    install_and_check, p, t, built, [workdir / 'dist', look_alikes[0].parent], workdir
                )
                for p, t in jobs
            ]
            for future in futures:
                outcome = future.result()
                outcomes.append(outcome)
                print('\n'.join(outcome.lines()), flush=True)
    finally:
        if args.keep:
            print(f'kept in {workdir}')
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    passed = sum(o.ok for o in outcomes)
    print(
        f'install check: {passed} of {len(outcomes)} installations passed, '
        f'static checks {"failed" if problems else "passed"}, {time.monotonic() - started:.0f}s'
    )
    return 0 if passed == len(outcomes) and not problems else 1


if __name__ == '__main__':
    sys.exit(main())
