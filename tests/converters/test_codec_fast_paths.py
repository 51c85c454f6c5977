"""Fast paths of the codecs give exactly what the straightforward versions give: polygon runs without a bitmap,
all instance runs in one pass, unfiltered PNG rows, the DM JSON writer against ``json.dumps``."""

from __future__ import annotations

import json
import math
import random
import struct
import zlib
from collections import OrderedDict
from enum import IntEnum

import pytest
from converters_fixtures import rich_item

from synapse_sdk.utils.converters.dm_io import dumps_indented
from synapse_sdk.utils.converters.masks import (
    _counts_from_string,
    bitmap_to_runs,
    decode_coco_rle,
    polygon_runs,
    rasterize_polygon,
    runs_by_value,
)
from synapse_sdk.utils.converters.png import decode_png_8bit, encode_png


def _polygons(rng: random.Random, w: int, h: int):
    yield [(0, 0), (w - 1, 0), (w - 1, h - 1), (0, h - 1)]  # the whole image: one run across every row end
    yield [(-5, -5), (w + 5, -5), (w + 5, 3), (-5, 3)]  # clipped on three sides
    yield [(2, 2), (8, 2), (8, 8), (5, 4), (2, 8)]  # concave, with a horizontal edge
    yield [(1.5, 1.5), (6.5, 1.5), (4, 1.5)]  # degenerate: all on one row
    for _ in range(300):
        n = rng.randint(3, 9)
        yield [(rng.uniform(-3, w + 3), rng.uniform(-3, h + 3)) for _ in range(n)]
        yield [(rng.randint(-2, w + 2), rng.randint(-2, h + 2)) for _ in range(n)]  # lattice points on edges


def test_polygon_runs_equal_runs_of_the_rasterised_bitmap():
    rng = random.Random(11)
    for w, h in ((12, 9), (1, 5), (7, 1)):
        for points in _polygons(rng, w, h):
            assert polygon_runs(points, w, h) == bitmap_to_runs(rasterize_polygon(points, w, h)), points


def test_canonical_contour_is_the_smallest_rotation_either_way():
    from synapse_sdk.utils.converters.masks import _canonical

    def brute(points):
        return min(seq[i:] + seq[:i] for seq in (points, points[::-1]) for i in range(len(seq)))

    rng = random.Random(14)
    for _ in range(500):
        points = [(rng.randint(0, 3), rng.randint(0, 3)) for _ in range(rng.randint(1, 12))]  # with repeats
        assert _canonical(points) == brute(points), points
    assert _canonical([]) == []


def test_runs_by_value_equal_one_scan_per_value():
    rng = random.Random(12)
    for _ in range(200):
        w, h = rng.randint(1, 20), rng.randint(1, 12)
        bitmap = bytearray(w * h)
        for _ in range(rng.randint(0, 6)):  # objects that may touch and overlap, and 255 outlines
            value = rng.choice([1, 2, 3, 7, 255])
            start = rng.randrange(w * h)
            end = min(w * h, start + rng.randint(1, 2 * w))
            bitmap[start:end] = bytes((value,)) * (end - start)
        expected = {v: bitmap_to_runs(bitmap, v) for v in sorted(set(bitmap) - {0, 255})}
        assert runs_by_value(bitmap) == expected


def _filtered_png(width: int, height: int, pixels: bytes, filters: list[int]) -> bytes:
    """An 8-bit grey PNG whose row ``y`` is written with filter ``filters[y]`` (Sub, Up, Average, Paeth)."""
    raw = bytearray()
    prev = bytes(width)
    for y in range(height):
        line = pixels[y * width : (y + 1) * width]
        ftype = filters[y]
        out = bytearray()
        for x in range(width):
            a = line[x - 1] if x else 0
            b = prev[x]
            c = prev[x - 1] if x else 0
            if ftype == 0:
                pred = 0
            elif ftype == 1:
                pred = a
            elif ftype == 2:
                pred = b
            elif ftype == 3:
                pred = (a + b) >> 1
            else:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                pred = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
            out.append((line[x] - pred) & 0xFF)
        raw += bytes((ftype,)) + out
        prev = line

    def chunk(kind, data):
        return struct.pack('>I', len(data)) + kind + data + struct.pack('>I', zlib.crc32(kind + data))

    header = struct.pack('>IIBBBBB', width, height, 8, 0, 0, 0, 0)
    return (
        b'\x89PNG\r\n\x1a\n'
        + chunk(b'IHDR', header)
        + chunk(b'IDAT', zlib.compress(raw))
        + chunk(b'IEND', b'')
    )


