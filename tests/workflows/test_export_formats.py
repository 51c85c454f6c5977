"""An export straight to a dataset format equals exporting a DM dataset and converting it with ``get_converter``.

The records come from the fake backend (rich DM v2 documents from the converters' test generator: boxes,
polygons, masks, keypoint groups; PNG original files served by the fake), once straight into each format
and once as a DM v2 dataset then converted: the two trees must be the same files with the same bytes, and
the conversion reports the same.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from synapse_sdk.clients._http import RetryPolicy
from synapse_sdk.plugins.actions.export import BaseExportAction, ExportParams
from synapse_sdk.plugins.actions.export import action as export_action
from synapse_sdk.plugins.errors import ActionExecutionError
from synapse_sdk.plugins.execution import run_action
from synapse_sdk.utils.converters import ConversionError, get_converter

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / 'converters'))
from converters_fixtures import GEN_H, GEN_W, png_bytes, rich_item, tree

ITEMS = 40
RESUME_ITEMS = 230  # two bulk batches
FAST_RETRY = RetryPolicy(max_attempts=2, backoff_base=0.01, backoff_cap=0.02)
JOINTS = ['nose', 'left_eye', 'right_eye', 'left_shoulder', 'right_shoulder']
FORMATS = [
    ('dm_v1', {}),
    ('yolo', {'task': 'detect'}),
    ('yolo', {'task': 'segment'}),
    ('coco', {}),
    ('pascal', {}),
]


class Export(BaseExportAction[ExportParams]):
    action_name = 'export'


@pytest.fixture(autouse=True)
def _env(monkeypatch):
    monkeypatch.delenv('SYNAPSE_FORCE_V1_EXPORT', raising=False)
    monkeypatch.setattr(export_action, 'CHECKPOINT_SECONDS', 0.0)


@pytest.fixture
def project(fake_backend, request):
    state = fake_backend.state
    project = state.add_project(title='Formats')
    image = png_bytes(GEN_W, GEN_H)
    for i in range(getattr(request, 'param', ITEMS)):
        media = fake_backend.add_media(content=image, name=f'frame_{i}.png')
        files = {'image_1': {**media, 'is_primary': True, 'width': GEN_W, 'height': GEN_H}}
        # Ids of one width: the converter reads a DM dataset in file-name order, the export in id order; with
        # names that sort like the ids the two orders agree, so even COCO ids and the report compare byte for byte.
        state.add('assignments', id=100 + i, task=0, project=project['id'], data=rich_item(i), files=files)
    return project


def run(fake_backend, make_ctx, project, path, **params):
    ctx = make_ctx(client=None, v2_client=fake_backend.v2_client(retry=FAST_RETRY))
    base = {'target': 'assignment', 'filter': {'project': project['id']}, 'path': str(path)}
    return run_action(Export, {**base, **params}, ctx)


def same_tree(a: Path, b: Path) -> None:
    assert tree(a) == tree(b) and tree(a)
    for rel in tree(a):
        left, right = (a / rel).read_bytes(), (b / rel).read_bytes()
        if rel == 'data.yaml':  # names its own directory
            left, right = left.replace(str(a).encode(), b''), right.replace(str(b).encode(), b'')
        assert left == right, rel


def counts(result: dict) -> dict:
    keys = ('items', 'items_skipped', 'annotations_read', 'annotations_written', 'lossy', 'class_names')
    report = result['report']
    return {
        **{k: result[k] for k in keys},
        'problems': report['problem_counts'],
        'losses': report['loss_counts'],
    }


@pytest.fixture
def dm_dataset(fake_backend, make_ctx, project, tmp_path):
    """The same records exported as a DM v2 dataset (json/ + original_files/)."""
    result = run(fake_backend, make_ctx, project, tmp_path / 'dm_v2', format='dm_v2', save_original_file=True)
    assert result['exported'] == ITEMS and result['conversion']['items'] == ITEMS
    return tmp_path / 'dm_v2'


CASES = [(target, options, False) for target, options in FORMATS] + [
    ('yolo', {'task': 'detect'}, True),  # class table known up front: one pass, nothing spooled
    ('coco', {}, True),
]


@pytest.mark.parametrize(
    ('target', 'options', 'known_classes'),
    CASES,
    ids=[f'{t}-{o.get("task", "")}-{"one-pass" if k else "spooled"}' for t, o, k in CASES],
)
def test_straight_export_equals_export_then_convert(
    fake_backend, make_ctx, project, tmp_path, dm_dataset, target, options, known_classes
):
    options = dict(options)
    if known_classes:
        options['class_names'] = ['car', 'person', 'puddle', 'road', 'truck']
        if target == 'coco':
            options['keypoint_names'] = JOINTS
    converted = get_converter('dm_v2', target, root_dir=dm_dataset, error_policy='skip', **options)
    expected = converted.save_to_folder(tmp_path / 'converted').model_dump(mode='json')

    straight = run(
        fake_backend,
        make_ctx,
        project,
        tmp_path / 'straight',
        format=target,
        save_original_file=True,
        error_policy='skip',
        format_options=options,
    )
    assert straight['format'] == target and straight['exported'] == ITEMS
    same_tree(tmp_path / 'converted', tmp_path / 'straight')
    assert counts(straight['conversion']) == counts(expected)
    # no DM dataset, spool or download scratch left next to the output
    assert sorted(p.name for p in tmp_path.iterdir()) == ['converted', 'dm_v2', 'straight']


def test_without_original_files_the_labels_come_from_the_sizes_in_the_records(
    fake_backend, make_ctx, project, tmp_path
):
    with_images = run(fake_backend, make_ctx, project, tmp_path / 'a', format='yolo', save_original_file=True)
    labels_only = run(fake_backend, make_ctx, project, tmp_path / 'b', format='yolo')
    assert labels_only['conversion']['items'] == with_images['conversion']['items'] == ITEMS
    labels = [rel for rel in tree(tmp_path / 'a') if rel.startswith('labels/')]
    assert labels and [rel for rel in tree(tmp_path / 'b') if rel.startswith('labels/')] == labels
    for rel in labels:
        assert (tmp_path / 'a' / rel).read_bytes() == (tmp_path / 'b' / rel).read_bytes()
    assert not [rel for rel in tree(tmp_path / 'b') if rel.startswith('images/')]


@pytest.mark.parametrize('project', [RESUME_ITEMS], indirect=True)
def test_an_interrupted_format_export_resumes_to_the_same_dataset(fake_backend, make_ctx, project, tmp_path):
    stop_at = 200
    params = {'format': 'coco', 'save_original_file': True}
    reference = run(fake_backend, make_ctx, project, tmp_path / 'reference', **params)

    class Interrupted(Export):
        def set_progress(self, current, total, step=None):
            super().set_progress(current, total, step)
            if current >= stop_at:
                raise KeyboardInterrupt

    Interrupted.__name__ = Interrupted.__qualname__ = 'Export'
    ctx = make_ctx(client=None, v2_client=fake_backend.v2_client(retry=FAST_RETRY))
    base = {'target': 'assignment', 'filter': {'project': project['id']}, 'path': str(tmp_path / 'out')}
    with pytest.raises(KeyboardInterrupt):
        run_action(Interrupted, {**base, **params}, ctx)
    downloads = len(fake_backend.requests_to(r'^/media/files/'))

    result = run(fake_backend, make_ctx, project, tmp_path / 'out', **params)
    assert result['resumed'] is True
    same_tree(tmp_path / 'reference', tmp_path / 'out')
    assert counts(result['conversion']) == counts(reference['conversion'])
    # nothing fetched twice: the resumed run downloaded only the files of the items not yet done
    assert len(fake_backend.requests_to(r'^/media/files/')) - downloads == RESUME_ITEMS - stop_at


def test_a_bad_annotation_follows_the_error_policy(fake_backend, make_ctx, project, tmp_path):
    row = fake_backend.state.assignments[105]
    row['data'] = {
        'images': [{'bounding_box': [{'id': 'bad', 'classification': 'car', 'data': [1, 2, -3, 4]}]}]
    }
    with pytest.raises(ActionExecutionError) as info:
        run(fake_backend, make_ctx, project, tmp_path / 'fail', format='yolo')
    assert isinstance(info.value.__cause__, ConversionError) and 'assignment 105' in str(info.value)
    assert list(tmp_path.iterdir()) == []  # rolled back: nothing to resume from a bad record

    skipped = run(fake_backend, make_ctx, project, tmp_path / 'skip', format='yolo', error_policy='skip')
    assert skipped['conversion']['report']['problem_counts'] and skipped['exported'] == ITEMS
    report = [
        json.loads(line) for line in (tmp_path / 'skip' / 'conversion_report.jsonl').read_text().splitlines()
    ]
    assert any('assignment 105' in json.dumps(entry) for entry in report)


def test_unknown_format_options_are_a_params_error(fake_backend, make_ctx, project, tmp_path):
    with pytest.raises(ActionExecutionError, match='format_options'):
        run(fake_backend, make_ctx, project, tmp_path / 'o', format='coco', format_options={'taks': 'detect'})
    assert list(tmp_path.iterdir()) == []
