"""Errors raised by step workflows.

They derive from the runtime's `PluginError` hierarchy, so ``except PluginError`` (or the builtin
each one also derives from) catches them.
"""

from __future__ import annotations

from dataclasses import dataclass

from synapse_sdk.plugins.errors import ExecutionError, PluginError

__all__ = ['BackendUnavailableError', 'RollbackFailure', 'StepFailedError', 'StepRegistryError']


class BackendUnavailableError(PluginError, RuntimeError):
    """The work needs a backend client, but the `RuntimeContext` has none.

    The clients are None when no credentials are configured (a plain local run): set
    ``SYNAPSE_HOST`` and ``SYNAPSE_ACCESS_TOKEN`` (or run through the platform).
    """

    def __init__(self, what: str, *, client: str = 'client'):
        self.what = what
        super().__init__(
            f'{what} needs the backend ({client}), but none is configured: set SYNAPSE_HOST and '
            'SYNAPSE_ACCESS_TOKEN, or install synapse-clients (pip install synapse-sdk)'
        )


class StepRegistryError(PluginError, ValueError):
    """A step could not be registered: a duplicate name, an unknown anchor step, or a bad step."""


@dataclass(frozen=True)
class RollbackFailure:
    """One rollback (or abort) hook that raised while a failed workflow was being undone."""

    step: str
    error: BaseException

    def __str__(self) -> str:
        return f'{self.step}: {type(self.error).__name__}: {self.error}'


class StepFailedError(ExecutionError):
    """A step of a workflow failed; the completed steps have been rolled back.

    Attributes:
        step: name of the step that failed.
        index: its position in the workflow (0-based).
        original: the exception the step raised (also ``__cause__``), or None when the step
            returned ``StepResult(success=False)`` without raising.
        rolled_back: names of the steps whose rollback ran, in the order it ran.
        rollback_errors: the rollback hooks that raised; the workflow kept undoing the others.
    """

    def __init__(
        self,
        step: str,
        index: int,
        reason: str,
        *,
        original: BaseException | None = None,
        rolled_back: list[str] | None = None,
        rollback_errors: list[RollbackFailure] | None = None,
    ):
        self.step = step
        self.index = index
        self.reason = reason
        self.original = original
        self.rolled_back = list(rolled_back or [])
        self.rollback_errors = list(rollback_errors or [])
        message = f'Step {step!r} failed: {reason}'
        if self.rollback_errors:
            details = '; '.join(str(f) for f in self.rollback_errors)
            message += f' (rollback also failed for {len(self.rollback_errors)} step(s): {details})'
        super().__init__(message)
