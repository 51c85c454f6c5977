"""Binary masks: DM encodings, COCO RLE, polygon rasterisation and contour tracing (pure Python).

A mask is held as a ``bytearray`` bitmap of ``width * height`` bytes (row-major, 0/1) only while one annotation is
being converted; DM documents store it as row-major runs ``[[start, length], ...]`` (``dm_rle``) or raw pixel
indices (``raw_indices``), COCO as column-major run lengths (a list, or pycocotools' compressed string).
Polygons are rasterised to exactly the pixels Pillow's ``ImageDraw.polygon(fill=1, outline=1)`` paints (Pillow 12 and
later; 11 and earlier fill differently), which is how the platform and the reference SDK draw polygon masks (see
``_polygon_spans`` for the rules; tested pixel for pixel against Pillow): an axis-aligned rectangle ``x0..x1 x y0..y1`` covers ``(x1-x0+1) * (y1-y0+1)`` pixels, and slanted
edges take in the pixels that lie within half a pixel of them along the row. Contours go through pixel
coordinates (OpenCV style), so a traced contour rasterises back to the component it came from.
"""

from __future__ import annotations

import itertools
import math
import operator
import re
from array import array
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from typing import Any, TypeAlias, TypedDict

__all__ = [
    'CocoRLE',
    'MaskError',
    'bitmap_from_runs',
    'bitmap_to_runs',
    'decode_coco_rle',
    'encode_coco_rle',
    'mask_contours',
    'normalize_dm_mask',
    'polygon_runs',
    'rasterize_polygon',
    'runs_bbox',
    'runs_by_value',
]


class MaskError(ValueError):
    """A mask is malformed: bad encoding, overlapping runs, indices outside the image."""


class CocoRLE(TypedDict):
    """COCO compressed RLE as pycocotools writes it: ``size`` is ``[height, width]``."""

    size: list[int]
    counts: str


def _is_int(v: object) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def normalize_dm_mask(data: object, encoding: str, width: int, height: int) -> list[list[int]]:
    """Validate DM mask ``data`` (``raw_indices`` or ``dm_rle``) and return sorted, merged row-major runs."""
    size = width * height
    runs: list[list[int]] = []
    if encoding == 'raw_indices':
        if not isinstance(data, list) or not all(_is_int(i) for i in data):
            raise MaskError('raw mask indices must be a list of integers')
        indices = sorted(data)
        for prev, cur in itertools.pairwise(indices):
            if prev == cur:
                raise MaskError(f'raw mask indices overlap (index {cur} repeated)')
        if indices and (indices[0] < 0 or indices[-1] >= size):
            raise MaskError(f'raw mask index outside the {width}x{height} image')
        for i in indices:
            if runs and runs[-1][0] + runs[-1][1] == i:
                runs[-1][1] += 1
            else:
                runs.append([i, 1])
        return runs
    if encoding == 'dm_rle':
        if not isinstance(data, list):
            raise MaskError('dm_rle mask must be a list of [start, length] pairs')
        pairs = []
        for pair in data:
            try:
                start, length = pair
            except (TypeError, ValueError):
                raise MaskError(f'dm_rle run {pair!r} is not a [start, length] pair of integers') from None
            if type(start) is not int or type(length) is not int:
                raise MaskError(f'dm_rle run {pair!r} is not a [start, length] pair of integers')
            if start < 0 or length <= 0 or start + length > size:
                raise MaskError(f'dm_rle run {list(pair)} is outside the {width}x{height} image or empty')
            pairs.append((start, length))
        pairs.sort()  # linear on already sorted runs
        for start, length in pairs:
            if runs and start < runs[-1][0] + runs[-1][1]:
                raise MaskError(f'dm_rle runs overlap at index {start}')
            if runs and runs[-1][0] + runs[-1][1] == start:
                runs[-1][1] += length
            else:
                runs.append([start, length])
        return runs
    raise MaskError(f'unknown mask encoding {encoding!r} (expected raw_indices or dm_rle)')


