"""An export straight to a dataset format equals exporting the records and converting them with ``get_converter``.

The records come from the fake backend (rich DM v2 documents from the converters' test generator: boxes,
polygons, masks, keypoint groups; PNG original files served by the fake). The reference is the workflow of
earlier releases, built without the export's dataset writer: a plain export (``records.jsonl`` and
``original_files/``), laid out by hand as a DM v2 dataset (``json/`` + ``original_files/``), converted by
``get_converter``. The straight export must give the same files with the same bytes, and the same conversion
report; interrupted anywhere, it must resume to that same dataset.
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import pytest

from synapse_sdk.clients._http import RetryPolicy
from synapse_sdk.clients.downloads import FileDownloadError
from synapse_sdk.clients.exceptions import ServerError
from synapse_sdk.plugins.actions.export import BaseExportAction, ExportParams
from synapse_sdk.plugins.actions.export import action as export_action
from synapse_sdk.plugins.actions.export import dataset as dataset_module
from synapse_sdk.plugins.actions.export import targets as export_targets
from synapse_sdk.plugins.actions.export.writers import encode_record
from synapse_sdk.plugins.errors import ActionExecutionError
from synapse_sdk.plugins.execution import run_action
from synapse_sdk.utils.converters import ConversionError, get_converter

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / 'converters'))
from converters_fixtures import GEN_H, GEN_W, png_bytes, rich_item, tree

ITEMS = 40
BATCH = 40  # bulk batch size in the resume tests (see small_batches)
RESUME_ITEMS = 100  # three bulk batches of BATCH: 40, 40, 20
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


def run(fake_backend, make_ctx, project, path, action=Export, **params):
    ctx = make_ctx(client=None, v2_client=fake_backend.v2_client(retry=FAST_RETRY))
    base = {'target': 'assignment', 'filter': {'project': project['id']}, 'path': str(path)}
    return run_action(action, {**base, **params}, ctx)


def interrupted_at(items: int) -> type[Export]:
    """`Export`, interrupted by Ctrl-C (``KeyboardInterrupt``) once `items` records are written (0: before any)."""

    class Interrupted(Export):
        def set_progress(self, current, total, step=None):
            super().set_progress(current, total, step)
            if items <= current < total:
                raise KeyboardInterrupt

    Interrupted.__name__ = Interrupted.__qualname__ = 'Export'  # the same export, as far as resuming goes
    return Interrupted


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


def dm_dataset_by_hand(export: Path, root: Path, entity: str = 'assignment') -> Path:
    """The DM v2 dataset a user of earlier releases made from a plain export before converting it: each record's
    ``data`` as ``json/<entity>_<id>.json``, its primary file as ``original_files/<entity>_<id><ext>``."""
    (root / 'json').mkdir(parents=True)
    (root / 'original_files').mkdir()
    for line in (export / 'records.jsonl').read_text(encoding='utf-8').splitlines():
        record = json.loads(line)
        stem = f'{entity}_{record["id"]}'
        (root / 'json' / f'{stem}.json').write_text(json.dumps(record['data'], indent=2), encoding='utf-8')
        [image] = (export / 'original_files').glob(f'{record["id"]}_image_1.*')
        shutil.copyfile(image, root / 'original_files' / f'{stem}{image.suffix}')
    return root


@pytest.fixture
def dm_dataset(fake_backend, make_ctx, project, tmp_path):
    """The same records exported plainly (records.jsonl + original_files/), laid out as a DM v2 dataset by hand."""
    result = run(fake_backend, make_ctx, project, tmp_path / 'plain', save_original_file=True)
    assert result['exported'] == ITEMS and result['files_downloaded'] == ITEMS
    root = dm_dataset_by_hand(tmp_path / 'plain', tmp_path / 'by_hand')
    shutil.rmtree(tmp_path / 'plain')
    return root


CASES = [(target, options, False) for target, options in FORMATS] + [
    ('yolo', {'task': 'detect'}, True),  # class table known up front: one pass, nothing spooled
    ('coco', {}, True),
    # the conversion in worker processes, the documents handed over as the backend's JSON text
    ('coco', {'workers': 2}, True),
    ('yolo', {'task': 'segment', 'workers': 2}, False),
]


@pytest.mark.parametrize(
    ('target', 'options', 'known_classes'),
    CASES,
    ids=[
        f'{t}-{o.get("task", "")}-{"one-pass" if k else "spooled"}{"-workers" if "workers" in o else ""}'
        for t, o, k in CASES
    ],
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
    assert sorted(p.name for p in tmp_path.iterdir()) == ['by_hand', 'converted', 'straight']


def test_straight_dm_v2_export_equals_the_dataset_laid_out_by_hand(
    fake_backend, make_ctx, project, tmp_path, dm_dataset
):
    """No converter goes from DM v2 to DM v2: the dataset itself is the reference (same files; the same images,
    byte for byte; the same documents, apart from the summary the DM writer adds)."""
    straight = run(
        fake_backend, make_ctx, project, tmp_path / 'straight', format='dm_v2', save_original_file=True
    )
    assert straight['conversion']['items'] == ITEMS and not straight['conversion']['report']['problem_counts']
    out = tmp_path / 'straight'
    assert tree(out) == tree(dm_dataset)
    for rel in tree(dm_dataset):
        left, right = dm_dataset / rel, out / rel
        if rel.startswith('json/'):
            written = json.loads(right.read_text(encoding='utf-8'))
            written.pop(
                'classification'
            )  # the DM writer's summary of the classes per tool, added to every document
            assert written == json.loads(left.read_text(encoding='utf-8')), rel
        else:
            assert left.read_bytes() == right.read_bytes(), rel


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


def test_without_original_files_coco_names_and_sizes_the_images_from_the_records(
    fake_backend, make_ctx, project, tmp_path
):
    """The image entries of a COCO export without downloads (names from the primary file's URL, sizes from its
    entry) equal those of the export that downloaded the files (names from the files, sizes from their headers):
    for the usual record (one file, its size in the entry), one whose size is under ``meta``, and one with two
    files of which the second by name is the primary."""
    assignments = fake_backend.state.assignments
    entry = assignments[101]['files']['image_1']
    entry['meta'] = {'width': entry.pop('width'), 'height': entry.pop('height')}
    primary = assignments[102]['files']['image_1']
    thumb = fake_backend.add_media(content=png_bytes(8, 8), name='thumb.png')
    assignments[102]['files'] = {'a_thumb': {**thumb, 'width': 8, 'height': 8}, 'image_1': primary}
    with_images = run(fake_backend, make_ctx, project, tmp_path / 'a', format='coco', save_original_file=True)
    labels_only = run(fake_backend, make_ctx, project, tmp_path / 'b', format='coco')
    assert labels_only['conversion']['items'] == with_images['conversion']['items'] == ITEMS

    def images(root: Path) -> list[tuple[str, int, int]]:
        [annotations] = [root / rel for rel in tree(root) if rel.endswith('.json')]
        document = json.loads(annotations.read_text(encoding='utf-8'))
        return [(i['file_name'], i['width'], i['height']) for i in document['images']]

    expected = images(tmp_path / 'a')
    assert len(expected) == ITEMS and all(name.endswith('.png') for name, _, _ in expected)
    assert images(tmp_path / 'b') == expected


# -- resuming ------------------------------------------------------------------------------------------------
@pytest.fixture
def small_batches(monkeypatch):
    """Bulk batches of 40 ids (the API allows up to 200): several batches, hence several places to stop, in a
    project small enough for a quick test."""
    monkeypatch.setattr(export_targets, 'BULK_BATCH', BATCH)


def leftovers(tmp_path: Path, *expected: str) -> None:
    """Nothing beside the outputs: no staging directory of the export or of the converter."""
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(expected)


@pytest.mark.parametrize('project', [RESUME_ITEMS], indirect=True)
@pytest.mark.parametrize(
    ('target', 'options'), [('dm_v2', {}), ('yolo', {'task': 'detect'})], ids=['dm_v2', 'yolo']
)
def test_interrupted_anywhere_a_dataset_export_resumes_to_the_same_files(
    fake_backend, make_ctx, project, tmp_path, small_batches, monkeypatch, target, options
):
    """Ctrl-C before the first batch, after one, after the last but one, and (checkpoints every second, the
    default) after batches written but not yet checkpointed: each resumed run ends with the dataset of an
    uninterrupted run, byte for byte."""
    params = {'format': target, 'format_options': options}
    reference = run(fake_backend, make_ctx, project, tmp_path / 'reference', **params)
    assert reference['conversion']['items'] == RESUME_ITEMS
    for stop_at, checkpoint_seconds in [(0, 0.0), (BATCH, 0.0), (2 * BATCH, 0.0), (2 * BATCH, 3600.0)]:
        monkeypatch.setattr(export_action, 'CHECKPOINT_SECONDS', checkpoint_seconds)
        out = tmp_path / f'out-{stop_at}-{checkpoint_seconds:.0f}'
        with pytest.raises(KeyboardInterrupt):
            run(fake_backend, make_ctx, project, out, action=interrupted_at(stop_at), **params)
        assert not out.exists()
        journal = json.loads((tmp_path / f'.{out.name}.export-partial' / 'journal.json').read_text())
        assert journal['items'] == (stop_at if checkpoint_seconds == 0 else 0)

        result = run(fake_backend, make_ctx, project, out, **params)
        assert result['resumed'] is True and result['exported'] == RESUME_ITEMS
        same_tree(tmp_path / 'reference', out)
        assert counts(result['conversion']) == counts(reference['conversion'])
        shutil.rmtree(out)
        leftovers(tmp_path, 'reference')


@pytest.mark.parametrize('project', [RESUME_ITEMS], indirect=True)
def test_a_dataset_export_spooled_by_an_earlier_release_resumes_to_the_same_files(
    fake_backend, make_ctx, project, tmp_path, small_batches
):
    """Earlier releases spooled one record per line (the record as a ``records.jsonl`` line); the spool is now one
    line per batch. A partial export left by an earlier release still resumes to the uninterrupted dataset."""
    params = {'format': 'yolo', 'format_options': {'task': 'detect'}}
    run(fake_backend, make_ctx, project, tmp_path / 'reference', **params)
    out = tmp_path / 'out'
    with pytest.raises(KeyboardInterrupt):
        run(fake_backend, make_ctx, project, out, action=interrupted_at(2 * BATCH), **params)
    staging = tmp_path / '.out.export-partial'
    spool = staging / dataset_module.SPOOL_FILE
    journal = json.loads((staging / 'journal.json').read_text())
    assert journal['items'] == 2 * BATCH
    # the spool as an earlier release wrote it: each record fetched (the same fetch path) as a records.jsonl line
    records, _ = export_targets.fetch_v2(
        fake_backend.v2_client(),
        export_targets.ExportTarget.ASSIGNMENT,
        {'project': project['id']},
        raw_data=True,
    )
    with records:
        old = b''.join(
            (encode_record(record) + '\n').encode('utf-8')
            for _, record in zip(range(2 * BATCH), records, strict=False)
        )
    assert json.loads(old.splitlines()[-1])['id'] == 100 + 2 * BATCH - 1
    spool.write_bytes(old)
    assert dataset_module.SPOOL_FILE in journal['sizes']
    journal['sizes'][dataset_module.SPOOL_FILE] = len(old)
    (staging / 'journal.json').write_text(json.dumps(journal))

    result = run(fake_backend, make_ctx, project, out, **params)
    assert result['resumed'] is True and result['exported'] == RESUME_ITEMS
    same_tree(tmp_path / 'reference', out)
    leftovers(tmp_path, 'out', 'reference')


class Mixed(Export):
    """Records of every kind the spool knows: ``data`` as the backend's text (most), as text with a line break in
    it (a custom source may give that), and parsed. The same documents as `Export`'s, so the same dataset."""

    def get_filtered_results(self, filters):
        records, count = export_targets.fetch_v2(
            self.ctx.v2_client, export_targets.ExportTarget.ASSIGNMENT, filters, raw_data=True
        )

        def mixed():
            with records:
                for record in records:
                    text = record['data'].text
                    if record['id'] % 3 == 0:
                        record = {**record, 'data': json.loads(text)}
                    elif record['id'] % 3 == 1:
                        record = {**record, 'data': export_targets.RawJSON(text.replace(',', ',\r\n', 3))}
                    yield record

        return mixed(), count


