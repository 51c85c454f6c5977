"""Step machinery: registry rules, orchestration order, weighted progress, rollback semantics."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from synapse_sdk.plugins.errors import ExecutionError, PluginError
from synapse_sdk.plugins.steps import (
    BaseStep,
    BaseStepContext,
    Orchestrator,
    StepFailedError,
    StepRegistry,
    StepRegistryError,
    StepResult,
)


@dataclass
class JournalContext(BaseStepContext):
    """Context whose journal records every hook call, in order."""

    journal: list[tuple[str, str]] = field(default_factory=list)


class Boom(Exception):
    pass


class ScriptedStep(BaseStep[JournalContext]):
    """A step whose behaviour is chosen per test: succeed, raise, return failure, skip."""

    def __init__(
        self,
        name: str,
        *,
        weight: float = 1.0,
        fail: str | None = None,
        skip: bool = False,
        rollback_raises: bool = False,
        abort_raises: bool = False,
        progress_ticks: int = 0,
    ):
        self.name = name
        self.progress_weight = weight
        self.fail = fail
        self.skip = skip
        self.rollback_raises = rollback_raises
        self.abort_raises = abort_raises
        self.progress_ticks = progress_ticks

    def can_skip(self, context: JournalContext) -> bool:
        return self.skip

    def execute(self, context: JournalContext) -> StepResult:
        assert context.current_step == self.name
        context.journal.append(('execute', self.name))
        for tick in range(1, self.progress_ticks + 1):
            context.set_progress(tick, self.progress_ticks)
        if self.fail == 'raise':
            raise Boom(f'{self.name} exploded')
        if self.fail == 'result':
            return StepResult(success=False, error=f'{self.name} said no')
        return StepResult(data={'by': self.name}, rollback_data={'undo': self.name})

    def rollback(self, context: JournalContext, result: StepResult) -> None:
        assert result.rollback_data == {'undo': self.name}
        context.journal.append(('rollback', self.name))
        if self.rollback_raises:
            raise RuntimeError(f'cannot undo {self.name}')

    def abort(self, context: JournalContext, error: BaseException | None) -> None:
        context.journal.append(('abort', self.name))
        if self.abort_raises:
            raise RuntimeError(f'cannot abort {self.name}')


def run(steps: list[BaseStep], runtime: Any, **kw: Any) -> tuple[JournalContext, list[float]]:
    context = JournalContext(runtime)
    seen: list[float] = []
    Orchestrator(StepRegistry(steps), context, progress_callback=seen.append, **kw).execute()
    return context, seen


# -- registry -----------------------------------------------------------------------------------


def test_registry_inserts_before_and_after_named_steps():
    registry = StepRegistry([ScriptedStep('a'), ScriptedStep('c')])
    registry.insert_before('c', ScriptedStep('b')).insert_after('c', ScriptedStep('d'))
    registry.insert_before('a', ScriptedStep('start'))
    assert registry.names == ['start', 'a', 'b', 'c', 'd']
    assert registry.total_weight == 5.0
    assert 'b' in registry and 'z' not in registry


def test_registry_rejects_duplicate_names_everywhere():
    registry = StepRegistry([ScriptedStep('a'), ScriptedStep('b')])
    for add in (
        lambda: registry.register(ScriptedStep('a')),
        lambda: registry.insert_after('a', ScriptedStep('b')),
        lambda: registry.insert_before('b', ScriptedStep('a')),
        lambda: registry.replace('a', ScriptedStep('b')),
    ):
        with pytest.raises(StepRegistryError, match='already registered'):
            add()
    assert registry.names == ['a', 'b']
    with pytest.raises(ValueError):  # StepRegistryError is also a ValueError
        StepRegistry([ScriptedStep('x'), ScriptedStep('x')])


def test_registry_unknown_anchor_names_known_steps():
    registry = StepRegistry([ScriptedStep('a')])
    with pytest.raises(StepRegistryError, match=r"No step named 'zz'.*'a'"):
        registry.insert_after('zz', ScriptedStep('b'))
    with pytest.raises(StepRegistryError):
        registry.unregister('zz')


def test_registry_replace_keeps_position_and_unregister_removes():
    registry = StepRegistry([ScriptedStep('a'), ScriptedStep('b'), ScriptedStep('c')])
    new_b = ScriptedStep('b', weight=3)
    registry.replace('b', new_b)
    assert registry.get('b') is new_b and registry.names == ['a', 'b', 'c']
    registry.unregister('a')
    assert registry.names == ['b', 'c']


@pytest.mark.parametrize('weight', [-1, float('nan'), 'x', True])
def test_registry_rejects_bad_weights(weight):
    with pytest.raises(StepRegistryError, match='progress_weight'):
        StepRegistry([ScriptedStep('a', weight=weight)])


def test_registry_rejects_non_steps():
    with pytest.raises(StepRegistryError, match='BaseStep'):
        StepRegistry().register(lambda ctx: None)  # type: ignore[arg-type]


def test_default_step_names_and_inheritance():
    class LoadDataStep(BaseStep[BaseStepContext]):
        def execute(self, context):
            return StepResult()

    class HTTPFetchStep(LoadDataStep):
        pass

    class Named(BaseStep[BaseStepContext]):
        name = 'fixed'

        def execute(self, context):
            return StepResult()

    class Custom(Named):
        pass

    assert LoadDataStep().name == 'load_data'
    assert HTTPFetchStep().name == 'http_fetch'
    assert Custom().name == 'fixed'  # an explicit name is inherited
    assert LoadDataStep.progress_weight == 1.0


def test_step_context_subclass_may_add_required_fields(runtime):
    @dataclass
    class Ctx(BaseStepContext):
        params: dict

    ctx = Ctx(runtime, {'a': 1})
    assert ctx.params == {'a': 1} and ctx.step_results == {} and ctx.current_step is None


# -- running ------------------------------------------------------------------------------------


def test_success_runs_in_order_and_reports_steps(runtime):
    steps = [ScriptedStep('a'), ScriptedStep('b', skip=True), ScriptedStep('c')]
    context = JournalContext(runtime)
    result = Orchestrator(steps, context).execute()
    assert context.journal == [('execute', 'a'), ('execute', 'c')]
    assert result.steps_executed == ['a', 'c'] and result.steps_skipped == ['b']
    assert result.steps_total == 3 and result.success
    assert context.step_results['a'].data == {'by': 'a'} and context.step_results['b'].skipped
    assert runtime.logger.proportions == {'a': 1.0, 'b': 1.0, 'c': 1.0}
    assert runtime.logger.steps == ['a', 'b', 'c', None]
    assert context.current_step is None
    # every step ends at 100 % in the runtime's per-step progress
    assert {(s, c, t) for c, t, s in runtime.progress} == {('a', 1, 1), ('b', 1, 1), ('c', 1, 1)}


def test_step_context_helpers_fill_in_current_step(runtime):
    class Reporter(BaseStep[BaseStepContext]):
        name = 'report'

        def execute(self, context):
            context.set_progress(1, 4)
            context.set_metrics({'loss': 0.5})
            context.log('data_loaded', {'count': 3})
            context.log_message('hello', 'info')
            return StepResult()

    context = BaseStepContext(runtime)
    Orchestrator([Reporter()], context).execute()
    assert runtime.progress[0] == (1, 4, 'report')
    assert runtime.metrics == [({'loss': 0.5}, 'report')]
    assert ('data_loaded', {'count': 3}, None) in runtime.events
    assert runtime.messages == [('hello', ('info',), {})]
    with pytest.raises(ValueError, match='needs a step'):
        context.set_metrics({'x': 1})


def test_progress_is_weighted(runtime):
    steps = [
        ScriptedStep('small', weight=1, progress_ticks=2),
        ScriptedStep('big', weight=3, progress_ticks=3),
    ]
    _, seen = run(steps, runtime)
    assert seen == pytest.approx([12.5, 25.0, 50.0, 75.0, 100.0])


def test_progress_restarting_counter_does_not_move_backwards(runtime):
    class Restart(BaseStep[BaseStepContext]):
        name = 'restart'

        def execute(self, context):
            context.set_progress(8, 10)
            context.set_progress(2, 10)  # e.g. a second pass over the data
            context.set_progress(20, 10)  # overshoot is clamped
            return StepResult()

    seen: list[float] = []
    Orchestrator(
        [Restart(), ScriptedStep('next')], JournalContext(runtime), progress_callback=seen.append
    ).execute()
    assert seen == pytest.approx([40.0, 50.0, 100.0])


def test_zero_weights_count_steps_equally(runtime):
    _, seen = run([ScriptedStep('a', weight=0), ScriptedStep('b', weight=0)], runtime)
    assert seen == [50.0, 100.0]


def test_non_step_result_is_a_failure_naming_the_step(runtime):
    class Sloppy(BaseStep[BaseStepContext]):
        name = 'sloppy'

        def execute(self, context):
            return {'ok': True}

    with pytest.raises(StepFailedError, match="Step 'sloppy' failed: TypeError") as info:
        Orchestrator([Sloppy()], BaseStepContext(runtime)).execute()
    assert isinstance(info.value.__cause__, TypeError)


def test_error_types_fit_the_runtime_hierarchy(runtime):
    with pytest.raises(StepFailedError) as info:
        run([ScriptedStep('a'), ScriptedStep('b', fail='raise')], runtime)
    error = info.value
    assert (
        isinstance(error, ExecutionError)
        and isinstance(error, PluginError)
        and isinstance(error, RuntimeError)
    )
    assert error.step == 'b' and error.index == 1 and error.rolled_back == ['a']
    assert isinstance(error.original, Boom) and error.__cause__ is error.original
    assert 'b exploded' in str(error)


def test_keyboard_interrupt_rolls_back_then_propagates(runtime):
    class Interrupted(BaseStep[JournalContext]):
        name = 'interrupted'

        def execute(self, context):
            raise KeyboardInterrupt

    context = JournalContext(runtime)
    with pytest.raises(KeyboardInterrupt):
        Orchestrator([ScriptedStep('a'), Interrupted()], context).execute()
    assert context.journal == [('execute', 'a'), ('rollback', 'a')]


def test_failing_can_skip_counts_as_step_failure(runtime):
    class BadSkip(ScriptedStep):
        def can_skip(self, context):
            raise Boom('cannot decide')

    context = JournalContext(runtime)
    with pytest.raises(StepFailedError, match="'bad'") as info:
        Orchestrator([ScriptedStep('a'), BadSkip('bad')], context).execute()
    assert isinstance(info.value.__cause__, Boom)
    assert context.journal == [('execute', 'a'), ('abort', 'bad'), ('rollback', 'a')]


# -- property: rollback of exactly the completed steps -----------------------------------------

step_specs = st.lists(
    st.fixed_dictionaries(
        {
            'skip': st.booleans(),
            'rollback_raises': st.booleans(),
            'weight': st.sampled_from([0, 0.5, 1, 3]),
            'ticks': st.integers(0, 3),
        }
    ),
    min_size=1,
    max_size=8,
)


@settings(max_examples=300, deadline=None)
@given(specs=step_specs, data=st.data())
def test_failure_at_any_index_rolls_back_exactly_the_completed_steps(make_runtime, specs, data):
    n = len(specs)
    fail_at = data.draw(st.integers(0, n - 1), label='fail_at')
    mode = data.draw(st.sampled_from(['raise', 'result']), label='mode')
    steps = []
    for i, spec in enumerate(specs):
        steps.append(
            ScriptedStep(
                f's{i}',
                weight=spec['weight'],
                skip=spec['skip'] and i != fail_at,
                rollback_raises=spec['rollback_raises'],
                fail=mode if i == fail_at else None,
                progress_ticks=spec['ticks'],
            )
        )
    runtime = make_runtime()
    context = JournalContext(runtime)
    seen: list[float] = []
    with pytest.raises(StepFailedError) as info:
        Orchestrator(StepRegistry(steps), context, progress_callback=seen.append).execute()
    error = info.value

    completed = [s.name for s in steps[:fail_at] if not s.skip]
    executed = [name for op, name in context.journal if op == 'execute']
    rollbacks = [name for op, name in context.journal if op == 'rollback']
    aborts = [name for op, name in context.journal if op == 'abort']
    assert executed == [*completed, f's{fail_at}']  # nothing after the failure ran
    assert rollbacks == list(reversed(completed))  # exactly the completed ones, newest first, once each
    assert aborts == [f's{fail_at}']
    assert context.journal.index(('abort', f's{fail_at}')) == len(
        executed
    )  # abort right away, before rollbacks

    assert error.step == f's{fail_at}' and error.index == fail_at
    assert f"Step 's{fail_at}' failed" in str(error)
    if mode == 'raise':
        assert isinstance(error.__cause__, Boom) and error.original is error.__cause__
    else:
        assert error.__cause__ is None and 'said no' in str(error)
    raising = [s.name for s in reversed(steps[:fail_at]) if not s.skip and s.rollback_raises]
    assert [f.step for f in error.rollback_errors] == raising
    assert error.rolled_back == [name for name in reversed(completed) if name not in raising]
    assert all(0 <= p <= 100 for p in seen) and seen == sorted(seen) and (not seen or seen[-1] < 100)


@settings(max_examples=200, deadline=None)
@given(specs=step_specs)
def test_successful_workflow_progress_is_monotonic_and_ends_at_100(make_runtime, specs):
    steps = [
        ScriptedStep(f's{i}', weight=spec['weight'], skip=spec['skip'], progress_ticks=spec['ticks'])
        for i, spec in enumerate(specs)
    ]
    runtime = make_runtime()
    context, seen = run(steps, runtime)
    assert [name for op, name in context.journal if op == 'rollback'] == []
    assert seen == sorted(seen) and len(set(seen)) == len(seen)
    assert all(0 < p <= 100 for p in seen) and seen[-1] == 100.0


def test_abort_failure_is_collected_and_rollbacks_continue(runtime):
    steps = [
        ScriptedStep('a'),
        ScriptedStep('b', rollback_raises=True),
        ScriptedStep('c', fail='raise', abort_raises=True),
    ]
    context = JournalContext(runtime)
    with pytest.raises(StepFailedError) as info:
        Orchestrator(steps, context).execute()
    error = info.value
    assert [f.step for f in error.rollback_errors] == ['c', 'b']
    assert context.journal[-3:] == [('abort', 'c'), ('rollback', 'b'), ('rollback', 'a')]
    assert 'rollback also failed for 2 step(s)' in str(error)
    assert any('Rollback failed' in e for e in context.errors)
    assert context.step_results['c'].success is False


@pytest.mark.parametrize('n', range(1, 7))
def test_every_failure_index_of_every_length_rolls_back_exactly_the_completed_steps(make_runtime, n):
    for fail_at in range(n):
        steps = [ScriptedStep(f's{i}', fail='raise' if i == fail_at else None) for i in range(n)]
        context = JournalContext(make_runtime())
        with pytest.raises(StepFailedError) as info:
            Orchestrator(steps, context).execute()
        completed = [f's{i}' for i in range(fail_at)]
        assert [name for op, name in context.journal if op == 'rollback'] == completed[::-1]
        assert info.value.step == f's{fail_at}' and isinstance(info.value.__cause__, Boom)
        assert info.value.rolled_back == completed[::-1]


def test_step_context_type_hints_resolve():
    import typing

    from synapse_sdk.plugins.context import RuntimeContext

    assert typing.get_type_hints(BaseStepContext)['runtime_ctx'] is RuntimeContext


def test_nested_workflow_feeds_the_enclosing_step(runtime):
    class Inner(BaseStep[BaseStepContext]):
        def execute(self, context):
            context.set_progress(1, 2)
            context.set_progress(2, 2)
            return StepResult()

    class Outer(BaseStep[BaseStepContext]):
        name = 'outer'

        def execute(self, context):
            inner = JournalContext(context.runtime_ctx)
            Orchestrator([Inner(), ScriptedStep('after_inner')], inner).execute()
            context.log('back_in_outer', {})
            return StepResult()

    seen: list[float] = []
    Orchestrator(
        [Outer(), ScriptedStep('last')], JournalContext(runtime), progress_callback=seen.append
    ).execute()
    # the inner workflow (2 equal steps) moves the outer step's half of the bar: 12.5, 25, 50 ...
    assert seen == pytest.approx([12.5, 25.0, 50.0, 100.0])
    assert runtime.logger.proportions == {'outer': 1.0, 'last': 1.0}  # the inner one did not replace them
    assert runtime.logger.steps == ['outer', 'inner', 'after_inner', 'outer', 'last', None]
