"""v1 ground truths: ``/ground_truths/``, ``/sdk/ground_truth_events/`` lists, dataset versions."""

from __future__ import annotations

from synapse_sdk.clients.testing._routes.v1._common import detail, listing
from synapse_sdk.clients.testing._server import Router
from synapse_sdk.clients.testing._state import FakeState


def register(router: Router, state: FakeState) -> None:
    listing(router, state, '/ground_truths/', 'ground_truths')
    for suffix in ('', 'data/', 'files/'):
        listing(router, state, f'/sdk/ground_truth_events/{suffix}', 'ground_truth_events')
    listing(router, state, '/ground_truth_dataset_versions/', 'ground_truth_versions')
    detail(router, state, '/ground_truth_dataset_versions/{id}/', 'ground_truth_versions')
