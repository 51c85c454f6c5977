"""``DatasetWriter``: DM records in, any format out, the same as converting a DM dataset directory."""

from __future__ import annotations

import copy
import json
import xml.etree.ElementTree as ET

import pytest
from converters_fixtures import GEN_H, GEN_W, png_bytes, tree, write_rich

from synapse_sdk.utils.converters import ConversionError, DatasetWriter, DMRecord, get_converter

TARGETS = [
    ('dm_v1', {}),
    ('dm_v2', {}),
    ('yolo', {'task': 'segment'}),
    ('yolo', {}),
    ('coco', {}),
    ('pascal', {}),
]


def _records(src, split=None):
    base = src / split if split else src
    for path in sorted((base / 'json').glob('*.json')):
        yield DMRecord(
            name=path.stem,
            document=json.loads(path.read_text(encoding='utf-8')),
            image=base / 'original_files' / f'{path.stem}.png',
            split=split,
        )


def _same_tree(a, b):
    assert tree(a) == tree(b)
    for rel in tree(a):
        left, right = (a / rel).read_bytes(), (b / rel).read_bytes()
        if rel == 'data.yaml':  # names its own directory
            left, right = left.replace(str(a).encode(), b''), right.replace(str(b).encode(), b'')
        assert left == right, rel


@pytest.mark.parametrize('known_classes', [False, True], ids=['spooled', 'one-pass'])
@pytest.mark.parametrize(('target', 'options'), TARGETS, ids=[f'{t}{o}' for t, o in TARGETS])
def test_records_give_the_converters_output(tmp_path, target, options, known_classes):
    version = 'v1' if target == 'dm_v2' else 'v2'  # DM v2 -> DM v2 is no conversion
    src = write_rich(tmp_path / 'src', 4, version=version, categorized=True)
    names = ['car', 'person', 'puddle', 'road', 'truck'] if known_classes else None
    joints = ['nose', 'left_eye', 'right_eye', 'left_shoulder', 'right_shoulder']
    if known_classes and target == 'yolo' and not options:
        options = {'task': 'pose', 'keypoint_names': joints}
    if known_classes and target == 'coco':
        options = {'keypoint_names': joints}
    expected = get_converter(
        f'dm_{version}', target, root_dir=src, is_categorized=True, class_names=names, **options
    ).save_to_folder(tmp_path / 'expected')
    writer = DatasetWriter(target, tmp_path / 'out', source=f'dm_{version}', class_names=names, **options)
    assert writer.spooled is not (known_classes or target.startswith('dm'))
    with writer:
        for split in ('train', 'valid', 'test'):
            for record in _records(src, split):
                writer.write(record)
    result = writer.result
    assert result.model_dump(exclude={'output_dir'}) == expected.model_dump(exclude={'output_dir'})
    _same_tree(tmp_path / 'expected', tmp_path / 'out')


def test_records_from_a_worker_pool_and_dm_v1_documents(tmp_path):
    src = write_rich(tmp_path / 'src', 70, version='v1', categorized=False)
    options = {
        'class_names': ['car', 'person', 'puddle', 'road', 'truck'],
        'keypoint_names': ['nose', 'left_eye', 'right_eye', 'left_shoulder', 'right_shoulder'],
    }
    get_converter('dm_v1', 'coco', root_dir=src, workers=1, **options).save_to_folder(tmp_path / 'expected')
    with DatasetWriter('coco', tmp_path / 'out', source='dm_v1', workers=2, **options) as writer:
        assert not writer.spooled
        for record in _records(src):
            writer.write(record)
    _same_tree(tmp_path / 'expected', tmp_path / 'out')


@pytest.mark.parametrize('workers', [1, 2])
@pytest.mark.parametrize('encoding', ['str', 'bytes'])
def test_documents_as_json_text_give_the_same_output(tmp_path, encoding, workers):
    """A document given as the JSON text a backend sent is parsed where it is converted (in the workers with
    ``workers=2``): the output is the directory converter's on the same files."""
    src = write_rich(tmp_path / 'src', 70, version='v2', categorized=False)
    options = {'class_names': ['car', 'person', 'puddle', 'road', 'truck'], 'keypoint_names': []}
    expected = get_converter('dm_v2', 'coco', root_dir=src, workers=1, error_policy='skip', **options)
    expected.save_to_folder(tmp_path / 'expected')
    with DatasetWriter('coco', tmp_path / 'out', workers=workers, error_policy='skip', **options) as writer:
        for path in sorted((src / 'json').glob('*.json')):
            text = path.read_text(encoding='utf-8')
            writer.write(
                DMRecord(
                    name=path.stem,
                    document=text.encode() if encoding == 'bytes' else text,
                    image=src / 'original_files' / f'{path.stem}.png',
                )
            )
    _same_tree(tmp_path / 'expected', tmp_path / 'out')


