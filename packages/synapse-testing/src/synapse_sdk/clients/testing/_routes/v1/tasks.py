"""v1 tasks and task tags: ``/sdk/tasks/`` lists, ``/tasks/`` create, annotate and tag, ``/task_tags/``."""

from __future__ import annotations

from typing import Any

from synapse_sdk.clients.testing._routes.v1._common import (
    detail,
    field_errors,
    get_row,
    listing,
    public,
    set_tags,
)
from synapse_sdk.clients.testing._server import Request, Response, Router
from synapse_sdk.clients.testing._state import FakeState


def register(router: Router, state: FakeState) -> None:
    for suffix in ('', 'data/', 'files/'):
        listing(router, state, f'/sdk/tasks/{suffix}', 'tasks')
    detail(router, state, '/tasks/{id}/', 'tasks')
    listing(router, state, '/task_tags/', 'task_tags')
    detail(router, state, '/task_tags/{id}/', 'task_tags')

    def create_tasks(r: Request) -> Any:
        body = r.json()
        items = body if isinstance(body, list) else [body]
        created = []
        for item in items:
            if not isinstance(item, dict) or 'project' not in item or not isinstance(item.get('data'), list):
                raise field_errors({'data': 'expected {"project": id, "data": [{"data_unit": id}, ...]}'})
            get_row(state, 'projects', item['project'])
            for entry in item['data']:
                created.append(public(state.add('tasks', project=item['project'], **entry)))
        state.touch()
        return Response(201, {'created_count': len(created), 'results': created})

    router.add('POST', '/tasks/', create_tasks)

    def annotate(r: Request) -> Any:
        task = get_row(state, 'tasks', r.params['id'])
        schema = r.q('schema')
        data = r.json()
        if schema == 'dm_schema_v1' and not isinstance(data, dict):
            raise field_errors({'data': 'dm_schema_v1 requires a JSON object'})
        with state.lock:
            task['data'] = data
        return public(task)

    router.add('PUT', '/tasks/{id}/annotate_task_data/', annotate)
    router.add('POST', '/tasks/set_tags/', set_tags(state, 'tasks'))
