"""Benchmark of the export path against bare loops over the same fake backend, at N/10 and N items.

Usage::

    .venv/bin/python tools/bench/bench_export.py                 # N = 100,000 assignments, 3 repeats
    .venv/bin/python tools/bench/bench_export.py --items 20000 --repeat 1
    .venv/bin/python tools/bench/bench_export.py --only bare export files_bare files

A fake backend runs in a child process (its own GIL and heap) seeded with two projects: N/10 and N
assignments, each a DM v2 document of 6 boxes and 4 polygons (~1 KB of JSON) and one original file (a
generated JPEG of ``--file-size`` bytes, served by the fake with ``--file-latency`` seconds of delay; the
record's file entry carries its url, size, SHA-1 and image size). Every measurement then runs in a fresh
process, so its peak RSS (``VmHWM``) is its own:

- ``bare``: the floor any client pays: a plain ``requests`` loop that lists the ids (``per_page``
  10,000), bulk-fetches them 200 at a time and writes every item to one JSON-lines file;
- ``fetch``: the SDK fetch path, ``fetch_v2`` iterated to the end (records parsed, nothing written);
- ``export``: ``BaseExportAction`` run through ``run_action`` in a real ``RuntimeContext``;
- ``yolo`` / ``coco``: the export straight to YOLO (detect) / COCO, one pass (``class_names`` given; for
  COCO also ``keypoint_names=[]``: the documents have no keypoints), the image sizes from the records (no
  original files); the conversion where the converters' default puts it (worker processes when a second
  core is idle), or ``--format-workers N`` (1: in the export's process);
- ``files_bare``: the bare loop plus each batch's files downloaded by a pool of ``--concurrency`` threads
  (one ``requests`` session each), written to disk;
- ``files``: the export with ``save_original_file`` and ``file_concurrency=--concurrency``;
- ``yolo_convert`` / ``coco_convert`` (only with ``--only``): synapse-converters' ``DatasetWriter`` alone, fed
  the same kind of documents from a local file (no network, no export): the ceiling of ``yolo`` / ``coco``,
  whatever the export does. Their RSS includes nothing of the export.

Reported per measurement and size: items/s (median of ``--repeat``), the ratio to its bare loop (``bare``,
or ``files_bare`` for ``files``; the median of per-repeat ratios: each repeat runs the bare loops next to
the others, so load changes on a shared machine hit both alike), the spread of the repeats
(``(max - min) / median``: the machine's noise), the client's CPU time per item, peak RSS at N/10 and N and
the growth per item ``(RSS(N) - RSS(N/10)) / (N - N/10)`` bytes. Where the CPU goes, per item (medians):

- ``own``: the measuring process itself (``time.process_time()``: the export's process, all its threads);
- ``workers``: its child processes (``os.times()`` children: the converters' worker processes of ``yolo`` /
  ``coco``; 0 when the conversion ran in process);
- ``backend``: the fake backend's process over the same measurement (``utime + stime`` of
  ``/proc/<pid>/stat``, before and after; it serves nothing else meanwhile);
- ``total``: the three together, the CPU one item costs the machine. On 2 cores, ``total`` above
  ``2 / (items/s)`` means the run was bound by CPU, and a ratio target needs ``total`` below
  ``2 / (target x bare items/s)``.

The converting paths also say, per run, the worker pool they started (``pools 2,2,0``: 0 converted in
process): the converters choose by the idle cores they see, and the fake backend serves on this machine. The
RSS growth of such a path compares only runs that converted the same way at both sizes (a pool adds its
pipes and queues to the peak), or says the sizes are not comparable.

On a shared machine wall-clock figures measure the other users' load; the CPU columns do not (much). Targets (issue #18): export >= 0.8x bare;
yolo, coco >= 0.5x bare; files >= 0.8x files_bare; growth <= 16 bytes per item.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

TOKEN = 'syn_test'
W, H = 640, 480
CLASSES = [f'class_{i}' for i in range(10)]
KINDS = ('bare', 'fetch', 'export', 'yolo', 'coco', 'files_bare', 'files')
#: Measured only when named with ``--only``.
EXTRA_KINDS = ('yolo_convert', 'coco_convert')
BASELINE = {
    'fetch': 'bare',
    'export': 'bare',
    'yolo': 'bare',
    'coco': 'bare',
    'files': 'files_bare',
    'yolo_convert': 'bare',
    'coco_convert': 'bare',
}
YOLO_OPTIONS = {'task': 'detect', 'class_names': CLASSES}
COCO_OPTIONS = {'class_names': CLASSES, 'keypoint_names': []}
TARGETS = {'export': 0.8, 'yolo': 0.5, 'coco': 0.5, 'files': 0.8}
#: Paths that convert, in the converters' worker processes or in their own (reported per run as its pool).
POOLED = ('yolo', 'coco', 'yolo_convert', 'coco_convert')
WORKERS_ENV = 'BENCH_EXPORT_FORMAT_WORKERS'
#: CPU seconds each measurement reports: its own process, its child processes, the fake backend's.
CPU_PARTS = ('cpu', 'workers', 'backend')


# -- the fake backend (child process) -------------------------------------------------------------
def document(rng: random.Random, i: int) -> dict:
    """A DM v2 document: 6 boxes and 4 polygons on one image (~1 KB of JSON)."""
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


def serve(sizes: list[int], file_size: int, latency: float) -> None:
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
                media = backend.add_media(size=file_size, name=f'frame_{row["id"]}.jpg', width=W, height=H)
                row['files'] = {'image_1': {**media, 'is_primary': True, 'width': W, 'height': H}}
        state.media_latency = latency
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


def bare_loop(url: str, project: int, out: Path, concurrency: int = 0) -> int:
    """List, bulk-fetch, write JSON lines; with `concurrency`, also download each batch's files that wide."""
    import requests

    session = requests.Session()
    session.headers['SYNAPSE-ACCESS-TOKEN'] = TOKEN
    local = threading.local()

    def download(job: tuple[str, Path]) -> None:
        if not hasattr(local, 'session'):
            local.session = requests.Session()  # file URLs get no credentials
        response = local.session.get(job[0], timeout=60)
        response.raise_for_status()
        job[1].write_bytes(response.content)

    pool = ThreadPoolExecutor(concurrency) if concurrency else None
    files = out / 'original_files'
    files.mkdir()
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
                items = response.json()['data']
                if pool is not None:
                    jobs = [
                        (entry['url'], files / f'{item["id"]}_{spec}.jpg')
                        for item in items
                        for spec, entry in item['files_manifest'].items()
                    ]
                    list(pool.map(download, jobs))
                for item in items:
                    fh.write(json.dumps(item))
                    fh.write('\n')
                    count += 1
    if pool is not None:
        pool.shutdown()
    return count


