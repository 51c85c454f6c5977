"""v2 routes of the fake backend (``{data, meta}`` envelopes, URL cursors, bulk endpoints, SSE progress).

One module per resource, each with ``register(router, state)``; ``register_v2`` mounts them all.
"""

from __future__ import annotations

from synapse_sdk.clients.testing._routes.v2 import (
    assignments,
    async_jobs,
    data_collections,
    data_units,
    ground_truth_events,
    ground_truths,
    plugin_exports,
    projects,
    tasks,
    tenants,
    tokens,
    uploads,
    users,
)
from synapse_sdk.clients.testing._server import Router
from synapse_sdk.clients.testing._state import FakeState

MODULES = (
    users,
    tenants,
    tokens,
    projects,
    tasks,
    assignments,
    ground_truths,
    ground_truth_events,
    data_collections,
    uploads,
    data_units,
    plugin_exports,
    async_jobs,
)


def register_v2(router: Router, state: FakeState) -> None:
    for module in MODULES:
        module.register(router, state)