def test_json_text_that_is_not_json_is_the_records_problem(tmp_path):
    good = json.dumps({'images': [{}]})
    bad = {
        'truncated': good[:-3],
        'latin-1': '{"images": [{"x": "caf\u00e9"}]}'.encode('latin-1'),
        'nested': '[' * 100_000 + ']' * 100_000,
        'not an object': '[1, 2]',
    }
    with DatasetWriter('yolo', tmp_path / 'y', task='detect', error_policy='skip', workers=1) as writer:
        writer.write(DMRecord(name='ok', document=good, width=8, height=8, source='assignment 1'))
        for n, text in enumerate(bad.values(), start=2):
            writer.write(DMRecord(name=f'r{n}', document=text, width=8, height=8, source=f'assignment {n}'))
    result = writer.result
    assert result.items == 1 and result.items_skipped == len(bad)
    problems = {p.file: (p.kind, p.message) for p in result.report.problems}
    assert problems['assignment 2'][0] == 'malformed_json'
    assert 'line 1 column' in problems['assignment 2'][1]  # where json.loads stopped
    assert problems['assignment 3'][0] == 'malformed_json' and 'UTF-8' in problems['assignment 3'][1]
    assert problems['assignment 4'][0] == 'malformed_json' and 'nested' in problems['assignment 4'][1]
    assert problems['assignment 5'][0] == 'malformed_annotation'  # valid JSON, not a DM document
    assert tree(tmp_path / 'y') == ['conversion_report.jsonl', 'data.yaml', 'labels/ok.txt']

    writer = DatasetWriter('coco', tmp_path / 'c', workers=1)
    with pytest.raises(ConversionError, match='assignment 7'):
        writer.write(DMRecord(name='x', document='{"images": [', width=8, height=8, source='assignment 7'))
    assert not (tmp_path / 'c').exists()


def test_labels_without_images_and_problems_by_policy(tmp_path):
    doc = {
        'images': [
            {
                'bounding_box': [{'id': 'a', 'classification': 'car', 'attrs': [], 'data': [0, 0, 32, 24]}],
                'polygon': [{'id': 'p', 'classification': 'car', 'attrs': [], 'data': [[0, 0], [9, 0]]}],
            }
        ]
    }
    snapshot = copy.deepcopy(doc)
    with DatasetWriter('yolo', tmp_path / 'y', task='detect', error_policy='skip') as writer:
        writer.write(DMRecord(name='one', document=doc, width=GEN_W, height=GEN_H, source='assignment 1'))
        writer.write(DMRecord(name='two', document=None, width=GEN_W, height=GEN_H))
        writer.write(DMRecord(name='three', document=doc))  # neither image nor size
    result = writer.result
    assert tree(tmp_path / 'y') == [
        'conversion_report.jsonl',
        'data.yaml',
        'labels/one.txt',
        'labels/two.txt',
    ]
    assert (tmp_path / 'y/labels/one.txt').read_text() == '0 0.250000 0.250000 0.500000 0.500000\n'
    assert result.items == 2 and result.items_skipped == 1
    assert result.report.problem_counts == {'invalid_polygon': 1, 'missing_image': 1}
    assert result.report.problems[0].file == 'assignment 1'
    assert doc == snapshot  # the caller's documents are not modified

    out = tmp_path / 'failed'
    writer = DatasetWriter('coco', out)
    writer.write(DMRecord(name='one', document={'images': [{}]}, width=8, height=8))
    with pytest.raises(ConversionError, match='invalid_polygon'):
        writer.write(DMRecord(name='two', document=doc, width=GEN_W, height=GEN_H))
    assert not out.exists() and list(tmp_path.glob('.failed*')) == []  # discarded, staging removed