def bare(url: str, project: int, out: Path, concurrency: int) -> int:
    return bare_loop(url, project, out)


def files_bare(url: str, project: int, out: Path, concurrency: int) -> int:
    return bare_loop(url, project, out, concurrency)


def fetch(url: str, project: int, out: Path, concurrency: int) -> int:
    from synapse_sdk.clients.backend_v2 import BackendV2Client
    from synapse_sdk.plugins.actions.export import ExportTarget, fetch_v2

    client = BackendV2Client(url, access_token=TOKEN)
    records, _ = fetch_v2(client, ExportTarget.ASSIGNMENT, {'project': project})
    count = 0
    for _record in records:
        count += 1
    return count


def export(url: str, project: int, out: Path, concurrency: int = 8, **params) -> int:
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
    base = {'target': 'assignment', 'filter': {'project': project}, 'path': str(out / 'x')}
    try:
        result = run_action(Export, {**base, **params}, ctx)
    finally:
        ctx.logger.finish()
    if result.get('files_failed'):
        raise SystemExit(f'{result["files_failed"]} downloads failed')
    return int(result['exported'])


def _format_options(options: dict) -> dict:
    workers = os.environ.get(WORKERS_ENV)  # --format-workers, passed on to the measuring child
    return {**options, 'workers': int(workers)} if workers else options


def yolo(url: str, project: int, out: Path, concurrency: int) -> int:
    return export(url, project, out, format='yolo', format_options=_format_options(YOLO_OPTIONS))


def coco(url: str, project: int, out: Path, concurrency: int) -> int:
    return export(url, project, out, format='coco', format_options=_format_options(COCO_OPTIONS))


DOCUMENTS = 'documents.jsonl'


def write_documents(url: str, project: int, out: Path, concurrency: int) -> None:
    """As many documents as the project has items, one JSON text per line (not timed)."""
    import requests

    session = requests.Session()
    session.headers['SYNAPSE-ACCESS-TOKEN'] = TOKEN
    count = 0
    next_url: str | None = f'{url}/v2/assignments/?project={project}&per_page=10000'
    while next_url:
        body = session.get(next_url, timeout=60).json()
        count += len(body['data'])
        next_url = body['meta']['pagination']['next_cursor']
    rng = random.Random(project)
    with (out / DOCUMENTS).open('w', encoding='utf-8') as fh:
        for i in range(count):
            fh.write(json.dumps(document(rng, i)) + '\n')


