"""Plugin runtime models: statuses, log levels and progress data."""

from synapse_sdk.plugins.models.logger import LogEntry, LogLevel, ProgressData
from synapse_sdk.plugins.models.status import ActionStatus, RunStatus

__all__ = ['ActionStatus', 'LogEntry', 'LogLevel', 'ProgressData', 'RunStatus']
