"""Every direction, flat and categorized: exact output on hand-made fixtures and round-trip fidelity."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import pytest
from converters_fixtures import (
    GEN_H,
    GEN_W,
    WORKED_V1,
    WORKED_V2,
    dm_objects,
    jpeg_bytes,
    png_bytes,
    read_dm_v2,
    rich_item,
    same_objects,
    tree,
    write_dm,
    write_rich,
)

from synapse_sdk.utils.converters import (
    COCOToDMConverter,
    DatasetFormat,
    FromDMToYOLOConverter,
    get_converter,
    supported_pairs,
)
from synapse_sdk.utils.converters.masks import bitmap_to_runs, decode_coco_rle, rasterize_polygon
from synapse_sdk.utils.converters.png import decode_png_8bit

VERSIONS = ('v1', 'v2')


def worked(tmp_path, version, categorized=False):
    doc = WORKED_V1 if version == 'v1' else WORKED_V2
    if categorized:
        for split in ('train', 'valid'):
            write_dm(tmp_path / 'src', {f'img_{split}': doc}, split=split)
    else:
        write_dm(tmp_path / 'src', {'img_0001': doc})
    return tmp_path / 'src'


# ---------------------------------------------------------------- exact output, worked example


def test_supported_pairs_and_unsupported_error():
    assert len(supported_pairs()) == 20  # every ordered pair of two of the five formats
    assert ('coco', 'yolo') in supported_pairs() and ('pascal', 'coco') in supported_pairs()
    with pytest.raises(ValueError, match=r'supported pairs: dm_v1->dm_v2'):
        get_converter('yolo', 'yolo', root_dir='.')
    with pytest.raises(ValueError, match='known formats'):
        get_converter('dm_v3', 'yolo', root_dir='.')
    assert get_converter(DatasetFormat.DM_V2, 'voc', root_dir='.').target_format is DatasetFormat.PASCAL


@pytest.mark.parametrize('version', VERSIONS)
def test_worked_example_to_yolo(tmp_path, version):
    src = worked(tmp_path, version)
    out = tmp_path / 'detect'
    result = get_converter(f'dm_{version}', 'yolo', root_dir=src, task='detect').save_to_folder(out)
    assert tree(out) == ['conversion_report.jsonl', 'data.yaml', 'images/img_0001.jpg', 'labels/img_0001.txt']
    # the road polygon is in the detect dataset too, as its tight box
    assert (out / 'labels/img_0001.txt').read_text() == (
        '0 0.250000 0.300000 0.300000 0.400000\n1 0.700000 0.700000 0.400000 0.400000\n'
    )
    assert (out / 'data.yaml').read_text() == (
        f'path: {out}\ntrain: images\nval: images\nnc: 2\nnames:\n  0: car\n  1: road\n'
    )
    v1_only = {'document:assignment_id': 1} if version == 'v1' else {}  # the worked v1 has an assignmentId
    assert result.report.loss_counts == {'bounding_box:attributes': 1, **v1_only}
    assert result.report.representation_changes == {'polygon:as_box': 1}
    assert result.annotations_written == {'bounding_box': 1, 'polygon': 1}
    seg = tmp_path / 'segment'
    result = get_converter(f'dm_{version}', 'yolo', root_dir=src, task='segment').save_to_folder(seg)
    # the car box is in the segment dataset too, as its 4 corners
    assert (seg / 'labels/img_0001.txt').read_text() == (
        '0 0.100000 0.100000 0.400000 0.100000 0.400000 0.500000 0.100000 0.500000\n'
        '1 0.500000 0.500000 0.900000 0.500000 0.900000 0.900000 0.500000 0.900000\n'
    )
    assert result.report.representation_changes == {'bounding_box:as_polygon': 1}
    assert (
        '\n'.join(
            line
            for line in (seg / 'conversion_report.jsonl').read_text().splitlines()
            if 'representation' in line
        )
        == '{"type": "representation_changes", "counts": {"bounding_box:as_polygon": 1}}'
    )


@pytest.mark.parametrize('version', VERSIONS)
def test_worked_example_to_coco(tmp_path, version):
    src = worked(tmp_path, version, categorized=True)
    out = tmp_path / 'coco'
    get_converter(f'dm_{version}', 'coco', root_dir=src, is_categorized=True).save_to_folder(out)
    assert [f for f in tree(out) if f != 'conversion_report.jsonl'] == [
        'annotations/instances_train.json',
        'annotations/instances_val.json',
        'images/train/img_train.jpg',
        'images/val/img_valid.jpg',
    ]
    data = json.loads((out / 'annotations/instances_val.json').read_text())
    assert data['images'] == [{'id': 1, 'file_name': 'img_valid.jpg', 'width': 200, 'height': 100}]
    assert data['categories'] == [
        {'id': 1, 'name': 'car', 'supercategory': 'car'},
        {'id': 2, 'name': 'road', 'supercategory': 'road'},
    ]
    assert data['annotations'] == [
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


@pytest.mark.parametrize('version', VERSIONS)
def test_worked_example_to_pascal(tmp_path, version):
    src = worked(tmp_path, version)
    out = tmp_path / 'voc'
    result = get_converter(f'dm_{version}', 'pascal', root_dir=src).save_to_folder(out)
    xml = (out / 'Annotations/img_0001.xml').read_text()
    # VOC devkit corners (1-based, inclusive): the box [20, 10, 60, 40] covers pixels 20..79 x 10..49
    assert (
        '  <object>\n    <name>car</name>\n    <pose>Unspecified</pose>\n    <truncated>0</truncated>\n'
        '    <difficult>0</difficult>\n    <bndbox>\n      <xmin>21</xmin>\n      <ymin>11</ymin>\n'
        '      <xmax>80</xmax>\n      <ymax>50</ymax>\n    </bndbox>\n  </object>\n'
    ) in xml
    assert '<xmin>101</xmin>\n      <ymin>51</ymin>\n      <xmax>181</xmax>\n      <ymax>91</ymax>' in xml
    legacy = get_converter(f'dm_{version}', 'pascal', root_dir=src, voc_convention='legacy')
    legacy.save_to_folder(tmp_path / 'legacy')
    legacy_xml = (tmp_path / 'legacy/Annotations/img_0001.xml').read_text()
    assert (
        '<xmin>20</xmin>\n      <ymin>10</ymin>\n      <xmax>80</xmax>\n      <ymax>50</ymax>' in legacy_xml
    )
    assert (
        '<xmin>100</xmin>\n      <ymin>50</ymin>\n      <xmax>181</xmax>\n      <ymax>91</ymax>' in legacy_xml
    )
    root = ET.fromstring(xml)
    assert [root.findtext(f'size/{k}') for k in ('width', 'height', 'depth')] == ['200', '100', '3']
    assert root.findtext('segmented') == '1'
    w, h, cls_plane = decode_png_8bit((out / 'SegmentationClass/img_0001.png').read_bytes())
    _, _, obj_plane = decode_png_8bit((out / 'SegmentationObject/img_0001.png').read_bytes())
    assert (w, h) == (200, 100)
    assert cls_plane.count(2) == 3321 and obj_plane.count(2) == 3321  # road: class 2, second <object>
    assert all(cls_plane[y * 200 + x] == 2 for y in (50, 90) for x in (100, 180))
    assert (out / 'ImageSets/Main/default.txt').read_text() == 'img_0001\n'
    assert (out / 'labelmap.txt').read_text().splitlines()[1:] == [
        'background:0,0,0::',
        'car:128,0,0::',
        'road:0,128,0::',
    ]
    v1_only = {(None, 'assignment_id')} if version == 'v1' else set()  # the worked v1 has an assignmentId
    assert {(loss.annotation_id, loss.reason) for loss in result.report.losses} == {
        ('bb01AbCdEf', 'attributes'),
        *v1_only,
    }
    assert result.report.representation_changes == {'polygon:as_mask': 1}


def test_worked_example_dm_versions(tmp_path):
    src = worked(tmp_path, 'v1', categorized=True)
    get_converter('dm_v1', 'dm_v2', root_dir=src, is_categorized=True).save_to_folder(tmp_path / 'v2')
    assert json.loads((tmp_path / 'v2/train/json/img_train.json').read_text()) == WORKED_V2
    assert (tmp_path / 'v2/valid/original_files/img_valid.jpg').read_bytes() == jpeg_bytes(200, 100)
    get_converter('dm_v2', 'dm_v1', root_dir=tmp_path / 'v2', is_categorized=True).save_to_folder(
        tmp_path / 'v1'
    )
    v1 = json.loads((tmp_path / 'v1/valid/json/img_valid.json').read_text())
    assert list(v1) == [
        'annotations',
        'annotationsData',
        'extra',
        'relations',
        'annotationGroups',
        'assignmentId',
    ]
    assert v1['extra'] == {'image_1': {'width': 200, 'height': 100}}
    assert v1['annotations']['image_1'][0]['classification'] == {'class': 'car', 'color': 'red'}
    assert v1['annotationsData']['image_1'][0] == {
        'id': 'bb01AbCdEf',
        'coordinate': {'x': 20, 'y': 10, 'width': 60, 'height': 40},
    }


# ---------------------------------------------------------------- exact reading of hand-made fixtures


def test_read_hand_made_yolo_roboflow_layout(tmp_path):
    root = tmp_path / 'yolo'
    for split in ('train', 'valid'):
        (root / split / 'images').mkdir(parents=True)
        (root / split / 'labels').mkdir(parents=True)
        (root / split / 'images/a.png').write_bytes(png_bytes(200, 100))
    (root / 'train/labels/a.txt').write_text('1 0.25 0.3 0.3 0.4\n\n0 0.5 0.5 0.9 0.5 0.9 0.9\n')
    (root / 'data.yaml').write_text('train: train/images\nval: valid/images\nnames: [road, car]\n')
    result = get_converter('yolo', 'dm_v2', root_dir=root, is_categorized=True).save_to_folder(
        tmp_path / 'dm'
    )
    doc = json.loads((tmp_path / 'dm/train/json/a.json').read_text())
    image = doc['images'][0]
    assert image['bounding_box'][0]['data'] == [20.0, 10.0, 60.0, 40.0]
    assert image['bounding_box'][0]['classification'] == 'car'
    assert image['polygon'][0]['data'] == [[100.0, 50.0], [180.0, 50.0], [180.0, 90.0]]
    assert doc['classification'] == {'bounding_box': ['car'], 'polygon': ['road']}
    assert json.loads((tmp_path / 'dm/valid/json/a.json').read_text())['images'] == [{}]
    assert result.splits == {'train': 1, 'valid': 1}


def test_read_hand_made_yolo_classes_txt_flat(tmp_path):
    root = tmp_path / 'yolo'
    (root / 'images').mkdir(parents=True)
    (root / 'labels').mkdir()
    (root / 'images/b.webp').write_bytes(
        b'RIFF'
        + bytes(4)
        + b'WEBPVP8X'
        + bytes(4)
        + b'\x00'
        + bytes(3)
        + (199).to_bytes(3, 'little')
        + (99).to_bytes(3, 'little')
    )
    (root / 'labels/b.txt').write_text('0 0.5 0.5 1 1\n')
    (root / 'classes.txt').write_text('thing\n')
    get_converter('yolo', 'dm_v1', root_dir=root).save_to_folder(tmp_path / 'dm')
    v1 = json.loads((tmp_path / 'dm/json/b.json').read_text())
    assert v1['annotationsData']['image_1'][0]['coordinate'] == {
        'x': 0.0,
        'y': 0.0,
        'width': 200.0,
        'height': 100.0,
    }
    assert v1['annotations']['image_1'][0]['classification'] == {'class': 'thing'}
    assert (tmp_path / 'dm/original_files/b.webp').exists()


def test_read_hand_made_coco_with_crowd_rle_and_keypoints(tmp_path):
    root = tmp_path / 'coco'
    (root / 'annotations').mkdir(parents=True)
    (root / 'images').mkdir()
    (root / 'images/p.png').write_bytes(png_bytes(4, 3))
    data = {
        'images': [{'id': 7, 'file_name': 'p.png', 'width': 4, 'height': 3}],
        'categories': [
            {'id': 3, 'name': 'person', 'keypoints': ['nose', 'left_eye', 'right_eye']},
            {'id': 4, 'name': 'crowd'},
        ],
        'annotations': [
            {
                'id': 1,
                'image_id': 7,
                'category_id': 4,
                'iscrowd': 1,
                'bbox': [1, 0, 2, 2],
                'area': 4,
                'segmentation': {'size': [3, 4], 'counts': [3, 2, 1, 2, 4]},
            },
            {
                'id': 2,
                'image_id': 7,
                'category_id': 3,
                'bbox': [1, 1, 2, 1],
                'area': 2,
                'iscrowd': 0,
                'segmentation': [],
                'keypoints': [1, 1, 2, 3, 2, 1, 0, 0, 0],
                'num_keypoints': 2,
            },
        ],
    }
    (root / 'annotations/instances.json').write_text(json.dumps(data))
    get_converter('coco', 'dm_v2', root_dir=root).save_to_folder(tmp_path / 'dm')
    image = json.loads((tmp_path / 'dm/json/p.json').read_text())['images'][0]
    assert image['segmentation'] == [
        {
            'id': '1',
            'classification': 'crowd',
            'attrs': [{'name': 'iscrowd', 'value': 1}],
            'data': [[1, 2], [5, 2]],
            'encoding': 'dm_rle',
            'isCompressed': True,
            'compressionFormat': 'rle',
        }
    ]
    kps = [(k['classification'], k['data'], k['visibility']) for k in image['keypoint']]
    assert kps == [('nose', [1, 1], 2), ('left_eye', [3, 2], 1)]
    assert image['keypoint'][0]['bounding_box'] == [1, 1, 2, 1]
    assert image['group'][0]['classification'] == 'person'
    assert {k['group_id'] for k in image['keypoint']} == {image['group'][0]['id']}


def test_read_hand_made_voc_with_imagesets(tmp_path):
    root = tmp_path / 'voc'
    for d in ('Annotations', 'JPEGImages', 'ImageSets/Main'):
        (root / d).mkdir(parents=True)
    (root / 'JPEGImages/x.jpg').write_bytes(jpeg_bytes(50, 40))
    (root / 'JPEGImages/y.jpg').write_bytes(jpeg_bytes(50, 40))
    obj = (
        '<object><name>dog</name><difficult>1</difficult><bndbox><xmin>1</xmin><ymin>2</ymin><xmax>11.5</xmax>'
        '<ymax>22</ymax></bndbox></object>'
    )
    for stem in ('x', 'y'):
        (root / f'Annotations/{stem}.xml').write_text(
            f'<annotation><filename>{stem}.jpg</filename>{obj}</annotation>'
        )
    (root / 'ImageSets/Main/train.txt').write_text('x\n')
    (root / 'ImageSets/Main/val.txt').write_text('y\n')
    get_converter('pascal', 'dm_v2', root_dir=root, is_categorized=True).save_to_folder(tmp_path / 'dm')
    box = json.loads((tmp_path / 'dm/valid/json/y.json').read_text())['images'][0]['bounding_box'][0]
    # devkit corners: pixels 1..11.5 x 2..22 (1-based, inclusive) are [0, 1, 11.5, 21] from the top-left corner
    assert box['data'] == [0, 1, 11.5, 21] and box['attrs'] == [{'name': 'difficult', 'value': 1}]
    get_converter(
        'pascal', 'dm_v2', root_dir=root, is_categorized=True, voc_convention='legacy'
    ).save_to_folder(tmp_path / 'legacy')
    box = json.loads((tmp_path / 'legacy/valid/json/y.json').read_text())['images'][0]['bounding_box'][0]
    assert box['data'] == [1, 2, 10.5, 20]
    assert tree(tmp_path / 'dm') == [
        'train/json/x.json',
        'train/original_files/x.jpg',
        'valid/json/y.json',
        'valid/original_files/y.jpg',
    ]


# ---------------------------------------------------------------- round trips on a generated dataset


def _rt(tmp_path, version, fmt, categorized, **options):
    src = write_rich(tmp_path / 'src', 3, version=version, categorized=categorized)
    mid, back = tmp_path / 'mid', tmp_path / 'back'
    dm = f'dm_{version}'
    fwd = get_converter(dm, fmt, root_dir=src, is_categorized=categorized, **options).save_to_folder(mid)
    rev = get_converter(fmt, dm, root_dir=mid, is_categorized=categorized).save_to_folder(back)
    assert rev.report.problem_counts == {} and fwd.report.problem_counts == {}
    before, after = read_dm_v2(src), read_dm_v2(back)
    assert sorted(before) == sorted(after)
    assert fwd.splits == ({'train': 3, 'valid': 3, 'test': 3} if categorized else {'all': 3})
    return before, after, fwd


def _by_class(anns, geometry):
    return sorted((a['classification'], geometry(a)) for a in anns)


def _mask(a):
    return tuple(map(tuple, a['data']))


def _poses(image):
    groups = {}
    for k in image.get('keypoint', []):
        groups.setdefault(k['group_id'], []).append((k['classification'], tuple(k['data']), k['visibility']))
    return sorted(tuple(sorted(g)) for g in groups.values())


def _lost(result, reason, kind):
    return result.report.loss_counts.get(f'{kind}:{reason}', 0)


@pytest.mark.parametrize('categorized', [False, True], ids=['flat', 'split'])
@pytest.mark.parametrize('version', VERSIONS)
def test_roundtrip_coco(tmp_path, version, categorized):
    before, after, fwd = _rt(tmp_path, version, 'coco', categorized)
    for key, b in before.items():
        a = after[key]
        box = lambda x: (tuple(x['data']), tuple((t['name'], t['value']) for t in x['attrs']))  # noqa: E731
        assert _by_class(a['bounding_box'], box) == _by_class(b['bounding_box'], box)
        assert _by_class(a['polygon'], lambda x: tuple(map(tuple, x['data']))) == _by_class(
            b['polygon'], lambda x: tuple(map(tuple, x['data']))
        )
        assert _by_class(a['segmentation'], _mask) == _by_class(b['segmentation'], _mask)
        assert _poses(a) == _poses(b)
        assert 'relation' not in a
    n = len(before)
    assert _lost(fwd, 'unsupported', 'relation') == n and fwd.lossy == n


@pytest.mark.parametrize('categorized', [False, True], ids=['flat', 'split'])
@pytest.mark.parametrize('version', VERSIONS)
def test_roundtrip_pascal(tmp_path, version, categorized):
    before, after, fwd = _rt(tmp_path, version, 'pascal', categorized)
    for key, b in before.items():
        a = after[key]
        # every object is back, one to one: boxes as boxes, the pose as its box, polygons and masks as masks
        assert same_objects(dm_objects(b, GEN_W), dm_objects(a, GEN_W), tolerance=1)
        pose_box = [('person', tuple(_pose_box(b)))]
        assert _by_class(a['bounding_box'], lambda x: tuple(x['data'])) == sorted(
            _by_class(
                b['bounding_box'], lambda x: (x['data'][0], x['data'][1], round(x['data'][2]), x['data'][3])
            )
            + pose_box
        )
        expected_masks = _by_class(b['segmentation'], _mask) + [
            (
                p['classification'],
                tuple(map(tuple, bitmap_to_runs(rasterize_polygon(p['data'], GEN_W, GEN_H)))),
            )
            for p in b['polygon']
        ]
        assert _by_class(a['segmentation'], _mask) == sorted(expected_masks)
    n = len(before)
    assert fwd.report.representation_changes == {'polygon:as_mask': n, 'keypoint:as_box': 5 * n}
    assert fwd.report.loss_counts == {'bounding_box:attributes': n, 'relation:unsupported': n}
    geometry = {'bounding_box': 2 * n, 'polygon': n, 'segmentation': 2 * n, 'keypoint': 5 * n}
    assert fwd.annotations_written == geometry


def _pose_box(image):
    pts = [k['data'] for k in image['keypoint']]
    x0, y0 = min(p[0] for p in pts), min(p[1] for p in pts)
    return [x0, y0, max(p[0] for p in pts) - x0, max(p[1] for p in pts) - y0]


_CHANGES = {
    'detect': {'polygon:as_box': 1, 'segmentation:as_box': 2, 'keypoint:as_box': 5},
    'segment': {'bounding_box:as_polygon': 2, 'segmentation:as_polygon': 2, 'keypoint:as_polygon': 5},
    'pose': {'polygon:as_box': 1, 'segmentation:as_box': 2},
}


@pytest.mark.parametrize('task', ['detect', 'segment', 'pose'])
@pytest.mark.parametrize('categorized', [False, True], ids=['flat', 'split'])
@pytest.mark.parametrize('version', VERSIONS)
def test_roundtrip_yolo(tmp_path, version, categorized, task):
    before, after, fwd = _rt(tmp_path, version, 'yolo', categorized, task=task)
    n = len(before)
    for key, b in before.items():
        a = after[key]
        # every object is in the task's rows and comes back, one to one (within a pixel: masks are traced
        # through pixel coordinates)
        assert same_objects(dm_objects(b, GEN_W), dm_objects(a, GEN_W), tolerance=1.0001), key
        if task == 'detect':
            assert set(a) == {'bounding_box'}
        elif task == 'segment':
            assert set(a) == {'polygon'}
            polys = _by_class(
                a['polygon'],
                lambda x: tuple(map(tuple, bitmap_to_runs(rasterize_polygon(x['data'], GEN_W, GEN_H)))),
            )
            expected = [
                (
                    p['classification'],
                    tuple(map(tuple, bitmap_to_runs(rasterize_polygon(p['data'], GEN_W, GEN_H)))),
                )
                for p in b['polygon']
            ]
            expected += _by_class(b['segmentation'], _mask)
            assert all(e in polys for e in expected)  # polygons and masks pixel for pixel
        else:
            assert _poses(a) == _poses(b)
    data_yaml = (tmp_path / 'mid/data.yaml').read_text()
    if categorized:
        assert 'train: images/train\nval: images/val\ntest: images/test\n' in data_yaml
    if task == 'pose':
        assert 'kpt_shape: [17, 3]' in data_yaml and 'flip_idx' in data_yaml
    assert fwd.report.representation_changes == {k: v * n for k, v in _CHANGES[task].items()}
    assert fwd.report.loss_counts == {'relation:unsupported': n, 'bounding_box:attributes': n}
    geometry = {'bounding_box': 2 * n, 'polygon': n, 'segmentation': 2 * n, 'keypoint': 5 * n}
    assert {k: v for k, v in fwd.annotations_written.items() if k != 'pose_object'} == geometry
    assert fwd.annotations_read == {**geometry, 'relation': n}


def test_yolo_auto_task(tmp_path):
    """auto: segment when shaped objects (polygons, masks) are at least as many as poses, pose when poses are
    more, detect for boxes only."""
    src = write_rich(tmp_path / 'src', 2, version='v2', categorized=False)
    result = FromDMToYOLOConverter(src).convert()  # per item 3 shaped objects, 1 pose, 2 boxes
    assert result.class_names == ['car', 'person', 'puddle', 'road', 'truck']
    out = FromDMToYOLOConverter(src).save_to_folder(tmp_path / 'auto')
    assert out.report.representation_changes == {k: 2 * v for k, v in _CHANGES['segment'].items()}
    boxes_only = {
        'images': [
            {'bounding_box': [{'id': 'b', 'classification': 'car', 'attrs': [], 'data': [1, 1, 5, 5]}]}
        ]
    }
    write_dm(tmp_path / 'boxes', {'a': boxes_only})
    FromDMToYOLOConverter(tmp_path / 'boxes').save_to_folder(tmp_path / 'b')
    assert (tmp_path / 'b/labels/a.txt').read_text() == '0 0.017500 0.035000 0.025000 0.050000\n'
    poses = rich_item(0)['images'][0]
    del poses['polygon'], poses['segmentation']
    write_dm(tmp_path / 'poses', {'a': {'images': [poses]}}, images={'a': ('a.png', png_bytes(GEN_W, GEN_H))})
    FromDMToYOLOConverter(tmp_path / 'poses').save_to_folder(tmp_path / 'p')
    assert 'kpt_shape' in (tmp_path / 'p/data.yaml').read_text()  # 1 pose, 0 shaped objects: pose


@pytest.mark.parametrize('target', ['coco', 'yolo', 'pascal_voc'])
def test_workers_give_identical_output(tmp_path, target, monkeypatch):
    """Same files, same result whatever the worker count: 130 items (64-item batches round-robin, a partial last
    one) in-process and in 3 worker processes."""
    from synapse_sdk.utils.converters import workers

    started = []
    original = workers.WorkerPool.__init__
    monkeypatch.setattr(
        workers.WorkerPool, '__init__', lambda pool, job, n: started.append(n) or original(pool, job, n)
    )
    src = write_rich(tmp_path / 'src', 130, version='v2', categorized=False)
    results = {}
    for n in (1, 3):
        conv = get_converter('dm_v2', target, root_dir=src, workers=n)
        results[n] = conv.save_to_folder(tmp_path / str(n)).model_dump(exclude={'output_dir'})
    assert started == [3]  # convert() and save_to_folder() share the processes of a converter
    assert results[1] == results[3] and results[1]['items'] == 130
    files = tree(tmp_path / '1')
    assert len(files) > 130 and tree(tmp_path / '3') == files
    for rel in files:
        if rel != 'data.yaml':  # holds the output's own path
            assert (tmp_path / '1' / rel).read_bytes() == (tmp_path / '3' / rel).read_bytes(), rel


def test_coco_masks_are_valid_rle(tmp_path):
    src = write_rich(tmp_path / 'src', 1, version='v2', categorized=False)
    COCOToDMConverter  # noqa: B018 - importable by name
    get_converter('dm_v2', 'coco', root_dir=src).save_to_folder(tmp_path / 'c')
    data = json.loads((tmp_path / 'c/annotations/instances.json').read_text())
    rles = [a for a in data['annotations'] if isinstance(a['segmentation'], dict)]
    assert len(rles) == 2
    for a in rles:
        assert sum(decode_coco_rle(a['segmentation'], GEN_W, GEN_H)) == a['area']
    person = next(c for c in data['categories'] if c['name'] == 'person')
    assert person['keypoints'][:3] == ['nose', 'left_eye', 'right_eye'] and len(person['skeleton']) == 19


def test_custom_pose_schema_roundtrip_through_yolo(tmp_path):
    image = {
        'keypoint': [
            {
                'id': f'k{j}',
                'classification': name,
                'attrs': [],
                'data': [10 + 10 * j, 20 + 10 * j],
                'visibility': 2,
                'group_id': 'g1',
            }
            for j, name in enumerate(['tail', 'head'])
        ],
        'group': [{'id': 'g1', 'classification': 'fish', 'attrs': [], 'data': ['k0', 'k1']}],
    }
    write_dm(tmp_path / 'src', {'f': {'images': [image]}}, images={'f': ('f.png', png_bytes(GEN_W, GEN_H))})
    result = get_converter('dm_v2', 'yolo', root_dir=tmp_path / 'src', task='pose').save_to_folder(
        tmp_path / 'y'
    )
    assert result.report.loss_counts == {}
    data_yaml = (tmp_path / 'y/data.yaml').read_text()
    assert 'kpt_shape: [2, 3]' in data_yaml and 'keypoint_names: [head, tail]' in data_yaml
    assert 'flip_idx' not in data_yaml and '0: fish' in data_yaml
    # joints in sorted order (head, tail); the box is the tight box of the visible joints
    assert (tmp_path / 'y/labels/f.txt').read_text() == (
        '0 0.234375 0.520833 0.156250 0.208333 0.312500 0.625000 2 0.156250 0.416667 2\n'
    )
    get_converter('yolo', 'dm_v2', root_dir=tmp_path / 'y').save_to_folder(tmp_path / 'back')
    back = read_dm_v2(tmp_path / 'back')['f']
    assert sorted((k['classification'], k['data']) for k in back['keypoint']) == [
        ('head', [20, 30]),
        ('tail', [10, 20]),
    ]
    assert [g['classification'] for g in back['group']] == ['fish']


def test_collinear_pose_is_reported_not_written(tmp_path):
    image = {
        'keypoint': [
            {
                'id': f'k{j}',
                'classification': n,
                'attrs': [],
                'data': [10 + 10 * j, 20],
                'visibility': 2,
                'group_id': 'g',
            }
            for j, n in enumerate(['nose', 'left_eye'])
        ]
    }
    write_dm(tmp_path / 'src', {'f': {'images': [image]}}, images={'f': ('f.png', png_bytes(GEN_W, GEN_H))})
    result = get_converter('dm_v2', 'yolo', root_dir=tmp_path / 'src', task='pose').save_to_folder(
        tmp_path / 'y'
    )
    assert result.report.loss_counts == {'keypoint:degenerate_pose_box': 2}
    assert (tmp_path / 'y/labels/f.txt').read_text() == ''


# ---------------------------------------------------------------- one object stays one object


def _coco_with_multipart(root):
    (root / 'annotations').mkdir(parents=True)
    (root / 'images').mkdir()
    (root / 'images/m.png').write_bytes(png_bytes(GEN_W, GEN_H))
    two_parts = [[2.0, 2.0, 10.0, 2.0, 10.0, 8.0], [20.0, 20.0, 30.0, 20.0, 30.0, 30.0, 20.0, 30.0]]
    data = {
        'images': [{'id': 1, 'file_name': 'm.png', 'width': GEN_W, 'height': GEN_H}],
        'categories': [
            {'id': 1, 'name': 'lake'},
            {'id': 2, 'name': 'person', 'keypoints': ['nose', 'left_eye']},
        ],
        'annotations': [
            {
                'id': 7,
                'image_id': 1,
                'category_id': 1,
                'bbox': [2.0, 2.0, 28.0, 28.0],
                'area': 124.0,
                'segmentation': two_parts,
                'iscrowd': 0,
                'attributes': {'frozen': True},
            },
            {  # a person: polygon, keypoints and box on one annotation
                'id': 8,
                'image_id': 1,
                'category_id': 2,
                'bbox': [40.0, 10.0, 10.0, 20.0],
                'area': 100.0,
                'segmentation': [[40.0, 10.0, 50.0, 10.0, 50.0, 30.0]],
                'iscrowd': 0,
                'keypoints': [45, 12, 2, 47, 11, 1],
                'num_keypoints': 2,
            },
        ],
    }
    (root / 'annotations/instances.json').write_text(json.dumps(data))
    return data


@pytest.mark.parametrize('dm', ['dm_v2', 'dm_v1'])
def test_coco_objects_stay_one_annotation_through_dm(tmp_path, dm):
    source = _coco_with_multipart(tmp_path / 'coco')
    get_converter('coco', dm, root_dir=tmp_path / 'coco').save_to_folder(tmp_path / 'dm')
    image = read_dm_v2(tmp_path / 'dm')['m']
    lake = [p for p in image['polygon'] if p['classification'] == 'lake']
    assert len(lake) == 2 and lake[0]['group_id'] == lake[1]['group_id']  # the parts share a group id
    if dm == 'dm_v2':
        groups = {g['id']: g for g in image['group']}
        assert groups[lake[0]['group_id']]['classification'] == 'lake'
        assert groups[lake[0]['group_id']]['data'] == [p['id'] for p in lake]
    back = get_converter(dm, 'coco', root_dir=tmp_path / 'dm').save_to_folder(tmp_path / 'back')
    assert back.report.loss_counts == {}
    data = json.loads((tmp_path / 'back/annotations/instances.json').read_text())
    anns = sorted(data['annotations'], key=lambda a: a['bbox'])
    assert len(anns) == 2  # two objects in, two annotations out
    assert anns[0]['segmentation'] == source['annotations'][0]['segmentation']
    assert anns[0]['bbox'] == [2.0, 2.0, 28.0, 28.0] and anns[0]['area'] == 24.0 + 100.0
    if dm == 'dm_v2':
        assert anns[0]['attributes'] == {'frozen': True}
    person = anns[1]
    assert person['segmentation'] == [[40.0, 10.0, 50.0, 10.0, 50.0, 30.0]]
    # the joints are nose and left_eye, both Person-17 names: the category lists Person-17's 17 joints
    assert person['keypoints'] == [45.0, 12.0, 2, 47.0, 11.0, 1] + [0.0, 0.0, 0] * 15
    assert person['bbox'] == [40.0, 10.0, 10.0, 20.0] and person['num_keypoints'] == 2
    names = {c['id']: c['name'] for c in data['categories']}
    assert [names[a['category_id']] for a in anns] == ['lake', 'person']


def test_multipart_objects_in_yolo_and_voc(tmp_path):
    _coco_with_multipart(tmp_path / 'coco')
    seg = get_converter('coco', 'yolo', root_dir=tmp_path / 'coco', task='segment').save_to_folder(
        tmp_path / 's'
    )
    rows = sorted((tmp_path / 's/labels/m.txt').read_text().splitlines())
    assert len(rows) == 2  # one row per object: the lake's parts joined by a zero-width bridge
    assert rows[0].startswith('0 ')  # lake
    lake = [float(v) for v in rows[0].split()[1:]]
    points = {(round(x * GEN_W, 3), round(y * GEN_H, 3)) for x, y in zip(lake[::2], lake[1::2], strict=True)}
    assert points == {(2, 2), (10, 2), (10, 8), (20, 20), (30, 20), (30, 30), (20, 30)}
    assert seg.report.representation_changes == {'polygon:parts_joined': 2, 'keypoint:as_polygon': 2}
    assert seg.report.loss_counts == {'polygon:attributes': 2, 'group:attributes': 1}
    detect = get_converter('coco', 'yolo', root_dir=tmp_path / 'coco', task='detect').save_to_folder(
        tmp_path / 'd'
    )
    assert len((tmp_path / 'd/labels/m.txt').read_text().splitlines()) == 2
    assert detect.report.representation_changes == {'polygon:as_box': 3, 'keypoint:as_box': 2}
    voc = get_converter('coco', 'pascal', root_dir=tmp_path / 'coco').save_to_folder(tmp_path / 'v')
    xml = ET.parse(tmp_path / 'v/Annotations/m.xml').getroot()
    names = [o.findtext('name') for o in xml.findall('object')]
    assert sorted(names) == ['lake', 'person']
    _, _, objects = decode_png_8bit((tmp_path / 'v/SegmentationObject/m.png').read_bytes())
    lake_pixels = {i for i, v in enumerate(objects) if v == names.index('lake') + 1}
    expected = set()
    for part in ([[2, 2], [10, 2], [10, 8]], [[20, 20], [30, 20], [30, 30], [20, 30]]):
        expected |= {
            s + i for s, n in bitmap_to_runs(rasterize_polygon(part, GEN_W, GEN_H)) for i in range(n)
        }
    assert lake_pixels == expected  # both parts are one instance
    assert voc.report.representation_changes == {'polygon:as_mask': 3, 'keypoint:as_box': 2}
