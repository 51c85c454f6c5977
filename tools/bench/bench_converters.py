"""Benchmark of synapse-converters: every direction against the I/O floor of copying the same files.

Usage::

    .venv/bin/python tools/bench/bench_converters.py            # 10,000 images, ~10 annotations each
    .venv/bin/python tools/bench/bench_converters.py --quick    # 1,000 images
    .venv/bin/python tools/bench/bench_converters.py --images 100000 --repeat 1

A seeded DM v2 dataset is generated (header-valid JPEGs of ~16 KB whose pixel data is random, since converters
never decode pixels; boxes, polygons, masks and a keypoint group per image), plus its DM v1 twin. Every direction
then runs in a fresh subprocess (so peak RSS is its own) as ``convert()`` + ``save_to_folder()``, the way the
seed documents it. Reported per direction: images/s, annotations/s, peak RSS of the converting process (its own
VmHWM on Linux) and of its workers, and time / I/O floor, where the floor is ``shutil.copytree`` of the source
dataset's files measured in the same run. The headline direction (DM v2 -> YOLO detect) runs ``--repeat`` times
per worker count (medians); the others run once.

Memory growth: every direction that ran is run again on a dataset a tenth the size (N/10 images, same generator),
and the peak RSS at N/10 and N gives the growth per image, ``(RSS(N) - RSS(N/10)) / (N - N/10)`` bytes. A
direction is called flat when RSS(N) exceeds RSS(N/10) by at most ``--flat-mb`` (allocator and page noise);
otherwise it is reported as growing. Target (issue): DM v2 -> YOLO within 3x the floor; memory flat in image count.
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


def generate(root: Path, n: int, seed: int = 7) -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / 'packages/synapse-converters/src'))
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


def child(args: argparse.Namespace) -> None:
    """Run one conversion and print its figures as JSON (runs in a fresh process)."""
    from synapse_sdk.utils.converters import get_converter

    options = json.loads(args.options)
    start = time.perf_counter()
    conv = get_converter(
        args.source, args.target, root_dir=args.root, error_policy='skip', workers=args.workers, **options
    )
    conv.convert()
    result = conv.save_to_folder(args.out)
    elapsed = time.perf_counter() - start
    rss = peak_rss_mb()
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(
        json.dumps(
            {
                'seconds': elapsed,
                'items': result.items,
                'annotations': sum(result.annotations_read.values()),
                'rss_mb': rss,
                'worker_rss_mb': children,
                'problems': sum(result.report.problem_counts.values()),
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


def run_child(source, target, root, out, workers, options=None) -> dict:
    shutil.rmtree(out, ignore_errors=True)
    out.parent.mkdir(parents=True, exist_ok=True)
    cmd = [
        sys.executable,
        __file__,
        '--child',
        '--source',
        source,
        '--target',
        target,
        '--root',
        str(root),
        '--out',
        str(out),
        '--workers',
        str(workers),
        '--options',
        json.dumps(options or {}),
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if proc.returncode:
        raise SystemExit(f'{source} -> {target} failed:\n{proc.stderr}')
    return json.loads(proc.stdout.strip().splitlines()[-1])


def floor(src: Path, dst: Path) -> float:
    shutil.rmtree(dst, ignore_errors=True)
    start = time.perf_counter()
    shutil.copytree(src, dst)
    elapsed = time.perf_counter() - start
    shutil.rmtree(dst)
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument('--quick', action='store_true', help='1,000 images')
    parser.add_argument('--images', type=int, default=10_000)
    parser.add_argument('--repeat', type=int, default=3)
    parser.add_argument('--workers', type=int, nargs='*', default=[1, 2])
    parser.add_argument('--workdir', default=None)
    parser.add_argument(
        '--headline-only', action='store_true', help='only DM v2 -> YOLO (detect), the target'
    )
    parser.add_argument(
        '--flat-mb',
        type=float,
        default=1.0,
        help='peak RSS difference between N/10 and N images still called flat (default 1 MB)',
    )
    parser.add_argument('--child', action='store_true', help=argparse.SUPPRESS)
    for name in ('source', 'target', 'root', 'out', 'options'):
        parser.add_argument(f'--{name}', help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        args.workers = int(args.workers[0]) if isinstance(args.workers, list) else int(args.workers)
        child(args)
        return
    if args.quick:
        args.images = 1_000
    work = Path(args.workdir or tempfile.mkdtemp(prefix='bench-converters-'))
    work.mkdir(parents=True, exist_ok=True)
    try:
        t0 = time.perf_counter()
        generate(work / 'data', args.images)
        print(f'generated {args.images} images in {time.perf_counter() - t0:.1f}s under {work}')
        floors = [floor(work / 'data/dm_v2', work / 'copy') for _ in range(max(args.repeat, 1))]
        io_floor = statistics.median(floors)
        print(f'I/O floor (shutil.copytree of the DM v2 dataset): {io_floor:.2f}s median of {len(floors)}')
        print()
        header = (
            f'{"direction":<24}{"workers":>8}{"seconds":>9}{"images/s":>10}{"anns/s":>10}'
            f'{"RSS MB":>8}{"wRSS MB":>9}{"x floor":>9}'
        )
        print(header)
        print('-' * len(header))
        # The headline direction (the target) runs --repeat times with each worker count; every other
        # direction once with one worker, which is enough to compare it with the floor.
        big: dict[str, dict] = {}
        for name, source, target, options, is_headline in plan(args.headline_only):
            for workers in args.workers if is_headline else args.workers[:1]:
                runs = []
                for _ in range(args.repeat if is_headline else 1):
                    # The machine may be shared: measure the floor again right before each headline run and
                    # report the median of the per-run ratios, so load changes hit both sides alike.
                    run_floor = floor(work / 'data/dm_v2', work / 'copy') if is_headline else io_floor
                    runs.append(
                        run_child(
                            source,
                            target,
                            _src(work, 'data', source),
                            _out(work, 'data', name),
                            workers,
                            options,
                        )
                    )
                    runs[-1]['floor'] = run_floor
                _row(name, workers, runs, io_floor)
                if workers == args.workers[0]:
                    big[name] = {
                        'items': runs[0]['items'],
                        'rss_mb': statistics.median(r['rss_mb'] for r in runs),
                    }
        print()
        small_n = max(args.images // 10, 1)
        generate(work / 'small', small_n)
        print(f'memory growth: peak RSS at {small_n} and {args.images} images, workers={args.workers[0]}')
        header = f'{"direction":<24}{"RSS@" + str(small_n):>12}{"RSS@" + str(args.images):>12}{"B/image":>9}  verdict'
        print(header)
        print('-' * len(header))
        for name, source, target, options, _ in plan(args.headline_only):
            a = run_child(
                source,
                target,
                _src(work, 'small', source),
                _out(work, 'small', name),
                args.workers[0],
                options,
            )
            b = big[name]
            growth = (b['rss_mb'] - a['rss_mb']) * 2**20 / max(b['items'] - a['items'], 1)
            flat = b['rss_mb'] - a['rss_mb'] <= args.flat_mb  # less memory at N than at N/10 is no growth
            verdict = 'flat' if flat else 'GROWS'
            print(
                f'{name:<24}{a["rss_mb"]:>10.1f}MB{b["rss_mb"]:>10.1f}MB{growth:>9.0f}  {verdict}'
                f' ({b["rss_mb"] - a["rss_mb"]:+.1f} MB; flat = within {args.flat_mb} MB)',
                flush=True,
            )
    finally:
        if not args.workdir:
            shutil.rmtree(work, ignore_errors=True)


HEADLINE = ('dm_v2', 'yolo', {'task': 'detect'})
FORWARD = [
    ('dm_v2', 'yolo', {'task': 'segment'}),
    ('dm_v2', 'coco', {}),
    ('dm_v2', 'pascal', {}),
    ('dm_v1', 'dm_v2', {}),
    ('dm_v2', 'dm_v1', {}),
    ('dm_v1', 'yolo', {'task': 'detect'}),
    ('dm_v1', 'coco', {}),
    ('dm_v1', 'pascal', {}),
]


def plan(headline_only: bool) -> list[tuple[str, str, str, dict, bool]]:
    """``(name, source, target, options, is_headline)`` in run order: the headline, the other directions from
    DM, then back from YOLO, COCO and VOC to DM (reading what DM v2 -> that format wrote)."""
    steps = [(*HEADLINE, True)] + ([] if headline_only else [(*d, False) for d in FORWARD])
    if not headline_only:
        steps += [(fmt, dm, {}, False) for fmt in ('yolo', 'coco', 'pascal') for dm in ('dm_v2', 'dm_v1')]
    return [(_name(s, t, o), s, t, o, h) for s, t, o, h in steps]


def _name(source: str, target: str, options: dict) -> str:
    return f'{source}->{target}' + (f' ({options["task"]})' if options else '')


def _src(work: Path, data: str, source: str) -> Path:
    """DM sources are generated; a YOLO/COCO/VOC source is what DM v2 -> that format wrote from ``data``."""
    if source.startswith('dm_'):
        return work / data / source
    return _out(work, data, _name('dm_v2', source, {'task': 'detect'} if source == 'yolo' else {}))


def _out(work: Path, data: str, name: str) -> Path:
    return (
        work / f'out_{data}' / name.replace('->', '_to_').replace(' ', '').replace('(', '_').replace(')', '')
    )


def _row(name, workers, runs, io_floor):
    secs = statistics.median(r['seconds'] for r in runs)
    ratio = statistics.median(r['seconds'] / r.get('floor', io_floor) for r in runs)
    items, anns = runs[0]['items'], runs[0]['annotations']
    rss = statistics.median(r['rss_mb'] for r in runs)
    wrss = statistics.median(r['worker_rss_mb'] for r in runs)
    print(
        f'{name:<24}{workers:>8}{secs:>9.2f}{items / secs:>10.0f}{anns / secs:>10.0f}{rss:>8.0f}'
        f'{wrss:>9.0f}{ratio:>9.2f}',
        flush=True,
    )


if __name__ == '__main__':
    main()
