"""ToTaskAction against the fake backend: file and inference methods, per-task failure summary."""

from __future__ import annotations

import json

import pytest

from synapse_sdk.plugins.errors import ActionExecutionError
from synapse_sdk.plugins.execution import run_action


@pytest.fixture
def tasks(fake_backend, tmp_path, dm, monkeypatch):
    monkeypatch.delenv('SYNAPSE_FORCE_V1_EXPORT', raising=False)
    project = fake_backend.state.add_project()
    ids = []
    for i in range(4):
        image = dm.png(tmp_path / f'img_{i}.png')
        files = {'image_1': {'url': image.as_uri(), 'is_primary': True, 'file_name_original': f'img_{i}.png'}}
        if i != 2:  # task 2 has no label file
            label = tmp_path / f'img_{i}.json'
            label.write_text(json.dumps({'box': [i, i, 10, 10]}))
            files['label'] = {'url': label.as_uri(), 'file_name_original': f'img_{i}.json'}
        ids.append(fake_backend.state.add_task(project['id'], files=files)['id'])
    other = fake_backend.state.add_project()
    fake_backend.state.add_task(other['id'], files={})
    return project, ids


def make_to_task():
    # -- from seed 002, "Pre-Annotation Actions" (hook bodies are ours) --
    from synapse_sdk.plugins.actions.to_task import ToTaskAction

    class ToTask(ToTaskAction):
        action_name = 'to_task'

        def convert_data_from_file(
            self, primary_file_url, primary_file_original_name, data_file_url, data_file_original_name
        ):
            label = self.read_json_url(data_file_url)
            return {
                'image': primary_file_original_name,
                'source': data_file_original_name,
                'box': label['box'],
            }

        def run_inference(self, task):
            return {'task': task['id'], 'score': 0.9}

        def convert_data_from_inference(self, data):
            return {'predicted_for': data['task'], 'score': data['score']}

    return ToTask


def test_file_method_annotates_tasks_and_summarises_failures(fake_backend, tasks, make_ctx):
    project, ids = tasks
    ctx = make_ctx()
    result = run_action(
        make_to_task(),
        {'project': project['id'], 'method': 'file', 'target_specification_name': 'label'},
        ctx,
    )
    assert result['total'] == 4 and result['succeeded'] == 3 and result['failed'] == 1
    [failure] = result['failures']
    assert failure['task_id'] == ids[2] and "no file for specification 'label'" in failure['error']
    assert fake_backend.state.tasks[ids[0]]['data'] == {
        'image': 'img_0.png',
        'source': 'img_0.json',
        'box': [0, 0, 10, 10],
    }
    assert fake_backend.state.tasks[ids[2]]['data'] is None
    assert ctx.logger.get_progress('annotate_task_data').percent == 100.0
    # to_task stays on v1 by policy even with a v2 client wired
    assert fake_backend.requests_to(r'^/sdk/tasks/$') and not fake_backend.requests_to(r'^/v2/tasks/')
    assert len(fake_backend.requests_to(r'^/tasks/\d+/annotate_task_data/$', 'PUT')) == 3


def test_inference_method(fake_backend, tasks, make_ctx):
    project, ids = tasks
    result = run_action(make_to_task(), {'project': project['id'], 'method': 'inference'}, make_ctx())
    assert result['succeeded'] == 4 and result['failed'] == 0
    assert fake_backend.state.tasks[ids[3]]['data'] == {'predicted_for': ids[3], 'score': 0.9}


def test_task_filters_narrow_the_tasks(fake_backend, tasks, make_ctx):
    project, ids = tasks
    result = run_action(
        make_to_task(),
        {'project': project['id'], 'method': 'inference', 'task_filters': {'ids': f'{ids[0]},{ids[1]}'}},
        make_ctx(),
    )
    assert result['total'] == 2


def test_all_tasks_failing_fails_the_run(fake_backend, tasks, make_ctx):
    project, _ = tasks
    with pytest.raises(ActionExecutionError, match='failed for all 4 task'):
        run_action(
            make_to_task(),
            {'project': project['id'], 'method': 'file', 'target_specification_name': 'nope'},
            make_ctx(),
        )


def test_missing_hook_is_explained(fake_backend, tasks, make_ctx):
    from synapse_sdk.plugins.actions.to_task import ToTaskAction

    class Bare(ToTaskAction):
        action_name = 'to_task'

    project, _ = tasks
    with pytest.raises(ActionExecutionError, match=r'must implement run_inference'):
        run_action(Bare, {'project': project['id'], 'method': 'inference'}, make_ctx())


def test_v2_path_when_the_policy_moves_pre_annotation_to_v2(fake_backend, tasks, make_ctx, monkeypatch):
    from synapse_sdk.plugins.actions import _v2_switch
    from synapse_sdk.plugins.enums import PluginCategory

    monkeypatch.setitem(_v2_switch._V2_CATEGORY_POLICY, PluginCategory.PRE_ANNOTATION, True)
    project, ids = tasks
    result = run_action(
        make_to_task(),
        {'project': project['id'], 'method': 'file', 'target_specification_name': 'label'},
        make_ctx(),
    )
    assert (result['succeeded'], result['failed']) == (3, 1)
    assert fake_backend.requests_to(r'^/v2/tasks/bulk-fetch/$') and not fake_backend.requests_to(
        r'^/sdk/tasks/$'
    )
    assert len(fake_backend.requests_to(r'^/v2/tasks/\d+/annotate-task-data/$', 'PUT')) == 3
    assert fake_backend.state.tasks[ids[1]]['data']['box'] == [1, 1, 10, 10]
