"""Jobs, job log entries, console logs and serve applications (v1).

``create_logs`` and ``update_job`` are the two methods of the core's ``JobLogTransport`` protocol,
which the backend job logger calls with batched entries and coalesced progress/metrics updates.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, Literal, overload

from synapse_sdk.clients._http import Timeout
from synapse_sdk.clients._sse import iter_response_lines
from synapse_sdk.clients.backend._models import (
    ServeApplicationCreateRequest,
    UpdateJobRequest,
    validate_request,
)
from synapse_sdk.clients.backend._pagination import AllRows, DRFPage, list_pages
from synapse_sdk.clients.backend._transport import MixinBase
from synapse_sdk.clients.exceptions import ClientError, LogDeliveryError, ValidationError

Params = Mapping[str, Any] | None

LOG_LEVELS = frozenset({'debug', 'info', 'success', 'warning', 'danger', 'error', 'critical'})


def _check_log_entry(index: int, entry: Any) -> dict[str, Any]:
    if not isinstance(entry, Mapping):
        raise ValidationError(f'log entry #{index} must be a mapping, got {type(entry).__name__}')
    level = entry.get('level')
    if level is not None and level not in LOG_LEVELS:
        raise ValidationError(f'log entry #{index}: level {level!r} is not one of {sorted(LOG_LEVELS)}')
    return dict(entry)


class JobsMixin(MixinBase):
    def get_job(self, job_id: int | str, *, params: Params = None) -> dict[str, Any]:
        return self._get(f'jobs/{job_id}/', params=params)

    @overload
    def list_jobs(self, params: Params = None, *, list_all: Literal[False] = False) -> DRFPage: ...
    @overload
    def list_jobs(self, params: Params = None, *, list_all: Literal[True]) -> AllRows: ...
    @overload
    def list_jobs(self, params: Params = None, *, list_all: bool = False) -> DRFPage | AllRows: ...
    def list_jobs(self, params: Params = None, *, list_all: bool = False) -> DRFPage | AllRows:
        return list_pages(self, 'jobs/', params, list_all=list_all)

    def update_job(self, job_id: int | str, data: Mapping[str, Any]) -> Any:
        """PATCH ``jobs/{id}/`` with any of ``status``, ``progress_record``, ``metrics_record``,
        ``console_logs``, ``result``, ``meta`` (other keys or an unknown status are rejected here)."""
        payload = validate_request(UpdateJobRequest, data, what=f'update of job {job_id}')
        return self._patch(f'jobs/{job_id}/', payload)

    def list_job_console_logs(self, job_id: int | str) -> Any:
        return self._get(f'jobs/{job_id}/console_logs/')

    def tail_job_console_logs(self, job_id: int | str, *, idle_timeout: float = 300.0) -> Iterator[str]:
        """Stream ``jobs/{id}/tail_console_logs/`` (SSE) as decoded lines, until the server closes it.

        429/503 raise ``RateLimitError``/``ServerError`` with ``retry_after`` set from the header.
        ``idle_timeout`` is the longest wait for the next line (SSE heartbeat comments count); past it
        ``ClientTimeoutError``, even when the server keeps the connection busy with single bytes.
        """
        timeout = Timeout(self.timeout.connect, idle_timeout)
        response = self._http.request(
            'GET',
            f'jobs/{job_id}/tail_console_logs/',
            stream=True,
            timeout=timeout,
            idle_timeout=idle_timeout,
        )
        with response:
            for line in iter_response_lines(response):
                if line:
                    yield line

    @overload
    def list_job_logs(
        self, job_id: int | str, params: Params = None, *, list_all: Literal[False] = False
    ) -> DRFPage: ...
    @overload
    def list_job_logs(
        self, job_id: int | str, params: Params = None, *, list_all: Literal[True]
    ) -> AllRows: ...
    @overload
    def list_job_logs(
        self, job_id: int | str, params: Params = None, *, list_all: bool = False
    ) -> DRFPage | AllRows: ...
    def list_job_logs(
        self, job_id: int | str, params: Params = None, *, list_all: bool = False
    ) -> DRFPage | AllRows:
        """Job log entries (``GET logs/?job=<id>``)."""
        query = {'job': job_id, **(params or {})}
        return list_pages(self, 'logs/', query, list_all=list_all)

    def create_logs(self, logs: Mapping[str, Any] | Sequence[Mapping[str, Any]]) -> Any:
        """POST job log entries (one mapping or a batch) to ``logs/``.

        The batch carries an idempotency key, so a retry after a lost response cannot duplicate it.
        On failure raises ``LogDeliveryError`` with ``lost_entries`` (chained to the typed cause),
        which the core's job logger counts.
        """
        entries = [logs] if isinstance(logs, Mapping) else list(logs)
        if not entries:
            return None
        try:
            checked = [_check_log_entry(i, entry) for i, entry in enumerate(entries)]
            body: Any = checked[0] if isinstance(logs, Mapping) else checked
            return self._post('logs/', body, idempotency_key=f'logs-{uuid.uuid4().hex}')
        except ClientError as exc:
            raise LogDeliveryError(
                f'{len(entries)} log entries not delivered: {exc.message}',
                lost_entries=len(entries),
                status_code=exc.status_code,
                detail=exc.detail,
                request_id=exc.request_id,
                method=exc.method,
                url=exc.url,
                attempts=exc.attempts,
            ) from exc

    def create_serve_application(self, data: Mapping[str, Any]) -> Any:
        return self._post(
            'serve_applications/',
            validate_request(ServeApplicationCreateRequest, data, what='serve application'),
        )

    @overload
    def list_serve_applications(
        self, params: Params = None, *, list_all: Literal[False] = False
    ) -> DRFPage: ...
    @overload
    def list_serve_applications(self, params: Params = None, *, list_all: Literal[True]) -> AllRows: ...
    @overload
    def list_serve_applications(
        self, params: Params = None, *, list_all: bool = False
    ) -> DRFPage | AllRows: ...
    def list_serve_applications(self, params: Params = None, *, list_all: bool = False) -> DRFPage | AllRows:
        return list_pages(self, 'serve_applications/', params, list_all=list_all)
