"""v2 assignments: ``/v2/assignments/`` list, detail, bulk fetch and data (with ``dry_run``)."""

from __future__ import annotations

import json
from typing import Any

from synapse_sdk.clients.testing._routes.v2._common import bulk, detail, envelope, get_row, listing, v2_error
from synapse_sdk.clients.testing._server import Request, Response, Router
from synapse_sdk.clients.testing._state import FakeState


def assignment_list(a: dict[str, Any]) -> dict[str, Any]:
    return {
        'id': a['id'],
        'user_id': a.get('user'),
        'task_id': a['task'],
        'status_label': a['status_label'],
        'status_review': a['status_review'],
        'is_confirmed': a['is_confirmed'],
        'is_discarded': a['is_discarded'],
        'created': a['created'],
    }


def assignment_detail(a: dict[str, Any]) -> dict[str, Any]:
    return {
        **assignment_list(a),
        'reviewer_id': a.get('reviewer'),
        'data': a.get('data'),
        'tags': a.get('tags', []),
    }


def register(router: Router, state: FakeState) -> None:
    def bulk_assignment(a: dict[str, Any]) -> dict[str, Any]:
        task = state.tasks.get(a['task'], {})
        return {
            'id': a['id'],
            'project_id': a.get('project'),
            'data_unit_id': task.get('data_unit'),
            # ``data_text``: the text a backend sends as it stored it, JSON or not (tests of data that does not parse)
            'data': a['data_text'] if 'data_text' in a else json.dumps(a.get('data')),
            'files_manifest': a.get('files') or {},
        }

    router.add('POST', '/v2/assignments/bulk-fetch/', bulk(state, 'assignments', 'ids', bulk_assignment))
    listing(router, state, '/v2/assignments/', 'assignments', assignment_list)
    detail(router, state, '/v2/assignments/{id}/', 'assignments', assignment_detail)

    def set_assignment_data(r: Request) -> Response:
        assignment = get_row(state, 'assignments', r.params['id'], r)
        body = r.json()
        if not isinstance(body, dict) or 'data' not in body or set(body) - {'data'}:
            raise v2_error(r, 400, 'VALIDATION_ERROR', 'body must be {"data": ...} only')
        if r.q('dry_run') != 'true':
            with state.lock:
                assignment['data'] = body['data']
        return envelope(r, assignment_detail(assignment))

    router.add('PUT', '/v2/assignments/{id}/data/', set_assignment_data)
