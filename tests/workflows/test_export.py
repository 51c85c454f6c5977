"""BaseExportAction against the fake backend: v1 and v2 paths give the same output, delegation."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from synapse_sdk.plugins.actions.export import BaseExportAction, ExportDelegationError, ExportParams
from synapse_sdk.plugins.errors import ActionExecutionError
from synapse_sdk.plugins.execution import run_action


class Export(BaseExportAction[ExportParams]):
    action_name = 'export'


def read_output(path: Path) -> dict[Any, Any]:
    """The records of an export (``records.jsonl``), by id."""
    lines = (path / 'records.jsonl').read_text(encoding='utf-8').splitlines()
    records = [json.loads(line) for line in lines]
    by_id = {r['id']: r for r in records}
    assert len(by_id) == len(records), 'duplicate records'
    return by_id


@pytest.fixture
def project(fake_backend):
    state = fake_backend.state
    project = state.add_project(title='Cars')
    other = state.add_project(title='Other')
    for i in range(7):
        unit = state.add_data_unit(data_collection=1)
        task = state.add_task(
            project['id'],
            data_unit=unit['id'],
            data={'annotations': {'image_1': [{'id': f'a{i}', 'tool': 'bounding_box'}]}, 'n': i},
            files={'image_1': {'url': f'https://files.example/{i}.jpg', 'is_primary': True}},
            status='completed' if i % 2 == 0 else 'stand_by',
        )
        state.add_assignment(task['id'], data={'labels': [i]}, status_label='completed')
    state.add_task(other['id'], data={'n': 'other'})
    for i in range(3):
        unit = state.add_data_unit(data_collection=1)
        state.add_ground_truth_event(
            ground_truth_dataset_version=4,
            data_unit=unit['id'],
            category='train',
            data={'gt': i},
            files={'image_1': {'url': f'https://files.example/gt{i}.jpg'}},
        )
    state.add_ground_truth_event(
        ground_truth_dataset_version=5, data_unit=1, category='train', data={'gt': 'other'}
    )
    return project


@pytest.fixture
def export_env(monkeypatch):
    """Run without SYNAPSE_FORCE_V1_EXPORT from the developer's shell unless a test sets it."""
    monkeypatch.delenv('SYNAPSE_FORCE_V1_EXPORT', raising=False)
    return monkeypatch


CASES = [
    ('task', lambda p: {'project': p['id']}, r'^/v2/tasks/bulk-fetch/$', r'^/sdk/tasks/data/$', 8 - 1),
    (
        'task',
        lambda p: {'project': p['id'], 'status': 'completed'},
        r'^/v2/tasks/bulk-fetch/$',
        r'^/sdk/tasks/data/$',
        4,
    ),
    (
        'assignment',
        lambda p: {'project': p['id']},
        r'^/v2/assignments/bulk-fetch/$',
        r'^/sdk/assignments/data/$',
        7,
    ),
    (
        'ground_truth',
        lambda p: {'ground_truth_dataset_version': 4},
        r'^/v2/ground-truth-events/bulk-data/$',
        r'^/sdk/ground_truth_events/data/$',
        3,
    ),
]


@pytest.mark.parametrize(('target', 'filters', 'v2_route', 'v1_route', 'expected'), CASES)
def test_v2_and_forced_v1_paths_produce_the_same_output(
    fake_backend, project, make_ctx, tmp_path, export_env, target, filters, v2_route, v1_route, expected
):
    params = {'target': target, 'filter': filters(project)}
    v2_result = run_action(Export, {**params, 'path': str(tmp_path / 'v2')}, make_ctx())
    assert (
        v2_result['api'] == 'v2'
        and fake_backend.requests_to(v2_route)
        and not fake_backend.requests_to(v1_route)
    )

    export_env.setenv('SYNAPSE_FORCE_V1_EXPORT', '1')
    v1_result = run_action(
        Export, {**params, 'path': str(tmp_path / 'v1')}, make_ctx(env={'SYNAPSE_FORCE_V1_EXPORT': '1'})
    )
    assert v1_result['api'] == 'v1' and fake_backend.requests_to(v1_route)

    assert v1_result['exported'] == v2_result['exported'] == expected
    v1_out, v2_out = read_output(tmp_path / 'v1'), read_output(tmp_path / 'v2')
    assert v1_out == v2_out and len(v1_out) == expected
    sample = next(iter(v1_out.values()))
    assert set(sample) == {'id', 'data', 'files'} and isinstance(sample['data'], dict)


