"""v2 ground truths: ``/v2/ground-truths/`` list, detail and bulk data."""

from __future__ import annotations

import json
from typing import Any

from synapse_sdk.clients.testing._routes.v2._common import bulk, detail, listing
from synapse_sdk.clients.testing._server import Router
from synapse_sdk.clients.testing._state import FakeState


def gt_list(g: dict[str, Any]) -> dict[str, Any]:
    return {
        'id': g['id'],
        'ground_truth_dataset_id': g['ground_truth_dataset'],
        'data_unit_id': g['data_unit'],
        'category': g['category'],
    }


def gt_detail(g: dict[str, Any]) -> dict[str, Any]:
    return {
        **gt_list(g),
        'project_id': g.get('project'),
        'data': g.get('data') or {},
        'classes': g.get('classes', []),
    }


def bulk_gt(g: dict[str, Any]) -> dict[str, Any]:
    return {
        **gt_list(g),
        'project_id': g.get('project'),
        'data': json.dumps(g.get('data') or {}),
        'classes': g.get('classes', []),
    }


def register(router: Router, state: FakeState) -> None:
    router.add('POST', '/v2/ground-truths/bulk-data/', bulk(state, 'ground_truths', 'ids', bulk_gt))
    listing(router, state, '/v2/ground-truths/', 'ground_truths', gt_list)
    detail(router, state, '/v2/ground-truths/{id}/', 'ground_truths', gt_detail)