@pytest.mark.parametrize('project', [RESUME_ITEMS], indirect=True)
def test_records_of_every_kind_resume_to_the_same_files(
    fake_backend, make_ctx, project, tmp_path, small_batches, monkeypatch
):
    monkeypatch.setattr(export_action, 'BULK_BATCH', BATCH)  # a custom source is cut into batches of this
    params = {'format': 'coco'}
    run(fake_backend, make_ctx, project, tmp_path / 'reference', **params)
    run(fake_backend, make_ctx, project, tmp_path / 'mixed', action=Mixed, **params)
    same_tree(tmp_path / 'reference', tmp_path / 'mixed')

    class Interrupted(Mixed):
        def set_progress(self, current, total, step=None):
            super().set_progress(current, total, step)
            if 2 * BATCH <= current < total:
                raise KeyboardInterrupt

    Interrupted.__name__ = Interrupted.__qualname__ = 'Mixed'
    out = tmp_path / 'out'
    with pytest.raises(KeyboardInterrupt):
        run(fake_backend, make_ctx, project, out, action=Interrupted, **params)
    spool = (tmp_path / '.out.export-partial' / dataset_module.SPOOL_FILE).read_bytes().splitlines()
    kinds = {row[5] for line in spool if line.startswith(b'[[') for row in json.loads(line)}
    assert kinds == {dataset_module.VALUE, dataset_module.TEXT, dataset_module.TEXT_LINE}
    result = run(fake_backend, make_ctx, project, out, action=Mixed, **params)
    assert result['resumed'] is True and result['exported'] == RESUME_ITEMS
    same_tree(tmp_path / 'reference', out)
    leftovers(tmp_path, 'out', 'reference', 'mixed')


