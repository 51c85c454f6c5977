"""Benchmark of synapse-cli start-up: ``synapse --help`` and friends against ``python -c pass``.

Usage::

    .venv/bin/python tools/bench/bench_cli.py            # 30 runs per command
    .venv/bin/python tools/bench/bench_cli.py --quick    # 10 runs per command

Every command runs as a fresh process (the console script of this venv), alternating with the baseline
so machine load affects both alike. Reported: the median wall time of each and its ratio to the median of
``python -c pass`` measured in the same run, plus how many modules ``synapse --help`` imports. Target (issue):
``synapse --help`` under 4x the baseline. The root help and ``--version`` are answered without importing
click (see ``synapse_sdk.cli.roothelp``); ``import click`` alone is reported as the floor every other
command pays (``plugin run --help``), so the share of the SDK's own code is visible there. A local ``plugin run`` of a tiny plugin is measured too, as the
cost a plugin author pays per run (it imports the plugin runtime, pydantic and yaml).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

PYTHON = sys.executable
SYNAPSE = str(Path(sys.executable).parent / 'synapse')
TARGET_HELP_RATIO = 4.0


# Bytecode is written on the warm-up run even where the shell sets PYTHONDONTWRITEBYTECODE, as a user's
# install would have it (installers byte-compile wheels; editable sources compile on the first run).
ENV = {name: value for name, value in os.environ.items() if name != 'PYTHONDONTWRITEBYTECODE'}


def _time(cmd: list[str], cwd: str | None = None) -> float:
    started = time.perf_counter()
    subprocess.run(cmd, cwd=cwd, env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    return time.perf_counter() - started


def _tiny_plugin(root: Path) -> Path:
    plugin = root / 'bench_plugin'
    plugin.mkdir()
    (plugin / 'bench_actions.py').write_text(
        textwrap.dedent(
            """
            from pydantic import BaseModel
            from synapse_sdk.plugins import action

            class P(BaseModel):
                n: int = 1

            @action(name='noop', params=P)
            def noop(params, ctx):
                return {'n': params.n}
            """
        )
    )
    (plugin / 'config.yaml').write_text(
        'name: Bench\ncode: bench\nactions:\n  noop:\n    entrypoint: bench_actions:noop\n'
    )
    return plugin


def _module_count(args: list[str]) -> int:
    code = f'import sys\nfrom synapse_sdk.cli.main import main\ntry:\n    main({args!r})\nexcept SystemExit:\n    pass\n'
    code += 'sys.stderr.write(str(len(sys.modules)))'
    proc = subprocess.run([PYTHON, '-c', code], capture_output=True, text=True, check=True)
    return int(proc.stderr.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--quick', action='store_true', help='10 runs per command instead of 30')
    parser.add_argument('--runs', type=int, help='runs per command (overrides --quick)')
    args = parser.parse_args()
    runs = args.runs or (10 if args.quick else 30)

    with tempfile.TemporaryDirectory() as tmp:
        plugin = _tiny_plugin(Path(tmp))
        commands = {
            'python -c pass': ([PYTHON, '-c', 'pass'], None),
            'python -c "import click"': ([PYTHON, '-c', 'import click'], None),
            'synapse --help': ([SYNAPSE, '--help'], None),
            'synapse --version': ([SYNAPSE, '--version'], None),
            'synapse plugin run --help': ([SYNAPSE, 'plugin', 'run', '--help'], None),
            'synapse plugin run noop (local)': ([SYNAPSE, 'plugin', 'run', 'noop', '--json'], str(plugin)),
        }
        for cmd, cwd in commands.values():  # warm the OS caches and bytecode
            _time(cmd, cwd)
        samples: dict[str, list[float]] = {name: [] for name in commands}
        for _ in range(runs):
            for name, (cmd, cwd) in commands.items():
                samples[name].append(_time(cmd, cwd))

    baseline = statistics.median(samples['python -c pass'])
    print(f'synapse-cli start-up, median of {runs} runs each (ratio to python -c pass in the same run)')
    for name, values in samples.items():
        median = statistics.median(values)
        print(f'  {name:<34} {median * 1000:8.1f} ms   {median / baseline:5.2f}x')
    help_ratio = statistics.median(samples['synapse --help']) / baseline
    own = statistics.median(samples['synapse plugin run --help']) - statistics.median(
        samples['python -c "import click"']
    )
    print(f'  synapse plugin run --help beyond import click: {own * 1000:+.1f} ms')
    baseline_modules = _module_count_baseline()
    print(
        f'  modules loaded by synapse --help: {_module_count(["--help"])} (python -c pass: {baseline_modules})'
    )
    verdict = 'meets' if help_ratio < TARGET_HELP_RATIO else 'MISSES'
    print(
        f'synapse --help: {help_ratio:.2f}x python -c pass, {verdict} the < {TARGET_HELP_RATIO:.0f}x target'
    )
    return 0


def _module_count_baseline() -> int:
    proc = subprocess.run(
        [PYTHON, '-c', 'import sys; sys.stderr.write(str(len(sys.modules)))'], capture_output=True, text=True
    )
    return int(proc.stderr.strip())


if __name__ == '__main__':
    sys.exit(main())
