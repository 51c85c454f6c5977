"""v2 async jobs: ``/v2/async_jobs/`` list, detail, cancel and the SSE ``progress/`` stream."""

from __future__ import annotations

from typing import Any

from synapse_sdk.clients.testing._query import drf_page, select
from synapse_sdk.clients.testing._routes.v2._common import detail, envelope, get_row
from synapse_sdk.clients.testing._server import Request, Response, Router, StreamResponse
from synapse_sdk.clients.testing._sse import format_sse
from synapse_sdk.clients.testing._state import FakeState, now_iso


def async_job(j: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in j.items() if not k.startswith('_')}


def register(router: Router, state: FakeState) -> None:
    router.add('GET', '/v2/async_jobs/', lambda r: drf_page(r, select(state, 'async_jobs', r), async_job))
    detail(router, state, '/v2/async_jobs/{id}/', 'async_jobs', async_job)

    def cancel(r: Request) -> Response:
        job = get_row(state, 'async_jobs', r.params['id'], r)
        with state.lock:
            if job['status'] in ('PENDING', 'PROCESSING'):
                job['status'] = 'CANCELLED'
                job['finished'] = now_iso()
        return envelope(r, async_job(job))

    router.add('POST', '/v2/async_jobs/{id}/cancel/', cancel)

    def progress(r: Request) -> StreamResponse:
        job = get_row(state, 'async_jobs', r.params['id'], r)

        def frames() -> Any:
            yield format_sse('connected', {})
            with state.lock:
                delivered = job['_delivered']
                snapshot = dict(job['progress'] or {})
            if delivered and snapshot:
                # Reconnect: replay the latest progress so the client catches up.
                yield format_sse('async_job.progress', {**snapshot, 'status': job['status']})
            finished = delivered >= len(job['_events']) and job['status'] == 'COMPLETED'
            if finished or job['status'] in ('FAILED', 'CANCELLED'):
                # The job is over (or was cancelled): synthesize its terminal event.
                if job['status'] == 'COMPLETED':
                    yield format_sse('async_job.completed', {'status': 'COMPLETED', 'data': job.get('data')})
                else:
                    yield format_sse(
                        'error', {'status': job['status'], 'message': f'async job {job["status"].lower()}'}
                    )
                return
            for event in job['_events'][delivered:]:
                name = event.get('event', 'message')
                data = {k: v for k, v in event.items() if k != 'event'}
                if name == 'heartbeat':
                    yield format_sse('heartbeat', {})
                else:
                    with state.lock:
                        _apply_event(job, name, data)
                    yield format_sse(name, data)
                with state.lock:
                    job['_delivered'] += 1

        return StreamResponse(frames())

    router.add('GET', '/v2/async_jobs/{id}/progress/', progress)


def _apply_event(job: dict[str, Any], name: str, data: dict[str, Any]) -> None:
    if name == 'async_job.progress':
        job['status'] = data.get('status', 'PROCESSING')
        job['started'] = job['started'] or now_iso()
        job['progress'] = {k: data.get(k) for k in ('total_count', 'processed_count', 'percent')}
    elif name == 'async_job.completed':
        job['status'] = data.get('status', 'COMPLETED')
        job['data'] = data.get('data')
        job['finished'] = job['succeeded'] = now_iso()
    elif name == 'error':
        job['status'] = data.get('status', 'FAILED')
        job['finished'] = job['failed'] = now_iso()
