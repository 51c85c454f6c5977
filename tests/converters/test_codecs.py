"""Pure building blocks: image headers, PNG masks, RLE, rasterisation, contours, DM v1 <-> v2."""

from __future__ import annotations

import struct

import pytest
from converters_fixtures import WORKED_V1, WORKED_V2, jpeg_bytes, png_bytes

from synapse_sdk.utils.converters import ImageSizeError, read_image_size, v1_to_v2, v2_to_v1
from synapse_sdk.utils.converters.masks import (
    MaskError,
    bitmap_from_runs,
    bitmap_to_runs,
    decode_coco_rle,
    encode_coco_rle,
    mask_contours,
    normalize_dm_mask,
    rasterize_polygon,
)
from synapse_sdk.utils.converters.png import decode_png_8bit, encode_png


def test_image_headers(tmp_path):
    bmp = b'BM' + bytes(12) + struct.pack('<IiiHH', 40, 33, -22, 1, 24) + bytes(30)
    webp_vp8x = (
        b'RIFF'
        + bytes(4)
        + b'WEBPVP8X'
        + bytes(4)
        + b'\x10'
        + bytes(3)
        + (99).to_bytes(3, 'little')
        + (49).to_bytes(3, 'little')
    )
    vp8l_bits = (29 - 1) | ((17 - 1) << 14)
    webp_vp8l = (
        b'RIFF' + bytes(4) + b'WEBPVP8L' + bytes(4) + b'\x2f' + vp8l_bits.to_bytes(4, 'little') + bytes(8)
    )
    gif = b'GIF89a' + struct.pack('<HH', 7, 5) + bytes(10)
    cases = {
        'a.png': (png_bytes(5, 3), (5, 3, 3, 'png')),
        'a.jpg': (jpeg_bytes(200, 100), (200, 100, 3, 'jpeg')),
        'g.jpg': (jpeg_bytes(8, 9, channels=1), (8, 9, 1, 'jpeg')),
        'a.bmp': (bmp, (33, 22, 3, 'bmp')),
        'x.webp': (webp_vp8x, (100, 50, 4, 'webp')),
        'l.webp': (webp_vp8l, (29, 17, 3, 'webp')),
        'a.gif': (gif, (7, 5, 3, 'gif')),
    }
    for name, (data, expected) in cases.items():
        (tmp_path / name).write_bytes(data)
        assert tuple(read_image_size(str(tmp_path / name))) == expected, name
    (tmp_path / 'bad.jpg').write_bytes(b'\xff\xd8\xff\xd9')
    with pytest.raises(ImageSizeError, match=r'bad\.jpg'):
        read_image_size(str(tmp_path / 'bad.jpg'))
    (tmp_path / 'x.txt').write_bytes(b'hello')
    with pytest.raises(ImageSizeError, match='not a PNG'):
        read_image_size(str(tmp_path / 'x.txt'))


def test_png_mask_roundtrip():
    pixels = bytes((x * 7 + y) % 256 for y in range(5) for x in range(9))
    w, h, out = decode_png_8bit(encode_png(9, 5, pixels, mode='P'))
    assert (w, h, bytes(out)) == (9, 5, pixels)


def test_coco_rle_spec_example():
    # spec 9.3: W=4, H=3, foreground x in {1,2}, y in {0,1} -> counts "32103"
    runs = normalize_dm_mask([1, 2, 5, 6], 'raw_indices', 4, 3)
    assert runs == normalize_dm_mask([[1, 2], [5, 2]], 'dm_rle', 4, 3) == [[1, 2], [5, 2]]
    bitmap = bitmap_from_runs(runs, 4, 3)
    rle = encode_coco_rle(bitmap, 4, 3)
    assert rle == {'size': [3, 4], 'counts': '32103'}
    assert decode_coco_rle(rle, 4, 3) == bitmap
    assert decode_coco_rle({'size': [3, 4], 'counts': [3, 2, 1, 2, 4]}, 4, 3) == bitmap


def test_coco_rle_random_roundtrip():
    import random

    rng = random.Random(3)
    for _ in range(50):
        w, h = rng.randint(1, 30), rng.randint(1, 30)
        bitmap = bytearray(rng.random() < 0.4 for _ in range(w * h))
        assert decode_coco_rle(encode_coco_rle(bitmap, w, h), w, h) == bitmap


def test_mask_validation_errors():
    with pytest.raises(MaskError, match='overlap'):
        normalize_dm_mask([1, 1], 'raw_indices', 4, 3)
    with pytest.raises(MaskError, match='outside'):
        normalize_dm_mask([[10, 5]], 'dm_rle', 4, 3)
    with pytest.raises(MaskError, match='overlap'):
        normalize_dm_mask([[0, 3], [2, 2]], 'dm_rle', 4, 3)


def test_rasterize_rectangle_matches_reference_pixel_count():
    bitmap = rasterize_polygon([[100, 50], [180, 50], [180, 90], [100, 90]], 200, 100)
    assert sum(bitmap) == 81 * 41 == 3321  # the worked example: boundary pixels included


def test_contour_of_spec_mask_example():
    bitmap = bitmap_from_runs([[1, 2], [5, 2]], 4, 3)
    contours, holes = mask_contours(bitmap, 4, 3)
    assert contours == [[(1, 0), (1, 1), (2, 1), (2, 0)]] and not holes


