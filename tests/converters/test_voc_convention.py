"""Pascal VOC ``<bndbox>`` corners: the devkit convention (1-based, inclusive) by default, the previous SDK's
(0-based, ``xmax = x + w``) as ``voc_convention='legacy'``; one rule for every object of a file, and every object
(one pixel wide, on the border, thinner than a pixel) reads back under the default policy."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import pytest
from converters_fixtures import png_bytes, write_dm

from synapse_sdk.utils.converters import ConversionError, ProblemKind, get_converter

W, H = 40, 30


def rle(pixels: list[tuple[int, int]]) -> dict:
    indices = sorted(y * W + x for x, y in pixels)
    return {
        'data': [[i, 1] for i in indices],
        'encoding': 'dm_rle',
        'isCompressed': True,
        'compressionFormat': 'rle',
    }


def one_pixel_objects() -> dict:
    return {
        'images': [
            {
                'bounding_box': [
                    {
                        'id': 'b1',
                        'classification': 'pole',
                        'attrs': [],
                        'data': [5, 2, 1, 10],
                    },  # one pixel wide
                    {
                        'id': 'b2',
                        'classification': 'wire',
                        'attrs': [],
                        'data': [0, 29, 40, 1],
                    },  # bottom row, full width
                    {
                        'id': 'b3',
                        'classification': 'dot',
                        'attrs': [],
                        'data': [39, 0, 1, 1],
                    },  # top-right pixel
                    {
                        'id': 'b4',
                        'classification': 'hair',
                        'attrs': [],
                        'data': [20.1, 5.2, 0.3, 0.2],
                    },  # sub-pixel
                ],
                'segmentation': [
                    {'id': 'm1', 'classification': 'pole', 'attrs': [], **rle([(7, y) for y in range(3, 9)])},
                    {'id': 'm2', 'classification': 'dot', 'attrs': [], **rle([(0, 0)])},
                ],
                'polygon': [  # a vertical segment: Pillow paints one column of pixels
                    {
                        'id': 'p1',
                        'classification': 'pole',
                        'attrs': [],
                        'data': [[30, 4], [30, 12], [30.4, 8]],
                    },
                ],
            }
        ]
    }


def bndboxes(xml_path) -> list[list[int]]:
    root = ET.parse(xml_path).getroot()
    return [
        [int(o.findtext(f'bndbox/{k}')) for k in ('xmin', 'ymin', 'xmax', 'ymax')]
        for o in root.iter('object')
    ]


@pytest.mark.parametrize('convention', ['devkit', 'legacy'])
def test_one_pixel_objects_write_and_read_back(tmp_path, convention):
    src = write_dm(tmp_path / 'src', {'a': one_pixel_objects()}, images={'a': ('a.png', png_bytes(W, H))})
    options = {} if convention == 'devkit' else {'voc_convention': 'legacy'}
    get_converter('dm_v2', 'pascal', root_dir=src, **options).save_to_folder(tmp_path / 'voc')
    boxes = bndboxes(tmp_path / 'voc/Annotations/a.xml')
    one = 1 if convention == 'devkit' else 0  # devkit: first pixel + 1; legacy: first pixel
    # boxes, the polygon and the masks (objects in the writer's order), in one rule: [first + one, .., last + 1, ..]
    assert boxes == [
        [5 + one, 2 + one, 6, 12],
        [0 + one, 29 + one, 40, 30],
        [39 + one, 0 + one, 40, 1],
        [20 + one, 5 + one, 21, 6],  # thinner than a pixel: one pixel
        [30 + one, 4 + one, 31, 13],
        [7 + one, 3 + one, 8, 9],
        [0 + one, 0 + one, 1, 1],
    ]
    result = get_converter('pascal', 'dm_v2', root_dir=tmp_path / 'voc', **options).save_to_folder(
        tmp_path / 'dm'
    )
    assert result.ok and result.annotations_skipped == 0
    back = json.loads((tmp_path / 'dm/json/a.json').read_text())['images'][0]
    assert [b['data'] for b in back['bounding_box']] == [
        [5, 2, 1, 10],
        [0, 29, 40, 1],
        [39, 0, 1, 1],
        [20, 5, 1, 1],
    ]
    assert len(back['segmentation']) == 3  # the masks and the polygon come back as masks, pixel for pixel


def test_same_pixels_same_bndbox_whatever_the_tool(tmp_path):
    doc = {
        'images': [
            {
                'bounding_box': [{'id': 'b', 'classification': 'x', 'attrs': [], 'data': [3, 4, 5, 6]}],
                'segmentation': [
                    {
                        'id': 'm',
                        'classification': 'x',
                        'attrs': [],
                        **rle([(x, y) for x in range(3, 8) for y in range(4, 10)]),
                    }
                ],
                'polygon': [
                    {'id': 'p', 'classification': 'x', 'attrs': [], 'data': [[3, 4], [7, 4], [7, 9], [3, 9]]}
                ],
            }
        ]
    }
    src = write_dm(tmp_path / 'src', {'a': doc}, images={'a': ('a.png', png_bytes(W, H))})
    for convention in ('devkit', 'legacy'):
        out = tmp_path / convention
        get_converter('dm_v2', 'pascal', root_dir=src, voc_convention=convention).save_to_folder(out)
        boxes = bndboxes(out / 'Annotations/a.xml')
        assert len(boxes) == 3 and boxes[0] == boxes[1] == boxes[2], (convention, boxes)


def voc_with_box(root, corners: tuple[int, int, int, int]):
    for d in ('Annotations', 'JPEGImages'):
        (root / d).mkdir(parents=True, exist_ok=True)
    (root / 'JPEGImages/a.png').write_bytes(png_bytes(W, H))
    xmin, ymin, xmax, ymax = corners
    (root / 'Annotations/a.xml').write_text(
        f'<annotation><filename>a.png</filename><object><name>x</name><bndbox><xmin>{xmin}</xmin><ymin>{ymin}</ymin>'
        f'<xmax>{xmax}</xmax><ymax>{ymax}</ymax></bndbox></object></annotation>'
    )
    return root


def test_zero_based_corners_are_a_problem_for_the_devkit_reader_and_fine_for_legacy(tmp_path):
    root = voc_with_box(tmp_path / 'voc', (0, 0, 10, 10))
    with pytest.raises(ConversionError) as err:
        get_converter('pascal', 'dm_v2', root_dir=root).convert()
    [problem] = err.value.problems
    assert problem.kind is ProblemKind.OUT_OF_IMAGE and "voc_convention='legacy'" in problem.message
    assert problem.file.endswith('a.xml')
    get_converter('pascal', 'dm_v2', root_dir=root, voc_convention='legacy').save_to_folder(tmp_path / 'dm')
    box = json.loads((tmp_path / 'dm/json/a.json').read_text())['images'][0]['bounding_box'][0]
    assert box['data'] == [0, 0, 10, 10]


def test_devkit_single_pixel_box_and_inverted_corners(tmp_path):
    root = voc_with_box(tmp_path / 'one', (4, 5, 4, 5))  # xmin == xmax: one pixel in the devkit convention
    get_converter('pascal', 'dm_v2', root_dir=root).save_to_folder(tmp_path / 'dm')
    box = json.loads((tmp_path / 'dm/json/a.json').read_text())['images'][0]['bounding_box'][0]
    assert box['data'] == [3, 4, 1, 1]
    root = voc_with_box(tmp_path / 'bad', (6, 5, 4, 9))
    with pytest.raises(ConversionError) as err:
        get_converter('pascal', 'dm_v2', root_dir=root).convert()
    assert err.value.problems[0].kind is ProblemKind.DEGENERATE_BOX


def test_unknown_convention_is_refused():
    with pytest.raises(ValueError, match='voc_convention'):
        get_converter('dm_v2', 'pascal', root_dir='.', voc_convention='one-based').save_to_folder(
            '/nonexistent/x'
        )
    with pytest.raises(TypeError, match='voc_convention'):
        get_converter('dm_v2', 'coco', root_dir='.', voc_convention='devkit')
