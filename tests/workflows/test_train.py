"""BaseTrainAction against the fake backend: the seed 002 example, the step workflow, conversion."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import BaseModel

from synapse_sdk.plugins.errors import ActionExecutionError
from synapse_sdk.plugins.execution import run_action
from synapse_sdk.plugins.steps import StepFailedError


@pytest.fixture
def dataset(fake_backend, dm, tmp_path):
    """A ground-truth dataset version with 3 train and 1 validation items (files via file:// URLs)."""
    version = fake_backend.state.add('ground_truth_versions', version='1.0')
    for i, category in enumerate(['train', 'train', 'train', 'validation']):
        image = dm.png(tmp_path / 'blobs' / f'img_{i}.png')
        fake_backend.state.add_ground_truth_event(
            ground_truth_dataset_version=version['id'],
            category=category,
            data=dm.document(),
            files={'image_1': {'url': image.as_uri(), 'is_primary': True}},
        )
    fake_backend.state.add_ground_truth_event(ground_truth_dataset_version=999, category='train', data={})
    return version


def test_seed_002_train_example_runs_as_written(fake_backend, dataset, make_ctx, tmp_path):
    # -- from seed 002, "BaseTrainAction" (with a _train of our own) --
    from synapse_sdk.plugins import BaseTrainAction

    class TrainParams(BaseModel):
        dataset: int
        epochs: int = 10

    class MyTrainAction(BaseTrainAction[TrainParams]):
        action_name = 'train'
        params_model = TrainParams

        def execute(self) -> dict:
            # Helper methods use self.client (from RuntimeContext)
            dataset = self.get_dataset()  # Uses params.dataset
            self.set_progress(1, 3, self.progress.DATASET)

            model_path = self._train(dataset)
            self.set_progress(2, 3, self.progress.TRAIN)

            model = self.create_model(model_path, name='my-model')
            self.set_progress(3, 3, self.progress.MODEL_UPLOAD)

            return {'model_id': model['id']}

        def _train(self, dataset):
            path = tmp_path / 'weights.pt'
            path.write_bytes(b'weights of ' + dataset['version'].encode())
            return path

    # -- end of seed --
    ctx = make_ctx()
    result = run_action(MyTrainAction, {'dataset': dataset['id']}, ctx)
    model = fake_backend.state.models[result['model_id']]
    assert model['name'] == 'my-model'
    upload = fake_backend.state.chunked_uploads[int(model['chunked_upload'])]
    assert upload['content'] == b'weights of 1.0'
    assert {s: ctx.logger.get_progress(s).current for s in ('dataset', 'train', 'model_upload')} == {
        'dataset': 1,
        'train': 2,
        'model_upload': 3,
    }


class WorkflowParams(BaseModel):
    dataset: int | None = None
    name: str | None = None


def test_default_workflow_downloads_trains_and_uploads(fake_backend, dataset, make_ctx):
    from synapse_sdk.plugins.actions.train import BaseTrainAction, TrainContext

    seen = {}

    class Train(BaseTrainAction[WorkflowParams]):
        action_name = 'train'

        def train(self, context: TrainContext):
            root = context.dataset_path
            seen['train'] = sorted(p.name for p in (root / 'train' / 'json').iterdir())
            seen['valid'] = sorted(p.name for p in (root / 'valid' / 'original_files').iterdir())
            out = context.work_dir / 'model'
            out.mkdir()
            (out / 'best.pt').write_bytes(b'w')
            context.set_progress(1, 1)
            return {'model_path': out, 'metrics': {'mAP': 0.5}}

    ctx = make_ctx()
    result = run_action(Train, {'dataset': dataset['id'], 'name': 'detector'}, ctx)
    assert seen == {'train': ['img_0.json', 'img_1.json', 'img_2.json'], 'valid': ['img_3.png']}
    assert result['steps_executed'] == ['dataset', 'train', 'model_upload']
    assert result['metrics'] == {'mAP': 0.5}
    model = fake_backend.state.models[result['model_id']]
    assert model['name'] == 'detector'
    assert (
        fake_backend.state.chunked_uploads[int(model['chunked_upload'])]['content'][:2] == b'PK'
    )  # zipped dir
    assert ctx.logger.get_progress('dataset').percent == 100.0


def test_workflow_with_conversion_and_failure_rolls_back(fake_backend, dataset, make_ctx):
    pytest.importorskip('synapse_sdk.utils.converters')
    from synapse_sdk.plugins.actions.train import BaseTrainAction

    seen = {}

    class YoloTrain(BaseTrainAction[WorkflowParams]):
        action_name = 'train'
        target_format = 'yolo'

        def train(self, context):
            seen['files'] = sorted(
                str(p.relative_to(context.dataset_path)) for p in context.dataset_path.rglob('*.txt')
            )
            seen['work'] = context.work_dir
            raise RuntimeError('out of GPU memory')

    with pytest.raises(ActionExecutionError) as info:
        run_action(YoloTrain, {'dataset': dataset['id']}, make_ctx())
    error = info.value.__cause__
    assert isinstance(error, StepFailedError) and error.step == 'train'
    assert error.rolled_back == ['convert_dataset', 'dataset']
    assert any(name.endswith('img_0.txt') for name in seen['files'])
    assert not Path(seen['work']).exists()
    assert fake_backend.state.models == {}


def test_train_hook_missing_is_explained(fake_backend, make_ctx):
    from synapse_sdk.plugins.actions.train import BaseTrainAction

    class Lazy(BaseTrainAction[WorkflowParams]):
        action_name = 'lazy'

    with pytest.raises(ActionExecutionError, match=r'must implement train\(context\)'):
        run_action(Lazy, {}, make_ctx())


def test_helpers_need_a_backend(make_ctx, tmp_path):
    from synapse_sdk.plugins.actions.train import BaseTrainAction

    class Train(BaseTrainAction[WorkflowParams]):
        def execute(self):
            return self.get_dataset()

    with pytest.raises(ActionExecutionError, match='needs the backend'):
        run_action(Train, {'dataset': 1}, make_ctx(client=None))


def test_dataset_helpers_name_the_missing_dataset_param(fake_backend, make_ctx, tmp_path):
    from synapse_sdk.plugins.actions.train import BaseTrainAction

    class Train(BaseTrainAction[WorkflowParams]):
        def execute(self):
            return self.download_dataset(tmp_path / 'dataset')

    with pytest.raises(ActionExecutionError, match=r'Train\.download_dataset\(\) needs a `dataset` param'):
        run_action(Train, {}, make_ctx())
    assert not fake_backend.requests_to(r'ground_truth')


def test_dataset_writer_keeps_items_that_share_a_file_name(tmp_path, dm):
    from synapse_sdk.plugins.actions.train import write_dm_dataset

    a = dm.png(tmp_path / 'a' / 'img.png')
    b = dm.png(tmp_path / 'b' / 'img.png', width=8)
    items = [
        {
            'id': 1,
            'category': 'train',
            'data': {'n': 1},
            'files': {'image_1': {'url': a.as_uri(), 'is_primary': True}},
        },
        {
            'id': 2,
            'category': 'train',
            'data': '{"n": 2}',
            'files': {'image_1': {'url': b.as_uri(), 'is_primary': True}},
        },
        {'id': 3, 'data': {'n': 3}, 'files': {}},
    ]
    seen = []
    counts = write_dm_dataset(items, tmp_path / 'out', total=3, progress=lambda d, t: seen.append((d, t)))
    assert counts == {'train': 2, 'all': 1}
    assert sorted(p.name for p in (tmp_path / 'out' / 'train' / 'json').iterdir()) == [
        '2_img.json',
        'img.json',
    ]
    assert (tmp_path / 'out' / 'train' / 'original_files' / '2_img.png').read_bytes() == b.read_bytes()
    assert (tmp_path / 'out' / 'json' / '3.json').read_text().strip().startswith('{')
    assert seen == [(1, 3), (2, 3), (3, 3)]
