"""Benchmark of synapse-core: import cost of the plugin runtime and per-call executor overhead.

Usage::

    .venv/bin/python tools/bench/bench_core.py            # 25 import runs, 2000 calls
    .venv/bin/python tools/bench/bench_core.py --quick    # 8 import runs, 300 calls

Import cost: each statement runs in a fresh interpreter (``python -X importtime`` is not used, the
whole process wall time is), alternating with the baseline ``import pydantic`` so machine load
affects both alike. Reported: median wall time minus the median of ``python -c pass`` (the
interpreter's own start-up), its ratio to the same figure for ``import pydantic``, the number of
modules loaded, and whether numpy / requests / PIL / ray were imported. Target (issue): ``import
synapse_sdk.plugins`` under 1.5x ``import pydantic`` and none of those heavy modules. The realistic
``from synapse_sdk.plugins import BaseAction, action, RuntimeContext`` is compared with
``from pydantic import BaseModel`` too (both build pydantic's machinery).

Per-call overhead: the median time of ``LocalExecutor.execute`` (fresh context, param validation,
result check and JSON conversion, quiet logger, no clients) minus calling the same action directly,
for a function action and a class action.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time

PYTHON = sys.executable
HEAVY = ('numpy', 'requests', 'PIL', 'ray', 'boto3', 'click', 'aiohttp', 'httpx')
TARGET_RATIO = 1.5

PROBE = """
import sys, time
t = time.perf_counter()
{stmt}
elapsed = time.perf_counter() - t
import json
heavy = [m for m in {heavy!r} if m in sys.modules]
print(json.dumps({{'elapsed': elapsed, 'modules': len(sys.modules), 'heavy': heavy}}))
"""


def _run(stmt: str) -> tuple[float, dict]:
    code = PROBE.format(stmt=stmt, heavy=HEAVY)
    started = time.perf_counter()
    out = subprocess.run([PYTHON, '-c', code], capture_output=True, text=True, check=True)
    wall = time.perf_counter() - started
    return wall, json.loads(out.stdout)


def bench_imports(runs: int) -> None:
    pairs = [
        ('import pydantic', 'import synapse_sdk.plugins'),
        (
            'from pydantic import BaseModel',
            'from synapse_sdk.plugins import BaseAction, action, RuntimeContext',
        ),
        ('from pydantic import BaseModel', 'from synapse_sdk.plugins.executors.local import LocalExecutor'),
    ]
    floor = statistics.median(_run('pass')[0] for _ in range(runs))
    base_modules = _run('pass')[1]['modules']
    print(f'interpreter start-up (python -c pass): {floor * 1000:.1f} ms, {base_modules} modules')
    print(f'{"statement":<72} {"import ms":>10} {"vs base":>8} {"modules":>8}  heavy')
    for baseline, stmt in pairs:
        base_times, times, info, base_info = [], [], {}, {}
        for _ in range(runs):
            _, base_info = _run(baseline)
            base_times.append(base_info['elapsed'])
            _, info = _run(stmt)
            times.append(info['elapsed'])
        base_ms = statistics.median(base_times) * 1000
        ms = statistics.median(times) * 1000
        print(
            f'{baseline:<72} {base_ms:>10.1f} {"1.00x":>8} {base_info["modules"]:>8}  {base_info["heavy"] or "-"}'
        )
        ratio = ms / base_ms if base_ms else float('inf')
        flag = '' if ratio <= TARGET_RATIO or baseline != 'import pydantic' else f'  (target {TARGET_RATIO}x)'
        print(f'{stmt:<72} {ms:>10.1f} {ratio:>7.2f}x {info["modules"]:>8}  {info["heavy"] or "-"}{flag}')


def bench_calls(calls: int) -> None:
    from pydantic import BaseModel

    from synapse_sdk.plugins import BaseAction, action
    from synapse_sdk.plugins.execution import build_runtime_context
    from synapse_sdk.plugins.executors.local import LocalExecutor

    class Params(BaseModel):
        n: int = 1
        name: str = 'x'

    class Result(BaseModel):
        n: int

    @action(name='fn', params=Params, result=Result)
    def fn(params, ctx):
        ctx.set_progress(1, 1)
        return {'n': params.n}

    class Cls(BaseAction[Params]):
        result_model = Result

        def execute(self):
            self.set_progress(1, 1)
            return {'n': self.params.n}

    ctx = build_runtime_context(console=False, client=None, v2_client=None, agent_client=None)
    executor = LocalExecutor(console=False, client=None, v2_client=None, agent_client=None)
    params = {'n': 3, 'name': 'bench'}

    def direct_fn():
        fn(Params.model_validate(params), ctx)

    def direct_cls():
        Cls(Params.model_validate(params), ctx).run()

    def timed(func) -> float:
        samples = []
        for _ in range(calls):
            started = time.perf_counter()
            func()
            samples.append(time.perf_counter() - started)
        return statistics.median(samples) * 1e6

    print(f'\nper-call cost, median of {calls} calls (microseconds)')
    print(f'{"action":<10} {"direct":>10} {"LocalExecutor":>14} {"overhead":>10} {"ratio":>8}')
    for label, direct, target in (('function', direct_fn, fn), ('class', direct_cls, Cls)):
        timed(direct)  # warm up
        d = timed(direct)
        e = timed(lambda target=target: executor.execute(target, params))
        print(f'{label:<10} {d:>10.1f} {e:>14.1f} {e - d:>10.1f} {e / d:>7.1f}x')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--quick', action='store_true', help='fewer runs')
    args = parser.parse_args()
    bench_imports(8 if args.quick else 25)
    bench_calls(300 if args.quick else 2000)


if __name__ == '__main__':
    main()