def bitmap_from_runs(runs: Sequence[Sequence[int]], width: int, height: int) -> bytearray:
    bitmap = bytearray(width * height)
    for start, length in runs:
        bitmap[start : start + length] = b'\x01' * length
    return bitmap


def bitmap_to_runs(bitmap: bytes | bytearray, value: int = 1) -> list[list[int]]:
    """Row-major runs ``[[start, length], ...]`` of bytes equal to ``value``.

    The bitmap is first mapped to 0/1 (``value`` -> 1, anything else -> 0) with ``bytes.translate``, so both ends
    of every run are found with ``find`` at C speed.
    """
    table = bytearray(256)
    table[value] = 1
    binary = bitmap.translate(table)
    runs: list[list[int]] = []
    n = len(binary)
    pos = binary.find(b'\x01')
    while pos != -1:
        end = binary.find(b'\x00', pos)
        if end == -1:
            end = n
        runs.append([pos, end - pos])
        pos = binary.find(b'\x01', end)
    return runs


def runs_bbox(runs: Sequence[Sequence[int]], width: int) -> tuple[int, int, int, int, int]:
    """Pixel extent ``(x, y, w, h)`` (inclusive pixels) and pixel count of row-major runs."""
    xs_min, xs_max, area = width, -1, 0
    ys_min = ys_max = None
    for start, length in runs:
        area += length
        pos, end = start, start + length
        while pos < end:  # a run may wrap over rows
            row, col = divmod(pos, width)
            stop = min(end, (row + 1) * width)
            xs_min = min(xs_min, col)
            xs_max = max(xs_max, col + (stop - pos) - 1)
            ys_min = row if ys_min is None else min(ys_min, row)
            ys_max = row if ys_max is None else max(ys_max, row)
            pos = stop
    if ys_min is None or ys_max is None:  # set together: no runs
        return 0, 0, 0, 0, 0
    return xs_min, ys_min, xs_max - xs_min + 1, ys_max - ys_min + 1, area


# ---------------------------------------------------------------- COCO RLE


def encode_coco_rle(bitmap: bytes | bytearray, width: int, height: int) -> CocoRLE:
    """COCO compressed RLE ``{'size': [h, w], 'counts': str}`` of a row-major 0/1 bitmap (pycocotools format)."""
    return rle_from_runs(bitmap_to_runs(bitmap), width, height)


def rle_from_runs(runs: Sequence[Sequence[int]], width: int, height: int) -> CocoRLE:
    """COCO compressed RLE of row-major runs. Only the mask's bounding box is transposed (column-major order),
    in C-level slices; the columns left and right of it are all background and only counted."""
    counts: list[int] = []
    if runs:
        bx, by, bw, bh, _ = runs_bbox(runs, width)
        crop = bytearray(bw * bh)
        for y, x0, x1 in split_rows(runs, width):
            start = (y - by) * bw + x0 - bx
            crop[start : start + x1 - x0 + 1] = b'\x01' * (x1 - x0 + 1)
        top, bottom = b'\x00' * by, b'\x00' * (height - by - bh)
        cm = b''.join(top + bytes(crop[x::bw]) + bottom for x in range(bw))
        pos, value, n = 0, 0, len(cm)
        while pos < n:
            nxt = cm.find(b'\x00' if value else b'\x01', pos)
            end = n if nxt == -1 else nxt
            counts.append(end - pos)
            pos, value = end, 1 - value
        counts[0] += bx * height
        right = (width - bx - bw) * height
        if len(counts) % 2:  # ends with a background run
            counts[-1] += right
        elif right:
            counts.append(right)
    if not counts:
        counts = [width * height]
    out = []
    for i, count in enumerate(counts):
        x = count - counts[i - 2] if i > 2 else count
        more = True
        while more:
            c = x & 0x1F
            x >>= 5
            more = (x != -1) if (c & 0x10) else (x != 0)
            if more:
                c |= 0x20
            out.append(chr(c + 48))
    return {'size': [height, width], 'counts': ''.join(out)}


