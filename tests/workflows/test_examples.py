"""Each category's example plugin, run with `run_plugin` (local mode) against the fake backend.

The runtime builds its clients from the environment exactly as in production (SYNAPSE_HOST /
SYNAPSE_ACCESS_TOKEN), here pointing at the fake backend on a loopback port.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from synapse_sdk.plugins.runner import run_plugin

EXAMPLES = Path(__file__).resolve().parents[2] / 'examples'

_CREDENTIAL_VARS = (
    'SYNAPSE_HOST',
    'SYNAPSE_ACCESS_TOKEN',
    'SYNAPSE_PLUGIN_RUN_USER_TOKEN',
    'SYNAPSE_PLUGIN_RUN_TENANT',
    'SYNAPSE_PLUGIN_RUN_URL_HOST',
    'SYNAPSE_BACKEND_V2_ACCESS_TOKEN',
    'SYNAPSE_BACKEND_V2_DRF_TOKEN',
    'SYNAPSE_BACKEND_V2_TENANT',
    'SYNAPSE_FORCE_V1_EXPORT',
    'SYNAPSE_LOG_FILE',
)


@pytest.fixture
def backend_env(fake_backend, monkeypatch, tmp_path):
    for name in _CREDENTIAL_VARS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv('SYNAPSE_CONFIG_PATH', str(tmp_path / 'no-config.json'))
    for name, value in fake_backend.env().items():
        monkeypatch.setenv(name, value)
    return fake_backend


def test_train_then_inference_examples(backend_env, dm, tmp_path):
    state = backend_env.state
    version = state.add('ground_truth_versions', version='2.0')
    for i, cls in enumerate(['car', 'car', 'car', 'person']):
        image = dm.png(tmp_path / 'blobs' / f'img_{i}.png')
        state.add_ground_truth_event(
            ground_truth_dataset_version=version['id'],
            category='train' if i < 3 else 'validation',
            data=dm.document(cls=cls),
            files={'image_1': {'url': image.as_uri(), 'is_primary': True}},
        )

    result = run_plugin(str(EXAMPLES / 'train_plugin'), 'train', {'dataset': version['id'], 'epochs': 2})
    assert result['steps_executed'] == ['dataset', 'train', 'model_upload']
    assert result['metrics'] == {'classes': 2, 'documents': 4}
    model = state.models[result['model_id']]
    assert model['name'] == 'class-prior'

    # The fake backend does not serve uploaded media; hand the uploaded bytes to inference as a file URL.
    archive = tmp_path / 'model.zip'
    archive.write_bytes(state.chunked_uploads[int(model['chunked_upload'])]['content'])
    model['file'] = archive.as_uri()

    predictions = run_plugin(
        str(EXAMPLES / 'inference_plugin'), 'inference', {'model': model['id'], 'inputs': ['a.jpg', 'b.jpg']}
    )
    assert predictions['count'] == 2
    assert [p['label'] for p in predictions['results']] == ['car', 'car']
    assert 0.5 < predictions['results'][0]['score'] < 1


def test_export_example(backend_env, dm, tmp_path):
    state = backend_env.state
    project = state.add_project()
    for i in range(3):
        state.add_task(
            project['id'], data=dm.document(cls=f'c{i}'), files={'image_1': {'url': f'https://x/{i}.png'}}
        )
    out = tmp_path / 'export'
    result = run_plugin(
        str(EXAMPLES / 'export_plugin'),
        'export',
        {'target': 'task', 'filter': {'project': project['id']}, 'path': str(out)},
    )
    assert result['exported'] == 3 and result['api'] == 'v2'
    first = json.loads((out / 'records.jsonl').read_text().splitlines()[0])
    assert first == {'id': 1, 'classes': ['c0'], 'files': ['image_1']}


def test_upload_example(backend_env, storage_dir, tmp_path):
    collection = backend_env.state.add_data_collection()
    src = tmp_path / 'photos'
    src.mkdir()
    for i in range(3):
        (src / f'p{i}.jpg').write_bytes(b'jpeg' * (i + 1))
    (src / 'p1.json').write_text(json.dumps({'camera': 'north'}))
    result = run_plugin(
        str(EXAMPLES / 'upload_plugin'), 'upload', {'data_collection': collection['id'], 'path': str(src)}
    )
    assert result['data_units_created'] == 3 and result['files_uploaded'] == 3
    metas = sorted(
        (u['meta'] for u in backend_env.state.data_units.values()), key=lambda m: m['original_name']
    )
    assert metas == [
        {'original_name': 'p0.jpg'},
        {'original_name': 'p1.jpg', 'camera': 'north'},
        {'original_name': 'p2.jpg'},
    ]
    assert len(list(storage_dir.rglob('*.jpg'))) == 3


def test_to_task_example(backend_env, tmp_path):
    state = backend_env.state
    project = state.add_project()
    label = tmp_path / 'label.json'
    label.write_text(
        json.dumps({'width': 64, 'height': 48, 'boxes': [{'class': 'car', 'x': 1, 'y': 2, 'w': 3, 'h': 4}]})
    )
    with_label = state.add_task(
        project['id'],
        files={'image_1': {'url': 'https://x/1.png', 'is_primary': True}, 'label': {'url': label.as_uri()}},
    )
    without = state.add_task(project['id'], files={'image_1': {'url': 'https://x/2.png', 'is_primary': True}})
    result = run_plugin(
        str(EXAMPLES / 'to_task_plugin'),
        'to_task',
        {'project': project['id'], 'method': 'file', 'target_specification_name': 'label'},
    )
    assert (result['succeeded'], result['failed']) == (1, 1) and result['failures'][0]['task_id'] == without[
        'id'
    ]
    document = state.tasks[with_label['id']]['data']
    assert document['annotations']['image_1'][0]['classification'] == {'class': 'car'}
    assert document['annotationsData']['image_1'][0]['coordinate'] == {
        'x': 1,
        'y': 2,
        'width': 3,
        'height': 4,
    }

    task = state.add_task(project['id'], meta={'expected_class': 'dog', 'width': 10, 'height': 5})
    result = run_plugin(
        str(EXAMPLES / 'to_task_plugin'),
        'to_task',
        {'project': project['id'], 'method': 'inference', 'task_filters': {'ids': str(task['id'])}},
    )
    assert result['succeeded'] == 1
    assert state.tasks[task['id']]['data']['annotations']['image_1'][0]['classification'] == {'class': 'dog'}