def convert_only(target: str, options: dict, out: Path) -> int:
    from synapse_sdk.utils.converters import DatasetWriter, DMRecord

    count = 0
    with (
        DatasetWriter(target, out / 'x', workers=1, **options) as writer,
        (out / DOCUMENTS).open(encoding='utf-8') as fh,
    ):
        for count, line in enumerate(fh, start=1):
            name = f'assignment_{count}'
            writer.write(
                DMRecord(name=name, document=json.loads(line), image_name=f'{name}.jpg', width=W, height=H)
            )
    return count


def yolo_convert(url: str, project: int, out: Path, concurrency: int) -> int:
    return convert_only('yolo', YOLO_OPTIONS, out)


def coco_convert(url: str, project: int, out: Path, concurrency: int) -> int:
    return convert_only('coco', COCO_OPTIONS, out)


def files(url: str, project: int, out: Path, concurrency: int) -> int:
    return export(url, project, out, save_original_file=True, file_concurrency=concurrency)


RUNNERS = {
    'bare': bare,
    'fetch': fetch,
    'export': export,
    'yolo': yolo,
    'coco': coco,
    'files_bare': files_bare,
    'files': files,
    'yolo_convert': yolo_convert,
    'coco_convert': coco_convert,
}
#: Run before the clock starts.
PREPARE = {'yolo_convert': write_documents, 'coco_convert': write_documents}


def proc_cpu(pid: int) -> float:
    """CPU seconds (user + system, every thread) process `pid` has used so far; 0.0 where ``/proc`` is missing."""
    try:
        with open(f'/proc/{pid}/stat', encoding='ascii') as fh:
            fields = fh.read().rpartition(')')[2].split()
    except OSError:
        return 0.0
    # After the command name: state is field 3 of proc(5), utime and stime are fields 14 and 15.
    return (int(fields[11]) + int(fields[12])) / os.sysconf('SC_CLK_TCK')


def children_cpu() -> float:
    """CPU seconds of this process's children that have been waited for (the converter workers)."""
    times = os.times()
    return times.children_user + times.children_system


def child(kind: str, url: str, project: int, out: str, concurrency: int) -> None:
    out_dir = Path(out)
    out_dir.mkdir(parents=True, exist_ok=True)
    # Imports are not what is measured.
    import requests  # noqa: F401

    import synapse_sdk.clients.backend
    import synapse_sdk.clients.backend_v2
    import synapse_sdk.clients.downloads
    import synapse_sdk.plugins.actions.export
    import synapse_sdk.plugins.execution
    import synapse_sdk.utils.converters  # noqa: F401

    prepare = PREPARE.get(kind)
    if prepare is not None:
        prepare(url, project, out_dir, concurrency)
    pools = record_pools()
    workers = children_cpu()
    cpu = time.process_time()
    started = time.perf_counter()
    items = RUNNERS[kind](url, project, out_dir, concurrency)
    seconds = time.perf_counter() - started
    cpu = time.process_time() - cpu
    workers = children_cpu() - workers
    print(
        json.dumps(
            {
                'seconds': seconds,
                'cpu': cpu,
                'workers': workers,
                'items': items,
                'rss_mb': peak_rss_mb(),
                'pool': max(pools, default=0),
            }
        )
    )


def record_pools() -> list[int]:
    """The sizes of the converter worker pools this process starts from now on (none: converted in process).

    Which one a yolo/coco run gets is the converters' choice (``workers=None`` watches the idle cores, and the
    fake backend serves on this machine), so two runs may differ in it: peak RSS is then not like with like
    (a pool adds the workers' pipes and queues to the parent's peak)."""
    from synapse_sdk.utils.converters import workers as pool_module

    started: list[int] = []
    original = pool_module.WorkerPool.__init__

    def counting(pool: Any, job: Any, count: int) -> None:
        started.append(count)
        original(pool, job, count)

    pool_module.WorkerPool.__init__ = counting  # type: ignore[method-assign]
    return started


_MEASUREMENTS = itertools.count()