def test_contours_reproduce_components_and_report_holes():
    w, h = 20, 12
    bitmap = bytearray(w * h)
    for y in range(2, 9):  # ring with a hole
        for x in range(2, 9):
            if not (4 <= x <= 6 and 4 <= y <= 6):
                bitmap[y * w + x] = 1
    for y in range(3, 10):  # L shape
        for x in range(12, 14 if y > 4 else 18):
            bitmap[y * w + x] = 1
    contours, holes = mask_contours(bitmap, w, h)
    assert holes and len(contours) == 2
    filled = bytearray(w * h)
    for c in contours:
        rasterize_polygon(c, w, h, filled)
    expected = bytearray(bitmap)
    for y in range(4, 7):
        for x in range(4, 7):
            expected[y * w + x] = 1  # the hole is dropped
    assert bitmap_to_runs(filled) == bitmap_to_runs(expected)


def test_worked_example_v1_to_v2_exact():
    assert v1_to_v2(WORKED_V1) == WORKED_V2


def test_v2_to_v1_restores_geometry_and_groups():
    v2 = {
        'images': [
            {
                'keypoint': [
                    {
                        'id': 'k1',
                        'classification': 'nose',
                        'attrs': [],
                        'data': [1, 1],
                        'visibility': 2,
                        'group_id': 'g',
                    },
                    {
                        'id': 'k2',
                        'classification': 'left_eye',
                        'attrs': [],
                        'data': [3, 2],
                        'visibility': 1,
                        'group_id': 'g',
                    },
                ],
                'segmentation': [
                    {
                        'id': 'm',
                        'classification': 'x',
                        'attrs': [],
                        'data': [[1, 2], [5, 2]],
                        'encoding': 'dm_rle',
                        'isCompressed': True,
                        'compressionFormat': 'rle',
                    }
                ],
            }
        ]
    }
    v1 = v2_to_v1(v2, extras={'image_1': {'width': 4, 'height': 3}})
    assert v1['annotationGroups'] == {'image_1': [{'id': 'g', 'annotationIds': ['k1', 'k2']}]}
    assert v1['annotations']['image_1'][1]['classification'] == {
        'class': 'left_eye',
        'visibility': 'occluded',
    }
    back = v1_to_v2(v1)
    assert back['images'][0]['keypoint'] == v2['images'][0]['keypoint']
    assert back['images'][0]['segmentation'] == v2['images'][0]['segmentation']
    # the worked example survives v1 -> v2 -> v1 -> v2
    assert v1_to_v2(v2_to_v1(WORKED_V2)) == WORKED_V2


def _v2_docs():
    from hypothesis import strategies as st

    coord = st.integers(0, 500)
    ident = st.text('abcdefghijklmnopqrstuvwxyz0123456789', min_size=1, max_size=8)
    attrs = st.lists(
        st.fixed_dictionaries(
            {
                'name': st.sampled_from(['color', 'size', 'kind']),
                'value': st.one_of(st.integers(), st.text(max_size=5), st.booleans()),
            }
        ),
        max_size=2,
        unique_by=lambda a: a['name'],
    )
    box = st.fixed_dictionaries(
        {'classification': ident, 'attrs': attrs, 'data': st.lists(coord, min_size=4, max_size=4)}
    )
    poly = st.fixed_dictionaries(
        {
            'classification': ident,
            'attrs': attrs,
            'data': st.lists(st.lists(coord, min_size=2, max_size=2), min_size=3, max_size=6),
        }
    )
    kp = st.fixed_dictionaries(
        {
            'classification': ident,
            'attrs': st.just([]),
            'data': st.lists(coord, min_size=2, max_size=2),
            'visibility': st.sampled_from([0, 1, 2]),
            'group_id': st.sampled_from(['g1', 'g2']),
        }
    )
    return st.fixed_dictionaries(
        {
            'bounding_box': st.lists(box, max_size=3),
            'polygon': st.lists(poly, max_size=3),
            'keypoint': st.lists(kp, max_size=4),
        }
    )


def test_v2_v1_v2_is_identity_property():
    from hypothesis import given, settings

    @settings(max_examples=60, deadline=None)
    @given(_v2_docs())
    def check(image):
        n = 0
        for tool in list(image):
            if not image[tool]:
                del image[tool]
                continue
            for ann in image[tool]:
                n += 1
                ann['id'] = f'a{n}'
        doc = {'images': [image]}
        back = v1_to_v2(v2_to_v1(doc, extras={'image_1': {'width': 600, 'height': 600}}))
        assert back['images'] == [image]

    check()


def test_rle_from_runs_matches_full_transpose():
    import random

    from synapse_sdk.utils.converters.masks import _counts_from_string, rle_from_runs

    rng = random.Random(11)
    for _ in range(60):
        w, h = rng.randint(1, 25), rng.randint(1, 25)
        bitmap = bytearray(w * h)
        x0, y0 = rng.randrange(w), rng.randrange(h)
        for y in range(y0, min(h, y0 + rng.randint(1, 8))):
            for x in range(x0, min(w, x0 + rng.randint(1, 8))):
                bitmap[y * w + x] = rng.random() < 0.7
        column_major = [bitmap[y * w + x] for x in range(w) for y in range(h)]
        naive, value, count = [], 0, 0  # run lengths, starting with background, the obvious way
        for v in column_major:
            if v != value:
                naive.append(count)
                value, count = v, 0
            count += 1
        naive.append(count)
        rle = rle_from_runs(bitmap_to_runs(bitmap), w, h)
        assert _counts_from_string(rle['counts']) == naive
        assert decode_coco_rle(rle, w, h) == bitmap
    assert rle_from_runs([], 4, 3) == {'size': [3, 4], 'counts': '<'}  # 12 background pixels
