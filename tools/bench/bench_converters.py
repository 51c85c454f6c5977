"""Benchmark of synapse-converters: every direction against the I/O floor of copying the same files, and against
a baseline source tree of the package run in the same invocation.

Usage::

    .venv/bin/python tools/bench/bench_converters.py --baseline-src ../conv-baseline     # 10,000 images
    .venv/bin/python tools/bench/bench_converters.py --quick                              # 1,000 images
    .venv/bin/python tools/bench/bench_converters.py --images 10000 --memory-images 100000 --baseline-src ...
    .venv/bin/python tools/bench/bench_converters.py --headline-only --workers default 1 2
    .venv/bin/python tools/bench/bench_converters.py --records 20000 --baseline-src ../conv-baseline
    .venv/bin/python tools/bench/bench_converters.py --worker-start --repeat 5 --baseline-src ../conv-baseline
    .venv/bin/python tools/bench/bench_converters.py --batch-loop 6000 --repeat 10 --baseline-src ../conv-baseline

A seeded DM v2 dataset is generated (header-valid 640x480 JPEGs of ~16 KB whose pixel data is random, since
converters never decode pixels; per image 6 boxes, 2 polygons, a mask and a 7-joint keypoint group), plus its
DM v1 twin. The YOLO (detect), COCO and Pascal VOC datasets read by the directions that start from those formats
are written once, before timing, by this tree's DM v2 -> X, so both trees read the same files.

Every direction runs in a fresh subprocess (so peak RSS is its own) as ``convert()`` + ``save_to_folder()``,
the way the seed documents it, with ``error_policy='skip'`` (the problem count is printed: a tree that refuses
input would look faster). ``--baseline-src`` names the root of another checkout of this repository (for example
a ``git worktree`` of the commit before a change); each direction the baseline supports then also runs with
that tree's ``synapse-converters`` first on ``PYTHONPATH`` (the child checks which package it imported), and the
two trees alternate run by run (order swapped every round), so load on a shared machine hits both alike.

Reported per direction: median seconds over ``--repeat`` runs and their spread ((max - min) / median, the
machine's noise), the worker processes the first run started (``pool``: 0 in-process), images/s, peak RSS of
the converting process (its own VmHWM on Linux) and of its workers,
time / I/O floor (``shutil.copytree`` of the DM v2 dataset, measured before every headline run; its own spread is
printed) and, with a baseline, time / baseline time (median of the per-round ratios). ``--workers`` takes
``default`` (the converter's default, what a user gets) and numbers; the baseline always runs with its default.

Memory: every direction that ran is run once more on a dataset of ``--memory-images`` images (default a tenth of
``--images``; the same generator), with the worker count the first run's default chose given explicitly (at
1,000 images the default starts no pool: comparing that with a run that had one called the workers' RSS growth),
and the peak RSS at both sizes gives the growth per image. A direction is flat when the two peaks (main process
and largest worker) differ by at most ``--flat-mb``. Targets (issue #14): DM v2 -> YOLO within 1.5x the floor
with default settings; memory flat from 10,000 to 100,000 images; no direction more than 10 % slower than before.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import statistics
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = 'packages/synapse-converters/src'
W, H = 640, 480
PERSON = ('nose', 'left_eye', 'right_eye', 'left_ear', 'right_ear', 'left_shoulder', 'right_shoulder')


def jpeg(rng: random.Random, size: int = 16_000) -> bytes:
    sof = b'\xff\xc0' + struct.pack('>HBHHB', 17, 8, H, W, 3) + bytes((1, 0x11, 0, 2, 0x11, 1, 3, 0x11, 1))
    return b'\xff\xd8' + sof + b'\xff\xda' + rng.randbytes(size) + b'\xff\xd9'


def document(rng: random.Random, i: int) -> dict:
    boxes, polys, masks = [], [], []
    for k in range(6):
        x, y = rng.randint(0, W - 100), rng.randint(0, H - 100)
        attrs = [{'name': 'occluded', 'value': True}] if k == 0 else []
        boxes.append(
            {
                'id': f'b{i}x{k}',
                'classification': f'class_{rng.randint(0, 19)}',
                'attrs': attrs,
                'data': [x, y, rng.randint(5, 99), rng.randint(5, 99)],
            }
        )
    for k in range(2):
        x, y = rng.randint(0, W - 60), rng.randint(0, H - 60)
        pts = [[x, y], [x + rng.randint(10, 59), y], [x + 30, y + rng.randint(10, 59)], [x, y + 20]]
        polys.append(
            {'id': f'p{i}x{k}', 'classification': f'class_{rng.randint(0, 19)}', 'attrs': [], 'data': pts}
        )
    x, y = rng.randint(0, W - 40), rng.randint(0, H - 40)
    runs = [[(y + r) * W + x, rng.randint(5, 39)] for r in range(rng.randint(5, 39))]
    masks.append(
        {
            'id': f'm{i}',
            'classification': 'stuff',
            'attrs': [],
            'data': runs,
            'encoding': 'dm_rle',
            'isCompressed': True,
            'compressionFormat': 'rle',
        }
    )
    cx, cy = rng.randint(50, W - 50), rng.randint(50, H - 50)
    kps = [
        {
            'id': f'k{i}x{j}',
            'classification': name,
            'attrs': [],
            'data': [cx + 5 * j, cy + 3 * j],
            'visibility': 2,
            'group_id': f'g{i}',
        }
        for j, name in enumerate(PERSON)
    ]
    return {'images': [{'bounding_box': boxes, 'polygon': polys, 'segmentation': masks, 'keypoint': kps}]}


def generate(root: Path, n: int, sources: set[str] | None = None, seed: int = 7) -> None:
    """A DM v2 dataset of ``n`` images, its DM v1 twin, and the YOLO/COCO/VOC datasets read by directions from
    those formats (``sources``: only these; default all). A dataset a previous run left in ``--workdir`` (same
    size, seed and sources, marked complete) is used again."""
    marker = root / f'.complete-{n}-{seed}-{"+".join(sorted(sources or SOURCE_OPTIONS))}'
    if marker.exists():
        return
    shutil.rmtree(root, ignore_errors=True)
    sys.path.insert(0, str(ROOT / PACKAGE))
    from synapse_sdk.utils.converters import v2_to_v1

    rng = random.Random(seed)
    for version in ('v2', 'v1'):
        for sub in ('json', 'original_files'):
            (root / f'dm_{version}' / sub).mkdir(parents=True)
    for i in range(n):
        doc = document(rng, i)
        stem = f'img_{i:06d}'
        data = jpeg(rng)
        (root / 'dm_v2/json' / f'{stem}.json').write_text(json.dumps(doc))
        (root / 'dm_v2/original_files' / f'{stem}.jpg').write_bytes(data)
        v1 = v2_to_v1(doc, extras={'image_1': {'width': W, 'height': H}})
        (root / 'dm_v1/json' / f'{stem}.json').write_text(json.dumps(v1))
        os.link(root / 'dm_v2/original_files' / f'{stem}.jpg', root / 'dm_v1/original_files' / f'{stem}.jpg')
    # The non-DM sources: written once by this tree (not timed), read by both trees.
    for fmt, options in SOURCE_OPTIONS.items():
        if sources is not None and fmt not in sources:
            continue
        run_child('dm_v2', fmt, root / 'dm_v2', root / fmt, 'default', options, None, keep=True)
    marker.touch()


# ---------------------------------------------------------------- CPU per record: DatasetWriter, as an export


def records_child(args: argparse.Namespace) -> None:
    """CPU time of ``DatasetWriter`` runs on bench_export's documents (6 boxes and 4 polygons, as the JSON text
    an export hands over, labels only): a warm-up (imports), then ``RECORDS_SMALL`` records, then ``--records``;
    prints the CPU time (``_cpu``) of the last two (children: the worker processes, waited for at close)."""
    sys.path.insert(0, str(Path(__file__).parent))
    import bench_export as be

    import synapse_sdk.utils.converters as package
    from synapse_sdk.utils.converters import DatasetWriter, DMRecord

    target, workers, n = args.target, int(args.child_workers), int(args.records)
    options = be.YOLO_OPTIONS if target == 'yolo' else be.COCO_OPTIONS
    rng = random.Random(1)
    docs = [json.dumps(be.document(rng, i)) for i in range(n)]
    work = Path(args.out)

    def run(count: int, pool: int) -> list[float]:
        out = work / f'run-{count}'
        shutil.rmtree(out, ignore_errors=True)
        before = _cpu()
        with DatasetWriter(target, out, workers=pool, **options) as writer:
            for i in range(count):
                name = f'assignment_{i}'
                record = DMRecord(
                    name=name,
                    document=docs[i],
                    image_name=f'{name}.jpg',
                    width=be.W,
                    height=be.H,
                    source=name,
                )
                writer.write(record)
        after = _cpu()
        shutil.rmtree(out, ignore_errors=True)
        return [b - a for a, b in zip(before, after, strict=True)]

    run(64, 1)  # imports, lazily made directories
    small = run(RECORDS_SMALL, workers)
    large = run(n, workers)
    print(json.dumps({'small': small, 'large': large, 'package': package.__file__}))


def _cpu() -> list[float]:
    """User and system CPU seconds of this process and of its waited-for children (``getrusage``: microseconds,
    where ``os.times()`` counts 10 ms ticks)."""
    me, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return [me.ru_utime, me.ru_stime, children.ru_utime, children.ru_stime]


RECORDS_SMALL = (
    640  # ten batches: with workers, their start (interpreters importing the package) is in both runs
)


def records_main(args: argparse.Namespace, base: Path | None) -> None:
    """``--records``: CPU per record of ``DatasetWriter`` to YOLO (detect) and COCO, in-process and with two
    workers, this tree against ``--baseline-src`` (alternating, order swapped every round), medians of
    ``--repeat``. Per item: the marginal CPU between a run of ``RECORDS_SMALL`` records and one of ``--records``
    (so the workers' start is not spread over the items), user and system apart (YOLO's system CPU is the
    file system creating a label file per item: not the code's), the main process and its workers apart; and the
    workers' fixed cost (their start: imports). Judge changes by user CPU: wall time on a shared machine measures
    the others' load."""
    n = args.records
    work = Path(args.workdir or tempfile.mkdtemp(prefix='bench-records-'))
    trees: list[tuple[str, Path | None]] = [('this', None)] + ([('baseline', base)] if base else [])
    print(
        f'CPU per record, {n} records (marginal over {RECORDS_SMALL}), medians of {args.repeat}; load {_load()}'
    )
    rows: dict[tuple[str, int, str], list[dict[str, float]]] = {}
    for rnd in range(args.repeat):
        for target in ('yolo', 'coco'):
            for workers in (1, 2):
                order = trees if rnd % 2 == 0 else trees[::-1]
                for tag, tree in order:
                    cmd = ['--records-child', '--target', target, '--child-workers', str(workers)]
                    cmd += ['--records', str(n), '--out', str(work / tag)]
                    figures, _ = _child_in_tree(cmd, tree, f'records {target}')
                    small, large = figures['small'], figures['large']
                    per = [(b - a) / (n - RECORDS_SMALL) * 1e6 for a, b in zip(small, large, strict=True)]
                    fixed = small[2] + small[3] - (per[2] + per[3]) * RECORDS_SMALL / 1e6
                    row = {'user': per[0], 'sys': per[1], 'wuser': per[2], 'wsys': per[3], 'wstart': fixed}
                    rows.setdefault((target, workers, tag), []).append(row)
        print(f'  round {rnd + 1} done; load {_load()}', flush=True)
    print(
        f'{"target":6} {"workers":>7} {"tree":>8} | {"main user":>9} {"main sys":>8} {"workers user":>12} '
        f'{"workers sys":>11} {"all user":>8} | {"x baseline":>10} | {"workers start":>13}'
    )
    for target in ('yolo', 'coco'):
        for workers in (1, 2):
            medians = {}
            for tag, _ in trees:
                runs = rows[(target, workers, tag)]
                med = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
                med['all'] = statistics.median(r['user'] + r['wuser'] for r in runs)
                medians[tag] = med
            for tag, _ in trees:
                med = medians[tag]
                ratio = ''
                if 'baseline' in medians and tag == 'this':
                    mine = [r['user'] + r['wuser'] for r in rows[(target, workers, 'this')]]
                    theirs = [r['user'] + r['wuser'] for r in rows[(target, workers, 'baseline')]]
                    ratio = f'{statistics.median(a / b for a, b in zip(mine, theirs, strict=True)):.2f}x'
                print(
                    f'{target:6} {workers:>7} {tag:>8} | {med["user"]:9.1f} {med["sys"]:8.1f} {med["wuser"]:12.1f} '
                    f'{med["wsys"]:11.1f} {med["all"]:8.1f} | {ratio:>10} | {med["wstart"]:12.2f}s'
                )
    print('us per record; "all user" = main + workers user CPU; x baseline: median of the per-round ratios')
    shutil.rmtree(work, ignore_errors=True)


# ---------------------------------------------------------------- a worker's per-batch work, in one process


def batch_loop_child(args: argparse.Namespace) -> None:
    """User CPU per record of what a converter worker does with each batch (``workers._serve``): unpickle 64
    records, ``process_ref`` each, ``fold_counts``, pickle the answer; in this one process, so the figure is the
    work's own and not stretched by the two workers and the main process sharing the two cores. The job is the
    one a ``DatasetWriter`` (``workers=1``) makes for bench_export's options; prints the CPU per record."""
    sys.path.insert(0, str(Path(__file__).parent))
    import pickle

    import bench_export as be

    import synapse_sdk.utils.converters as package
    from synapse_sdk.utils.converters import DatasetWriter, DMRecord
    from synapse_sdk.utils.converters.engine import fold_counts, process_ref

    target, n = args.target, int(args.records)
    options = be.YOLO_OPTIONS if target == 'yolo' else be.COCO_OPTIONS
    rng = random.Random(1)
    records = [
        DMRecord(
            name=f'assignment_{i}',
            document=json.dumps(be.document(rng, i)),
            image_name=f'assignment_{i}.jpg',
            width=be.W,
            height=be.H,
            source=f'assignment_{i}',
        )
        for i in range(n)
    ]
    batches = [pickle.dumps(('batch', records[i : i + 64]), protocol=5) for i in range(0, n, 64)]
    writer = DatasetWriter(target, Path(args.out), workers=1, **options)
    job = writer._pipe.job
    for ref in records[:64]:  # warm-up (lazy imports, the label directory), under other names
        process_ref(job, DMRecord(f'warm_{ref.name}', ref.document, None, None, be.W, be.H))
    before = resource.getrusage(resource.RUSAGE_SELF).ru_utime
    for data in batches:
        _, refs = pickle.loads(data)
        outcomes = [process_ref(job, ref) for ref in refs]
        fold_counts(outcomes)
        pickle.dumps(('ok', outcomes), protocol=pickle.HIGHEST_PROTOCOL)
    spent = resource.getrusage(resource.RUSAGE_SELF).ru_utime - before
    writer.abort()
    print(json.dumps({'user': spent / n * 1e6, 'package': package.__file__}))


def batch_loop_main(args: argparse.Namespace, base: Path | None) -> None:
    """``--batch-loop N``: a worker's user CPU per record (``batch_loop_child``) for YOLO (detect) and COCO, this
    tree against ``--baseline-src``, alternating (order swapped every round), ``--repeat`` rounds: medians and
    the median of the per-round ratios. Outputs go to ``--workdir`` (use ``/dev/shm``: no ext4 state)."""
    work = Path(args.workdir or tempfile.mkdtemp(prefix='bench-batch-'))
    work.mkdir(parents=True, exist_ok=True)
    trees: list[tuple[str, Path | None]] = [('this', None)] + ([('baseline', base)] if base else [])
    print(f"a worker's work per record, {args.batch_loop} records, {args.repeat} rounds; load {_load()}")
    figures: dict[tuple[str, str], list[float]] = {}
    for rnd in range(args.repeat):
        for target in ('yolo', 'coco'):
            for tag, tree in trees if rnd % 2 == 0 else trees[::-1]:
                cmd = ['--batch-loop-child', '--target', target, '--records', str(args.batch_loop)]
                cmd += ['--out', str(work / f'{tag}-{target}')]
                result, _ = _child_in_tree(cmd, tree, f'batch loop {target}')
                figures.setdefault((target, tag), []).append(result['user'])
    print(f'load {_load()}')
    for target in ('yolo', 'coco'):
        for tag, _ in trees:
            runs = figures[(target, tag)]
            line = f'{target:6} {tag:>8} | user {statistics.median(runs):7.1f} us/record (runs '
            line += ', '.join(f'{r:.0f}' for r in runs) + ')'
            if tag == 'this' and base:
                ratios = [a / b for a, b in zip(runs, figures[(target, 'baseline')], strict=True)]
                line += f' | {statistics.median(ratios):.2f}x baseline'
            print(line)
    shutil.rmtree(work, ignore_errors=True)


# ---------------------------------------------------------------- a worker process's start


def worker_start_child(args: argparse.Namespace) -> None:
    """CPU of the two worker processes of a ``DatasetWriter`` (``workers=2``, YOLO detect or COCO labels) that
    each convert one batch of 64 records, then stop: children's user + system CPU per worker (``getrusage``:
    waited for at close). Then the same once more with ``PYTHONPROFILEIMPORTTIME`` set, so the workers list
    what they import on stderr (the caller counts the modules)."""
    sys.path.insert(0, str(Path(__file__).parent))
    import bench_export as be

    import synapse_sdk.utils.converters as package
    from synapse_sdk.utils.converters import DatasetWriter, DMRecord

    target = args.target
    options = be.YOLO_OPTIONS if target == 'yolo' else be.COCO_OPTIONS
    rng = random.Random(1)
    docs = [json.dumps(be.document(rng, i)) for i in range(128)]
    out = Path(args.out)

    def run() -> float:
        shutil.rmtree(out, ignore_errors=True)
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        with DatasetWriter(target, out, workers=2, **options) as writer:
            for i, doc in enumerate(docs):
                name = f'assignment_{i}'
                writer.write(
                    DMRecord(name=name, document=doc, image_name=f'{name}.jpg', width=be.W, height=be.H)
                )
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        shutil.rmtree(out, ignore_errors=True)
        return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)

    cpu = run() / 2
    os.environ['PYTHONPROFILEIMPORTTIME'] = '1'
    print('--- imports ---', file=sys.stderr, flush=True)
    run()
    print(json.dumps({'cpu': cpu, 'package': package.__file__}))


