"""The Ray pipeline executor against the in-process cluster, compared with `ActionPipeline.run` locally."""

from __future__ import annotations

import json
import stat

import pytest

from synapse_sdk.plugins.execution import build_runtime_context
from synapse_sdk.plugins.executors.ray.pipeline import RayPipelineExecutor
from synapse_sdk.plugins.pipelines import ActionPipeline, PipelineExecutionError, PipelineValidationError

pytestmark = pytest.mark.integration


@pytest.fixture(scope='module')
def actions(ray_cluster):
    import ray_sample_actions as m

    return m


@pytest.fixture
def executor(ray_cluster, sample_plugin_dir, tmp_path):
    ex = RayPipelineExecutor(working_dir=sample_plugin_dir, num_cpus=0.25, checkpoint_dir=tmp_path / 'runs')
    yield ex
    ex.shutdown()


def _pipeline(m):
    return ActionPipeline([m.prepare, m.train, m.EvaluateAction], name='train-eval')


def test_same_results_and_progress_as_local(executor, actions, tmp_path):
    local_dir, ray_dir = tmp_path / 'local', tmp_path / 'ray'
    local_dir.mkdir()
    ray_dir.mkdir()
    local_calls, ray_calls = [], []

    ctx = build_runtime_context(console=False, client=None, v2_client=None, agent_client=None)
    local = _pipeline(actions).run(
        {'n': 3, 'workdir': str(local_dir)}, ctx, progress_callback=lambda *a: local_calls.append(a)
    )
    remote = executor.run(
        _pipeline(actions),
        {'n': 3, 'workdir': str(ray_dir)},
        progress_callback=lambda *a: ray_calls.append(a),
    )

    def normalise(value):
        return json.loads(json.dumps(value).replace(str(ray_dir), 'W').replace(str(local_dir), 'W'))

    assert (
        normalise(remote.result) == normalise(local.result) == {'score': 0.3, 'model': 'W/data/model-30.pt'}
    )
    assert normalise(remote.results) == normalise(local.results)
    assert normalise(remote.params) == normalise(local.params)
    assert (
        ray_calls
        == local_calls
        == [(0, 3, 'prepare'), (1, 3, 'train'), (2, 3, 'evaluate'), (3, 3, 'evaluate')]
    )


def test_failed_run_resumes_from_the_last_completed_action(executor, actions, tmp_path):
    (tmp_path / 'fail-train').touch()
    with pytest.raises(PipelineExecutionError) as info:
        executor.run(_pipeline(actions), {'n': 2, 'workdir': str(tmp_path)})
    err = info.value
    assert isinstance(err.__cause__, RuntimeError)
    assert 'in train' in '\n'.join(err.__cause__.__notes__)  # the worker's traceback came along
    assert 'train failed on purpose' in str(err)
    assert any('resume=True' in note for note in err.__notes__)
    state_file = executor.state_path(err.run_id)
    assert stat.S_IMODE(state_file.stat().st_mode) == 0o600
    state = json.loads(state_file.read_text())
    assert state['status'] == 'failed'
    assert len(state['results']) == 1  # prepare completed

    (tmp_path / 'fail-train').unlink()
    calls = []
    outcome = executor.run(
        _pipeline(actions), None, run_id=err.run_id, resume=True, progress_callback=lambda *a: calls.append(a)
    )
    assert outcome.result == {'score': 0.2, 'model': f'{tmp_path}/data/model-20.pt'}
    assert (tmp_path / 'prepare.count').read_text() == '1'  # not run again
    assert (tmp_path / 'train.count').read_text() == '2'  # failed once, then succeeded
    assert calls[0] == (1, 3, 'train')
    assert json.loads(state_file.read_text())['status'] == 'succeeded'


def test_checkpoints_withhold_secrets_and_resume_takes_them_again(executor, actions, tmp_path):
    secrets = {'api_token': 's3cr3t-value', 'mirror': 'sftp://ann:pw-123@files.example/data'}
    (tmp_path / 'fail-train').touch()
    with pytest.raises(PipelineExecutionError) as info:
        executor.run(_pipeline(actions), {'n': 2, 'workdir': str(tmp_path), **secrets})
    run_id = info.value.run_id
    state_file = executor.state_path(run_id)
    text = state_file.read_text()
    assert 's3cr3t-value' not in text and 'pw-123' not in text
    state = json.loads(text)
    assert state['params']['api_token'] == state['params']['mirror'] == '***'
    assert sorted(state['withheld']) == [['api_token'], ['mirror']]

    (tmp_path / 'fail-train').unlink()
    with pytest.raises(ValueError) as missing:
        executor.run(_pipeline(actions), None, run_id=run_id, resume=True)
    assert 'api_token, mirror' in str(missing.value) and run_id in str(missing.value)
    assert (tmp_path / 'train.count').read_text() == '1'  # refused before running anything

    outcome = executor.run(_pipeline(actions), secrets, run_id=run_id, resume=True)
    assert outcome.params['api_token'] == 's3cr3t-value'
    assert outcome.params['mirror'] == secrets['mirror']
    assert outcome.result == {'score': 0.2, 'model': f'{tmp_path}/data/model-20.pt'}
    final = state_file.read_text()
    assert json.loads(final)['status'] == 'succeeded'
    assert 's3cr3t-value' not in final and 'pw-123' not in final


def test_invalid_pipeline_is_refused_before_running(executor, actions, tmp_path):
    with pytest.raises(PipelineValidationError) as info:
        executor.run(_pipeline(actions), {'n': 2})  # workdir missing
    assert 'workdir' in str(info.value)
    assert not (tmp_path / 'runs').exists() or not list((tmp_path / 'runs').iterdir())


def test_a_state_file_that_is_not_an_object_is_named(executor, actions, tmp_path):
    state_file = executor.state_path('hand-edited')
    state_file.parent.mkdir(parents=True, exist_ok=True)
    state_file.write_text('["prepare", "train"]')
    with pytest.raises(ValueError) as info:
        executor.run(_pipeline(actions), None, run_id='hand-edited', resume=True)
    assert str(info.value) == f'{state_file} is not a pipeline run state (a JSON object)'
    assert not (tmp_path / 'prepare.count').exists()  # refused before running anything