def measure(kind: str, url: str, project: int, work: Path, concurrency: int, server: int) -> dict:
    """One measurement in a fresh process; `server` is the fake backend's pid (its CPU is read around it).

    Each measurement writes to a directory of its own under ``outputs/``, removed only when the bench
    ends: on ext4, creating files within a minute or so of deleting many (the previous YOLO run's 100,000
    label files) costs ~190 us of kernel CPU per file instead of ~20 (the inode allocator skips the
    recently deleted inodes one by one), so deleting each output at once made every YOLO run after the
    first measure the bench's own cleanup: 158 against 415-513 us of worker CPU per item in one run.
    """
    out = work / 'outputs' / f'{next(_MEASUREMENTS):04d}-{kind}'
    cmd = [sys.executable, __file__, '--child', kind, url, str(project), str(out), str(concurrency)]
    backend = proc_cpu(server)
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    backend = proc_cpu(server) - backend
    if proc.returncode:
        raise SystemExit(f'{kind} failed:\n{proc.stderr[-4000:]}')
    return {**json.loads(proc.stdout.strip().splitlines()[-1]), 'backend': backend}


# -- the report ------------------------------------------------------------------------------------
def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument('--items', type=int, default=100_000, help='N (default 100,000); N/10 runs too')
    parser.add_argument('--repeat', type=int, default=3)
    parser.add_argument('--only', nargs='*', choices=KINDS + EXTRA_KINDS, default=list(KINDS))
    parser.add_argument('--concurrency', type=int, default=8, help='parallel downloads (both file loops)')
    parser.add_argument('--file-size', type=int, default=8_000, help='bytes per original file')
    parser.add_argument('--file-latency', type=float, default=0.0, help='seconds the fake waits per file')
    parser.add_argument(
        '--format-workers',
        type=int,
        default=None,
        help="yolo/coco: format_options['workers'] (default: the converters' automatic choice)",
    )
    parser.add_argument('--workdir', default=None)
    args = parser.parse_args()
    if args.format_workers is not None:
        os.environ[WORKERS_ENV] = str(args.format_workers)
    kinds = [k for k in KINDS + EXTRA_KINDS if k in args.only]
    for kind in list(kinds):  # every measurement runs next to its baseline
        base = BASELINE.get(kind)
        if base and base not in kinds:
            kinds.insert(0, base)
    sizes = [max(args.items // 10, 1), args.items]
    work = Path(args.workdir or tempfile.mkdtemp(prefix='bench-export-'))
    work.mkdir(parents=True, exist_ok=True)
    print(
        f'seeding the fake backend with {sum(sizes):,} assignments and as many files of {args.file_size:,} bytes '
        f'(latency {args.file_latency}s) in a child process ...',
        flush=True,
    )
    server = subprocess.Popen(
        [sys.executable, __file__, '--serve', str(args.file_size), str(args.file_latency), *map(str, sizes)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        url = server.stdout.readline().strip()
        if not url.startswith('http'):
            raise SystemExit(f'fake backend did not start (got {url!r})')
        loads = [os.getloadavg()]
        print(
            f'{os.cpu_count()} cores, load average {loads[0][0]:.2f} at the start; concurrency {args.concurrency}'
        )
        for project in range(
            1, len(sizes) + 1
        ):  # warm-up: the server's filter cache of each project, page cache
            measure('bare', url, project, work, args.concurrency, server.pid)
        results: dict[tuple[str, int], list[dict]] = {}
        for repeat in range(args.repeat):
            for project, size in enumerate(sizes, start=1):
                for kind in kinds:
                    run = measure(kind, url, project, work, args.concurrency, server.pid)
                    if run['items'] != size:
                        raise SystemExit(f'{kind} at {size}: {run["items"]} items, expected {size}')
                    results.setdefault((kind, size), []).append(run)
                    # as it goes: a run on a loaded machine takes long, and a figure seen early is worth having
                    us = {k: run[k] / size * 1e6 for k in ('cpu', 'workers', 'backend')}
                    pool = f' pool {run["pool"]}' if kind in POOLED else ''
                    print(
                        f'    {kind:<13}{size:>9,} items {size / run["seconds"]:>9,.0f} items/s '
                        f'{run["rss_mb"]:>7.1f} MB, CPU us/item own {us["cpu"]:.0f} workers {us["workers"]:.0f} '
                        f'backend {us["backend"]:.0f}{pool} (load {os.getloadavg()[0]:.2f})',
                        flush=True,
                    )
            loads.append(os.getloadavg())
            print(f'  repeat {repeat + 1}/{args.repeat} done (load average {loads[-1][0]:.2f})', flush=True)
        report(results, kinds, sizes, args.repeat)
        one_minute = [load[0] for load in loads]
        print(
            f'\nmachine: {os.cpu_count()} cores; 1-minute load average between {min(one_minute):.2f} and '
            f'{max(one_minute):.2f} during the run (a quiet 2-core machine would show ~2)'
        )
    finally:
        server.stdin.close()
        server.wait(timeout=60)
        shutil.rmtree(work / 'outputs', ignore_errors=True)
        if not args.workdir:
            shutil.rmtree(work, ignore_errors=True)


def report(results: dict, kinds: list[str], sizes: list[int], repeats: int) -> None:
    print(
        f'\nmedians of {repeats}; x base = median of per-repeat (baseline seconds / seconds); '
        'spread = (max - min) / median of the seconds;\n'
        'CPU us per item: own = the measuring process, workers = its child processes (converter workers), '
        'backend = the fake backend, total = all three'
    )
    cpu_header = f'{"":<66}{"--- CPU us per item ---":^32}'
    header = (
        f'{"path":<11}{"items":>9}{"items/s":>10}{"base":>12}{"x base":>8}{"spread":>8}{"RSS MB":>8}'
        f'{"own":>8}{"workers":>8}{"backend":>8}{"total":>8}  target'
    )
    print(cpu_header)
    print(header)
    print('-' * len(header))
    for size in sizes:
        for kind in kinds:
            runs = results[(kind, size)]
            seconds = [r['seconds'] for r in runs]
            median = statistics.median(seconds)
            base = BASELINE.get(kind, kind)
            ratios = [b['seconds'] / r['seconds'] for b, r in zip(results[(base, size)], runs, strict=True)]
            ratio = statistics.median(ratios)
            spread = (max(seconds) - min(seconds)) / median
            cpu = {k: statistics.median(r.get(k, 0.0) for r in runs) / size * 1e6 for k in CPU_PARTS}
            total = statistics.median(sum(r.get(k, 0.0) for k in CPU_PARTS) for r in runs) / size * 1e6
            rss = statistics.median(r['rss_mb'] for r in runs)
            target = TARGETS.get(kind)
            verdict = '' if target is None else f'>= {target}x: {"met" if ratio >= target else "NOT MET"}'
            if kind in POOLED:
                verdict += f' (pools {",".join(str(r.get("pool", 0)) for r in runs)})'
            print(
                f'{kind:<11}{size:>9,}{size / median:>10,.0f}{base:>12}{ratio:>8.2f}{spread:>8.0%}{rss:>8.1f}'
                + ''.join(f'{cpu[k]:>8.0f}' for k in CPU_PARTS)
                + f'{total:>8.0f}  {verdict}'
            )
    small, big = sizes
    print(f'\npeak RSS growth from {small:,} to {big:,} items (target <= 16 bytes per item)')
    for kind in kinds:
        runs_small, runs_big = results[(kind, small)], results[(kind, big)]
        note = ''
        if kind in POOLED:
            # Like with like: only runs that converted the same way (the same pool size, 0: in process) at
            # both sizes; the most frequent such way.
            ways = Counter(r.get('pool', 0) for r in runs_small + runs_big)
            common = [w for w, _ in ways.most_common() if any(r.get('pool', 0) == w for r in runs_small)
                      and any(r.get('pool', 0) == w for r in runs_big)]  # fmt: skip
            if not common:
                pools = [sorted({r.get('pool', 0) for r in runs}) for runs in (runs_small, runs_big)]
                print(f'  {kind:<11}not comparable: pools {pools[0]} at {small:,}, {pools[1]} at {big:,}')
                continue
            runs_small = [r for r in runs_small if r.get('pool', 0) == common[0]]
            runs_big = [r for r in runs_big if r.get('pool', 0) == common[0]]
            note = f'  (runs with pool {common[0]}: {len(runs_small)} + {len(runs_big)})'
        a = statistics.median(r['rss_mb'] for r in runs_small)
        b = statistics.median(r['rss_mb'] for r in runs_big)
        per_item = (b - a) * 2**20 / (big - small)
        verdict = 'met' if per_item <= 16 else 'NOT MET'
        print(f'  {kind:<11}{a:8.1f} MB -> {b:8.1f} MB  {per_item:8.1f} B/item  {verdict}{note}')


if __name__ == '__main__':
    if len(sys.argv) > 1 and sys.argv[1] == '--serve':
        serve([int(v) for v in sys.argv[4:]], int(sys.argv[2]), float(sys.argv[3]))
    elif len(sys.argv) > 1 and sys.argv[1] == '--child':
        child(sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5], int(sys.argv[6]))
    else:
        main()