# One count of pycocotools' compressed string: characters '0'..'o' carry 5 bits each (value - 48); 0x20 set
# ('P'..'o') means more characters follow, so a count is any run of those and one last character ('0'..'O').
_COUNT = re.compile(r'[P-o]*[0-O]')


def _count_value(token: str) -> int:
    x = shift = 0
    for c in token:
        x |= ((ord(c) - 48) & 0x1F) << shift
        shift += 5
    return x - (1 << shift) if (ord(token[-1]) - 48) & 0x10 else x  # 0x10 on the last character: negative


class _Counts(dict[str, int]):
    """Counts by token: a token not held is decoded (dict's C-level lookup calls ``__missing__`` on a miss only)."""

    def __missing__(self, token: str) -> int:
        return _count_value(token)


_SHORT_COUNTS = _Counts(  # every count of one or two characters, looked up instead of decoded
    {
        t: _count_value(t)
        for t in [chr(48 + c) for c in range(32)]
        + [chr(80 + a) + chr(48 + c) for a in range(32) for c in range(32)]
    }
)


def _counts_from_string(s: str) -> list[int]:
    """pycocotools' compressed counts; from the third count on, each is stored as a delta to the count two
    before. Counts are split by a regex and mostly looked up, and the deltas summed by ``accumulate``, so the
    per-count work stays in C."""
    tokens = _COUNT.findall(s)
    if sum(map(len, tokens)) != len(s):
        if any(not '0' <= c <= 'o' for c in s):
            raise MaskError('COCO RLE counts string has characters outside 0..o')
        raise MaskError('truncated COCO RLE counts string')
    counts = list(map(_SHORT_COUNTS.__getitem__, tokens))  # counts of three characters or more: decoded
    for start in (3, 4):  # counts[i] += counts[i - 2] for i >= 3, along the odd and the even positions
        if len(counts) > start:
            counts[start::2] = list(itertools.accumulate(counts[start::2], initial=counts[start - 2]))[1:]
    return counts


