"""Loggers that carry action logs, progress and metrics to the console, a file and the backend.

- `ConsoleLogger`: readable lines and progress bars for a developer.
- `JsonLinesFileLogger`: a JSON-lines record of everything, for later inspection.
- `BackendJobLogger`: batches logs and coalesces progress/metrics into the backend job.
- `CompositeLogger`: fans out to several of these; executors combine them per run.
"""

from synapse_sdk.loggers.base import BaseLogger, CompositeLogger, LoggerWarning, NullLogger, ProgressWarning
from synapse_sdk.loggers.console import ConsoleLogger
from synapse_sdk.loggers.file import JsonLinesFileLogger
from synapse_sdk.loggers.job import BackendJobLogger
from synapse_sdk.loggers.transport import JobLogTransport

__all__ = [
    'BackendJobLogger',
    'BaseLogger',
    'CompositeLogger',
    'ConsoleLogger',
    'JobLogTransport',
    'JsonLinesFileLogger',
    'LoggerWarning',
    'NullLogger',
    'ProgressWarning',
]