def test_no_v2_client_falls_back_to_v1(fake_backend, project, make_ctx, tmp_path, export_env):
    result = run_action(
        Export,
        {'target': 'task', 'filter': {'project': project['id']}, 'path': str(tmp_path / 'o')},
        make_ctx(v2_client=None),
    )
    assert result['api'] == 'v1' and result['exported'] == 7


def test_many_pages_and_bulk_batches_stream_through(fake_backend, make_ctx, tmp_path, export_env):
    project = fake_backend.state.add_project()
    fake_backend.state.add_tasks(project['id'], 450, data={'x': 1})
    ctx = make_ctx()
    result = run_action(
        Export, {'target': 'task', 'filter': {'project': project['id']}, 'path': str(tmp_path / 'o')}, ctx
    )
    assert result['exported'] == 450 and len(read_output(tmp_path / 'o')) == 450
    assert len(fake_backend.requests_to(r'^/v2/tasks/bulk-fetch/$')) == 3  # 200 + 200 + 50
    assert ctx.logger.get_progress('dataset_conversion').percent == 100.0


@pytest.mark.parametrize(
    ('target', 'filters', 'route', 'page'),
    [
        # v2 tasks and assignments: pages of 2,000 ids (the API takes 10,000: see targets.V2_LIST_PAGE)
        ('task', lambda p: {'project': p['id']}, r'^/v2/tasks/$', 'per_page=2000'),
        ('assignment', lambda p: {'project': p['id']}, r'^/v2/assignments/$', 'per_page=2000'),
        # ground-truth event lists document a cap of 200 per page
        (
            'ground_truth',
            lambda p: {'ground_truth_dataset_version': 4},
            r'^/v2/ground-truth-events/$',
            'per_page=200',
        ),
        ('assignment', lambda p: {'project': p['id']}, r'^/sdk/assignments/data/$', 'page_size=1000'),
    ],
    ids=['v2-task', 'v2-assignment', 'v2-ground-truth', 'v1-assignment'],
)
def test_listing_asks_for_its_page_size(
    fake_backend, project, make_ctx, tmp_path, export_env, target, filters, route, page
):
    v1 = route.startswith('^/sdk/')
    env = {'SYNAPSE_FORCE_V1_EXPORT': '1'} if v1 else {}
    if v1:
        export_env.setenv('SYNAPSE_FORCE_V1_EXPORT', '1')
    params = {'target': target, 'filter': filters(project), 'path': str(tmp_path / 'o')}
    assert run_action(Export, params, make_ctx(env=env))['exported'] > 0
    [listing] = fake_backend.requests_to(route, 'GET')  # one page holds them all
    name, value = page.split('=')
    assert listing.query[name] == [value]


def test_failed_export_leaves_no_partial_output(fake_backend, project, make_ctx, tmp_path, export_env):
    class Breaks(Export):
        def convert_item(self, record):
            if record['data']['n'] == 3:
                raise ValueError('bad record')
            return record

    with pytest.raises(ActionExecutionError, match='bad record'):
        run_action(
            Breaks,
            {'target': 'task', 'filter': {'project': project['id']}, 'path': str(tmp_path / 'o')},
            make_ctx(),
        )
    assert list(tmp_path.iterdir()) == []


def test_existing_output_is_not_overwritten(fake_backend, project, make_ctx, tmp_path, export_env):
    (tmp_path / 'o').mkdir()
    (tmp_path / 'o' / 'keep.txt').write_text('x')
    with pytest.raises(ActionExecutionError, match='already exists'):
        run_action(
            Export,
            {'target': 'task', 'filter': {'project': project['id']}, 'path': str(tmp_path / 'o')},
            make_ctx(),
        )
    assert (tmp_path / 'o' / 'keep.txt').read_text() == 'x'


