"""Errors raised by action pipelines."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from synapse_sdk.plugins.errors import ExecutionError, PluginError

__all__ = ['PipelineExecutionError', 'PipelineProblem', 'PipelineValidationError']


@dataclass(frozen=True)
class PipelineProblem:
    """One reason a pipeline cannot run.

    Attributes:
        index: position of the action in the pipeline (0-based, as in the list you passed).
        action: that action's name.
        field: the param (or ``input_type``) concerned, or None.
        kind: ``'type_mismatch'``, ``'missing_field'`` or ``'invalid_action'``.
        message: what is wrong, in words.
    """

    index: int
    action: str
    field: str | None
    kind: str
    message: str

    def __str__(self) -> str:
        where = f'actions[{self.index}] {self.action!r}'
        if self.field:
            where += f', field {self.field!r}'
        return f'{where}: {self.message}'


class PipelineValidationError(PluginError, ValueError):
    """The pipeline cannot run as defined; `problems` lists every reason at once. Nothing ran."""

    def __init__(self, problems: Sequence[PipelineProblem], pipeline: str | None = None):
        self.problems = list(problems)
        self.pipeline = pipeline
        name = f' {pipeline!r}' if pipeline else ''
        lines = [f'Pipeline{name} is invalid ({len(self.problems)} problem(s)):']
        lines += [f'  - {problem}' for problem in self.problems]
        super().__init__('\n'.join(lines))


class PipelineExecutionError(ExecutionError):
    """An action of the pipeline failed (bad params or an exception); the cause is chained.

    Attributes:
        index: the failing action's position; ``action``: its name;
        completed: names of the actions that finished before it.
    """

    def __init__(self, index: int, action: str, reason: str, completed: Sequence[str] = ()):
        self.index = index
        self.action = action
        self.completed = list(completed)
        super().__init__(f'Pipeline action actions[{index}] {action!r} failed: {reason}')
