"""v2 tasks: ``/v2/tasks/`` list, detail, create, bulk fetch, bulk create and annotate."""

from __future__ import annotations

import json
from typing import Any

from synapse_sdk.clients.testing._routes.v2._common import (
    bulk,
    detail,
    envelope,
    get_row,
    listing,
    require,
    v2_error,
)
from synapse_sdk.clients.testing._server import Request, Response, Router
from synapse_sdk.clients.testing._state import FakeState


def task_list(t: dict[str, Any]) -> dict[str, Any]:
    return {
        'id': t['id'],
        'project_id': t['project'],
        'data_unit_id': t['data_unit'],
        'is_discarded': t['is_discarded'],
        'has_data': t['data'] is not None,
        'created': t['created'],
    }


def task_detail(t: dict[str, Any]) -> dict[str, Any]:
    return {
        **task_list(t),
        'workshop_id': t.get('workshop'),
        'meta': t.get('meta'),
        'data': t.get('data'),
        'schema': t.get('schema', 'dm_schema_v1'),
    }


def bulk_task(t: dict[str, Any]) -> dict[str, Any]:
    return {
        'id': t['id'],
        'project_id': t['project'],
        'data_unit_id': t['data_unit'],
        'data': json.dumps(t.get('data')),
        'files_manifest': t.get('files') or {},
    }


def register(router: Router, state: FakeState) -> None:
    listing(router, state, '/v2/tasks/', 'tasks', task_list)
    detail(router, state, '/v2/tasks/{id}/', 'tasks', task_detail)

    def create_task(r: Request) -> Response:
        body = require(r, r.json(), ('project', 'data_unit'))
        get_row(state, 'projects', body['project'], r)
        return envelope(r, task_detail(state.add('tasks', **body)), status=201)

    router.add('POST', '/v2/tasks/', create_task)
    router.add('POST', '/v2/tasks/bulk-fetch/', bulk(state, 'tasks', 'ids', bulk_task))

    def bulk_create_tasks(r: Request) -> Response:
        body = require(r, r.json(), ('project', 'data_unit_ids'))
        get_row(state, 'projects', body['project'], r)
        existing = {t['data_unit'] for t in state.tasks.values() if t['project'] == body['project']}
        created = 0
        for unit in body['data_unit_ids']:
            if unit not in existing:
                state.add('tasks', project=body['project'], data_unit=unit)
                existing.add(unit)
                created += 1
        state.touch()
        return envelope(
            r, {'created_count': created, 'skipped_count': len(body['data_unit_ids']) - created}, status=201
        )

    router.add('POST', '/v2/tasks/bulk-create/', bulk_create_tasks)

    def annotate(r: Request) -> Response:
        task = get_row(state, 'tasks', r.params['id'], r)
        body = r.json() or {}
        if body.get('action', 'save') not in ('save', 'submit'):
            raise v2_error(r, 400, 'VALIDATION_ERROR', 'action must be save or submit')
        with state.lock:
            task['data'] = body.get('data')
            task['schema'] = r.q('schema') or task.get('schema', 'dm_schema_v1')
        return envelope(r, {'id': task['id'], 'action': body.get('action', 'save')})

    router.add('PUT', '/v2/tasks/{id}/annotate-task-data/', annotate)
