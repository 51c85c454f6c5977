"""v1 jobs: ``/jobs/`` list, detail, status updates, console logs and their SSE tail."""

from __future__ import annotations

from typing import Any

from synapse_sdk.clients.testing._routes.v1._common import detail, field_errors, get_row, listing, public
from synapse_sdk.clients.testing._server import HTTPFailure, Request, Router, StreamResponse
from synapse_sdk.clients.testing._sse import format_sse
from synapse_sdk.clients.testing._state import FakeState

JOB_FIELDS = {'status', 'progress_record', 'metrics_record', 'console_logs', 'result', 'meta'}
JOB_STATUSES = {'PENDING', 'RUNNING', 'STOPPED', 'SUCCEEDED', 'FAILED'}


def register(router: Router, state: FakeState) -> None:
    listing(router, state, '/jobs/', 'jobs')
    detail(router, state, '/jobs/{id}/', 'jobs')

    def update_job(r: Request) -> Any:
        job = get_row(state, 'jobs', r.params['id'])
        body = r.json()
        if not isinstance(body, dict):
            raise HTTPFailure(400, {'detail': 'expected a JSON object'})
        unknown = set(body) - JOB_FIELDS
        if unknown:
            raise field_errors({k: 'unknown field' for k in sorted(unknown)})
        if 'status' in body and body['status'] not in JOB_STATUSES:
            raise field_errors({'status': f'"{body["status"]}" is not a valid choice.'})
        with state.lock:
            job.update(body)
            job.setdefault('_updates', []).append(body)
        return public(job)

    router.add('PATCH', '/jobs/{id}/', update_job)
    router.add('GET', '/jobs/{id}/console_logs/', lambda r: {'logs': _console_lines(state, r.params['id'])})

    def tail(r: Request) -> Any:
        job = get_row(state, 'jobs', r.params['id'])
        lines = _console_lines(state, r.params['id'])

        def frames() -> Any:
            yield format_sse(None, {'type': 'connected', 'job_id': job['id']})
            yield b': heartbeat\n\n'
            for line in lines:
                yield format_sse(None, {'type': 'log', 'data': line})
            yield format_sse(None, {'type': 'complete', 'message': f'job {job["status"]}'})

        return StreamResponse(frames())

    router.add('GET', '/jobs/{id}/tail_console_logs/', tail)


def _console_lines(state: FakeState, job_id: str) -> list[str]:
    """The job's ``console_logs`` (a string or a list of lines) as lines."""
    text = get_row(state, 'jobs', job_id).get('console_logs') or ''
    return text.splitlines() if isinstance(text, str) else [str(line) for line in text]
