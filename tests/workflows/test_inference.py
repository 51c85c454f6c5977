"""BaseInferenceAction against the fake backend: model download (zip extracted), batches, progress."""

from __future__ import annotations

import zipfile

import pytest

from synapse_sdk.plugins.actions.inference import (
    BaseInferenceAction,
    DeploymentContext,
    InferenceContext,
    InferenceParams,
)
from synapse_sdk.plugins.errors import ActionExecutionError
from synapse_sdk.plugins.execution import run_action
from synapse_sdk.plugins.types import InferenceResults


class Doubler(BaseInferenceAction[InferenceParams]):
    action_name = 'inference'
    batches: list[int] = []

    def load_model(self, path):
        return int((path / 'factor.txt').read_text())

    def infer(self, model, inputs):
        type(self).batches.append(len(inputs))
        return [x * model for x in inputs]


@pytest.fixture
def zipped_model(fake_backend, tmp_path):
    archive = tmp_path / 'weights.zip'
    with zipfile.ZipFile(archive, 'w') as zf:
        zf.writestr('factor.txt', '3')
    return fake_backend.state.add_model(name='doubler', file=archive.as_uri())


def test_inference_downloads_extracts_and_runs_in_batches(zipped_model, make_ctx):
    Doubler.batches = []
    ctx = make_ctx()
    result = run_action(
        Doubler, {'model': zipped_model['id'], 'inputs': [1, 2, 3, 4, 5], 'batch_size': 2}, ctx
    )
    assert result == {'results': [3, 6, 9, 12, 15], 'count': 5}
    assert Doubler.batches == [2, 2, 1]
    assert ctx.logger.get_progress('inference').percent == 100.0
    assert Doubler.output_type is InferenceResults


def test_checkpoint_path_is_used_without_a_model_param(tmp_path, make_ctx):
    (tmp_path / 'factor.txt').write_text('2')
    ctx = make_ctx(client=None)
    ctx.checkpoint = {'category': 'base', 'path': str(tmp_path)}
    assert run_action(Doubler, {'inputs': [5]}, ctx)['results'] == [10]


def test_wrong_prediction_count_and_missing_model_are_explained(zipped_model, make_ctx, fake_backend):
    class Lossy(Doubler):
        def infer(self, model, inputs):
            return inputs[:-1]

    with pytest.raises(ActionExecutionError, match=r'returned 1 result\(s\) for a batch of 2'):
        run_action(Lossy, {'model': zipped_model['id'], 'inputs': [1, 2]}, make_ctx())
    with pytest.raises(ActionExecutionError, match='no model to load'):
        run_action(Doubler, {'inputs': [1]}, make_ctx())
    bare = fake_backend.state.add_model(name='no-file')
    with pytest.raises(ActionExecutionError, match='has no file'):
        run_action(Doubler, {'model': bare['id'], 'inputs': [1]}, make_ctx())


def test_zip_slip_is_refused(fake_backend, tmp_path, make_ctx):
    archive = tmp_path / 'evil.zip'
    with zipfile.ZipFile(archive, 'w') as zf:
        zf.writestr('../../escape.txt', 'x')
    model = fake_backend.state.add_model(name='evil', file=archive.as_uri())
    with pytest.raises(ActionExecutionError, match='escapes the extraction directory'):
        run_action(Doubler, {'model': model['id'], 'inputs': [1]}, make_ctx())


def test_contexts_hold_their_state(make_ctx):
    ctx = make_ctx(client=None)
    deployment = DeploymentContext(ctx, serve_app_name='yolo@1.0.0', ray_actor_options={'num_gpus': 1})
    assert deployment.route_prefix is None and deployment.num_replicas == 1 and not deployment.deployed
    inference = InferenceContext(ctx, requests=[1])
    assert inference.results == [] and inference.runtime_ctx is ctx
