"""The contract between the core's backend job logger and a backend client.

synapse-core must not import synapse-clients, so the job logger talks to "anything with these two
methods". `synapse_sdk.clients.backend.BackendClient` implements it; tests may pass a fake.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol, runtime_checkable


@runtime_checkable
class JobLogTransport(Protocol):
    """Where a job's logs, progress and metrics are sent.

    `create_logs` receives a batch of log entries, each a dict
    ``{"job": job_id, "event": str, "data": dict, "datetime": ISO-8601 UTC str,
    "level"?: "debug"|"info"|"success"|"warning"|"danger"|"error", "step"?: str}``
    (the backend's ``POST logs/``).

    `update_job` receives a partial job update such as
    ``{"progress_record": {...}, "metrics_record": {...}, "status": "RUNNING", "result": ...}``
    (the backend's ``PATCH jobs/{job_id}/``).

    Both may raise; the job logger counts what it could not deliver and never lets a backend
    failure stop the action. An exception whose ``status_code`` attribute is 413 (the backend, or a
    proxy in front of it, refused the body as too large) makes the logger split the batch and cut
    what does not fit, instead of counting a failure.
    """

    def create_logs(self, logs: Sequence[Mapping[str, Any]]) -> Any: ...

    def update_job(self, job_id: str, data: Mapping[str, Any]) -> Any: ...
