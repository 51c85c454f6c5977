"""Unknown params keys are reported with a did-you-mean: a warning by default, an error in strict mode and
whenever the params model forbids extras (issue #16 point 3)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import warnings
from pathlib import Path

import pytest
from pydantic import BaseModel, ConfigDict, Field

from synapse_sdk.plugins import action
from synapse_sdk.plugins.action import BaseAction
from synapse_sdk.plugins.errors import ParamsValidationError
from synapse_sdk.plugins.executors.local import LocalExecutor
from synapse_sdk.plugins.params_check import UnknownParamsWarning, did_you_mean
from synapse_sdk.plugins.runner import run_plugin

REPO_ROOT = Path(__file__).resolve().parents[2]
QUIET = {'console': False, 'client': None, 'v2_client': None, 'agent_client': None}
HELLO = REPO_ROOT / 'examples' / 'hello_plugin'


class Optimizer(BaseModel):
    lr: float = 0.1
    momentum: float = 0.9


class Layer(BaseModel):
    size: int


class TrainParams(BaseModel):
    steps: int = 10
    batch_size: int = Field(default=8, alias='batchSize')
    optimizer: Optimizer = Optimizer()
    layers: list[Layer] = []


ran: list[dict] = []


@action(name='train', params=TrainParams)
def train(params: TrainParams, ctx) -> dict:
    ran.append(params.model_dump())
    return {'steps': params.steps}


@pytest.fixture(autouse=True)
def _fresh(monkeypatch):
    ran.clear()
    monkeypatch.delenv('SYNAPSE_STRICT_PARAMS', raising=False)


def _unknown(record) -> list[tuple[str, str | None, str]]:
    return [
        (w.message.param, w.message.suggestion, w.message.action)
        for w in record
        if issubclass(w.category, UnknownParamsWarning)
    ]


def test_typo_is_a_warning_with_did_you_mean_and_the_run_goes_on():
    with pytest.warns(
        UnknownParamsWarning,
        match=r"Action 'train': unknown param 'stepz' ignored \(did you mean 'steps'\?\)",
    ) as record:
        result = LocalExecutor(**QUIET).execute(train, {'stepz': 3})
    assert result == {'steps': 10}  # the default, as before: a warning, not a refusal
    assert _unknown(record) == [('stepz', 'steps', 'train')]
    assert record[0].filename == __file__  # attributed to the caller, not to SDK internals


def test_nested_models_aliases_and_lists_are_checked_along_the_validated_data():
    params = {
        'batchSize': 4,  # an alias is a known key
        'optimizer': {'lr': 0.5, 'momentun': 0.8},
        'layers': [{'size': 1}, {'size': 2, 'sise': 3}],
        'zzz': 1,  # nothing close: no suggestion
    }
    with pytest.warns(UnknownParamsWarning) as record:
        LocalExecutor(**QUIET).execute(train, params)
    assert sorted(_unknown(record)) == [
        ('layers[1].sise', 'size', 'train'),
        ('optimizer.momentun', 'momentum', 'train'),
        ('zzz', None, 'train'),
    ]
    assert ran[0]['optimizer'] == {'lr': 0.5, 'momentum': 0.9}


def test_strict_refuses_before_the_action_runs():
    with pytest.raises(ParamsValidationError) as info:
        LocalExecutor(**QUIET, strict_params=True).execute(train, {'stepz': 3, 'optimizer': {'lrr': 1}})
    assert ran == []
    assert info.value.errors == [
        {'loc': 'stepz', 'msg': "unknown param (did you mean 'steps'?)", 'type': 'unknown_param'},
        {'loc': 'optimizer.lrr', 'msg': "unknown param (did you mean 'lr'?)", 'type': 'unknown_param'},
    ]
    assert "  - stepz: unknown param (did you mean 'steps'?)" in str(info.value)


def test_strict_from_run_plugin_and_from_the_environment(monkeypatch):
    with pytest.raises(ParamsValidationError, match=r"timez: unknown param \(did you mean 'times'\?\)"):
        run_plugin(str(HELLO), 'greet', {'name': 'Ada', 'timez': 2}, strict_params=True, **QUIET)
    monkeypatch.setenv('SYNAPSE_STRICT_PARAMS', '1')
    with pytest.raises(ParamsValidationError, match='timez'):
        run_plugin(str(HELLO), 'greet', {'name': 'Ada', 'timez': 2}, **QUIET)
    with pytest.warns(UnknownParamsWarning, match='timez'):  # an explicit False wins over the environment
        result = run_plugin(str(HELLO), 'greet', {'name': 'Ada', 'timez': 2}, strict_params=False, **QUIET)
    assert result['message'] == 'Hello, Ada!'


def test_a_model_that_forbids_extras_refuses_them_always_with_did_you_mean():
    class Strict(BaseModel):
        model_config = ConfigDict(extra='forbid')
        epochs: int = 1
        optimizer: Optimizer = Optimizer()

    class Inner(BaseModel):
        model_config = ConfigDict(extra='forbid')
        lr: float = 0.1

    class Outer(BaseModel):
        inner: Inner | None = None

    @action(params=Strict)
    def strict_fn(params, ctx):
        return 1

    @action(params=Outer)
    def outer_fn(params, ctx):
        return 1

    with pytest.raises(ParamsValidationError) as info:
        LocalExecutor(**QUIET, strict_params=False).execute(strict_fn, {'epoch': 2})
    assert info.value.errors == [
        {'loc': 'epoch', 'msg': "unknown param (did you mean 'epochs'?)", 'type': 'extra_forbidden'}
    ]
    with pytest.raises(ParamsValidationError, match=r"inner\.lrr: unknown param \(did you mean 'lr'\?\)"):
        LocalExecutor(**QUIET).execute(outer_fn, {'inner': {'lrr': 1}})


def test_a_model_that_allows_extras_takes_them_silently():
    class Open(BaseModel):
        model_config = ConfigDict(extra='allow')
        epochs: int = 1

    @action(params=Open)
    def open_fn(params, ctx):
        return params.model_extra

    with warnings.catch_warnings():
        warnings.simplefilter('error', UnknownParamsWarning)
        assert LocalExecutor(**QUIET, strict_params=True).execute(open_fn, {'epoch': 2}) == {'epoch': 2}


def test_without_a_params_model_keys_never_read_are_reported_after_the_run(transport):
    @action(name='infer')
    def infer(params, ctx):
        return {'steps': params.get('steps', 10), 'has_mode': 'mode' in params}

    with pytest.warns(
        UnknownParamsWarning, match=r"'infer': 'stepz' was never read \(did you mean 'steps'\?\)"
    ):
        assert LocalExecutor(**QUIET).execute(infer, {'stepz': 3, 'mode': 'x'}) == {
            'steps': 10,
            'has_mode': True,
        }

    # strict: the run fails (after it ran: only then is it known what the action read), and says so to the job
    executor = LocalExecutor(console=False, client=transport, v2_client=None, agent_client=None, job_id='7')
    with pytest.raises(
        ParamsValidationError, match=r"stepz: never read by the action \(did you mean 'steps'\?\)"
    ):
        executor.strict_params = True
        executor.execute(infer, {'stepz': 3})
    assert transport.statuses()[-1] == 'FAILED'


def test_without_a_params_model_class_actions_are_checked_too():
    class Count(BaseAction):
        def execute(self):
            return self.params.get('to', 1)

    with pytest.warns(UnknownParamsWarning, match=r"'count': 'too' was never read \(did you mean 'to'\?\)"):
        assert LocalExecutor(**QUIET).execute(Count, {'too': 3}) == 1


@pytest.mark.parametrize(
    'body',
    [
        'return dict(params)',
        'return {**params}',
        'return json.dumps(params)',
        'return sorted(params.items())',
        'return [k for k in params]',
        'return (lambda **kw: kw)(**params)',
        'return copy.deepcopy(params)',
        'return 1',  # never looked a key up: not judged (it may have handed the dict to unseen readers)
    ],
)
def test_without_a_params_model_using_the_whole_dict_reports_nothing(body):
    namespace: dict = {}
    exec(f'import copy, json\ndef whole(params, ctx):\n    {body}\n', namespace)
    with warnings.catch_warnings():
        warnings.simplefilter('error', UnknownParamsWarning)
        LocalExecutor(**QUIET, strict_params=True).execute(action(namespace['whole']), {'a': 1, 'b': 2})


def test_pipelines_pass_the_flowing_params_without_reporting_them():
    from synapse_sdk.plugins.pipelines import ActionPipeline

    class First(BaseModel):
        steps: int = 1

    class Second(BaseModel):
        total: int

    class FirstResult(BaseModel):
        total: int

    @action(name='first', params=First, result=FirstResult)
    def first(params, ctx):
        return {'total': params.steps * 2}

    @action(name='second', params=Second)
    def second(params, ctx):
        return {'double': params.total * 2}

    from synapse_sdk.plugins.execution import build_runtime_context

    ctx = build_runtime_context(**QUIET)
    with warnings.catch_warnings():
        warnings.simplefilter('error', UnknownParamsWarning)
        result = ActionPipeline([first, second]).run({'steps': 3}, ctx)
    assert result.result == {'double': 12}


@pytest.mark.parametrize(
    ('key', 'known', 'expected'),
    [('stepz', ['steps', 'batch'], 'steps'), ('Epochs', ['epochs'], 'epochs'), ('x', ['epochs'], None)],
)
def test_did_you_mean(key, known, expected):
    assert did_you_mean(key, known) == expected


@pytest.mark.integration
def test_the_runner_command_line_warns_and_refuses_in_strict_mode():
    cmd = [sys.executable, '-m', 'synapse_sdk.plugins.runner', str(HELLO), 'greet', '--quiet']
    params = ['--params', json.dumps({'name': 'Ada', 'timez': 2})]
    env = {k: v for k, v in os.environ.items() if k != 'SYNAPSE_STRICT_PARAMS'}
    warned = subprocess.run([*cmd, *params], capture_output=True, text=True, cwd=REPO_ROOT, env=env)
    assert warned.returncode == 0, warned.stderr
    assert json.loads(warned.stdout)['message'] == 'Hello, Ada!'
    assert (
        "UnknownParamsWarning: Action 'greet': unknown param 'timez' ignored (did you mean 'times'?)"
        in warned.stderr
    )
    refused = subprocess.run(
        [*cmd, *params, '--strict-params'], capture_output=True, text=True, cwd=REPO_ROOT, env=env
    )
    assert refused.returncode == 2
    assert refused.stdout == ''
    assert "timez: unknown param (did you mean 'times'?)" in refused.stderr