@pytest.mark.parametrize('project', [RESUME_ITEMS], indirect=True)
def test_a_dataset_export_interrupted_twice_resumes_without_fetching_anything_twice(
    fake_backend, make_ctx, project, tmp_path, small_batches
):
    params = {'format': 'coco', 'save_original_file': True}
    reference = run(fake_backend, make_ctx, project, tmp_path / 'reference', **params)
    out = tmp_path / 'out'
    with pytest.raises(KeyboardInterrupt):
        run(fake_backend, make_ctx, project, out, action=interrupted_at(BATCH), **params)
    with pytest.raises(KeyboardInterrupt):  # the resumed run, interrupted again one batch further
        run(fake_backend, make_ctx, project, out, action=interrupted_at(2 * BATCH), **params)
    downloads = len(fake_backend.requests_to(r'^/media/files/'))
    bulk = len(fake_backend.requests_to(r'^/v2/assignments/bulk-fetch/$'))

    result = run(fake_backend, make_ctx, project, out, **params)
    assert result['resumed'] is True and result['files_downloaded'] == RESUME_ITEMS
    same_tree(tmp_path / 'reference', out)
    assert counts(result['conversion']) == counts(reference['conversion'])
    # the last run fetched and downloaded only what the two before had not checkpointed
    assert len(fake_backend.requests_to(r'^/media/files/')) - downloads == RESUME_ITEMS - 2 * BATCH
    assert len(fake_backend.requests_to(r'^/v2/assignments/bulk-fetch/$')) - bulk == 1
    leftovers(tmp_path, 'out', 'reference')


