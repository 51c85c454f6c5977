"""The step-context examples of seed 001, run as written with a real RuntimeContext."""

from __future__ import annotations

# -- from seed 001, "Action-Specific Contexts" --
from dataclasses import dataclass, field
from typing import Any

from synapse_sdk.plugins.steps import BaseStepContext


@dataclass
class MyStepContext(BaseStepContext):
    # BaseStepContext includes runtime_ctx: RuntimeContext
    params: dict[str, Any] = field(default_factory=dict)
    results: list[Any] = field(default_factory=list)


# -- from seed 001, "Accessing RuntimeContext from Step Context" --
from synapse_sdk.plugins.actions.train import TrainContext  # noqa: E402
from synapse_sdk.plugins.steps import BaseStep, StepResult  # noqa: E402


# Usage within a Step
class LoadDataStep(BaseStep[TrainContext]):
    def execute(self, context: TrainContext) -> StepResult:
        # Access RuntimeContext methods through runtime_ctx
        context.runtime_ctx.set_progress(0, 100, step='load')
        context.runtime_ctx.log_message('Loading dataset...', 'info')

        # Or use BaseStepContext convenience methods
        context.set_progress(50, 100)  # Step auto-set from current_step
        context.log('data_loaded', {'count': 1000})

        return StepResult(success=True)


# -- end of seed --

from synapse_sdk.plugins.steps import Orchestrator  # noqa: E402


class CollectStep(BaseStep[MyStepContext]):
    def execute(self, context: MyStepContext) -> StepResult:
        context.results.append(context.params['value'] * 2)
        return StepResult(data={'doubled': context.results[-1]})


def test_my_step_context_example(make_ctx):
    ctx = make_ctx(client=None)
    context = MyStepContext(runtime_ctx=ctx, params={'value': 21})
    outcome = Orchestrator([CollectStep()], context).execute()
    assert context.results == [42] and outcome.steps_executed == ['collect']
    assert context.step_results['collect'].data == {'doubled': 42}


def test_load_data_step_example(make_ctx, tmp_path):
    ctx = make_ctx(client=None, env={'SYNAPSE_LOG_FILE': str(tmp_path / 'run.jsonl')})
    context = TrainContext(ctx)
    seen: list[float] = []
    Orchestrator([LoadDataStep()], context, progress_callback=seen.append).execute()
    assert LoadDataStep.name == 'load_data'
    assert ctx.logger.get_progress('load').current == 0
    assert ctx.logger.get_progress('load_data').percent == 100.0
    assert seen == [50.0, 100.0]
    ctx.logger.flush()
    lines = (tmp_path / 'run.jsonl').read_text()
    assert 'data_loaded' in lines and 'Loading dataset...' in lines and '"load_data"' in lines
