"""Benchmark: what the workflow machinery costs, and export throughput on the v2 and v1 paths.

    .venv/bin/python tools/bench/bench_workflows.py [--quick]

Measures (medians over repeats, each figure next to a baseline measured in the same run):

1. Orchestrator overhead: 10 weighted steps each reporting progress T times through the step
   context, run by `Orchestrator` with a real `RuntimeContext` (NullLogger), against a plain loop
   making the same ``ctx.set_progress`` calls on a logger given the same step proportions. The ratio is what ordering, bookkeeping, weighted
   overall progress and rollback tracking add.
2. Pipeline overhead: a 3-action `ActionPipeline` (validation, params validation, JSON-compatible
   result merging) against calling the three functions directly with the same params.
3. Export: records/s of `BaseExportAction` writing ``<id>.json`` files from a fake backend running
   in a separate process, on the v2 path (ids, then bulk fetch in batches of 200) and forced onto
   v1 (``SYNAPSE_FORCE_V1_EXPORT``: DRF pages), against a baseline that lists the same items with
   the bare v1 client and writes each as JSON with a plain loop (the floor any export pays).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def _median_time(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _ctx(**kwargs):
    from synapse_sdk.plugins.execution import build_runtime_context

    return build_runtime_context(
        env={}, console=False, client=None, v2_client=None, agent_client=None, **kwargs
    )


def bench_orchestrator(ticks: int, repeats: int) -> None:
    from synapse_sdk.plugins.steps import BaseStep, BaseStepContext, Orchestrator, StepRegistry, StepResult

    steps = 10

    class Work(BaseStep[BaseStepContext]):
        def __init__(self, index: int):
            self.name = f'step_{index}'
            self.progress_weight = float(index + 1)

        def execute(self, context):
            for tick in range(1, ticks + 1):
                context.set_progress(tick, ticks)
            return StepResult()

    ctx = _ctx()

    def orchestrated() -> None:
        Orchestrator(StepRegistry([Work(i) for i in range(steps)]), BaseStepContext(ctx)).execute()

    def plain() -> None:
        # Same logger configuration as the orchestrator sets up (per-step proportions).
        ctx.logger.set_step_proportions({f'step_{i}': float(i + 1) for i in range(steps)})
        for i in range(steps):
            for tick in range(1, ticks + 1):
                ctx.set_progress(tick, ticks, step=f'step_{i}')

    calls = steps * ticks
    base = _median_time(plain, repeats)
    orch = _median_time(orchestrated, repeats)
    print(
        f'orchestrator: {steps} steps x {ticks} ticks  plain loop {base * 1e6 / calls:6.1f} us/tick   '
        f'orchestrated {orch * 1e6 / calls:6.1f} us/tick   ratio {orch / base:5.2f}x'
    )


def bench_pipeline(repeats: int) -> None:
    from pydantic import BaseModel

    from synapse_sdk.plugins.decorators import action
    from synapse_sdk.plugins.pipelines import ActionPipeline

    class A(BaseModel):
        x: int

    class B(BaseModel):
        y: int

    class C(BaseModel):
        z: int

    @action(name='first', params=A, result=B)
    def first(params, ctx):
        return {'y': params.x + 1}

    @action(name='second', params=B, result=C)
    def second(params, ctx):
        return {'z': params.y * 2}

    @action(name='third', params=C)
    def third(params, ctx):
        return {'done': params.z}

    ctx = _ctx()
    pipeline = ActionPipeline([first, second, third])

    def direct() -> None:
        y = first(A(x=1), ctx)['y']
        z = second(B(y=y), ctx)['z']
        third(C(z=z), ctx)

    def piped() -> None:
        pipeline.run({'x': 1}, ctx)

    loops = 200
    base = _median_time(lambda: [direct() for _ in range(loops)], repeats) / loops
    piped_t = _median_time(lambda: [piped() for _ in range(loops)], repeats) / loops
    print(
        f'pipeline:     3 actions   direct calls {base * 1e6:8.1f} us/run   '
        f'ActionPipeline {piped_t * 1e6:8.1f} us/run   ratio {piped_t / base:5.2f}x'
    )


def serve(size: int) -> None:
    """Child process: a fake backend with `size` tasks in project 1; prints its URL."""
    from synapse_sdk.clients.testing import FakeBackend

    with FakeBackend() as backend:
        backend.state.add_project(id=1)
        for i in range(size):
            backend.state.add('tasks', project=1, data_unit=i + 1, data={'n': i, 'annotations': {}}, files={})
        print(backend.url, flush=True)
        sys.stdin.read()


def bench_export(size: int, repeats: int) -> None:
    from synapse_sdk.clients.backend import BackendClient
    from synapse_sdk.clients.backend_v2 import BackendV2Client
    from synapse_sdk.plugins.actions.export import BaseExportAction, ExportParams
    from synapse_sdk.plugins.execution import run_action

    class Export(BaseExportAction[ExportParams]):
        action_name = 'export'

    child = subprocess.Popen(
        [sys.executable, __file__, '--serve', str(size)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        url = child.stdout.readline().strip()
        v1 = BackendClient(url, access_token='syn_test')
        v2 = BackendV2Client(url, access_token='syn_test')
        params = {'target': 'task', 'filter': {'project': 1}}
        with tempfile.TemporaryDirectory() as tmp:
            runs = iter(range(10**6))

            def export(force_v1: bool) -> None:
                env = {'SYNAPSE_FORCE_V1_EXPORT': '1'} if force_v1 else {}
                ctx = _ctx_with(v1, v2, env)
                out = Path(tmp) / f'out{next(runs)}'
                result = run_action(Export, {**params, 'path': str(out)}, ctx, report_status=False)
                assert result['exported'] == size, result

            def bare() -> None:
                import json

                out = Path(tmp) / f'bare{next(runs)}'
                out.mkdir()
                items, _ = v1.list_tasks_data({'project': 1}, list_all=True)
                for item in items:
                    (out / f'{item["id"]}.json').write_text(json.dumps(item))

            floor = _median_time(bare, repeats)
            t2 = _median_time(lambda: export(False), repeats)
            t1 = _median_time(lambda: export(True), repeats)
        print(
            f'export:       {size} tasks  bare list+write {size / floor:6.0f} rec/s   '
            f'v2 export {size / t2:6.0f} rec/s   v1 export {size / t1:6.0f} rec/s   '
            f'v2/v1 time {t2 / t1:4.2f}x   v1 export/bare {t1 / floor:4.2f}x'
        )
    finally:
        child.stdin.close()
        child.wait(timeout=30)


def _ctx_with(client, v2_client, env):
    from synapse_sdk.plugins.execution import build_runtime_context

    return build_runtime_context(
        env=env, console=False, client=client, v2_client=v2_client, agent_client=None
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--quick', action='store_true', help='smaller sizes, fewer repeats')
    parser.add_argument('--serve', type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve is not None:
        serve(args.serve)
        return
    os.environ.pop('SYNAPSE_FORCE_V1_EXPORT', None)
    repeats = 3 if args.quick else 7
    bench_orchestrator(50 if args.quick else 200, repeats)
    bench_pipeline(repeats)
    bench_export(500 if args.quick else 3000, 3 if args.quick else 5)


if __name__ == '__main__':
    main()
