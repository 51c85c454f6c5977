"""Items of standalone boxes and polygons (what an export sends) take the writers' one-pass way
(``Writer.process_plain``): its output, counts and report are those of the general way (``validate_item`` +
``process``), byte for byte, on random documents that mix such items with everything that sends an item the
general way (attributes, ``iscrowd``, rotations, groups, masks, duplicate ids, unknown classes, boxes too small
for YOLO's 6 decimals, coordinates on and past the border)."""

from __future__ import annotations

import json
import random

import pytest
from converters_fixtures import tree

from synapse_sdk.utils.converters import DatasetWriter, DMRecord
from synapse_sdk.utils.converters.coco import COCOWriter
from synapse_sdk.utils.converters.engine import NOT_PLAIN
from synapse_sdk.utils.converters.yolo import YOLOWriter

W, H = 640, 480
CLASSES = ['car', 'person', 'road sign', 'café']


def _attrs(rng: random.Random) -> list:
    return rng.choice(
        [
            [],
            [],
            [],
            [{'name': 'iscrowd', 'value': 1}],
            [{'name': 'iscrowd', 'value': 0}, {'name': 'occluded', 'value': True}],
            [{'name': 'rotation', 'value': 12.5}],
            [{'name': 'rotation', 'value': 0}],
            [{'name': 'note', 'value': {'deep': ['ü', 1.5, None]}}],
        ]
    )


def _number(rng: random.Random, lo: float, hi: float):
    return (
        rng.randint(int(lo), int(hi)) if rng.random() < 0.6 else round(rng.uniform(lo, hi), rng.randint(0, 9))
    )


def _box(rng: random.Random):
    kind = rng.random()
    if kind < 0.05:
        return [W - 0.0001, 10, 0.0001, 5]  # vanishes at 6 decimals: a YOLO loss
    if kind < 0.1:
        return [0, 0, W, H]  # the whole image, on the border
    if kind < 0.13:
        return [W - 5, 3, 10, 4]  # past the border: a problem
    if kind < 0.15:
        return [3, 3, 0, 4]  # no area: a problem
    x, y = _number(rng, 0, W - 100), _number(rng, 0, H - 100)
    return [x, y, _number(rng, 1, 99), _number(rng, 1, 99)]


def _polygon(rng: random.Random):
    if rng.random() < 0.05:
        return [[1, 1], [5, 1], [9, 1]]  # on one line: a problem
    x, y = _number(rng, 0, W - 60), _number(rng, 0, H - 60)
    return [[x + _number(rng, 0, 59), y + _number(rng, 0, 59)] for _ in range(rng.randint(3, 7))]


def _document(rng: random.Random, i: int) -> dict:
    image: dict = {}
    for tool, make in (('bounding_box', _box), ('polygon', _polygon)):
        anns = []
        for k in range(rng.randint(0, 5)):
            ann = {
                'id': f'{tool[0]}{i}x{k}',
                'classification': rng.choice(CLASSES) if rng.random() < 0.97 else 'bicycle',
                'attrs': _attrs(rng),
                'data': make(rng),
            }
            if rng.random() < 0.03:
                ann['group_id'] = f'g{i}'
            if rng.random() < 0.03:
                ann['id'] = f'b{i}x0'  # maybe a duplicate
            anns.append(ann)
        if anns or rng.random() < 0.3:
            image[tool] = anns
    extra = rng.random()
    if extra < 0.04:
        image['keypoint'] = [{'id': f'k{i}', 'classification': 'nose', 'data': [5, 5], 'group_id': f'g{i}'}]
    elif extra < 0.08:
        image['polyline'] = [{'id': f'l{i}', 'classification': 'car', 'data': [[1, 1], [4, 4]]}]
    elif extra < 0.12:
        image['segmentation'] = []  # an empty list of another tool
    keys = list(image)
    rng.shuffle(keys)  # the objects' order does not follow the document's
    doc = {'images': [{k: image[k] for k in keys}]}
    if rng.random() < 0.05:
        doc['images'].append(
            {'bounding_box': [{'id': 'other', 'classification': 'car', 'data': [1, 1, 2, 2]}]}
        )
    return doc