def test_pascal_labels_without_images(tmp_path):
    """A record without an image (labels only) gives its XML and no image file; it used to fail on the image."""
    doc = {
        'images': [
            {'bounding_box': [{'id': 'a', 'classification': 'car', 'attrs': [], 'data': [0, 0, 32, 24]}]}
        ]
    }
    with DatasetWriter('pascal', tmp_path / 'voc') as writer:
        writer.write(DMRecord(name='one', document=doc, width=GEN_W, height=GEN_H))
    assert writer.result.items == 1 and not writer.result.report.problems
    assert not list((tmp_path / 'voc/JPEGImages').iterdir())
    root = ET.parse(tmp_path / 'voc/Annotations/one.xml').getroot()  # the standard library's parser
    assert root.findtext('filename') == 'one'
    assert [root.findtext(f'size/{k}') for k in ('width', 'height')] == [str(GEN_W), str(GEN_H)]
    (obj,) = root.findall('object')
    assert obj.findtext('name') == 'car'
    corners = [int(obj.findtext(f'bndbox/{k}')) for k in ('xmin', 'ymin', 'xmax', 'ymax')]
    assert corners == [1, 1, 32, 24]  # devkit: 1-based, inclusive


def test_an_exception_in_the_caller_discards_everything(tmp_path):
    (tmp_path / 'a.png').write_bytes(png_bytes(GEN_W, GEN_H))
    with pytest.raises(RuntimeError), DatasetWriter('pascal', tmp_path / 'voc') as writer:
        writer.write(DMRecord(name='a', document={'images': [{}]}, image=tmp_path / 'a.png'))
        raise RuntimeError('backend went away')
    assert sorted(p.name for p in tmp_path.iterdir()) == ['a.png']


def test_bad_calls_are_refused(tmp_path):
    with pytest.raises(TypeError, match='task'):
        DatasetWriter('coco', tmp_path / 'c', task='detect')
    with pytest.raises(ValueError, match='source must be dm_v1 or dm_v2'):
        DatasetWriter('coco', tmp_path / 'c', source='yolo')
    (tmp_path / 'full').mkdir()
    (tmp_path / 'full/x').write_text('')
    with pytest.raises(FileExistsError, match='overwrite'):
        DatasetWriter('coco', tmp_path / 'full')
    writer = DatasetWriter('dm_v2', tmp_path / 'd')
    writer.write(DMRecord(name='a', document=None, width=4, height=4, split='val'))
    with pytest.raises(ValueError, match='cannot be mixed'):
        writer.write(DMRecord(name='b', document=None, width=4, height=4))
    with pytest.raises(ValueError, match='not one of train, valid, test'):
        writer.write(DMRecord(name='b', document=None, width=4, height=4, split='holdout'))
    result = writer.close()
    assert result.splits == {'valid': 1} and (tmp_path / 'd/valid/json/a.json').is_file()
    assert (tmp_path / 'd/train/json').is_dir()  # a categorized DM dataset always has train/ and valid/
    with DatasetWriter('dm_v2', tmp_path / 'e', error_policy='skip') as writer:
        writer.write(DMRecord(name='../escape', document=None, width=4, height=4))
    assert writer.result.report.problem_counts == {'malformed_annotation': 1}
    assert not (tmp_path / 'escape.json').exists()


def _no_joint_records():
    car = {'id': 'b', 'classification': 'car', 'attrs': [], 'data': [1, 1, 4, 3]}
    joints = [
        {'id': f'k{j}', 'classification': name, 'attrs': [], 'data': [2 + 3 * j, 3 + 4 * j], 'visibility': 2}
        for j, name in enumerate(('nose', 'left_eye'))
    ]
    posed = [{**kp, 'group_id': 'g1'} for kp in joints]
    return [
        DMRecord(name='plain', document={'images': [{'bounding_box': [car]}]}, width=16, height=16),
        DMRecord(
            name='posed',
            document={'images': [{'bounding_box': [car], 'keypoint': posed}]},
            width=16,
            height=16,
        ),
    ]