def worker_start_main(args: argparse.Namespace, base: Path | None) -> None:
    """``--worker-start``: CPU seconds per worker process started and used for one batch (``worker_start_child``),
    this tree against ``--baseline-src`` (alternating, order swapped every round), medians of ``--repeat``; and
    the modules a worker imports (how many, whether pydantic is one)."""
    work = Path(args.workdir or tempfile.mkdtemp(prefix='bench-wstart-'))
    trees: list[tuple[str, Path | None]] = [('this', None)] + ([('baseline', base)] if base else [])
    print(
        f'CPU per worker process (start + one batch of 64 records), medians of {args.repeat}; load {_load()}'
    )
    rows: dict[tuple[str, str], list[float]] = {}
    modules: dict[tuple[str, str], tuple[int, bool]] = {}
    for rnd in range(args.repeat):
        for target in ('yolo', 'coco'):
            for tag, tree in trees if rnd % 2 == 0 else trees[::-1]:
                cmd = ['--worker-start-child', '--target', target, '--out', str(work / tag)]
                figures, proc = _child_in_tree(cmd, tree, f'worker start {target}')
                rows.setdefault((target, tag), []).append(figures['cpu'])
                imported = proc.stderr.partition('--- imports ---')[2]
                names = [
                    line.rpartition('|')[2].strip()
                    for line in imported.splitlines()
                    if 'import time:' in line
                ]
                names = [n for n in names if n and n != 'imported package']
                modules[(target, tag)] = (len(names) // 2, 'pydantic' in names)
        print(f'  round {rnd + 1} done; load {_load()}', flush=True)
    print(
        f'{"target":6} {"tree":>8} | {"CPU s/worker":>12} {"x baseline":>10} | {"modules":>7} {"pydantic":>8}'
    )
    for target in ('yolo', 'coco'):
        for tag, _ in trees:
            runs = rows[(target, tag)]
            ratio = ''
            if base is not None and tag == 'this':
                pairs = zip(runs, rows[(target, 'baseline')], strict=True)
                ratio = f'{statistics.median(a / b for a, b in pairs):.2f}x'
            count, pyd = modules[(target, tag)]
            print(
                f'{target:6} {tag:>8} | {statistics.median(runs):12.3f} {ratio:>10} | {count:>7} {pyd!s:>8}'
            )
    print(f'load {_load()}; x baseline: median of the per-round ratios')
    shutil.rmtree(work, ignore_errors=True)


def _load() -> str:
    return ' '.join(f'{v:.1f}' for v in os.getloadavg())


# ---------------------------------------------------------------- one conversion in a fresh process


def child(args: argparse.Namespace) -> None:
    """Run one conversion and print its figures as JSON (runs in a fresh process)."""
    import synapse_sdk.utils.converters as package
    from synapse_sdk.utils.converters import get_converter

    try:
        from synapse_sdk.utils.converters import workers as pool_module
    except ImportError:  # a baseline tree from before the worker processes
        pool_module = None
    options = json.loads(args.options)
    if args.workers != 'default':
        options['workers'] = int(args.workers)
    started: list[int] = []  # the worker pools started (their sizes): what the default chose
    if pool_module is not None and hasattr(pool_module, 'WorkerPool'):
        original = pool_module.WorkerPool.__init__

        def counting(pool, job, count):  # type: ignore[no-untyped-def]
            started.append(count)
            original(pool, job, count)

        pool_module.WorkerPool.__init__ = counting
    start = time.perf_counter()
    conv = get_converter(args.source, args.target, root_dir=args.root, error_policy='skip', **options)
    conv.convert()
    result = conv.save_to_folder(args.out)
    elapsed = time.perf_counter() - start
    print(
        json.dumps(
            {
                'seconds': elapsed,
                'items': result.items,
                'annotations': sum(result.annotations_read.values()),
                'rss_mb': peak_rss_mb(),
                'worker_rss_mb': resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
                'problems': sum(result.report.problem_counts.values()),
                'package': package.__file__,
                'workers': getattr(conv, 'workers', None),
                'pool': max(started, default=0),
            }
        )
    )


def peak_rss_mb() -> float:
    """This process's own peak RSS. On Linux ``ru_maxrss`` survives fork + exec, so a child would report its
    parent's peak (the generator's, here); ``VmHWM`` belongs to the process image itself."""
    try:
        with open('/proc/self/status', encoding='ascii') as fh:
            for line in fh:
                if line.startswith('VmHWM:'):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _env(tree: Path | None) -> dict[str, str]:
    env = dict(os.environ)
    if tree is not None:
        env['PYTHONPATH'] = os.pathsep.join(filter(None, [str(tree / PACKAGE), env.get('PYTHONPATH')]))
    return env


def _child_in_tree(
    args: list[str], tree: Path | None, what: str
) -> tuple[dict, subprocess.CompletedProcess[str]]:
    """Run this script with `args` against this tree (``tree=None``) or the tree at `tree` (its package first on
    the path); its last stdout line (JSON) and the process. Fails unless it ran and imported that tree's package."""
    cmd = [sys.executable, __file__, *args]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False, env=_env(tree))
    if proc.returncode:
        raise SystemExit(f'{what} failed ({tree or "this tree"}):\n{proc.stderr}')
    figures = json.loads(proc.stdout.strip().splitlines()[-1])
    expected = (tree or ROOT) / PACKAGE
    if not Path(figures['package']).resolve().is_relative_to(expected.resolve()):
        raise SystemExit(f'the child imported {figures["package"]}, not the package under {expected}')
    return figures, proc


