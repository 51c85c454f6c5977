"""Hostile values are problems, not crashes: nesting deeper than Python's JSON parser takes, NaN and infinite
numbers, values of the wrong type in every field a writer reads. Each is a documented problem kind naming the file
(and the line where the format has lines): ``skip`` skips it, ``fail`` and ``collect`` raise ``ConversionError``."""

from __future__ import annotations

import contextlib
import copy
import json
import random

import pytest
from converters_fixtures import png_bytes, write_dm

from synapse_sdk.utils.converters import ConversionError, ProblemKind, get_converter

POLICIES = ('fail', 'skip', 'collect')


def check_policies(tmp_path, source, target, root, kind, file_end, line=None, categorized=False):
    """``kind`` is reported naming ``file_end`` (and ``line``) under every policy; ``skip`` writes the rest."""
    for policy in POLICIES:
        conv = get_converter(source, target, root_dir=root, error_policy=policy, is_categorized=categorized)
        if policy == 'skip':
            result = conv.save_to_folder(tmp_path / 'skip')
            problems = result.report.problems
        else:
            with pytest.raises(ConversionError) as err:
                conv.save_to_folder(tmp_path / policy)
            problems = err.value.problems
            assert not (tmp_path / policy).exists()
        found = [p for p in problems if p.kind is kind]
        assert found, (policy, problems)
        assert found[0].file.endswith(file_end), found[0]
        if line is not None:
            assert found[0].line == line, found[0]
    return result


def good_dm_doc() -> dict:
    return {
        'images': [{'bounding_box': [{'id': 'b', 'classification': 'x', 'attrs': [], 'data': [1, 1, 2, 2]}]}]
    }


def dm_dataset(root, bad_text: str) -> object:
    write_dm(root, {'good': good_dm_doc()}, images={'good': ('good.png', png_bytes(8, 6))})
    (root / 'json/bad.json').write_text(bad_text)
    (root / 'original_files/bad.png').write_bytes(png_bytes(8, 6))
    return root


DEEP = '[' * 100_000 + ']' * 100_000


@pytest.mark.parametrize('target', ['dm_v1', 'yolo', 'coco', 'pascal'])
def test_deeply_nested_dm_json_is_malformed_json_with_its_line(tmp_path, target):
    text = '{\n "images": [{\n  "bounding_box": ' + DEEP + '\n}]}'
    root = dm_dataset(tmp_path / 'ds', text)
    result = check_policies(tmp_path, 'dm_v2', target, root, ProblemKind.MALFORMED_JSON, 'bad.json', line=3)
    assert result.items == 1 and result.items_skipped == 1


def test_nesting_parsed_but_too_deep_to_write_is_a_problem(tmp_path):
    doc = good_dm_doc()
    value: list = []
    for _ in range(700):  # parses, but is deeper than the DM v1 writer can recurse
        value = [value]
    doc['images'][0]['bounding_box'][0]['attrs'] = [{'name': 'deep', 'value': value}]
    root = dm_dataset(tmp_path / 'ds', json.dumps(doc))
    result = check_policies(tmp_path, 'dm_v2', 'dm_v1', root, ProblemKind.MALFORMED_JSON, 'bad.json')
    assert result.items == 1


def coco_dataset(root, text: str):
    (root / 'annotations').mkdir(parents=True)
    (root / 'images').mkdir()
    (root / 'images/a.png').write_bytes(png_bytes(8, 6))
    (root / 'annotations/instances.json').write_text(text)
    return root


def test_deeply_nested_coco_json_is_malformed_json_with_its_line(tmp_path):
    text = (
        '{"categories": [{"id": 1, "name": "x"}],\n"images": [{"id": 1, "file_name": "a.png"}],\n'
        '"annotations": [\n{"id": 1, "image_id": 1, "category_id": 1, "bbox": [1, 1, 2, 2]},\n'
        '{"id": 2, "image_id": 1, "category_id": 1, "attributes": {"a": ' + DEEP + '}}\n]}'
    )
    root = coco_dataset(tmp_path / 'ds', text)
    check_policies(tmp_path, 'coco', 'dm_v2', root, ProblemKind.MALFORMED_JSON, 'instances.json', line=5)


def yolo_pose_dataset(root, rows: str):
    (root / 'images').mkdir(parents=True)
    (root / 'labels').mkdir()
    (root / 'images/a.png').write_bytes(png_bytes(20, 10))
    (root / 'labels/a.txt').write_text(rows)
    (root / 'data.yaml').write_text('names: [person]\nkpt_shape: [2, 3]\n')
    return root


@pytest.mark.parametrize('visibility', ['nan', 'inf', '-inf', '1e999', '1.5', '3', '-1'])
def test_yolo_pose_visibility_must_be_0_1_or_2(tmp_path, visibility):
    good = '0 0.5 0.5 0.4 0.4 0.4 0.4 2 0.6 0.6 1\n'
    bad = f'0 0.5 0.5 0.4 0.4 0.4 0.4 {visibility} 0.6 0.6 1\n'
    root = yolo_pose_dataset(tmp_path / 'ds', good + bad)
    result = check_policies(tmp_path, 'yolo', 'dm_v2', root, ProblemKind.INVALID_KEYPOINT, 'a.txt', line=2)
    assert result.annotations_read['keypoint'] == 2  # the good row


