"""v2 projects: ``/v2/projects/`` list, detail, create and update."""

from __future__ import annotations

from typing import Any

from synapse_sdk.clients.testing._routes.v2._common import detail, envelope, get_row, listing, require
from synapse_sdk.clients.testing._server import Request, Response, Router
from synapse_sdk.clients.testing._state import FakeState


def project_list(p: dict[str, Any]) -> dict[str, Any]:
    return {
        'id': p['id'],
        'title': p['title'],
        'category': p['category'],
        'category_display': p['category'].title(),
        'created': p['created'],
        'is_archived': p['is_archived'],
        'task_count': p.get('_task_count', 0),
    }


def register(router: Router, state: FakeState) -> None:
    def project_detail(p: dict[str, Any]) -> dict[str, Any]:
        return {
            **project_list(p),
            'tenant_id': 1,
            'data_collection_id': p.get('data_collection'),
            'description': p.get('description', ''),
            'configuration': p.get('configuration', {}),
            'settings': p.get('settings', {}),
            'caution': '',
            'access_level': p.get('access_level', 'private'),
            'count_max_assignments_per_task': 1,
            'can_discard': True,
            'enable_workforce': False,
            'task_count': sum(1 for t in state.tasks.values() if t['project'] == p['id']),
        }

    listing(router, state, '/v2/projects/', 'projects', project_list)
    detail(router, state, '/v2/projects/{id}/', 'projects', project_detail)

    def create_project(r: Request) -> Response:
        body = require(r, r.json(), ('title', 'category'))
        return envelope(r, project_detail(state.add('projects', **body)), status=201)

    router.add('POST', '/v2/projects/', create_project)

    def patch_project(r: Request) -> Response:
        project = get_row(state, 'projects', r.params['id'], r)
        with state.lock:
            project.update(r.json() or {})
        return envelope(r, project_detail(project))

    router.add('PATCH', '/v2/projects/{id}/', patch_project)
