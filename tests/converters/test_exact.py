"""Exact output of all 14 directions, flat and categorized, on hand-made fixtures (the spec's worked example for
the DM sources, a small hand-written dataset of each format for the others)."""

from __future__ import annotations

import json

import pytest
from converters_fixtures import WORKED_V1, WORKED_V2, jpeg_bytes, png_bytes, tree, write_dm

from synapse_sdk.utils.converters import get_converter

V1_OF_WORKED = {
    'annotations': {
        'image_1': [
            {
                'id': 'bb01AbCdEf',
                'tool': 'bounding_box',
                'isLocked': False,
                'isVisible': True,
                'isValid': False,
                'isDrawCompleted': True,
                'label': [],
                'classification': {'class': 'car', 'color': 'red'},
            },
            {
                'id': 'pg01AbCdEf',
                'tool': 'polygon',
                'isLocked': False,
                'isVisible': True,
                'isValid': False,
                'isDrawCompleted': True,
                'label': [],
                'classification': {'class': 'road'},
            },
        ]
    },
    'annotationsData': {
        'image_1': [
            {'id': 'bb01AbCdEf', 'coordinate': {'x': 20, 'y': 10, 'width': 60, 'height': 40}},
            {
                'id': 'pg01AbCdEf',
                'coordinate': [
                    {'x': 100, 'y': 50, 'id': '833d9455f7'},
                    {'x': 180, 'y': 50, 'id': '6bcb4fd0fb'},
                    {'x': 180, 'y': 90, 'id': 'fea9ce0e70'},
                    {'x': 100, 'y': 90, 'id': 'e78a275d70'},
                ],
            },
        ]
    },
    'extra': {'image_1': {'width': 200, 'height': 100}},
    'relations': {},
    'annotationGroups': {},
    'assignmentId': None,
}

# VOC devkit corners (1-based, inclusive), the default convention
VOC_XML = """<?xml version="1.0" encoding="utf-8"?>
<annotation>
  <folder>JPEGImages</folder>
  <filename>{stem}.jpg</filename>
  <path>JPEGImages/{stem}.jpg</path>
  <source>
    <database>Unknown</database>
  </source>
  <size>
    <width>200</width>
    <height>100</height>
    <depth>3</depth>
  </size>
  <segmented>1</segmented>
  <object>
    <name>car</name>
    <pose>Unspecified</pose>
    <truncated>0</truncated>
    <difficult>0</difficult>
    <bndbox>
      <xmin>21</xmin>
      <ymin>11</ymin>
      <xmax>80</xmax>
      <ymax>50</ymax>
    </bndbox>
  </object>
  <object>
    <name>road</name>
    <pose>Unspecified</pose>
    <truncated>0</truncated>
    <difficult>0</difficult>
    <bndbox>
      <xmin>101</xmin>
      <ymin>51</ymin>
      <xmax>181</xmax>
      <ymax>91</ymax>
    </bndbox>
  </object>
</annotation>
"""

COCO_ANNOTATIONS = [
    {
        'id': 1,
        'image_id': 1,
        'category_id': 1,
        'bbox': [20.0, 10.0, 60.0, 40.0],
        'area': 2400.0,
        'segmentation': [],
        'iscrowd': 0,
        'attributes': {'color': 'red'},
    },
    {
        'id': 2,
        'image_id': 1,
        'category_id': 2,
        'bbox': [100.0, 50.0, 80.0, 40.0],
        'area': 3200.0,
        'segmentation': [[100.0, 50.0, 180.0, 50.0, 180.0, 90.0, 100.0, 90.0]],
        'iscrowd': 0,
    },
]


def _source(tmp_path, version, categorized):
    doc = WORKED_V1 if version == 'v1' else WORKED_V2
    splits = ('train', 'valid', 'test') if categorized else (None,)
    for split in splits:
        write_dm(tmp_path / 'src', {f'img_{split or "flat"}': doc}, split=split)
    return [(s, f'img_{s or "flat"}') for s in splits]