@pytest.mark.parametrize('value', ['nan', 'inf', '-inf'])
def test_yolo_non_finite_coordinates_are_problems(tmp_path, value):
    root = yolo_pose_dataset(tmp_path / 'ds', f'0 0.5 0.5 0.4 0.4 {value} 0.4 2 0.6 0.6 1\n')
    check_policies(tmp_path, 'yolo', 'dm_v2', root, ProblemKind.MALFORMED_LABEL, 'a.txt', line=1)
    (root / 'data.yaml').write_text('names: [person]\n')
    (root / 'labels/a.txt').write_text(f'0 0.5 {value} 0.4 0.4\n0 0.5 0.5 0.2 0.2\n')
    check_policies(tmp_path / 'box', 'yolo', 'dm_v2', root, ProblemKind.MALFORMED_ANNOTATION, 'a.txt', line=1)


BASE_COCO = {
    'images': [{'id': 1, 'file_name': 'a.png', 'width': 8, 'height': 6}],
    'annotations': [
        {
            'id': 1,
            'image_id': 1,
            'category_id': 1,
            'bbox': [1, 1, 2, 2],
            'segmentation': [[1, 1, 5, 1, 5, 4]],
        },
        {'id': 2, 'image_id': 1, 'category_id': 2, 'bbox': [1, 1, 2, 2], 'keypoints': [2, 3, 2, 3, 3, 1]},
        {
            'id': 3,
            'image_id': 1,
            'category_id': 1,
            'iscrowd': 1,
            'segmentation': {'size': [6, 8], 'counts': [0, 3, 45]},
        },
        {'id': 4, 'image_id': 1, 'category_id': 1, 'bbox': [2, 2, 3, 3]},
    ],
    'categories': [{'id': 1, 'name': 'x'}, {'id': 2, 'name': 'person', 'keypoints': ['nose', 'left_eye']}],
}


@pytest.mark.parametrize(
    ('path', 'value', 'kind'),
    [
        (('annotations', 1, 'keypoints', 2), float('nan'), ProblemKind.INVALID_KEYPOINT),
        (('annotations', 1, 'keypoints', 5), float('inf'), ProblemKind.INVALID_KEYPOINT),
        (('annotations', 1, 'keypoints', 0), [1], ProblemKind.INVALID_KEYPOINT),
        (('annotations', 0, 'category_id'), [1], ProblemKind.UNKNOWN_CLASS),
        (('annotations', 0, 'attributes'), ['a'], ProblemKind.MALFORMED_ANNOTATION),
        (('annotations', 3, 'bbox'), [float('nan'), 1, 2, 2], ProblemKind.MALFORMED_ANNOTATION),
        (('annotations', 3, 'bbox'), 'x', ProblemKind.MALFORMED_ANNOTATION),
        (('categories', 0, 'id'), [1], ProblemKind.MALFORMED_JSON),
    ],
)
def test_coco_hostile_values(tmp_path, path, value, kind):
    doc = copy.deepcopy(BASE_COCO)
    target = doc
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    root = coco_dataset(
        tmp_path / 'ds', json.dumps(doc)
    )  # json writes NaN and Infinity, as Python reads them
    check_policies(tmp_path, 'coco', 'dm_v2', root, kind, 'instances.json')


@pytest.mark.parametrize(
    ('field', 'value'),
    [
        ('attrs', [['name', 'x']]),
        ('attrs', 3.5),
        ('attrs', [{'name': {'a': 1}, 'value': 1}]),
        ('classification', {'class': 'x'}),
        ('group_id', ['g']),
    ],
)
@pytest.mark.parametrize('target', ['dm_v1', 'yolo', 'coco', 'pascal'])
def test_dm_fields_of_the_wrong_type_are_malformed_annotations(tmp_path, field, value, target):
    doc = good_dm_doc()
    doc['images'][0]['bounding_box'].append(
        {'id': 'bad', 'classification': 'x', 'attrs': [], 'data': [1, 1, 2, 2]}
    )
    doc['images'][0]['bounding_box'][1][field] = value
    root = dm_dataset(tmp_path / 'ds', json.dumps(doc))
    check_policies(tmp_path, 'dm_v2', target, root, ProblemKind.MALFORMED_ANNOTATION, 'bad.json')


@pytest.mark.parametrize('visibility', [-0.0, True, 1.0, float('nan'), '2'])
def test_dm_keypoint_visibility_must_be_the_integer_0_1_or_2(tmp_path, visibility):
    doc = good_dm_doc()
    doc['images'][0]['keypoint'] = [
        {
            'id': 'k',
            'classification': 'nose',
            'attrs': [],
            'data': [2, 2],
            'visibility': visibility,
            'group_id': 'g',
        }
    ]
    root = dm_dataset(tmp_path / 'ds', json.dumps(doc))
    check_policies(tmp_path, 'dm_v2', 'dm_v1', root, ProblemKind.INVALID_KEYPOINT, 'bad.json')