@pytest.mark.parametrize('project', [RESUME_ITEMS], indirect=True)
@pytest.mark.parametrize('fault', ['bulk-fetch', 'file'])
def test_a_dataset_export_stopped_by_an_outage_resumes_once_the_backend_is_back(
    fake_backend, make_ctx, project, tmp_path, small_batches, fault
):
    """The backend answers 503 to every bulk fetch after the first two (past the client's retry budget), or one
    original file cannot be downloaded (500, ``file_errors='fail'``): the export stops, keeps its state, and
    finishes once the backend is back."""
    params = {'format': 'pascal', 'save_original_file': True}
    run(fake_backend, make_ctx, project, tmp_path / 'reference', **params)
    if fault == 'bulk-fetch':
        fake_backend.inject(
            r'^/v2/assignments/bulk-fetch/$', times=2
        )  # counts two requests, lets them through
        fake_backend.inject(r'^/v2/assignments/bulk-fetch/$', times=None, status=503)
    else:
        url = fake_backend.state.assignments[100 + BATCH + 5]['files']['image_1']['url']
        fake_backend.inject(url.split(fake_backend.url, 1)[1], times=None, status=500)
    out = tmp_path / 'out'
    with pytest.raises(ActionExecutionError) as info:
        run(fake_backend, make_ctx, project, out, **params)
    assert isinstance(info.value.__cause__, ServerError if fault == 'bulk-fetch' else FileDownloadError)
    assert not out.exists() and (tmp_path / '.out.export-partial').is_dir()

    fake_backend.clear_faults()
    result = run(fake_backend, make_ctx, project, out, **params)
    assert result['resumed'] is True and result['files_failed'] == 0
    same_tree(tmp_path / 'reference', out)
    leftovers(tmp_path, 'out', 'reference')


@pytest.mark.parametrize('project', [RESUME_ITEMS], indirect=True)
def test_a_dataset_export_whose_worker_was_killed_resumes_to_the_same_files(
    fake_backend, make_ctx, project, tmp_path, small_batches, kill_export
):
    params = {'format': 'yolo', 'save_original_file': True, 'format_options': {'task': 'segment'}}
    run(fake_backend, make_ctx, project, tmp_path / 'reference', **params)
    out = tmp_path / 'out'
    full = {'target': 'assignment', 'filter': {'project': project['id']}, 'path': str(out), **params}
    kill_export(full, batches=1, bulk_batch=BATCH)
    # the killed converter's own staging directory is still there; the resumed run clears it
    assert [p for p in tmp_path.iterdir() if p.name.startswith('.out.partial-')]

    result = run(fake_backend, make_ctx, project, out, **params)
    assert result['resumed'] is True and result['exported'] == RESUME_ITEMS
    same_tree(tmp_path / 'reference', out)
    leftovers(tmp_path, 'out', 'reference')