def run_child(source, target, root, out, workers, options, tree: Path | None, keep: bool = False) -> dict:
    """One conversion with this tree (``tree=None``) or the tree at ``tree`` (its package first on the path)."""
    shutil.rmtree(out, ignore_errors=True)
    out.parent.mkdir(parents=True, exist_ok=True)
    args = ['--child', '--source', source, '--target', target, '--root', str(root), '--out', str(out)]
    args += ['--child-workers', str(workers), '--options', json.dumps(options or {})]
    figures, _ = _child_in_tree(args, tree, f'{source} -> {target}')
    if not keep:
        shutil.rmtree(out, ignore_errors=True)  # keep the page cache and the disk comparable between runs
    return figures


def baseline_pairs(tree: Path) -> set[tuple[str, str]]:
    code = (
        'import json; from synapse_sdk.utils.converters import supported_pairs as s; print(json.dumps(s()))'
    )
    proc = subprocess.run(
        [sys.executable, '-c', code], capture_output=True, text=True, check=True, env=_env(tree)
    )
    return {tuple(p) for p in json.loads(proc.stdout)}


def floor(src: Path, dst: Path) -> float:
    shutil.rmtree(dst, ignore_errors=True)
    start = time.perf_counter()
    shutil.copytree(src, dst)
    elapsed = time.perf_counter() - start
    shutil.rmtree(dst)
    return elapsed


