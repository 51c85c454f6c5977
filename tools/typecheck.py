"""Type-check each distribution with mypy, one run per distribution, and the typing tests.

Why one run per distribution: each distribution ships `py.typed` and is installed on its own, so each gets
its own verdict (and its own line in CI). A run checks the distribution's sources; the siblings it imports
are read for their types but report their errors in their own run (`follow_imports = "silent"` in the root
pyproject's `[tool.mypy]`, where the strictness and its per-module exceptions are written down). The runs
share mypy's cache, so a sibling is analysed once.

The last run checks `tests/typing/`: files of `assert_type` calls that pin what the public API's types are
(a v2 `tasks.list()` is a `CursorPage[TaskV2List]`, ...). mypy fails such a file when a type drifts.

    uv run --no-sync python tools/typecheck.py                       # every distribution + tests/typing
    uv run --no-sync python tools/typecheck.py synapse-core typing   # some of them
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TYPING_TESTS = 'typing'


def targets() -> dict[str, Path]:
    found = {
        p.name: p / 'src' for p in sorted((ROOT / 'packages').iterdir()) if (p / 'pyproject.toml').is_file()
    }
    if (ROOT / 'tests' / 'typing').is_dir():
        found[TYPING_TESTS] = ROOT / 'tests' / 'typing'
    return found


def check(name: str, path: Path) -> tuple[bool, str, float]:
    started = time.monotonic()
    proc = subprocess.run(
        [
            sys.executable,
            '-m',
            'mypy',
            '--config-file',
            str(ROOT / 'pyproject.toml'),
            str(path.relative_to(ROOT)),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    elapsed = time.monotonic() - started
    output = (proc.stdout + proc.stderr).strip()
    return proc.returncode == 0, output, elapsed


def main(argv: list[str] | None = None) -> int:
    known = targets()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('names', nargs='*', metavar='NAME', help=f'any of: {", ".join(known)} (default: all)')
    args = parser.parse_args(argv)
    unknown = [n for n in args.names if n not in known]
    if unknown:
        parser.error(f'unknown target(s) {", ".join(unknown)}; known: {", ".join(known)}')
    failed = []
    for name in args.names or known:
        ok, output, elapsed = check(name, known[name])
        summary = output.splitlines()[-1] if output else ''
        print(f'{"ok  " if ok else "FAIL"} {name:24} {elapsed:5.1f}s  {summary}', flush=True)
        if not ok:
            failed.append(name)
            print(output, flush=True)
    if failed:
        print(f'type errors in: {", ".join(failed)}', file=sys.stderr)
        return 1
    return 0


if __name__ == '__main__':
    raise SystemExit(main())
