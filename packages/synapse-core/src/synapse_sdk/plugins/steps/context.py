"""`BaseStepContext`: the state shared by the steps of one workflow run.

Action-specific contexts (`TrainContext`, `UploadContext` ...) subclass it and add their own
fields. The runtime services (logger, clients, env) stay on the `RuntimeContext` it holds as
``runtime_ctx``; the convenience methods here fill in the current step for you.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from synapse_sdk.plugins.context import RuntimeContext
from synapse_sdk.plugins.steps.base import StepResult

__all__ = ['BaseStepContext']

ProgressListener = Callable[[str, float, float], None]


@dataclass
class BaseStepContext:
    """Base of every step context.

    Attributes:
        runtime_ctx: the action's `RuntimeContext` (logger, env, clients, checkpoint).
        step_results: result of each step that ran, by step name, in run order.
        errors: problems collected during the run (failed step, failed rollbacks).
        current_step: name of the step being executed (None outside a step).
        current_step_index: its position in the workflow.

    Only ``runtime_ctx`` is positional; the bookkeeping fields are keyword-only, so subclasses
    may add fields with or without defaults.
    """

    runtime_ctx: RuntimeContext
    step_results: dict[str, StepResult] = field(default_factory=dict, kw_only=True)
    errors: list[str] = field(default_factory=list, kw_only=True)
    current_step: str | None = field(default=None, kw_only=True)
    current_step_index: int | None = field(default=None, kw_only=True)
    _progress_listener: ProgressListener | None = field(default=None, init=False, repr=False, compare=False)

    # -- convenience proxies -------------------------------------------------------------------
    def set_progress(self, current: float, total: float, step: str | None = None) -> None:
        """Report progress of `step` (default: the current step) and feed the overall progress."""
        name = step or self.current_step
        self.runtime_ctx.set_progress(current, total, step=name)
        listener = self._progress_listener
        if listener is not None and name is not None:
            listener(name, current, total)

    def set_metrics(self, value: Mapping[str, Any], step: str | None = None) -> None:
        """Record metrics for `step` (default: the current step).

        Raises:
            ValueError: no step given and no step is running.
        """
        name = step or self.current_step
        if not name:
            raise ValueError('set_metrics needs a step: pass step=... or call it from inside a running step')
        self.runtime_ctx.set_metrics(dict(value), step=name)

    def log(self, event: str, data: Mapping[str, Any] | None = None, file: str | None = None) -> None:
        """Log a structured event (attributed to the current step by the logger)."""
        self.runtime_ctx.log(event, dict(data or {}), file=file)

    def log_message(self, message: Any, *args: Any, **kwargs: Any) -> None:
        """Log a user-facing message; same arguments as ``RuntimeContext.log_message``."""
        self.runtime_ctx.log_message(message, *args, **kwargs)

    def log_dev_event(self, message: str, data: Mapping[str, Any] | None = None) -> None:
        """Log a developer event (not shown to end users)."""
        self.runtime_ctx.log_dev_event(message, dict(data) if data is not None else None)

    # -- results of earlier steps ----------------------------------------------------------------
    def result_of(self, step: str) -> StepResult | None:
        """The result of an earlier step, or None if it has not run (or was unknown)."""
        return self.step_results.get(step)