def test_large_export_is_delegated_with_the_same_filters(
    fake_backend, project, make_ctx, tmp_path, export_env
):
    storage = fake_backend.state.add_storage(name='exports')
    filters = {'project': project['id'], 'status': 'completed'}
    ctx = make_ctx()
    result = run_action(
        Export,
        {
            'target': 'task',
            'filter': filters,
            'path': 'exports/run1',
            'storage': storage['id'],
            'async_job_size_threshold': 2,
        },
        ctx,
    )
    assert result['delegated'] is True and result['manifest']['result_uri'].endswith('manifest.json')
    [request] = fake_backend.requests_to(r'^/v2/plugin_exports/$', 'POST')
    body = request.json()
    assert body['filter'] == filters and body['targets'] == ['task'] and body['project_id'] == project['id']
    assert body['storage_id'] == storage['id'] and body['path'] == 'exports/run1'
    assert fake_backend.requests_to(r'^/v2/async_jobs/.+/progress/$')
    assert ctx.logger.get_progress('dataset_conversion').percent == 100.0
    assert not (tmp_path / 'exports').exists()  # nothing written in process


def test_threshold_from_env_and_fallback_without_storage(
    fake_backend, project, make_ctx, tmp_path, export_env
):
    ctx = make_ctx(env={'SYNAPSE_EXPORT_ASYNC_JOB_SIZE_THRESHOLD': '1'})
    result = run_action(
        Export, {'target': 'task', 'filter': {'project': project['id']}, 'path': str(tmp_path / 'o')}, ctx
    )
    assert result['delegated'] is False and result['exported'] == 7  # no storage: exported in process, warned
    assert not fake_backend.requests_to(r'^/v2/plugin_exports/$')


def test_failed_backend_job_is_an_error(fake_backend, project, make_ctx, export_env):
    storage = fake_backend.state.add_storage(name='exports')
    original = fake_backend.state.add_async_job

    def failing_job(events=None, **fields):
        return original(events=[{'event': 'error', 'status': 'FAILED', 'message': 'disk full'}], **fields)

    export_env.setattr(fake_backend.state, 'add_async_job', failing_job)
    with pytest.raises(ActionExecutionError) as info:
        run_action(
            Export,
            {
                'target': 'task',
                'filter': {'project': project['id']},
                'path': 'x',
                'storage': storage['id'],
                'async_job_size_threshold': 0,
            },
            make_ctx(),
        )
    assert isinstance(info.value.__cause__, ExportDelegationError) and 'disk full' in str(info.value)


def test_seed_002_export_example_runs_as_written(fake_backend, project, make_ctx, export_env):
    # -- from seed 002, "BaseExportAction" (`from typing import Any` is at the top of this file) --
    from synapse_sdk.plugins import BaseExportAction

    class ExportParams(BaseModel):
        filter: dict
        output_path: str

    class MyExportAction(BaseExportAction[ExportParams]):
        action_name = 'export'
        params_model = ExportParams

        def get_filtered_results(self, filters: dict) -> tuple[Any, int]:
            # Override for your target type
            return self.client.get_assignments(filters)

        def execute(self) -> dict:
            results, count = self.get_filtered_results(self.params.filter)
            self.set_progress(0, count, self.progress.DATASET_CONVERSION)

            for i, item in enumerate(results, 1):  # noqa: B007 - seed example as written
                # Process and export item
                self.set_progress(i, count, self.progress.DATASET_CONVERSION)

            return {'exported': count}

    # -- end of seed --
    ctx = make_ctx()
    result = run_action(MyExportAction, {'filter': {'project': project['id']}, 'output_path': '/tmp/x'}, ctx)
    assert result == {'exported': 7}
    assert ctx.logger.get_progress('dataset_conversion').current == 7