def decode_coco_rle(rle: object, width: int, height: int) -> bytearray:
    """Row-major 0/1 bitmap from a COCO RLE (compressed string or uncompressed list ``counts``)."""
    if not isinstance(rle, dict) or 'counts' not in rle or 'size' not in rle:
        raise MaskError('COCO RLE must be an object with "size" and "counts"')
    size = rle['size']
    if not (isinstance(size, list) and len(size) == 2 and list(size) == [height, width]):
        raise MaskError(f'COCO RLE size {size!r} does not match the image ({height}, {width})')
    counts = rle['counts']
    if isinstance(counts, str):
        counts = _counts_from_string(counts)
    elif not (isinstance(counts, list) and all(_is_int(c) and c >= 0 for c in counts)):
        raise MaskError('COCO RLE counts must be a string or a list of non-negative integers')
    if counts and min(counts) < 0:
        raise MaskError('COCO RLE counts string decodes to a negative count')
    if sum(counts) != width * height:
        raise MaskError(f'COCO RLE counts sum to {sum(counts)}, expected {width * height}')
    # Column-major pixels: runs of 0 and 1 alternate, starting with 0 (built in one C-level join).
    cm = b''.join(map(operator.mul, itertools.cycle((b'\x00', b'\x01')), counts))
    bitmap = bytearray(width * height)
    first = cm.find(1)
    if first != -1:  # transpose only the columns that hold foreground
        for x in range(first // height, cm.rfind(1) // height + 1):
            bitmap[x::width] = cm[x * height : (x + 1) * height]
    return bitmap


# ---------------------------------------------------------------- polygons


def _f32(value: float) -> float:
    """``value`` rounded to the nearest single-precision float (the precision Pillow computes edge crossings in)."""
    return array('f', (value,))[0]


_consume: Callable[[Iterable[Any]], None] = deque(maxlen=0).extend


_Edge: TypeAlias = tuple[int, int, int, int, int, int, float]  # (first row, last row, x0, y0, x1, y1, slope)


def _round_half_away(v: float) -> int:
    return int(v + 0.5) if v >= 0 else -int(0.5 - v)


def _polygon_spans(points: Sequence[Sequence[float]], width: int, height: int) -> list[tuple[int, int, int]]:
    """``(row, lo, hi)``: inclusive column spans, clipped to the image, of the pixels Pillow's
    ``ImageDraw.polygon(points, fill=1, outline=1)`` paints. Spans of one row may overlap; rows come in no
    particular order.

    The rules, established by comparing with Pillow on random polygons (tests/converters/test_rasterizer_pillow.py),
    not taken from its code:

    - vertices are truncated toward zero to whole pixels; consecutive vertices make the edges, and the last
      vertex joins the first unless they are equal;
    - a horizontal edge (a zero-length one too) paints every pixel between its ends;
    - every other edge crosses each row it spans at ``x0 + (row - y0) * slope`` in single precision, where
      ``(x0, y0)`` is the edge's first vertex and ``slope = (x1 - x0) / (y1 - y0)``; at its last vertex the
      crossing is that vertex's x exactly. An edge's lower end counts twice, except on the last row drawn;
    - a row's crossings, sorted, pair up; a pair ``(a, b)`` paints from ``a`` rounded half away from zero to
      ``b`` rounded half toward zero, so the fill reaches half a pixel past a slanted edge;
    - where two edges leaving (or, on the last row, reaching) a vertex both slant the same way, the vertex's row
      is widened to one pixel short of where the nearer edge is on the next (last row: the previous) row. Which
      earlier edge is taken as the vertex's partner follows the edge order: vertical edges are passed over, and
      an edge slanting the other way ends the search.
    """
    pts = [(int(p[0]), int(p[1])) for p in points]
    edges = list(itertools.pairwise(pts))
    if pts and pts[-1] != pts[0]:
        edges.append((pts[-1], pts[0]))
    spans: list[tuple[int, int, int]] = []
    top, bottom = height - 1, 0
    sloped: list[_Edge] = []  # (first row, last row, x0, y0, x1, y1, slope)
    for (x0, y0), (x1, y1) in edges:
        if y0 == y1:
            if 0 <= y0 < height:
                spans.append((y0, min(x0, x1), max(x0, x1)))
            top, bottom = min(top, y0), max(bottom, y0)
            continue
        lo, hi = (y0, y1) if y0 < y1 else (y1, y0)
        top, bottom = min(top, lo), max(bottom, hi)
        sloped.append((lo, hi, x0, y0, x1, y1, _f32(_f32(x1 - x0) / (y1 - y0))))
    top, bottom = max(top, 0), min(bottom, height)  # the last row drawn may lie just below the image
    last_row = min(bottom, height - 1)
    # Crossings inside an edge go straight to their row; the crossings at an edge's ends (vertex rows) are kept
    # apart with the edge's index, because what they count for depends on the edges meeting there.
    rows: list[list[float]] = [[] for _ in range(last_row - top + 1)]
    ends: dict[int, list[tuple[int, float]]] = {}
    for index, (lo, hi, x0, y0, x1, y1, slope) in enumerate(sloped):
        first, last = max(lo, top), min(hi, last_row)
        if first > last:
            continue
        # Single precision, rounded after the product and after the sum, for the whole edge at C speed (both
        # are exact in double precision before rounding: a 24-bit slope times a row offset, plus a pixel).
        xs = array('f', [p + x0 for p in array('f', [(row - y0) * slope for row in range(first, last + 1)])])
        if first <= y1 <= last:
            xs[y1 - first] = x1  # at its last vertex an edge crosses at the vertex
        if first == lo:
            ends.setdefault(lo, []).append((index, xs[0]))
            first += 1
            xs = xs[1:]
        if last == hi:
            ends.setdefault(hi, []).append((index, xs[-1]))
            xs = xs[:-1]
        start = first - top  # each crossing to its row, at C speed
        _consume(map(list.append, rows[start : start + len(xs)], xs))
    for row, meeting in ends.items():
        crossings = rows[row - top]
        for position, (index, x) in enumerate(meeting):
            edge = sloped[index]
            if row == edge[1] and row < bottom:
                crossings += (x, x)  # the lower end of an edge counts twice
                continue
            if edge[6] and x == int(x):
                widened = _widen_corner(sloped, meeting, position, row, bottom)
                if widened is not None:
                    x = widened
            crossings.append(x)
    ceil, right = math.ceil, width - 1
    clipped = [(j, max(lo, 0), min(hi, right)) for j, lo, hi in spans]  # the horizontal edges
    for row, crossings in enumerate(rows, start=top):
        crossings.sort()
        for i in range(1, len(crossings), 2):
            a, b = crossings[i - 1], crossings[i]
            lo = int(a + 0.5) if a >= 0 else -int(0.5 - a)  # half away from zero
            hi = ceil(b - 0.5) if b >= 0 else -ceil(-b - 0.5)  # half toward zero
            if lo < 0:
                lo = 0
            if hi > right:
                hi = right
            if hi >= lo:
                clipped.append((row, lo, hi))
    return [span for span in clipped if span[1] <= span[2]]


def _widen_corner(
    sloped: list[_Edge], meeting: list[tuple[int, float]], position: int, row: int, bottom: int
) -> float | None:
    """The crossing that widens a vertex row where two edges slanting the same way meet (None: no change).

    ``meeting`` lists the edges with an end on ``row`` (index, crossing) in edge order; the edge at
    ``position`` looks for its partner among the earlier ones."""
    index, x = meeting[position]
    edge = sloped[index]
    lo, hi, slope = edge[0], edge[1], edge[6]
    for other_index, other_x in meeting[:position]:
        other = sloped[other_index]
        if other_x != x or not ((row == lo and row == other[0]) or (row == hi and row == other[1])):
            continue  # not this vertex's partner
        if not other[6]:
            continue  # vertical edges are passed over
        if (slope > 0) != (other[6] > 0):
            return None
        near = row - 1 if row == bottom else row + 1
        a, b = _crossing(other, near), _crossing(edge, near)
        if a < x:
            v = _round_half_away(max(a, b)) + 1
            return float(v) if v < x else None
        v = _round_half_away(min(a, b)) - 1
        return float(v) if v > x else None
    return None


def _crossing(edge: _Edge, row: int) -> float:
    _, _, x0, y0, x1, y1, slope = edge
    return float(x1) if row == y1 else _f32(_f32((row - y0) * slope) + x0)


def rasterize_polygon(
    points: Sequence[Sequence[float]],
    width: int,
    height: int,
    bitmap: bytearray | None = None,
    value: int = 1,
) -> bytearray:
    """Fill the lattice points inside or on ``points`` into ``bitmap`` (a new 0/1 bitmap when ``None``)."""
    if bitmap is None:
        bitmap = bytearray(width * height)
    fill = bytes((value,))
    for row, lo, hi in _polygon_spans(points, width, height):
        bitmap[row * width + lo : row * width + hi + 1] = fill * (hi - lo + 1)
    return bitmap


def polygon_runs(points: Sequence[Sequence[float]], width: int, height: int) -> list[list[int]]:
    """``bitmap_to_runs(rasterize_polygon(points, width, height))`` without the image-sized bitmap: the spans are
    sorted and merged directly (a polygon covers a few rows of a large image; scanning the whole bitmap for
    its runs cost more than rasterising)."""
    spans = sorted(_polygon_spans(points, width, height))
    runs: list[list[int]] = []
    for row, lo, hi in spans:
        start, end = row * width + lo, row * width + hi + 1
        if runs and start <= runs[-1][0] + runs[-1][1]:  # overlapping or touching, also across a row end
            runs[-1][1] = max(runs[-1][1], end - runs[-1][0])
        else:
            runs.append([start, end - start])
    return runs


def runs_by_value(bitmap: bytes | bytearray, ignore: bytes = b'\x00\xff') -> dict[int, list[list[int]]]:
    """``{v: bitmap_to_runs(bitmap, v)}`` for every byte value ``v`` present and not in ``ignore``, in one pass:
    the stretches of non-ignored bytes are found at C speed, and only they are split by value (a VOC instance
    mask with k objects was scanned k + 1 times whole)."""
    table = bytearray(b'\x01' * 256)
    for b in ignore:
        table[b] = 0
    binary = bitmap.translate(table)
    found: dict[int, list[list[int]]] = {}
    n = len(binary)
    pos = binary.find(1)
    while pos != -1:
        end = binary.find(0, pos)
        if end == -1:
            end = n
        stretch = bitmap[pos:end]
        first = stretch[0]
        if stretch.count(first) == len(stretch):  # one object: the usual case
            found.setdefault(first, []).append([pos, end - pos])
        else:  # objects touching: split the stretch (stretches are apart, so runs stay maximal and in order)
            for v in set(stretch):
                found.setdefault(v, []).extend([pos + s, length] for s, length in bitmap_to_runs(stretch, v))
        pos = binary.find(1, end)
    return {v: found[v] for v in sorted(found)}


# ---------------------------------------------------------------- contours

# Moore neighbourhood, clockwise in image coordinates (y down), starting west.
_NEIGHBOURS = ((-1, 0), (-1, -1), (0, -1), (1, -1), (1, 0), (1, 1), (0, 1), (-1, 1))
_NEIGHBOUR_INDEX = {d: i for i, d in enumerate(_NEIGHBOURS)}


def _canonical(points: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Rotate/reverse a closed contour to its lexicographically smallest form (stable output).

    The smallest rotation starts with the smallest point, so only rotations starting there are compared (a
    traced contour passes a point at most a few times; comparing every rotation was quadratic)."""
    if not points:
        return points
    first = min(points)
    best = None
    for seq in (points, points[::-1]):
        for i, point in enumerate(seq):
            if point == first:
                cand = seq[i:] + seq[:i]
                if best is None or cand < best:
                    best = cand
    assert best is not None  # ``first`` is one of the points
    return best


def _simplify(points: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Drop vertices in the middle of straight (horizontal, vertical or diagonal) chain segments."""
    n = len(points)
    if n < 3:
        return points
    out = []
    for i in range(n):
        px, py = points[i - 1]
        cx, cy = points[i]
        nx, ny = points[(i + 1) % n]
        if (cx - px, cy - py) != (nx - cx, ny - cy):
            out.append(points[i])
    return out


def split_rows(runs: Sequence[Sequence[int]], width: int) -> list[tuple[int, int, int]]:
    """Row-major runs as ``(y, x0, x1)`` (inclusive) pieces, split where a run wraps to the next row."""
    out = []
    for start, length in runs:
        pos, end = start, start + length
        while pos < end:
            y, x = divmod(pos, width)
            stop = min(end, (y + 1) * width)
            out.append((y, x, x + stop - pos - 1))
            pos = stop
    return out


def mask_contours(
    bitmap: bytes | bytearray, width: int, height: int
) -> tuple[list[list[tuple[int, int]]], bool]:
    """Outer contours (pixel-coordinate polygons, one per 8-connected component) and whether holes were dropped.

    Components come from union-find over row runs and each outer boundary is traced (Moore neighbourhood), so
    the cost follows the number of runs and the boundary length, not the area. Components whose contour has fewer
    than 3 distinct points (single pixels, 1-pixel lines) are left out. A component has holes when its filled
    contour covers more pixels than it has.
    """
    runs = split_rows(bitmap_to_runs(bitmap), width)
    if not runs:
        return [], False
    parent = list(range(len(runs)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    prev_lo = prev_hi = 0  # index range of the runs of the previous row
    row_start = 0
    for i, (y, x0, x1) in enumerate(runs):
        if i == 0 or y != runs[i - 1][0]:
            prev_lo, prev_hi = (row_start, i) if i and runs[i - 1][0] == y - 1 else (i, i)
            row_start = i
        for j in range(prev_lo, prev_hi):
            _, p0, p1 = runs[j]
            if p0 <= x1 + 1 and p1 >= x0 - 1:  # 8-connected: touching diagonally counts
                ri, rj = find(i), find(j)
                if ri != rj:
                    parent[max(ri, rj)] = min(ri, rj)
    members: dict[int, list[int]] = {}
    for i in range(len(runs)):
        members.setdefault(find(i), []).append(i)

    # Trace on a crop of the mask's bounding box with a one-pixel background border: no bounds checks, and
    # neighbours are index offsets.
    bx = min(r[1] for r in runs)
    by = runs[0][0]
    cw = max(r[2] for r in runs) - bx + 3
    crop = bytearray(cw * (runs[-1][0] - by + 3))
    for y, x0, x1 in runs:
        start = (y - by + 1) * cw + x0 - bx + 1
        crop[start : start + x1 - x0 + 1] = b'\x01' * (x1 - x0 + 1)

    contours = []
    has_holes = False
    for root in sorted(members):  # the root is the component's first run in raster order
        y, x0, _ = runs[root]
        contour = [(x + bx - 1, y + by - 1) for x, y in _trace(crop, cw, x0 - bx + 1, y - by + 1)]
        if len(set(contour)) < 3:
            continue
        pts = _canonical(_simplify(contour))
        contours.append(pts)
        comp = members[root]
        if all(runs[i][0] != runs[j][0] for i, j in itertools.pairwise(comp)):
            continue  # one run per row: nothing can be enclosed, no hole
        area = sum(runs[i][2] - runs[i][1] + 1 for i in comp)
        xs = [p[0] for p in pts]
        ys = [p[1] for p in pts]
        px, py = min(xs), min(ys)
        pw, ph = max(xs) - px + 1, max(ys) - py + 1
        filled = rasterize_polygon([(x - px, y - py) for x, y in pts], pw, ph)
        if filled.count(1) > area:
            has_holes = True
    contours.sort()
    return contours, has_holes


# Search order around a pixel, starting after the backtrack direction; and the backtrack direction seen from the
# pixel moved to in direction d (the last background neighbour checked, d - 1, is adjacent to it).
_ORDER = tuple(tuple((back + k) % 8 for k in range(1, 9)) for back in range(8))
_BACK = tuple(
    _NEIGHBOUR_INDEX[
        (_NEIGHBOURS[(d - 1) % 8][0] - _NEIGHBOURS[d][0], _NEIGHBOURS[(d - 1) % 8][1] - _NEIGHBOURS[d][1])
    ]
    for d in range(8)
)


def _trace(crop: bytearray, cw: int, sx: int, sy: int) -> list[tuple[int, int]]:
    """Moore-neighbour tracing from the component's first raster pixel, with Jacob's stopping criterion.

    ``crop`` is a row-major bitmap ``cw`` wide with a background border, so every neighbour index is valid."""
    offsets = [dx + dy * cw for dx, dy in _NEIGHBOURS]
    pos = sy * cw + sx
    contour = [pos]
    back = 0  # entered from the west: the pixel west of a run start is background
    first_state = None
    while True:
        for d in _ORDER[back]:
            if crop[pos + offsets[d]]:
                break
        else:  # isolated pixel
            break
        pos += offsets[d]
        back = _BACK[d]
        if first_state is None:
            first_state = (pos, back)
        elif first_state == (pos, back):
            break
        contour.append(pos)
    if len(contour) > 1 and contour[-1] == contour[0]:
        contour.pop()
    return [(p % cw, p // cw) for p in contour]