HOSTILE = [
    float('nan'),
    float('inf'),
    1e308,
    -1,
    10**30,
    'x',
    '',
    None,
    True,
    [],
    {},
    [1],
    [[1]],
    {'a': 1},
    [None],
]
BASE_DM = {
    'images': [
        {
            'bounding_box': [
                {'id': 'b', 'classification': 'x', 'attrs': [{'name': 'c', 'value': 1}], 'data': [1, 1, 2, 2]}
            ],
            'polygon': [{'id': 'p', 'classification': 'y', 'attrs': [], 'data': [[1, 1], [5, 1], [5, 4]]}],
            'segmentation': [
                {
                    'id': 'm',
                    'classification': 'z',
                    'attrs': [],
                    'data': [[9, 3]],
                    'encoding': 'dm_rle',
                    'isCompressed': True,
                    'compressionFormat': 'rle',
                }
            ],
            'keypoint': [
                {
                    'id': f'k{j}',
                    'classification': n,
                    'attrs': [],
                    'data': [2 + j, 3],
                    'visibility': 2,
                    'group_id': 'g',
                }
                for j, n in enumerate(['nose', 'left_eye'])
            ],
            'group': [{'id': 'g', 'classification': 'person', 'attrs': [], 'data': ['k0', 'k1']}],
        }
    ]
}


def _mutate(doc, rng: random.Random):
    paths: list[list] = []

    def walk(value, path):
        paths.append(path)
        children = (
            value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
        )
        for key, child in children:
            walk(child, [*path, key])

    walk(doc, [])
    path = rng.choice(paths[1:])
    target = doc
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = rng.choice(HOSTILE)


def test_random_hostile_values_never_crash_a_reader_or_writer(tmp_path):
    """Seeded mutations of every field of a DM v2 and a COCO document: every conversion ends with a result or a
    ``ConversionError``, never another exception (found this way: unhashable category ids, attribute lists,
    non-integer visibilities, classifications of the wrong type)."""
    rng = random.Random(14)
    for n in range(25):
        dm_doc, coco_doc = copy.deepcopy(BASE_DM), copy.deepcopy(BASE_COCO)
        _mutate(dm_doc, rng)
        _mutate(coco_doc, rng)
        dm_root = write_dm(tmp_path / f'dm{n}', {'a': dm_doc}, images={'a': ('a.png', png_bytes(8, 6))})
        coco_root = coco_dataset(tmp_path / f'coco{n}', json.dumps(coco_doc))
        runs = [('dm_v2', t, dm_root) for t in ('dm_v1', 'yolo', 'coco', 'pascal')] + [
            ('coco', 'dm_v2', coco_root)
        ]
        for source, target, root in runs:
            with contextlib.suppress(ConversionError):
                get_converter(source, target, root_dir=root, error_policy='skip').save_to_folder(
                    tmp_path / f'out{n}-{source}-{target}'
                )


def _png(width: int, height: int, raw: bytes) -> bytes:
    """A palette PNG whose IDAT inflates to ``raw`` (whatever the header says)."""
    import struct
    import zlib

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack('>I', len(body)) + kind + body + struct.pack('>I', zlib.crc32(kind + body))

    header = struct.pack('>IIBBBBB', width, height, 8, 3, 0, 0, 0)
    palette = bytes(range(256)) * 3
    return (
        b'\x89PNG\r\n\x1a\n'
        + chunk(b'IHDR', header)
        + chunk(b'PLTE', palette)
        + chunk(b'IDAT', zlib.compress(raw, 9))
        + chunk(b'IEND', b'')
    )


@pytest.mark.parametrize('case', ['bomb', 'huge_header'])
def test_voc_mask_decompression_bomb_is_an_invalid_mask(tmp_path, case):
    root = tmp_path / 'voc'
    for d in ('Annotations', 'JPEGImages', 'SegmentationObject'):
        (root / d).mkdir(parents=True)
    (root / 'JPEGImages/a.png').write_bytes(png_bytes(8, 6))
    (root / 'Annotations/a.xml').write_text(
        '<annotation><filename>a.png</filename><object><name>x</name><bndbox><xmin>1</xmin><ymin>1</ymin>'
        '<xmax>3</xmax><ymax>3</ymax></bndbox></object></annotation>'
    )
    # bomb: the header says 8x6 and the data inflates to 30 MB; huge_header: it claims 100000 x 100000 (10 GB)
    data = _png(8, 6, bytes(30_000_000)) if case == 'bomb' else _png(100_000, 100_000, bytes(1000))
    assert len(data) < 100_000
    (root / 'SegmentationObject/a.png').write_bytes(data)
    check_policies(tmp_path, 'pascal', 'dm_v2', root, ProblemKind.INVALID_MASK, 'a.png')
