"""v2 plugin exports: ``POST /v2/plugin_exports/`` starts an async job (or validates with ``dry_run``)."""

from __future__ import annotations

from synapse_sdk.clients.testing._routes.v2._common import envelope, get_row, require, v2_error
from synapse_sdk.clients.testing._server import Request, Response, Router
from synapse_sdk.clients.testing._state import FakeState


def register(router: Router, state: FakeState) -> None:
    def create_export(r: Request) -> Response:
        body = require(r, r.json(), ('storage_id', 'path'))
        get_row(state, 'storages', body['storage_id'], r)
        if body.get('project_id') is not None:
            get_row(state, 'projects', body['project_id'], r)
        targets = body.get('targets') or ['task']
        bad = set(targets) - {'task', 'assignment', 'ground_truth'}
        if bad:
            raise v2_error(
                r,
                400,
                'VALIDATION_ERROR',
                'invalid targets',
                [{'field': 'targets', 'message': f'{sorted(bad)}'}],
            )
        if r.q('dry_run') == 'true':
            return envelope(
                r, {'job_id': None, 'status': 'DRY_RUN', 'targets': targets, 'total_count': None}, status=202
            )
        job = state.add_async_job(
            category='plugin_export', type='plugin_export', ray_job_id=body.get('ray_job_id'), _request=body
        )
        return envelope(
            r,
            {
                'job_id': job['id'],
                'status': 'PENDING',
                'total_count': None,
                'targets': targets,
                'ray_job_id': body.get('ray_job_id'),
            },
            status=202,
        )

    router.add('POST', '/v2/plugin_exports/', create_export)