def _write(out, target, options, docs, *, plain: bool, monkeypatch) -> tuple[dict, str]:
    writer_class = YOLOWriter if target == 'yolo' else COCOWriter
    taken = {'plain': 0, 'general': 0}
    original = writer_class.process_plain

    def process_plain(self, item, ctx, class_names):
        payload = original(self, item, ctx, class_names) if plain else NOT_PLAIN
        taken['general' if payload is NOT_PLAIN else 'plain'] += 1
        return payload

    monkeypatch.setattr(writer_class, 'process_plain', process_plain)
    with DatasetWriter(target, out, error_policy='skip', workers=1, **options) as writer:
        for i, doc in enumerate(docs):
            text = json.dumps(doc, ensure_ascii=False)
            writer.write(
                DMRecord(name=f'item_{i}', document=text, width=W, height=H, source=f'assignment {i}')
            )
    monkeypatch.undo()
    assert writer.result is not None
    return taken, json.dumps(writer.result.model_dump(mode='json', exclude={'output_dir'}))


@pytest.mark.parametrize(
    ('target', 'options'),
    [
        ('yolo', {'task': 'detect', 'class_names': CLASSES}),
        ('coco', {'class_names': CLASSES, 'keypoint_names': []}),
        ('coco', {'class_names': CLASSES[:3], 'keypoint_names': []}),  # café is an unknown class
        ('yolo', {'task': 'detect'}),  # classes from the scan of the spooled records
        ('coco', {}),
    ],
    ids=['yolo', 'coco', 'coco-fewer-classes', 'yolo-spooled', 'coco-spooled'],
)
def test_plain_items_give_what_the_general_way_gives(tmp_path, monkeypatch, target, options):
    rng = random.Random(f'{target}{sorted(options)}')
    docs = [_document(rng, i) for i in range(300)]
    taken, result = _write(tmp_path / 'plain', target, options, docs, plain=True, monkeypatch=monkeypatch)
    assert taken['plain'] >= 40 and taken['general'] >= 30, taken  # both ways ran, on many items each
    _, expected = _write(tmp_path / 'general', target, options, docs, plain=False, monkeypatch=monkeypatch)
    assert result == expected  # counts, report and the order of their keys
    assert tree(tmp_path / 'plain') == tree(tmp_path / 'general')
    for rel in tree(tmp_path / 'plain'):
        left, right = (tmp_path / 'plain' / rel).read_bytes(), (tmp_path / 'general' / rel).read_bytes()
        if rel == 'data.yaml':  # names its own directory
            left = left.replace(str(tmp_path / 'plain').encode(), b'')
            right = right.replace(str(tmp_path / 'general').encode(), b'')
        assert left == right, rel


def test_workers_give_the_in_process_result_and_report(tmp_path):
    """Worker processes send small outcomes (a batch's counts folded into its first outcome, COCO annotations as
    one text per item): the result, its report (with the order of every count's keys) and the files are those
    of the in-process run, over several batches of plain and general items with problems and losses."""
    rng = random.Random(5)
    docs = [_document(rng, i) for i in range(400)]
    for target, options in (
        ('coco', {'class_names': CLASSES[:3], 'keypoint_names': []}),
        ('yolo', {'task': 'detect'}),
    ):
        results = []
        for workers in (1, 2):
            out = tmp_path / f'{target}-{workers}'
            with DatasetWriter(target, out, error_policy='skip', workers=workers, **options) as writer:
                for i, doc in enumerate(docs):
                    writer.write(DMRecord(name=f'item_{i}', document=json.dumps(doc), width=W, height=H))
            assert writer.result is not None and writer.result.report.loss_counts
            assert writer.result.report.problem_counts
            assert target == 'coco' or writer.result.report.representation_changes  # YOLO: polygon:as_box
            results.append(json.dumps(writer.result.model_dump(mode='json', exclude={'output_dir'})))
        assert results[0] == results[1]
        one, two = tmp_path / f'{target}-1', tmp_path / f'{target}-2'
        assert tree(one) == tree(two)
        for rel in tree(one):
            left, right = (one / rel).read_bytes(), (two / rel).read_bytes()
            assert left.replace(str(one).encode(), b'') == right.replace(str(two).encode(), b''), rel
