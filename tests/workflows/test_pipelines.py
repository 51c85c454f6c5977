"""Action pipelines: whole-chain validation before running, result-to-params flow, failures."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import BaseModel, ConfigDict, Field

from synapse_sdk.plugins.action import BaseAction
from synapse_sdk.plugins.decorators import action
from synapse_sdk.plugins.execution import build_runtime_context
from synapse_sdk.plugins.pipelines import (
    ActionPipeline,
    PipelineExecutionError,
    PipelineValidationError,
    merge_result,
    params_for,
)
from synapse_sdk.plugins.types import COCODataset, DMv2Dataset, ModelWeights, YOLODataset

CALLS: list[tuple[str, dict]] = []


@pytest.fixture(autouse=True)
def _reset_calls():
    CALLS.clear()


@pytest.fixture
def ctx():
    context = build_runtime_context(env={}, console=False, client=None, v2_client=None, agent_client=None)
    yield context
    context.logger.finish()


class DownloadParams(BaseModel):
    dataset: int
    split: str = 'train'


class DownloadResult(BaseModel):
    dataset_path: Path
    count: int


class DownloadAction(BaseAction[DownloadParams]):
    action_name = 'download'
    output_type = DMv2Dataset
    result_model = DownloadResult

    def execute(self):
        CALLS.append(('download', self.params.model_dump()))
        return DownloadResult(dataset_path=Path('/data') / str(self.params.dataset), count=3)


class ConvertParams(BaseModel):
    dataset_path: str
    target_format: str = 'yolo'


class ConvertResult(BaseModel):
    converted_path: str
    files_converted: int


@action(
    name='convert',
    params=ConvertParams,
    result=ConvertResult,
    input_type=DMv2Dataset,
    output_type=YOLODataset,
)
def convert(params: ConvertParams, ctx):
    CALLS.append(('convert', params.model_dump()))
    assert isinstance(params.dataset_path, str)  # arrived JSON-compatible, as on Ray
    return {'converted_path': params.dataset_path + '_yolo', 'files_converted': 3}


class TrainParams(BaseModel):
    model_config = ConfigDict(extra='forbid')

    converted_path: str
    epochs: int
    lr: float = 0.01


class TrainResult(BaseModel):
    model_path: str
    final_loss: float


class TrainAction(BaseAction[TrainParams]):
    action_name = 'train'
    input_type = YOLODataset
    output_type = ModelWeights
    result_model = TrainResult

    def execute(self):
        CALLS.append(('train', self.params.model_dump()))
        return TrainResult(model_path=self.params.converted_path + '/best.pt', final_loss=0.1)


class CocoTrainAction(TrainAction):
    action_name = 'coco_train'
    input_type = COCODataset


class NeedsTokenParams(BaseModel):
    token_name: str = Field(alias='tokenName')


class NeedsTokenAction(BaseAction[NeedsTokenParams]):
    action_name = 'needs_token'

    def execute(self):
        return {}


def test_valid_three_action_pipeline_passes_results_along(ctx):
    pipeline = ActionPipeline([DownloadAction, convert, TrainAction])
    progress: list[tuple[int, int, str]] = []
    outcome = pipeline.run({'dataset': 7, 'epochs': 2}, ctx, progress_callback=lambda *a: progress.append(a))

    assert [name for name, _ in CALLS] == ['download', 'convert', 'train']
    assert CALLS[1][1] == {'dataset_path': '/data/7', 'target_format': 'yolo'}
    # the extra='forbid' model only gets its own keys; the others flow past it
    assert CALLS[2][1] == {'converted_path': '/data/7_yolo', 'epochs': 2, 'lr': 0.01}
    assert outcome.result == {'model_path': '/data/7_yolo/best.pt', 'final_loss': 0.1}
    assert outcome.results[0] == {'dataset_path': '/data/7', 'count': 3}
    assert outcome.params['files_converted'] == 3 and outcome.params['dataset'] == 7
    assert progress == [(0, 3, 'download'), (1, 3, 'convert'), (2, 3, 'train'), (3, 3, 'train')]
    assert ctx.logger.get_progress('pipeline').percent == 100.0


def test_type_mismatch_and_missing_field_reported_together_before_running(ctx):
    pipeline = ActionPipeline([DownloadAction, convert, CocoTrainAction])
    with pytest.raises(PipelineValidationError) as info:
        pipeline.run({'dataset': 7}, ctx)  # no epochs anywhere; YOLO output -> COCO input
    assert CALLS == []  # nothing ran
    problems = info.value.problems
    assert {(p.index, p.action, p.field, p.kind) for p in problems} == {
        (2, 'coco_train', 'input_type', 'type_mismatch'),
        (2, 'coco_train', 'epochs', 'missing_field'),
    }
    text = str(info.value)
    assert "actions[2] 'coco_train', field 'input_type'" in text and 'YOLODataset' in text
    assert "actions[2] 'coco_train', field 'epochs'" in text
    assert isinstance(info.value, ValueError)


def test_missing_fields_of_several_actions_and_first_action(ctx):
    pipeline = ActionPipeline([DownloadAction, convert, TrainAction])
    problems = pipeline.check({})
    assert [(p.index, p.field) for p in problems] == [(0, 'dataset'), (2, 'epochs')]


def test_fields_only_come_from_earlier_actions():
    # train needs converted_path, which only convert (after it) provides
    pipeline = ActionPipeline([DownloadAction, TrainAction, convert])
    problems = pipeline.check({'dataset': 1, 'epochs': 1})
    assert [(p.index, p.action, p.field, p.kind) for p in problems] == [
        (1, 'train', 'input_type', 'type_mismatch'),
        (1, 'train', 'converted_path', 'missing_field'),
        (2, 'convert', 'input_type', 'type_mismatch'),
    ]


def test_alias_satisfies_required_field():
    pipeline = ActionPipeline([NeedsTokenAction])
    assert pipeline.check({'tokenName': 'x'}) == []
    assert [p.field for p in pipeline.check({})] == ['token_name']


def test_action_without_result_model_is_named_in_the_hint():
    @action(name='untyped')
    def untyped(params, ctx):
        return {'converted_path': '/x'}

    problems = ActionPipeline([untyped, TrainAction]).check({'epochs': 1})
    assert len(problems) == 1 and "'untyped' declare no result_model" in problems[0].message


def test_non_actions_are_rejected_with_their_position():
    # Not `print`: once Ray has shown a worker's output in this process, builtins.print is Ray's
    # tqdm-safe Python function taking (*args), which a plain (params, ctx) entrypoint may be.
    with pytest.raises(PipelineValidationError) as info:
        ActionPipeline([DownloadAction, len, 42])
    assert [p.index for p in info.value.problems] == [1, 2]
    with pytest.raises(PipelineValidationError, match='at least one action'):
        ActionPipeline([])


def test_failing_action_names_position_and_chains_cause(ctx):
    class Broken(Exception):
        pass

    @action(name='explode', params=ConvertParams, result=ConvertResult)
    def explode(params, ctx):
        raise Broken('disk full')

    pipeline = ActionPipeline([DownloadAction, explode, TrainAction])
    with pytest.raises(
        PipelineExecutionError, match=r"actions\[1\] 'explode' failed: Broken: disk full"
    ) as info:
        pipeline.run({'dataset': 1, 'epochs': 1}, ctx)
    assert isinstance(info.value.__cause__, Broken)
    assert info.value.completed == ['download']
    assert [name for name, _ in CALLS] == ['download']


def test_non_mapping_result_in_the_middle_is_an_error(ctx):
    @action(name='listy')
    def listy(params, ctx):
        return [1, 2]

    @action(name='last')
    def last(params, ctx):
        return 'done'

    outcome = ActionPipeline([last]).run({}, ctx)  # the last action may return anything
    assert outcome.result == 'done'
    with pytest.raises(PipelineExecutionError, match="'listy' returned list") as info:
        ActionPipeline([listy, last]).run({}, ctx)
    assert isinstance(info.value.__cause__, TypeError)


def test_merge_result_is_json_compatible_and_later_keys_win():
    merged = merge_result({'a': 1, 'p': 'old'}, DownloadResult(dataset_path=Path('/d'), count=2))
    assert merged == {'a': 1, 'p': 'old', 'dataset_path': '/d', 'count': 2}
    assert merge_result({'count': 1}, {'count': 5}) == {'count': 5}
    assert merge_result({'a': 1}, None) == {'a': 1}
    with pytest.raises(TypeError, match="'x' returned int"):
        merge_result({}, 3, action='x')


def test_params_for_filters_only_forbidding_models():
    train = ActionPipeline([TrainAction]).definitions[0]
    download = ActionPipeline([DownloadAction]).definitions[0]
    flowing = {'converted_path': 'c', 'epochs': 1, 'other': True}
    assert params_for(train, flowing) == {'converted_path': 'c', 'epochs': 1}
    assert params_for(download, flowing) == flowing


class StageParams(BaseModel):
    stage: int = 0


class StageResult(BaseModel):
    stage: int


class StagedAction(BaseAction[StageParams]):
    """An action running a 4-step workflow."""

    action_name = 'staged'
    result_model = StageResult

    def execute(self):
        from synapse_sdk.plugins.steps import BaseStep, BaseStepContext, Orchestrator, StepResult

        class Tick(BaseStep[BaseStepContext]):
            def __init__(self, i):
                self.name = f'tick_{i}'

            def execute(self, context):
                context.set_progress(1, 1)
                return StepResult()

        Orchestrator([Tick(i) for i in range(4)], BaseStepContext(self.ctx)).execute()
        return StageResult(stage=self.params.stage + 1)


def test_workflows_inside_actions_feed_the_pipeline_progress(ctx):
    overall: list[float] = []
    pipeline_step: list[float] = []
    original = ctx.logger.set_progress

    def spy(current, total, step=None):
        data = original(current, total, step=step)
        overall.append(ctx.logger.progress_record()['current_progress']['overall'])
        if step == 'pipeline':
            pipeline_step.append(current / total)
        return data

    ctx.logger.set_progress = spy
    outcome = ActionPipeline([StagedAction, StagedAction]).run({}, ctx)
    assert outcome.result == {'stage': 2}
    assert pipeline_step == sorted(pipeline_step) and pipeline_step[-1] == 1.0
    assert {0.125, 0.25, 0.375, 0.5, 0.625, 0.75, 0.875} <= set(pipeline_step)  # fractions within actions
    assert overall == sorted(overall) and overall[-1] == 100.0
    # the end of the first action is half way; 100 only comes with the second action
    assert 50.0 in overall and overall.index(50.0) < overall.index(100.0)


def test_execute_is_run(ctx):
    assert ActionPipeline.execute is ActionPipeline.run
    assert ActionPipeline([DownloadAction]).execute({'dataset': 3}, ctx).result == {
        'dataset_path': '/data/3',
        'count': 3,
    }