def _expected_files(target, split, stem, out):
    sub = {'train': 'train', 'valid': 'val', 'test': 'test', None: ''}[split]
    p = lambda *parts: '/'.join(x for x in parts if x)  # noqa: E731
    if target == 'yolo':
        return {
            p('labels', sub, f'{stem}.txt'): (
                '0 0.250000 0.300000 0.300000 0.400000\n1 0.700000 0.700000 0.400000 0.400000\n'
            ),
            p('images', sub, f'{stem}.jpg'): jpeg_bytes(200, 100),
        }
    if target == 'pascal':
        return {
            f'Annotations/{stem}.xml': VOC_XML.format(stem=stem),
            f'JPEGImages/{stem}.jpg': jpeg_bytes(200, 100),
            f'ImageSets/Main/{sub or "default"}.txt': f'{stem}\n',
            f'ImageSets/Segmentation/{sub or "default"}.txt': f'{stem}\n',
        }
    if target == 'coco':
        name = f'annotations/instances_{sub}.json' if sub else 'annotations/instances.json'
        return {name: None, p('images', sub, f'{stem}.jpg'): jpeg_bytes(200, 100)}
    dm_split = split or ''
    doc = WORKED_V2 if target == 'dm_v2' else V1_OF_WORKED
    return {
        p(dm_split, 'json', f'{stem}.json'): json.dumps(doc, indent=2, ensure_ascii=False),
        p(dm_split, 'original_files', f'{stem}.jpg'): jpeg_bytes(200, 100),
    }


DM_DIRECTIONS = [
    ('v1', 'dm_v2'),
    ('v2', 'dm_v1'),
    ('v1', 'yolo'),
    ('v2', 'yolo'),
    ('v1', 'coco'),
    ('v2', 'coco'),
    ('v1', 'pascal'),
    ('v2', 'pascal'),
]


@pytest.mark.parametrize('categorized', [False, True], ids=['flat', 'split'])
@pytest.mark.parametrize(('version', 'target'), DM_DIRECTIONS, ids=[f'dm_{v}-{t}' for v, t in DM_DIRECTIONS])
def test_dm_sources_exact(tmp_path, version, target, categorized):
    items = _source(tmp_path, version, categorized)
    out = tmp_path / 'out'
    kwargs = {'task': 'detect'} if target == 'yolo' else {}
    get_converter(
        f'dm_{version}', target, root_dir=tmp_path / 'src', is_categorized=categorized, **kwargs
    ).save_to_folder(out)
    expected: dict = {}
    for split, stem in items:
        expected.update(_expected_files(target, split, stem, out))
    files = set(tree(out)) - {'conversion_report.jsonl', 'data.yaml', 'labelmap.txt'}
    files -= {f for f in files if f.startswith('Segmentation')}
    assert files == set(expected)
    for rel, content in expected.items():
        if content is None:  # COCO
            data = json.loads((out / rel).read_text())
            assert data['annotations'] == COCO_ANNOTATIONS
            assert [c['name'] for c in data['categories']] == ['car', 'road']
        elif isinstance(content, bytes):
            assert (out / rel).read_bytes() == content
        else:
            assert (out / rel).read_text() == content, rel
    if target == 'yolo':
        splits = (
            'train: images/train\nval: images/val\ntest: images/test\n'
            if categorized
            else ('train: images\nval: images\n')
        )
        names = 'nc: 2\nnames:\n  0: car\n  1: road\n'
        assert (out / 'data.yaml').read_text() == f'path: {out}\n{splits}{names}'


# ---------------------------------------------------------------- format sources, hand-written


def _yolo(root, categorized):
    for split in ('train', 'val') if categorized else (None,):
        images = root / 'images' / (split or '')
        labels = root / 'labels' / (split or '')
        images.mkdir(parents=True)
        labels.mkdir(parents=True)
        (images / f'a_{split}.jpg').write_bytes(jpeg_bytes(200, 100))
        (labels / f'a_{split}.txt').write_text('1 0.25 0.3 0.3 0.4\n0 0.5 0.5 0.9 0.5 0.9 0.9 0.5 0.9\n')
    (root / 'data.yaml').write_text(
        'path: .\ntrain: images/train\nval: images/val\nnames:\n  0: road\n  1: car\n'
    )


def _coco(root, categorized):
    def dataset(stem):
        return {
            'images': [{'id': 5, 'file_name': f'{stem}.jpg', 'width': 200, 'height': 100}],
            'categories': [{'id': 1, 'name': 'car'}, {'id': 2, 'name': 'road'}],
            'annotations': [
                {
                    'id': 11,
                    'image_id': 5,
                    'category_id': 1,
                    'bbox': [20, 10, 60, 40],
                    'area': 2400,
                    'iscrowd': 0,
                    'segmentation': [],
                    'attributes': {'color': 'red'},
                },
                {
                    'id': 12,
                    'image_id': 5,
                    'category_id': 2,
                    'bbox': [100, 50, 80, 40],
                    'area': 3200,
                    'iscrowd': 0,
                    'segmentation': [[100, 50, 180, 50, 180, 90, 100, 90]],
                },
            ],
        }

    for split in ('train', 'valid') if categorized else (None,):
        base = root / split if split else root
        (base / 'images').mkdir(parents=True)
        (base / 'images' / f'a_{split}.jpg').write_bytes(jpeg_bytes(200, 100))
        name = '_annotations.coco.json' if split else 'annotations.json'
        (base / name).write_text(json.dumps(dataset(f'a_{split}')))