# ---------------------------------------------------------------- what runs

HEADLINE = ('dm_v2', 'yolo', {'task': 'detect'})
SOURCE_OPTIONS = {'yolo': {'task': 'detect'}, 'coco': {}, 'pascal': {}}
FORMATS = ('dm_v1', 'dm_v2', 'yolo', 'coco', 'pascal')


def plan(headline_only: bool) -> list[tuple[str, str, str, dict, bool]]:
    """``(name, source, target, options, is_headline)``: the headline, then every other ordered pair of formats
    (DM -> YOLO also with task=segment)."""
    steps = [(*HEADLINE, True)]
    if not headline_only:
        steps.append(('dm_v2', 'yolo', {'task': 'segment'}, False))
        for source in FORMATS:
            for target in FORMATS:
                if source == target or (source, target) == HEADLINE[:2]:
                    continue
                steps.append((source, target, {'task': 'detect'} if target == 'yolo' else {}, False))
    return [(_name(s, t, o), s, t, o, h) for s, t, o, h in steps]


def _name(source: str, target: str, options: dict) -> str:
    return f'{source}->{target}' + (f' ({options["task"]})' if options else '')


def _src(data: Path, source: str) -> Path:
    return data / source


def _out(work: Path, name: str, tag: str) -> Path:
    clean = name.replace('->', '_to_').replace(' ', '').replace('(', '_').replace(')', '')
    return work / 'out' / f'{clean}.{tag}'