@pytest.mark.parametrize('project', [RESUME_ITEMS], indirect=True)
def test_a_file_that_cannot_be_downloaded_is_reported_in_the_dataset(
    fake_backend, make_ctx, project, tmp_path, small_batches
):
    """``file_errors='report'``: the dataset is written; the item whose image could not be had keeps its labels
    (its size comes from the record) and has no image, and the failure is listed in ``download_errors.jsonl``
    in the dataset and in the result, never a silent gap."""
    missing = fake_backend.state.assignments[100 + BATCH + 3]
    fake_backend.inject(
        missing['files']['image_1']['url'].split(fake_backend.url, 1)[1], status=404, times=None
    )
    out = tmp_path / 'out'
    result = run(
        fake_backend,
        make_ctx,
        project,
        out,
        format='yolo',
        save_original_file=True,
        file_errors='report',
        format_options={'task': 'detect'},
    )
    assert result['files_failed'] == 1 and result['files_downloaded'] == RESUME_ITEMS - 1
    assert result['conversion']['items'] == RESUME_ITEMS
    errors = [json.loads(line) for line in (out / 'download_errors.jsonl').read_text().splitlines()]
    assert [(e['item'], e['spec'], e['status']) for e in errors] == [(missing['id'], 'image_1', 404)]
    assert result['download_errors'] == errors
    name = f'assignment_{missing["id"]}'
    assert (out / 'labels' / f'{name}.txt').is_file()
    assert not list(out.glob(f'images/{name}.*'))
    assert len(list(out.glob('images/*'))) == RESUME_ITEMS - 1
    leftovers(tmp_path, 'out')


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


@pytest.mark.parametrize('project', [3], indirect=True)
def test_data_that_is_not_json_is_the_records_problem(fake_backend, make_ctx, project, tmp_path):
    """The backend's ``data`` text goes to the converter unparsed (parsed where it is converted: in a worker with
    ``workers=2``); text that is not JSON is that record's ``malformed_json`` problem under the error policy,
    naming the record. One bad text looks like an object (``{...}``), the other is cut short."""
    rows = [fake_backend.state.assignments[100 + i] for i in range(3)]
    items = [{'id': r['id'], 'data': json.dumps(r['data']), 'files_manifest': r['files']} for r in rows]
    items[1]['data'] = '{"images": [{"bounding_box"; []}]}'
    items[2]['data'] = items[2]['data'][:-7]
    fake_backend.inject(r'^/v2/assignments/bulk-fetch/$', status=200, body=items, times=None)
    options = {'task': 'detect', 'class_names': ['car', 'person', 'puddle', 'road', 'truck'], 'workers': 2}

    skipped = run(
        fake_backend,
        make_ctx,
        project,
        tmp_path / 'skip',
        format='yolo',
        error_policy='skip',
        format_options=options,
    )
    conversion = skipped['conversion']
    assert (conversion['items'], conversion['items_skipped']) == (1, 2)
    assert conversion['report']['problem_counts'] == {'malformed_json': 2}
    problems = {p['file']: p['message'] for p in conversion['report']['problems']}
    assert sorted(problems) == ['assignment 101', 'assignment 102']
    assert all('not JSON' in message and 'line 1 column' in message for message in problems.values())
    assert tree(tmp_path / 'skip') == ['conversion_report.jsonl', 'data.yaml', 'labels/assignment_100.txt']

    with pytest.raises(ActionExecutionError) as info:
        run(fake_backend, make_ctx, project, tmp_path / 'fail', format='coco')
    assert isinstance(info.value.__cause__, ConversionError) and 'assignment 101' in str(info.value)
    assert 'malformed_json' in str(info.value)
    leftovers(tmp_path, 'skip')


def test_unknown_format_options_are_a_params_error(fake_backend, make_ctx, project, tmp_path):
    with pytest.raises(ActionExecutionError, match='format_options'):
        run(fake_backend, make_ctx, project, tmp_path / 'o', format='coco', format_options={'taks': 'detect'})
    assert list(tmp_path.iterdir()) == []
