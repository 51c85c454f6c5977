"""`Orchestrator`: runs a workflow's steps in order, with weighted progress and real rollback.

Guarantees, whatever the steps do:

* Steps run in registry order; a step whose `can_skip` returns True counts as done and is never
  rolled back.
* Overall progress goes from 0 to 100, weighted by each step's ``progress_weight``, and never
  moves backwards (a step restarting its own counter does not pull the bar back). 100 is only
  reported once every step has succeeded.
* When a step fails (raises, or returns ``StepResult(success=False)``): its `abort` hook runs,
  then the `rollback` of every step that completed, newest first, each exactly once. A hook that
  raises is recorded and the others still run. Finally `StepFailedError` is raised, naming the
  step, with the original exception as ``__cause__`` (so its traceback is kept).
* ``KeyboardInterrupt`` and other non-``Exception`` interrupts also trigger the rollback, then
  propagate unchanged.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, Generic, NoReturn, Protocol, runtime_checkable

from synapse_sdk.plugins.steps.base import BaseStep, C, StepResult
from synapse_sdk.plugins.steps.errors import RollbackFailure, StepFailedError
from synapse_sdk.plugins.steps.registry import StepRegistry

__all__ = ['Orchestrator', 'ProgressCallback', 'WorkflowResult', 'enclosing_progress']

ProgressCallback = Callable[[float], None]
"""Receives the overall progress of the workflow as a percentage (0-100, non-decreasing)."""

_ENCLOSING: ContextVar[ProgressCallback | None] = ContextVar('synapse_enclosing_progress', default=None)


@runtime_checkable
class StepProportions(Protocol):
    """A logger that weighs its steps' progress (`BaseLogger` does); others are left alone."""

    def set_step_proportions(self, proportions: Mapping[str, float]) -> None: ...


@runtime_checkable
class CurrentStep(Protocol):
    """A logger that knows its current step (`BaseLogger` does)."""

    def get_step(self) -> str | None: ...


@contextlib.contextmanager
def enclosing_progress(callback: ProgressCallback) -> Iterator[None]:
    """Make workflows started inside this block report their overall percentage to `callback`.

    A workflow that runs inside something bigger (a step of another workflow, an action of a
    pipeline) then feeds the enclosing progress instead of declaring its own step proportions to
    the runtime logger, so the enclosing figure keeps moving smoothly and never jumps to 100 early.
    The orchestrator sets this up for every step it runs; `ActionPipeline` for every action.
    """
    token = _ENCLOSING.set(callback)
    try:
        yield
    finally:
        _ENCLOSING.reset(token)


def _fan_out(callbacks: list[ProgressCallback]) -> ProgressCallback | None:
    if not callbacks:
        return None
    if len(callbacks) == 1:
        return callbacks[0]

    def call_all(percent: float) -> None:
        for callback in callbacks:
            callback(percent)

    return call_all


@dataclass
class WorkflowResult:
    """Outcome of a successful workflow run."""

    steps_executed: list[str] = field(default_factory=list)
    steps_skipped: list[str] = field(default_factory=list)
    results: dict[str, StepResult] = field(default_factory=dict)
    steps_total: int = 0
    success: bool = True

    def to_dict(self) -> dict[str, Any]:
        return {
            'success': self.success,
            'steps_executed': list(self.steps_executed),
            'steps_skipped': list(self.steps_skipped),
            'steps_total': self.steps_total,
        }


