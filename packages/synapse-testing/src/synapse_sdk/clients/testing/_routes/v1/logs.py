"""v1 job logs: ``POST /logs/`` (one entry or a list) and ``GET /logs/?job=``."""

from __future__ import annotations

from typing import Any

from synapse_sdk.clients.testing._query import drf_page
from synapse_sdk.clients.testing._server import HTTPFailure, Request, Response, Router
from synapse_sdk.clients.testing._state import FakeState, now_iso


def register(router: Router, state: FakeState) -> None:
    def create_logs(r: Request) -> Any:
        body = r.json()
        items = body if isinstance(body, list) else [body]
        for index, item in enumerate(items):
            if not isinstance(item, dict):
                raise HTTPFailure(400, {str(index): ['expected an object']})
        with state.lock:
            for item in items:
                state.job_logs.append({'id': len(state.job_logs) + 1, 'created': now_iso(), **item})
        return Response(201, {'created': len(items)})

    router.add('POST', '/logs/', create_logs)
    router.add('GET', '/logs/', lambda r: drf_page(r, [e for e in state.job_logs if _log_match(e, r)]))


def _log_match(entry: dict[str, Any], r: Request) -> bool:
    job = r.q('job')
    return job is None or str(entry.get('job')) == job
