"""Micro-benchmark of the polygon rasteriser (``masks.polygon_runs`` / ``rasterize_polygon``) against a baseline.

Usage::

    .venv/bin/python tools/bench/bench_rasterizer.py                  # against the rasteriser before issue 14
    .venv/bin/python tools/bench/bench_rasterizer.py --baseline HEAD~3 --repeat 9

The baseline is ``masks.py`` as it was at the git revision ``--baseline`` (default: the last commit before the
rasteriser was made to paint what Pillow paints), loaded from git into its own module, so both versions run in
this one process on the same polygons. Polygons are seeded and of three kinds on a 640x480 image: the quadrangles
of ``bench_converters.py`` (10-60 px, what a DM -> VOC conversion rasterises), random star-shaped polygons of
8-40 vertices with fractional coordinates (annotation-tool polygons, 20-200 px), and large concave ones across the
image. Printed per kind: polygons/s of each version (median of ``--repeat`` runs) and the ratio.
"""

from __future__ import annotations

import argparse
import math
import random
import statistics
import subprocess
import sys
import time
import types
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MASKS = 'packages/synapse-converters/src/synapse_sdk/utils/converters/masks.py'
BASELINE = '8642ea092035f81a244d8e9804ce6d7e2da1eea8'  # main before issue 14 (lattice-point rasteriser)
W, H = 640, 480


def load_baseline(revision: str) -> types.ModuleType:
    source = subprocess.run(
        ['git', 'show', f'{revision}:{MASKS}'], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    module = types.ModuleType('masks_baseline')
    module.__dict__['__name__'] = 'masks_baseline'
    exec(compile(source, f'{revision}:{MASKS}', 'exec'), module.__dict__)
    return module


def quads(rng: random.Random, n: int) -> list:
    out = []
    for _ in range(n):
        x, y = rng.randint(0, W - 60), rng.randint(0, H - 60)
        out.append([[x, y], [x + rng.randint(10, 59), y], [x + 30, y + rng.randint(10, 59)], [x, y + 20]])
    return out


def stars(rng: random.Random, n: int) -> list:
    out = []
    for _ in range(n):
        k, r = rng.randint(8, 40), rng.uniform(10, 100)
        cx, cy = rng.uniform(r, W - r), rng.uniform(r, H - r)
        out.append(
            [
                [cx + rng.uniform(0.3, 1) * r * math.cos(a), cy + rng.uniform(0.3, 1) * r * math.sin(a)]
                for a in (2 * math.pi * i / k for i in range(k))
            ]
        )
    return out


def large(rng: random.Random, n: int) -> list:
    return [[[rng.uniform(0, W), rng.uniform(0, H)] for _ in range(rng.randint(6, 16))] for _ in range(n)]


def rates(functions: list, polygons: list, repeat: int) -> list[float]:
    """Polygons/s of each function, median of ``repeat`` runs; the functions take turns, so a load change on
    the machine hits them alike."""
    times: list[list[float]] = [[] for _ in functions]
    for _ in range(repeat):
        for fn, spent in zip(functions, times, strict=True):
            start = time.perf_counter()
            for points in polygons:
                fn(points, W, H)
            spent.append(time.perf_counter() - start)
    return [len(polygons) / statistics.median(spent) for spent in times]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--baseline', default=BASELINE, help='git revision of the baseline masks.py')
    parser.add_argument('--repeat', type=int, default=7)
    parser.add_argument('--polygons', type=int, default=2000, help='polygons per kind')
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT / 'packages/synapse-converters/src'))
    from synapse_sdk.utils.converters import masks as current

    baseline = load_baseline(args.baseline)
    rng = random.Random(14)
    kinds = {
        'quadrangles 10-60 px': quads(rng, args.polygons),
        'stars 8-40 vertices, 20-200 px': stars(rng, args.polygons),
        'large concave 6-16 vertices': large(rng, max(1, args.polygons // 10)),
    }
    print(f'baseline: masks.py at {args.baseline[:12]}; medians of {args.repeat} runs')
    print(f'{"polygons":34} {"function":18} {"baseline /s":>12} {"now /s":>12} {"now/baseline":>13}')
    ratios = []
    for name, polygons in kinds.items():
        for fn in ('polygon_runs', 'rasterize_polygon'):
            old, new = rates([getattr(baseline, fn), getattr(current, fn)], polygons, args.repeat)
            ratios.append(new / old)
            print(f'{name:34} {fn:18} {old:12,.0f} {new:12,.0f} {new / old:13.2f}')
    print(f'geometric mean now/baseline: {statistics.geometric_mean(ratios):.2f}')


if __name__ == '__main__':
    main()