def _spread(values: list[float]) -> float:
    return (max(values) - min(values)) / statistics.median(values) if len(values) > 1 else 0.0


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument('--quick', action='store_true', help='1,000 images')
    parser.add_argument('--images', type=int, default=10_000)
    parser.add_argument('--memory-images', type=int, default=None, help='second size for the memory check')
    parser.add_argument(
        '--memory-directions',
        nargs='*',
        default=None,
        help='direction names run at --memory-images (default: every direction that ran)',
    )
    parser.add_argument('--repeat', type=int, default=3, help='runs per direction and tree (medians)')
    parser.add_argument('--workers', nargs='*', default=['default'], help="'default' and/or numbers")
    parser.add_argument('--baseline-src', type=Path, default=None, help='root of the baseline checkout')
    parser.add_argument('--workdir', default=None)
    parser.add_argument('--headline-only', action='store_true', help='only DM v2 -> YOLO (detect)')
    parser.add_argument(
        '--only', nargs='*', default=None, help='direction names to run (e.g. "coco->yolo (detect)")'
    )
    parser.add_argument('--flat-mb', type=float, default=1.0, help='RSS difference still called flat (MB)')
    parser.add_argument(
        '--records',
        type=int,
        default=None,
        help='CPU per DatasetWriter record (YOLO, COCO), this many records',
    )
    parser.add_argument(
        '--worker-start',
        action='store_true',
        help='CPU of a worker process start (and the modules it imports)',
    )
    parser.add_argument(
        '--batch-loop',
        type=int,
        default=None,
        help="a worker's user CPU per record (YOLO, COCO) measured in one process, this many records",
    )
    parser.add_argument('--batch-loop-child', action='store_true', help=argparse.SUPPRESS)
    parser.add_argument('--records-child', action='store_true', help=argparse.SUPPRESS)
    parser.add_argument('--worker-start-child', action='store_true', help=argparse.SUPPRESS)
    parser.add_argument('--child', action='store_true', help=argparse.SUPPRESS)
    parser.add_argument('--child-workers', default='default', help=argparse.SUPPRESS)
    for name in ('source', 'target', 'root', 'out', 'options'):
        parser.add_argument(f'--{name}', help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        args.workers = args.child_workers
        child(args)
        return
    if args.records_child:
        records_child(args)
        return
    if args.batch_loop_child:
        batch_loop_child(args)
        return
    if args.worker_start_child:
        worker_start_child(args)
        return
    if args.quick:
        args.images = 1_000
    small_n = args.memory_images or max(args.images // 10, 1)
    base = args.baseline_src.resolve() if args.baseline_src else None
    if args.records:
        records_main(args, base)
        return
    if args.batch_loop:
        batch_loop_main(args, base)
        return
    if args.worker_start:
        worker_start_main(args, base)
        return
    base_pairs = baseline_pairs(base) if base else set()
    steps = plan(args.headline_only)
    if args.only:
        steps = [s for s in steps if s[0] in args.only]
    work = Path(args.workdir or tempfile.mkdtemp(prefix='bench-converters-'))
    work.mkdir(parents=True, exist_ok=True)
    try:
        t0 = time.perf_counter()
        generate(work / 'data', args.images, sources={s[1] for s in steps})
        print(
            f'generated {args.images} images (and the YOLO/COCO/VOC sources) in {time.perf_counter() - t0:.0f}s'
        )
        print(f'this tree: {ROOT}' + (f'; baseline: {base}' if base else '; no baseline'))
        print(f'cpus: {os.cpu_count()}, load average at start: {os.getloadavg()[0]:.2f}')
        floors = [floor(work / 'data/dm_v2', work / 'copy') for _ in range(max(args.repeat, 1))]
        print(
            f'I/O floor (copytree of the DM v2 dataset): {statistics.median(floors):.2f}s median of {len(floors)}'
        )
        print()
        header = (
            f'{"direction":<26}{"workers":>8}{"pool":>5}{"seconds":>9}{"spread":>8}{"img/s":>7}{"x floor":>8}'
            f'{"RSS MB":>7}{"wRSS":>6}{"probl":>6}  |{"base s":>8}{"spread":>8}{"RSS MB":>7}{"x base":>8}'
        )
        print(header)
        print('-' * len(header))
        rss_at_n: dict[str, float] = {}
        ratios: dict[str, float] = {}
        for name, source, target, options, is_headline in steps:
            for workers in args.workers if is_headline else args.workers[:1]:
                with_base = base is not None and (source, target) in base_pairs and workers == args.workers[0]
                mine, theirs, round_ratios = [], [], []
                for r in range(args.repeat):
                    trees = [None, base] if with_base else [None]
                    if r % 2:
                        trees.reverse()
                    got = {}
                    for tree in trees:
                        run_floor = floor(work / 'data/dm_v2', work / 'copy') if is_headline else None
                        if run_floor is not None:
                            floors.append(run_floor)
                        figures = run_child(
                            source,
                            target,
                            _src(work / 'data', source),
                            _out(work, name, 'base' if tree else 'this'),
                            'default' if tree else workers,
                            options,
                            tree,
                        )
                        figures['floor'] = run_floor or statistics.median(floors)
                        got['base' if tree else 'this'] = figures
                    mine.append(got['this'])
                    if with_base:
                        theirs.append(got['base'])
                        round_ratios.append(got['this']['seconds'] / got['base']['seconds'])
                secs = [m['seconds'] for m in mine]
                med = statistics.median(secs)
                row = (
                    f'{name:<26}{workers:>8}{mine[0].get("pool", 0):>5}{med:>9.2f}{_spread(secs):>7.0%} {mine[0]["items"] / med:>6.0f}'
                    f'{statistics.median(m["seconds"] / m["floor"] for m in mine):>8.2f}'
                    f'{statistics.median(m["rss_mb"] for m in mine):>7.0f}'
                    f'{statistics.median(m["worker_rss_mb"] for m in mine):>6.0f}{mine[0]["problems"]:>6}  |'
                )
                if theirs:
                    bsecs = [t['seconds'] for t in theirs]
                    ratio = statistics.median(round_ratios)
                    ratios[f'{name} [{workers}]'] = ratio
                    row += (
                        f'{statistics.median(bsecs):>8.2f}{_spread(bsecs):>7.0%} '
                        f'{statistics.median(t["rss_mb"] for t in theirs):>7.0f}{ratio:>8.2f}'
                    )
                    if theirs[0]['problems'] != mine[0]['problems']:
                        row += f'  (baseline problems: {theirs[0]["problems"]})'
                else:
                    row += f'{"-":>8}{"-":>8}{"-":>7}{"new" if base else "-":>8}'
                print(row, flush=True)
                if workers == args.workers[0]:
                    rss_at_n[name] = (
                        statistics.median(m['rss_mb'] for m in mine),
                        statistics.median(m['worker_rss_mb'] for m in mine),
                        mine[0].get('pool', 0),
                    )
        print()
        print(
            f'I/O floor: median {statistics.median(floors):.2f}s over {len(floors)} measurements, '
            f'min {min(floors):.2f}s, max {max(floors):.2f}s (spread {_spread(floors):.0%}); '
            f'load average now {os.getloadavg()[0]:.2f}'
        )
        if ratios:
            worst = max(ratios, key=ratios.get)
            print(f'slowest against the baseline: {worst} {ratios[worst]:.2f}x (target: at most 1.10x)')
        print()
        memory_steps = [s for s in steps if args.memory_directions is None or s[0] in args.memory_directions]
        generate(work / 'small', small_n, sources={s[1] for s in memory_steps})
        print(
            f'memory: peak RSS at {small_n} and {args.images} images with the same workers (the pool the '
            f'run at {args.images} started with --workers {args.workers[0]}, given explicitly: at 1,000 images the '
            'default starts none), main process; in brackets the largest worker process, 0 without workers'
        )
        header = f'{"direction":<26}{"RSS@" + str(small_n):>19}{"RSS@" + str(args.images):>19}{"B/image":>9}  verdict'
        print(header)
        print('-' * len(header))
        for name, source, target, options, _ in memory_steps:
            b, bw, pool = rss_at_n[name]
            a = run_child(
                source,
                target,
                _src(work / 'small', source),
                _out(work, name, 'small'),
                str(pool or 1),
                options,
                None,
            )
            growth = (b - a['rss_mb']) * 2**20 / (args.images - small_n or 1)
            flat = abs(b - a['rss_mb']) <= args.flat_mb or (b - a['rss_mb']) * (args.images - small_n) < 0
            wflat = (
                abs(bw - a['worker_rss_mb']) <= args.flat_mb
                or (bw - a['worker_rss_mb']) * (args.images - small_n) < 0
            )
            print(
                f'{name:<26}{a["rss_mb"]:>8.1f}MB [{a["worker_rss_mb"]:>5.1f}]{b:>8.1f}MB [{bw:>5.1f}]'
                f'{growth:>9.0f}  {"flat" if flat and wflat else "GROWS"}'
                f' ({b - a["rss_mb"]:+.1f} MB, workers {bw - a["worker_rss_mb"]:+.1f} MB; flat = within '
                f'{args.flat_mb} MB or less at the larger size)',
                flush=True,
            )
    finally:
        if not args.workdir:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == '__main__':
    main()
