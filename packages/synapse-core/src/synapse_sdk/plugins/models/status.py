"""Execution status values for runs and for actions inside a pipeline."""

from __future__ import annotations

from enum import StrEnum

__all__ = ['ActionStatus', 'RunStatus']


class RunStatus(StrEnum):
    """Status of a whole plugin run."""

    PENDING = 'pending'
    RUNNING = 'running'
    COMPLETED = 'completed'
    FAILED = 'failed'
    CANCELLED = 'cancelled'

    @property
    def backend_value(self) -> str:
        """The job status string the backend uses (``PATCH jobs/{id}/ {"status": ...}``)."""
        return _BACKEND[self]


_BACKEND = {
    RunStatus.PENDING: 'PENDING',
    RunStatus.RUNNING: 'RUNNING',
    RunStatus.COMPLETED: 'SUCCEEDED',
    RunStatus.FAILED: 'FAILED',
    RunStatus.CANCELLED: 'STOPPED',
}


class ActionStatus(StrEnum):
    """Status of one action within a pipeline."""

    PENDING = 'pending'
    RUNNING = 'running'
    COMPLETED = 'completed'
    FAILED = 'failed'
    SKIPPED = 'skipped'
