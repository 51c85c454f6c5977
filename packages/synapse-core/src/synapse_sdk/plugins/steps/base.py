"""`BaseStep` and `StepResult`: one unit of a multi-stage workflow.

A step does one thing (download, convert, train, upload ...), reports its progress through the
step context, and knows how to undo itself. The orchestrator runs steps in order; when one fails
it calls `rollback` on every step that had completed, newest first, so a failed run leaves
nothing half-done behind.
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, ClassVar, Generic, TypeVar

if TYPE_CHECKING:
    from synapse_sdk.plugins.steps.context import BaseStepContext

__all__ = ['BaseStep', 'C', 'StepResult', 'default_step_name']

C = TypeVar('C', bound='BaseStepContext')
# A step only takes its context (never returns one), so a step for a base context serves any subclass of
# it: `registry: StepRegistry[TrainContext]` accepts a `BaseStep[BaseStepContext]`.
_C_contra = TypeVar('_C_contra', bound='BaseStepContext', contravariant=True)


@dataclass
class StepResult:
    """What a step returns.

    Attributes:
        success: False marks the step as failed even though it did not raise; the orchestrator
            then rolls back like for an exception, using `error` as the reason.
        data: values for later steps or for the caller (also kept in ``context.step_results``).
        error: why the step failed (when ``success`` is False).
        rollback_data: whatever `rollback` needs to undo this step (ids created, paths written).
        skipped: set by the orchestrator for steps whose `can_skip` returned True.
        timestamp: when the result was created (UTC).
    """

    success: bool = True
    data: dict[str, Any] = field(default_factory=dict)
    error: str | None = None
    rollback_data: dict[str, Any] = field(default_factory=dict)
    skipped: bool = False
    timestamp: datetime = field(default_factory=lambda: datetime.now(UTC))


_CAMEL_BOUNDARY = re.compile(r'(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])')


def default_step_name(cls: type) -> str:
    """``LoadDataStep`` -> ``load_data``: the name a step gets when its class does not set one."""
    base = cls.__name__
    if base.endswith('Step') and len(base) > len('Step'):
        base = base[: -len('Step')]
    return _CAMEL_BOUNDARY.sub('_', base).lower()


class BaseStep(ABC, Generic[_C_contra]):
    """One unit of work in a step workflow, typed by the context it runs with.

    Subclasses implement `execute`. They may set:

    * ``name``: unique within a workflow; defaults to the class name in snake case without the
      ``Step`` suffix (``LoadDataStep`` -> ``load_data``). A name set explicitly is inherited by
      subclasses. May also be a property or set per instance.
    * ``progress_weight``: this step's share of the overall progress, relative to the other
      steps (default 1.0; 0 means the step does not move the overall bar).

    and override the hooks `can_skip`, `rollback` and `abort`.
    """

    name: str
    progress_weight: float = 1.0

    _explicit_name: ClassVar[bool] = False

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if 'name' in cls.__dict__:
            cls._explicit_name = True
        elif not cls._explicit_name:
            # Derived names follow the class; an explicitly chosen name is inherited, so a
            # subclass that customises a step keeps its place (and name) in the workflow.
            cls.name = default_step_name(cls)

    @abstractmethod
    def execute(self, context: _C_contra) -> StepResult:
        """Do the work. Raise (or return ``StepResult(success=False)``) to fail the workflow."""

    def can_skip(self, context: _C_contra) -> bool:
        """Return True to skip this step; a skipped step counts as done and is never rolled back."""
        return False

    def rollback(self, context: _C_contra, result: StepResult) -> None:
        """Undo this step after a later step failed. `result` is what `execute` returned.

        Called at most once, and only for a step that completed. Raising here does not stop the
        other rollbacks; the error is reported in the `StepFailedError`.
        """

    def abort(self, context: _C_contra, error: BaseException | None) -> None:
        """Clean up the partial work of this step when its own `execute` failed.

        `rollback` is only for completed steps; a step that can fail halfway (after uploading
        some of its files, say) undoes that part here. Called once, before the completed steps
        are rolled back. `error` is what `execute` raised (None if it returned a failed result).
        """

    def __repr__(self) -> str:
        return f'<{type(self).__name__} {self.name!r} weight={self.progress_weight}>'