def test_interrupted_delegation_cancels_the_backend_job(fake_backend, project, make_ctx, export_env):
    storage = fake_backend.state.add_storage(name='exports')
    original = fake_backend.state.add_async_job

    def running_job(events=None, **fields):
        progress = {
            'event': 'async_job.progress',
            'processed_count': 1,
            'total_count': 7,
            'status': 'PROCESSING',
        }
        return original(events=[progress], **fields)  # still running when the export is interrupted

    export_env.setattr(fake_backend.state, 'add_async_job', running_job)

    class Interrupted(Export):
        def set_progress(self, current, total, step=None):
            if current:
                raise KeyboardInterrupt
            super().set_progress(current, total, step)

    with pytest.raises(KeyboardInterrupt):
        run_action(
            Interrupted,
            {
                'target': 'task',
                'filter': {'project': project['id']},
                'path': 'x',
                'storage': storage['id'],
                'async_job_size_threshold': 0,
            },
            make_ctx(),
        )
    [job] = fake_backend.state.async_jobs.values()
    assert job['status'] == 'CANCELLED'
    assert fake_backend.requests_to(r'^/v2/async_jobs/.+/cancel/$', 'POST')


def test_jsonl_lines_parse_to_the_files_layout_records(fake_backend, project, make_ctx, tmp_path, export_env):
    """``records.jsonl`` holds the same records as the earlier ``<id>.json`` layout, which keeps its bytes."""
    base = {'target': 'task', 'filter': {'project': project['id']}}
    run_action(Export, {**base, 'path': str(tmp_path / 'jsonl')}, make_ctx())
    legacy = run_action(Export, {**base, 'path': str(tmp_path / 'files'), 'layout': 'files'}, make_ctx())
    assert legacy['layout'] == 'files'
    lines = read_output(tmp_path / 'jsonl')
    files = {int(p.stem): p for p in (tmp_path / 'files').iterdir()}
    assert set(files) == set(lines) and len(lines) == 7
    for record_id, path in files.items():
        text = path.read_text(encoding='utf-8')
        assert json.loads(text) == lines[record_id]
        # exactly what earlier releases wrote for the record
        assert text == json.dumps(lines[record_id], ensure_ascii=False, indent=2, sort_keys=True)


@pytest.mark.parametrize('target', ['task', 'assignment', 'ground_truth'])
def test_v1_and_v2_lines_are_the_same_bytes_apart_from_whitespace(
    fake_backend, project, make_ctx, tmp_path, export_env, target
):
    filters = {'ground_truth_dataset_version': 4} if target == 'ground_truth' else {'project': project['id']}
    params = {'target': target, 'filter': filters}
    run_action(Export, {**params, 'path': str(tmp_path / 'v2')}, make_ctx())
    export_env.setenv('SYNAPSE_FORCE_V1_EXPORT', '1')
    run_action(
        Export, {**params, 'path': str(tmp_path / 'v1')}, make_ctx(env={'SYNAPSE_FORCE_V1_EXPORT': '1'})
    )

    def lines(name: str) -> list[str]:
        raw = (tmp_path / name / 'records.jsonl').read_text(encoding='utf-8').splitlines()
        # Whitespace is all that may differ: re-encode compactly, keeping each object's key order.
        return sorted(json.dumps(json.loads(line), ensure_ascii=False, separators=(',', ':')) for line in raw)

    assert lines('v1') == lines('v2') and lines('v1')


def test_a_params_model_without_path_is_a_clear_error(fake_backend, project, make_ctx, tmp_path, export_env):
    class OwnParams(BaseModel):
        filter: dict[str, Any] = {}
        output_path: str = ''

    class OwnExport(BaseExportAction[OwnParams]):
        action_name = 'export'
        params_model = OwnParams

    with pytest.raises(ActionExecutionError, match=r'params\.path: .*OwnParams has no path'):
        run_action(
            OwnExport, {'filter': {'project': project['id']}, 'output_path': str(tmp_path)}, make_ctx()
        )
    assert list(tmp_path.iterdir()) == []