class _Progress:
    """Weighted, monotonic overall progress of one run."""

    def __init__(self, steps: Sequence[BaseStep[Any]], callback: ProgressCallback | None):
        weights = [float(step.progress_weight) for step in steps]
        if sum(weights) <= 0:  # nothing weighted: let every step count the same
            weights = [1.0] * len(steps)
        self._weights = dict(zip((s.name for s in steps), weights, strict=True))
        self._total = sum(weights) or 1.0
        self._done = 0.0
        self._current: str | None = None
        self._fraction = 0.0
        self._reported = 0.0
        self._callback = callback
        self._lock = threading.Lock()
        self.last_update: dict[str, tuple[float, float]] = {}

    @property
    def percent(self) -> float:
        return self._reported

    def start(self, name: str) -> None:
        with self._lock:
            self._current = name
            self._fraction = 0.0

    def update(self, name: str, current: float, total: float) -> None:
        with self._lock:
            self.last_update[name] = (current, total)
            if name != self._current:
                return
            fraction = 1.0 if not total or total <= 0 else min(max(current / total, 0.0), 1.0)
            self._fraction = max(self._fraction, fraction)
            value = 100.0 * (self._done + self._weights[name] * self._fraction) / self._total
            self._publish(value)

    def finish(self, name: str) -> None:
        with self._lock:
            self._done += self._weights[name]
            self._current = None
            self._fraction = 0.0
            self._publish(100.0 * self._done / self._total)

    def complete(self) -> None:
        with self._lock:
            self._publish(100.0, final=True)

    def _publish(self, value: float, final: bool = False) -> None:
        value = min(max(round(value, 6), 0.0), 100.0)
        if value >= 100.0 and not final:
            return  # 100 % means the workflow succeeded; the last step may still fail
        if value > self._reported:
            self._reported = value
            if self._callback is not None:
                self._callback(self._reported)