def test_png_decoder_unfiltered_fast_path_and_filtered_rows():
    rng = random.Random(13)
    w, h = 9, 6
    pixels = bytes(rng.randrange(256) for _ in range(w * h))
    assert decode_png_8bit(encode_png(w, h, pixels)) == (w, h, bytearray(pixels))  # every row unfiltered
    for filters in ([0] * h, [1, 2, 3, 4, 0, 1], [0, 0, 0, 0, 0, 4]):
        assert decode_png_8bit(_filtered_png(w, h, pixels, filters)) == (w, h, bytearray(pixels)), filters


def _counts_char_by_char(s: str) -> list[int]:
    """The format read one character at a time, as pycocotools' C code does."""
    counts, x, k = [], 0, 0
    for ch in s:
        c = ord(ch) - 48
        x |= (c & 0x1F) << (5 * k)
        k += 1
        if c & 0x20:
            continue
        if c & 0x10:
            x |= -1 << (5 * k)
        counts.append(x + (counts[-2] if len(counts) > 2 else 0))
        x = k = 0
    assert k == 0
    return counts


def test_counts_from_string_reads_what_a_character_loop_reads():
    rng = random.Random(15)
    for _ in range(3000):
        # counts of one to four characters: '0'..'O' end a count, 'P'..'o' continue it
        tokens = [
            ''.join(chr(rng.randint(80, 111)) for _ in range(rng.randint(0, 3))) + chr(rng.randint(48, 79))
            for _ in range(rng.randint(0, 10))
        ]
        s = ''.join(tokens)
        assert _counts_from_string(s) == _counts_char_by_char(s), s


def test_counts_from_string_rejects_truncated_and_foreign_characters():
    from synapse_sdk.utils.converters.masks import MaskError

    with pytest.raises(MaskError, match='truncated'):
        _counts_from_string('5\\')  # '\\' (92 - 48 = 44) has the "more" bit set and nothing follows
    with pytest.raises(MaskError, match='outside'):
        _counts_from_string('5 3')
    with pytest.raises(MaskError, match='negative'):  # 'O' is 31 with the sign bit: -1
        decode_coco_rle({'size': [1, 2], 'counts': 'O3'}, 2, 1)


class Level(IntEnum):
    HIGH = 2


@pytest.mark.parametrize(
    'value',
    [
        rich_item(3),
        {'a': [], 'b': {}, 'c': [[]], 'd': [{}], 'e': ''},
        {'text': 'ü "quoted" \\ \n\t \u2028 \x00 😀', 'k\ney': 1},
        [0, -0.0, 1.5, 1e16, 1e-7, 2**70, -(2**70), float('nan'), math.inf, -math.inf, True, False, None],
        (1, (2, 3)),
        {3: 'int key', 2.5: 'float key', False: 'bool key', None: 'none key'},
        OrderedDict([('z', 1), ('a', [Level.HIGH])]),
        [{'nested': OrderedDict(x=[1, {'y': Level.HIGH}])}],
        'just a string',
        42,
    ],
    ids=range(10),
)
def test_dumps_indented_is_json_dumps_indent_2(value):
    assert dumps_indented(value) == json.dumps(value, indent=2, ensure_ascii=False)


def test_dumps_indented_refuses_what_json_refuses():
    with pytest.raises(TypeError):
        dumps_indented({'a': [object()]})


def test_coco_annotation_values_are_formatted_as_json_dumps_formats_them():
    """COCO annotations are formatted by ``coco._value`` (numbers and number lists by ``repr``), not
    ``json.dumps``: the same text for every value, the ones it hands to the encoder included."""
    from synapse_sdk.utils.converters.coco import _value

    rng = random.Random(5)
    values = [
        0, 1, -3, 2**70, 2**2000, 0.1, 1e-20, 1e300, 1.7e308, -0.0, 12.0, math.nan, math.inf, -math.inf,
        True, False, None, 'é"\\\n', [], [[]], [1.5, 2], [1e308, 1e308], [2**2000, 1.0], [True, 1.0],
        [1.0, math.inf], [math.nan], [[1.0, 2.0, 3.5], [4.0, 5, 6.0]], [[1.0], 'x'], [[1.0], []],
        {'size': [3, 4], 'counts': 'a\\b0o'}, {'occluded': True, 'note': 'ü'},
    ]  # fmt: skip
    for _ in range(5000):
        value = rng.choice(values)
        if rng.random() < 0.4:
            value = [rng.choice(values) for _ in range(rng.randint(0, 4))]
        if rng.random() < 0.2:
            value = [
                [rng.uniform(-1e6, 1e6) for _ in range(rng.randint(0, 8))] for _ in range(rng.randint(1, 3))
            ]
        assert _value(value) == json.dumps(value, ensure_ascii=False), value
