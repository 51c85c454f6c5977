"""Benchmark of the export path against bare loops over the same fake backend, at N/10 and N items.

Usage::

    .venv/bin/python tools/bench/bench_export.py                 # N = 100,000 assignments, 3 repeats
    .venv/bin/python tools/bench/bench_export.py --items 20000 --repeat 1
    .venv/bin/python tools/bench/bench_export.py --only bare export

A fake backend runs in a child process (its own GIL and heap) seeded with two projects: N/10 and N
assignments, each a DM v2 document of 6 boxes and 4 polygons (~1.2 KB of JSON). Every measurement
then runs in a fresh process, so its peak RSS (``VmHWM``) is its own:

- ``bare``: the floor any client pays: a plain ``requests`` loop that lists the ids (``per_page``
  10,000), bulk-fetches them 200 at a time and writes every item to one JSON-lines file;
- ``fetch``: the SDK fetch path, ``fetch_v2`` iterated to the end (records parsed, nothing written);
- ``export``: ``BaseExportAction`` run through ``run_action`` in a real ``RuntimeContext``.

Reported per measurement and size: items/s (median of ``--repeat``), the ratio to the bare loop
(the median of per-repeat ratios: each repeat runs the bare loop next to the others, so load changes
on a shared machine hit both alike), the spread of the repeats (``(max - min) / median``: the
machine's noise), peak RSS at N/10 and N and the growth per item ``(RSS(N) - RSS(N/10)) / (N - N/10)``
bytes. Targets (issue #18): export >= 0.8x bare; growth <= 16 bytes per item.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TOKEN = 'syn_test'
W, H = 640, 480
KINDS = ('bare', 'fetch', 'export')
TARGETS = {'export': 0.8}


# -- the fake backend (child process) -------------------------------------------------------------
def document(rng: random.Random, i: int) -> dict:
    """A DM v2 document: 6 boxes and 4 polygons on one image (~1.2 KB of JSON)."""
    boxes = [
        {
            'id': f'b{i}x{k}',
            'classification': f'class_{rng.randint(0, 9)}',
            'attrs': [],
            'data': [
                rng.randint(0, W - 100),
                rng.randint(0, H - 100),
                rng.randint(5, 99),
                rng.randint(5, 99),
            ],
        }
        for k in range(6)
    ]
    polygons = []
    for k in range(4):
        x, y = rng.randint(0, W - 60), rng.randint(0, H - 60)
        points = [[x, y], [x + rng.randint(10, 59), y], [x + 30, y + rng.randint(10, 59)]]
        polygons.append(
            {'id': f'p{i}x{k}', 'classification': f'class_{rng.randint(0, 9)}', 'attrs': [], 'data': points}
        )
    return {'images': [{'bounding_box': boxes, 'polygon': polygons}]}


def serve(sizes: list[int]) -> None:
    """Seed one project per size, print the URL, serve until stdin closes."""
    from synapse_sdk.clients.testing import FakeBackend

    rng = random.Random(7)
    with FakeBackend() as backend:
        state = backend.state
        for project, size in enumerate(sizes, start=1):
            state.add_project(id=project)
            for _ in range(size):
                # Direct inserts: add_assignment would also create a task and a data unit per item.
                row = state.add('assignments', task=0, project=project)
                row['data'] = document(rng, row['id'])
        print(backend.url, flush=True)
        sys.stdin.read()


# -- one measurement (fresh process) --------------------------------------------------------------
def peak_rss_mb() -> float:
    """This process's own peak RSS (``VmHWM``; ``ru_maxrss`` would include the parent's after fork)."""
    try:
        with open('/proc/self/status', encoding='ascii') as fh:
            for line in fh:
                if line.startswith('VmHWM:'):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def bare(url: str, project: int, out: Path) -> int:
    import requests

    session = requests.Session()
    session.headers['SYNAPSE-ACCESS-TOKEN'] = TOKEN
    count = 0
    next_url: str | None = f'{url}/v2/assignments/?project={project}&per_page=10000'
    with (out / 'records.jsonl').open('w', encoding='utf-8') as fh:
        while next_url:
            response = session.get(next_url, timeout=60)
            response.raise_for_status()
            body = response.json()
            ids = [item['id'] for item in body['data']]
            next_url = body['meta']['pagination']['next_cursor']
            del body, response  # one page at a time
            for start in range(0, len(ids), 200):
                response = session.post(
                    f'{url}/v2/assignments/bulk-fetch/',
                    params={'response_mode': 'inline'},
                    json={'ids': ids[start : start + 200]},
                    timeout=60,
                )
                response.raise_for_status()
                for item in response.json()['data']:
                    fh.write(json.dumps(item))
                    fh.write('\n')
                    count += 1
    return count


def fetch(url: str, project: int, out: Path) -> int:
    from synapse_sdk.clients.backend_v2 import BackendV2Client
    from synapse_sdk.plugins.actions.export import ExportTarget, fetch_v2

    client = BackendV2Client(url, access_token=TOKEN)
    records, _ = fetch_v2(client, ExportTarget.ASSIGNMENT, {'project': project})
    count = 0
    for _record in records:
        count += 1
    return count


def export(url: str, project: int, out: Path, **params) -> int:
    from synapse_sdk.clients.backend import BackendClient
    from synapse_sdk.clients.backend_v2 import BackendV2Client
    from synapse_sdk.plugins.actions.export import BaseExportAction, ExportParams
    from synapse_sdk.plugins.execution import build_runtime_context, run_action

    class Export(BaseExportAction[ExportParams]):
        action_name = 'export'

    ctx = build_runtime_context(
        env={},
        console=False,
        client=BackendClient(url, access_token=TOKEN),
        v2_client=BackendV2Client(url, access_token=TOKEN),
        agent_client=None,
    )
    try:
        result = run_action(
            Export,
            {'target': 'assignment', 'filter': {'project': project}, 'path': str(out / 'x'), **params},
            ctx,
        )
    finally:
        ctx.logger.finish()
    return int(result['exported'])


RUNNERS = {'bare': bare, 'fetch': fetch, 'export': export}


def child(kind: str, url: str, project: int, out: str) -> None:
    out_dir = Path(out)
    out_dir.mkdir(parents=True, exist_ok=True)
    # Imports are not what is measured.
    import requests  # noqa: F401

    import synapse_sdk.clients.backend
    import synapse_sdk.clients.backend_v2
    import synapse_sdk.plugins.actions.export
    import synapse_sdk.plugins.execution  # noqa: F401

    started = time.perf_counter()
    items = RUNNERS[kind](url, project, out_dir)
    seconds = time.perf_counter() - started
    print(json.dumps({'seconds': seconds, 'items': items, 'rss_mb': peak_rss_mb()}))


def measure(kind: str, url: str, project: int, work: Path) -> dict:
    out = work / f'out-{kind}'
    shutil.rmtree(out, ignore_errors=True)
    cmd = [sys.executable, __file__, '--child', kind, url, str(project), str(out)]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    shutil.rmtree(out, ignore_errors=True)
    if proc.returncode:
        raise SystemExit(f'{kind} failed:\n{proc.stderr[-4000:]}')
    return json.loads(proc.stdout.strip().splitlines()[-1])


# -- the report ------------------------------------------------------------------------------------
def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument('--items', type=int, default=100_000, help='N (default 100,000); N/10 runs too')
    parser.add_argument('--repeat', type=int, default=3)
    parser.add_argument('--only', nargs='*', choices=KINDS, default=list(KINDS))
    parser.add_argument('--workdir', default=None)
    args = parser.parse_args()
    kinds = ['bare'] + [k for k in args.only if k != 'bare']
    sizes = [max(args.items // 10, 1), args.items]
    work = Path(args.workdir or tempfile.mkdtemp(prefix='bench-export-'))
    work.mkdir(parents=True, exist_ok=True)
    print(f'seeding the fake backend with {sum(sizes):,} assignments in a child process ...', flush=True)
    server = subprocess.Popen(
        [sys.executable, __file__, '--serve', *map(str, sizes)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        url = server.stdout.readline().strip()
        if not url.startswith('http'):
            raise SystemExit(f'fake backend did not start (got {url!r})')
        load = os.getloadavg()
        print(f'{os.cpu_count()} cores, load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} at the start')
        measure('bare', url, 1, work)  # warm-up: the server's filter cache, page cache
        results: dict[tuple[str, int], list[dict]] = {}
        for repeat in range(args.repeat):
            for project, size in enumerate(sizes, start=1):
                for kind in kinds:
                    run = measure(kind, url, project, work)
                    if run['items'] != size:
                        raise SystemExit(f'{kind} at {size}: {run["items"]} items, expected {size}')
                    results.setdefault((kind, size), []).append(run)
            print(f'  repeat {repeat + 1}/{args.repeat} done', flush=True)
        report(results, kinds, sizes, args.repeat)
        load = os.getloadavg()
        print(f'load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} at the end')
    finally:
        server.stdin.close()
        server.wait(timeout=60)
        if not args.workdir:
            shutil.rmtree(work, ignore_errors=True)


def report(results: dict, kinds: list[str], sizes: list[int], repeats: int) -> None:
    print(
        f'\nmedians of {repeats}; ratio = median of per-repeat (bare seconds / seconds); spread = (max-min)/median'
    )
    header = f'{"path":<10}{"items":>9}{"items/s":>10}{"x bare":>8}{"spread":>8}{"RSS MB":>8}  target'
    print(header)
    print('-' * len(header))
    for size in sizes:
        for kind in kinds:
            runs = results[(kind, size)]
            seconds = [r['seconds'] for r in runs]
            median = statistics.median(seconds)
            ratios = [b['seconds'] / r['seconds'] for b, r in zip(results[('bare', size)], runs, strict=True)]
            ratio = statistics.median(ratios)
            spread = (max(seconds) - min(seconds)) / median
            rss = statistics.median(r['rss_mb'] for r in runs)
            target = TARGETS.get(kind)
            verdict = '' if target is None else f'>= {target}x: {"met" if ratio >= target else "NOT MET"}'
            print(
                f'{kind:<10}{size:>9,}{size / median:>10,.0f}{ratio:>8.2f}{spread:>7.0%}{rss:>8.1f}  {verdict}'
            )
    small, big = sizes
    print(f'\npeak RSS growth from {small:,} to {big:,} items (target <= 16 bytes per item)')
    for kind in kinds:
        a = statistics.median(r['rss_mb'] for r in results[(kind, small)])
        b = statistics.median(r['rss_mb'] for r in results[(kind, big)])
        per_item = (b - a) * 2**20 / (big - small)
        print(
            f'  {kind:<10}{a:8.1f} MB -> {b:8.1f} MB  {per_item:8.1f} B/item  {"met" if per_item <= 16 else "NOT MET"}'
        )


if __name__ == '__main__':
    if len(sys.argv) > 1 and sys.argv[1] == '--serve':
        serve([int(v) for v in sys.argv[2:]])
    elif len(sys.argv) > 1 and sys.argv[1] == '--child':
        child(sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5])
    else:
        main()