def _voc(root, categorized):
    for d in ('Annotations', 'JPEGImages', 'ImageSets/Main'):
        (root / d).mkdir(parents=True)
    for split in ('train', 'val') if categorized else (None,):
        stem = f'a_{split}'
        (root / f'JPEGImages/{stem}.jpg').write_bytes(jpeg_bytes(200, 100))
        xml = VOC_XML.format(stem=stem).replace('<segmented>1', '<segmented>0')
        (root / f'Annotations/{stem}.xml').write_text(xml)
        if split:
            (root / f'ImageSets/Main/{split}.txt').write_text(f'{stem}\n')


EXPECTED_V2 = {
    'yolo': {
        'bounding_box': [
            {'id': 'c2bb9e3e0b', 'classification': 'car', 'attrs': [], 'data': [20.0, 10.0, 60.0, 40.0]}
        ],
        'polygon': [
            {
                'id': 'ID2',
                'classification': 'road',
                'attrs': [],
                'data': [[100.0, 50.0], [180.0, 50.0], [180.0, 90.0], [100.0, 90.0]],
            }
        ],
    },
    'coco': {
        'bounding_box': [
            {
                'id': '11',
                'classification': 'car',
                'attrs': [{'name': 'color', 'value': 'red'}],
                'data': [20, 10, 60, 40],
            }
        ],
        'polygon': [
            {
                'id': '12',
                'classification': 'road',
                'attrs': [],
                'data': [[100, 50], [180, 50], [180, 90], [100, 90]],
            }
        ],
    },
    'pascal': {
        'bounding_box': [
            {'id': 'ID1', 'classification': 'car', 'attrs': [], 'data': [20, 10, 60, 40]},
            {'id': 'ID2', 'classification': 'road', 'attrs': [], 'data': [100, 50, 81, 41]},
        ]
    },
}
BUILDERS = {'yolo': _yolo, 'coco': _coco, 'pascal': _voc}


@pytest.mark.parametrize('categorized', [False, True], ids=['flat', 'split'])
@pytest.mark.parametrize('version', ['v1', 'v2'])
@pytest.mark.parametrize('fmt', ['yolo', 'coco', 'pascal'])
def test_format_sources_exact(tmp_path, fmt, version, categorized):
    from synapse_sdk.utils.converters import v2_to_v1
    from synapse_sdk.utils.converters.dm import stable_id

    BUILDERS[fmt](tmp_path / 'src', categorized)
    out = tmp_path / 'out'
    result = get_converter(
        fmt, f'dm_{version}', root_dir=tmp_path / 'src', is_categorized=categorized
    ).save_to_folder(out)
    splits = ['train', 'valid'] if categorized else [None]
    assert result.items == len(splits) and result.ok
    for split in splits:
        src_split = 'val' if split == 'valid' and fmt != 'coco' else split
        stem = f'a_{src_split}'
        expected = json.loads(json.dumps(EXPECTED_V2[fmt]))
        position = 0  # YOLO ids derive from the line number, VOC ids from the <object> index
        for anns in expected.values():
            for ann in anns:
                position += 1
                if ann['id'].startswith('ID') or fmt == 'yolo':
                    ann['id'] = stable_id(stem, position)
        classification = {
            tool: sorted({a['classification'] for a in anns}) for tool, anns in sorted(expected.items())
        }
        doc = {'classification': classification, 'images': [expected]}
        if version == 'v1':
            doc = v2_to_v1(doc, extras={'image_1': {'width': 200, 'height': 100}})
        prefix = f'{split}/' if split else ''
        assert json.loads((out / f'{prefix}json/{stem}.json').read_text()) == doc
        assert (out / f'{prefix}original_files/{stem}.jpg').read_bytes() == jpeg_bytes(200, 100)
    assert png_bytes  # fixtures module shared with the other tests
