"""v2 ground-truth events (history rows keyed by ``pgh_id``): list, detail and bulk data."""

from __future__ import annotations

import json
from typing import Any

from synapse_sdk.clients.testing._routes.v2._common import bulk, envelope, get_row, listing
from synapse_sdk.clients.testing._server import Request, Router
from synapse_sdk.clients.testing._state import FakeState


def gt_event_list(e: dict[str, Any]) -> dict[str, Any]:
    data = json.dumps(e.get('data') or {})
    return {
        'id': e['id'],
        'pgh_id': e['pgh_id'],
        'pgh_obj_id': e['pgh_obj_id'],
        'pgh_label': e['pgh_label'],
        'data_unit_id': e['data_unit'],
        'ground_truth_dataset_id': e['ground_truth_dataset'],
        'data_size': len(data),
        'data_digest': None,
        'data_content_type': 'application/json',
    }


def bulk_gt_event(e: dict[str, Any]) -> dict[str, Any]:
    return {
        **gt_event_list(e),
        'data': e.get('data') or {},
        'files': e.get('files') or {},
        'files_manifest': e.get('files_manifest') or {},
    }


def register(router: Router, state: FakeState) -> None:
    router.add(
        'POST',
        '/v2/ground-truth-events/bulk-data/',
        bulk(state, 'ground_truth_events', 'pgh_ids', bulk_gt_event),
    )
    listing(router, state, '/v2/ground-truth-events/', 'ground_truth_events', gt_event_list)

    def detail(r: Request) -> Any:
        """One event by its ``pgh_id`` (the fake's 404 when none has it)."""
        events = state.ground_truth_events.values()
        event = next((e for e in events if str(e['pgh_id']) == r.params['id']), None)
        return envelope(r, bulk_gt_event(event or get_row(state, 'ground_truth_events', -1, r)))

    router.add('GET', '/v2/ground-truth-events/{id}/', detail)
