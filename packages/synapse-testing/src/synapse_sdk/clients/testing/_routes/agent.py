"""Ray-agent routes of the fake, mounted under ``/agent/`` (``FakeBackend.agent_url``)."""

from __future__ import annotations

import json
from typing import Any

from synapse_sdk.clients.testing._server import (
    HTTPFailure,
    Request,
    Response,
    Router,
    StreamResponse,
    WebSocketResponse,
)
from synapse_sdk.clients.testing._state import FakeState


def register_agent(router: Router, state: FakeState, *, websocket_enabled: list[bool]) -> None:
    def job_or_404(job_id: str) -> dict[str, Any]:
        job = state.jobs.get(job_id)
        if job is None:
            raise HTTPFailure(404, {'detail': f'job {job_id} not found'})
        return job

    def lines_of(job_id: str) -> list[str]:
        job_or_404(job_id)
        return list(state.agent_job_logs.get(job_id, []))

    router.add('GET', '/agent/health/', lambda r: {'status': 'ok'})
    router.add('GET', '/agent/jobs/', lambda r: [_job_view(j) for j in state.jobs.values()])
    router.add('GET', '/agent/jobs/{id}/', lambda r: _job_view(job_or_404(r.params['id'])))

    def logs(r: Request) -> Any:
        lines = lines_of(r.params['id'])
        if (r.headers.get('Upgrade') or '').lower() == 'websocket':
            if not websocket_enabled[0]:
                raise HTTPFailure(503, {'detail': 'websocket log streaming is disabled'})
            messages = [json.dumps({'type': 'log', 'message': line}) for line in lines]
            return WebSocketResponse([*messages, json.dumps({'type': 'complete'})])
        return Response(200, '\n'.join(lines), content_type='text/plain; charset=utf-8')

    router.add('GET', '/agent/jobs/{id}/logs/', logs)

    def stream(r: Request) -> StreamResponse:
        lines = lines_of(r.params['id'])
        frames = [f'data: {json.dumps({"type": "log", "message": line})}\n\n'.encode() for line in lines]
        frames.append(f'data: {json.dumps({"type": "complete"})}\n\n'.encode())
        return StreamResponse(iter(frames), content_type='text/event-stream')

    router.add('GET', '/agent/jobs/{id}/logs/stream/', stream)

    def stop(r: Request) -> Any:
        job = job_or_404(r.params['id'])
        with state.lock:
            job['status'] = 'STOPPED'
        return {'stopped': True, 'job_id': job['id']}

    router.add('POST', '/agent/jobs/{id}/stop/', stop)


def _job_view(job: dict[str, Any]) -> dict[str, Any]:
    return {'job_id': job['id'], 'status': job['status'], 'entrypoint': job.get('action')}
