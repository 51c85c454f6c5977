"""v1 (DRF-style) routes of the fake backend, one module per resource.

Each module has ``register(router, state)``; ``register_v1`` mounts them all.
"""

from __future__ import annotations

from synapse_sdk.clients.testing._routes.v1 import (
    agents,
    assignments,
    chunked_upload,
    data_collections,
    data_files,
    data_units,
    ground_truths,
    jobs,
    logs,
    models,
    plugin_releases,
    plugins,
    projects,
    serve_applications,
    storages,
    tasks,
    users,
)
from synapse_sdk.clients.testing._server import Router
from synapse_sdk.clients.testing._state import FakeState

MODULES = (
    projects,
    tasks,
    assignments,
    data_collections,
    chunked_upload,
    data_files,
    data_units,
    models,
    ground_truths,
    jobs,
    logs,
    serve_applications,
    plugins,
    plugin_releases,
    storages,
    agents,
    users,
)


def register_v1(router: Router, state: FakeState) -> None:
    for module in MODULES:
        module.register(router, state)