class Orchestrator(Generic[C]):
    """Run the steps of `registry` with `context`.

    Args:
        registry: the steps (a `StepRegistry` or a plain sequence of steps with unique names).
        context: the step context shared by all steps.
        progress_callback: receives the overall percentage whenever it increases.
        configure_logger: declare the steps' weights to the runtime logger
            (``logger.set_step_proportions``) so its own ``overall`` figure matches. Not done
            when the workflow runs inside an enclosing one (see `enclosing_progress`): it then
            reports into the enclosing progress instead.
    """

    def __init__(
        self,
        registry: StepRegistry[C] | Sequence[BaseStep[C]],
        context: C,
        *,
        progress_callback: ProgressCallback | None = None,
        configure_logger: bool = True,
    ) -> None:
        if not isinstance(registry, StepRegistry):
            registry = StepRegistry(list(registry))
        self.registry = registry
        self.context = context
        self.progress_callback = progress_callback
        self.configure_logger = configure_logger

    def execute(self) -> WorkflowResult:
        """Run every step; return a `WorkflowResult`, or raise `StepFailedError` after rollback."""
        steps = self.registry.get_steps()
        context = self.context
        enclosing = _ENCLOSING.get()
        callbacks = [cb for cb in (self.progress_callback, enclosing) if cb is not None]
        progress = _Progress(steps, _fan_out(callbacks))
        logger = getattr(context.runtime_ctx, 'logger', None)
        if self.configure_logger and enclosing is None and steps and isinstance(logger, StepProportions):
            logger.set_step_proportions({s.name: float(s.progress_weight) for s in steps})
        outer_step = logger.get_step() if isinstance(logger, CurrentStep) else None

        outcome = WorkflowResult(steps_total=len(steps))
        completed: list[tuple[BaseStep[C], StepResult]] = []
        previous_listener = context._progress_listener
        context._progress_listener = progress.update
        try:
            for index, step in enumerate(steps):
                self._enter(step, index, logger)
                progress.start(step.name)

                # A workflow nested in this step (or a pipeline in it) feeds this step's fraction.
                def feed(pct: float, name: str = step.name) -> None:
                    progress.update(name, pct, 100.0)

                token = _ENCLOSING.set(feed)
                restored = False
                try:
                    if step.can_skip(context):
                        result = StepResult(skipped=True)
                        context.step_results[step.name] = result
                        outcome.steps_skipped.append(step.name)
                        outcome.results[step.name] = result
                        self._finish_step(step, progress)
                        continue
                    result = step.execute(context)
                    if not isinstance(result, StepResult):
                        raise TypeError(
                            f'{type(step).__name__}.execute() returned {type(result).__name__}; '
                            'a step must return a StepResult'
                        )
                except BaseException as exc:
                    _ENCLOSING.reset(token)
                    restored = True
                    self._fail(step, index, exc, StepResult(success=False, error=_describe(exc)), completed)
                finally:
                    if not restored:
                        _ENCLOSING.reset(token)
                if not result.success:
                    self._fail(step, index, None, result, completed)
                context.step_results[step.name] = result
                outcome.results[step.name] = result
                outcome.steps_executed.append(step.name)
                completed.append((step, result))
                self._finish_step(step, progress)
        finally:
            context._progress_listener = previous_listener
            context.current_step = None
            context.current_step_index = None
            if logger is not None and hasattr(logger, 'set_step'):
                logger.set_step(outer_step)  # back to the enclosing step, if any
        progress.complete()
        return outcome

    # -- internals ------------------------------------------------------------------------------
    def _enter(self, step: BaseStep[C], index: int, logger: Any) -> None:
        self.context.current_step = step.name
        self.context.current_step_index = index
        if logger is not None and hasattr(logger, 'set_step'):
            logger.set_step(step.name)

    def _finish_step(self, step: BaseStep[C], progress: _Progress) -> None:
        # Mark the step complete in the runtime logger too, unless it already reported its end.
        last = progress.last_update.get(step.name)
        if last is None or last[0] < last[1]:
            total = last[1] if last is not None and last[1] > 0 else 1
            self.context.runtime_ctx.set_progress(total, total, step=step.name)
        progress.finish(step.name)

    def _fail(
        self,
        step: BaseStep[C],
        index: int,
        exc: BaseException | None,
        result: StepResult,
        completed: list[tuple[BaseStep[C], StepResult]],
    ) -> NoReturn:
        context = self.context
        reason = result.error or (_describe(exc) if exc is not None else 'the step reported failure')
        context.step_results[step.name] = result
        context.errors.append(f'Step {step.name!r} failed: {reason}')
        _safe_log(context, 'step_failed', {'step': step.name, 'index': index, 'error': reason})

        failures: list[RollbackFailure] = []
        try:
            step.abort(context, exc)
        except Exception as abort_exc:
            failures.append(RollbackFailure(step.name, abort_exc))
            context.errors.append(f'Abort failed for step {step.name!r}: {_describe(abort_exc)}')

        rolled_back: list[str] = []
        for done_step, done_result in reversed(completed):
            context.current_step = done_step.name
            try:
                done_step.rollback(context, done_result)
            except Exception as rollback_exc:
                failures.append(RollbackFailure(done_step.name, rollback_exc))
                context.errors.append(
                    f'Rollback failed for step {done_step.name!r}: {_describe(rollback_exc)}'
                )
            else:
                rolled_back.append(done_step.name)
                _safe_log(context, 'step_rolled_back', {'step': done_step.name})
        context.current_step = step.name

        if exc is not None and not isinstance(exc, Exception):
            raise exc  # KeyboardInterrupt, SystemExit ...: undone, then propagated as is
        error = StepFailedError(
            step.name, index, reason, original=exc, rolled_back=rolled_back, rollback_errors=failures
        )
        if exc is not None:
            raise error from exc
        raise error


def _describe(exc: BaseException) -> str:
    text = str(exc)
    return f'{type(exc).__name__}: {text}' if text else type(exc).__name__


def _safe_log(context: Any, event: str, data: dict[str, Any]) -> None:
    """Best-effort event logging while failing: a broken logger must not hide the real error."""
    log = getattr(context.runtime_ctx, 'log', None)
    if log is None:
        return
    with contextlib.suppress(Exception):  # the failure being reported matters more than this event
        log(event, data)