def test_coco_with_no_joints_is_one_pass_and_reports_the_keypoints_it_drops(tmp_path):
    """``keypoint_names=[]`` (an export whose documents have no keypoints) fixes the whole table with
    ``class_names``: one pass, no spool. A record that has keypoints all the same is written (its object as its
    box) and each joint is a reported loss, never silently dropped."""
    from pycocotools.coco import COCO

    writer = DatasetWriter('coco', tmp_path / 'out', class_names=['car', 'person'], keypoint_names=[])
    assert not writer.spooled and not (writer.staging / '.records.spool').exists()
    with writer:
        for record in _no_joint_records():
            writer.write(record)
    report = writer.result.report
    assert report.loss_counts == {'keypoint:unknown_joint': 2}
    assert {(loss.item, loss.annotation_id) for loss in report.losses} == {('posed', 'k0'), ('posed', 'k1')}
    assert all(loss.detail == 'keypoint_names is empty: no joints written' for loss in report.losses)
    coco = COCO(str(tmp_path / 'out/annotations/instances.json'))
    assert all('keypoints' not in cat for cat in coco.loadCats(coco.getCatIds()))
    anns = coco.loadAnns(coco.getAnnIds())
    assert sorted(
        (coco.imgs[a['image_id']]['file_name'], coco.cats[a['category_id']]['name'], a['bbox']) for a in anns
    ) == [
        ('plain', 'car', [1.0, 1.0, 4.0, 3.0]),
        ('posed', 'car', [1.0, 1.0, 4.0, 3.0]),
        ('posed', 'person', [2.0, 3.0, 3.0, 4.0]),  # the pose group's box, from its joints
    ]
    assert all('keypoints' not in a for a in anns)
    # the same records without class_names: spooled, the same output and losses
    spooled = DatasetWriter('coco', tmp_path / 'spooled', keypoint_names=[])
    assert spooled.spooled
    with spooled:
        for record in _no_joint_records():
            spooled.write(record)
    assert spooled.result.report.loss_counts == report.loss_counts
    _same_tree(tmp_path / 'out', tmp_path / 'spooled')


def test_yolo_pose_refuses_an_empty_joint_list(tmp_path):
    with pytest.raises(ValueError, match=r"task='pose' needs joints"):
        DatasetWriter('yolo', tmp_path / 'y', task='pose', class_names=['person'], keypoint_names=[])
    writer = DatasetWriter('yolo', tmp_path / 'y', task='detect', class_names=['car'], keypoint_names=[])
    assert not writer.spooled  # detect writes no joints: the empty list changes nothing
    writer.abort()


def test_yolo_reports_a_box_too_small_for_six_decimals(tmp_path):
    """A box that vanishes at YOLO's 6 decimals is a ``too_small`` loss, not a row (Ultralytics would read a
    box without area); the other boxes of the item are written."""
    boxes = [
        {'id': 'tiny', 'classification': 'c', 'attrs': [], 'data': [1, 1, 0.000001, 5]},
        {'id': 'fine', 'classification': 'c', 'attrs': [], 'data': [64, 48, 64, 48]},
    ]
    with DatasetWriter('yolo', tmp_path / 'y', task='detect', class_names=['c']) as writer:
        writer.write(
            DMRecord(name='r', document={'images': [{'bounding_box': boxes}]}, width=640, height=480)
        )
    assert writer.result.report.loss_counts == {'bounding_box:too_small': 1}
    assert writer.result.annotations_written == {'bounding_box': 1}
    assert (tmp_path / 'y/labels/r.txt').read_text() == '0 0.150000 0.150000 0.100000 0.100000\n'


def test_write_many_is_write_per_record(tmp_path):
    """An export hands over a page of records per call: the same output and result as one write() each, and a
    bad split is refused without losing the writer."""
    src = write_rich(tmp_path / 'src', 70, version='v2', categorized=False)
    options = {'class_names': ['car', 'person', 'puddle', 'road', 'truck'], 'keypoint_names': []}
    with DatasetWriter('coco', tmp_path / 'one', workers=1, error_policy='skip', **options) as writer:
        for record in _records(src):
            writer.write(record)
    expected = writer.result
    with DatasetWriter('coco', tmp_path / 'many', workers=2, error_policy='skip', **options) as writer:
        records = list(_records(src))
        writer.write_many(records[:50])
        with pytest.raises(ValueError, match='not one of train, valid, test'):
            writer.write_many([DMRecord(name='x', document=None, width=8, height=8, split='nope')])
        writer.write_many(iter(records[50:]))
    assert writer.result.model_dump(exclude={'output_dir'}) == expected.model_dump(exclude={'output_dir'})
    _same_tree(tmp_path / 'one', tmp_path / 'many')


def test_a_record_name_that_is_not_a_file_name_is_the_records_problem(tmp_path):
    bad = ['a/b', 'a\\b', 'a\x00b', '..', '.', '', '/abs']
    with DatasetWriter('yolo', tmp_path / 'y', task='detect', error_policy='skip', workers=1) as writer:
        writer.write(DMRecord(name='ok', document=None, width=8, height=8))
        for n, name in enumerate(bad):
            writer.write(DMRecord(name=name, document=None, width=8, height=8, source=f'record {n}'))
    result = writer.result
    assert result.items == 1 and result.items_skipped == len(bad)
    assert [p.message for p in result.report.problems] == [
        f'record name {n!r} is not a file name' for n in bad
    ]
    assert tree(tmp_path / 'y') == ['conversion_report.jsonl', 'data.yaml', 'labels/ok.txt']
