"""pytest fixtures for the fake backend (registered through the ``pytest11`` entry point).

Kept import-light: the server and the clients are imported only when a fixture is used. pytest is
not a dependency of synapse-testing, so importing this module without it defines nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

try:
    import pytest
except ImportError:  # imported outside a pytest run (e.g. an import sweep of the wheel)
    pytest = None  # type: ignore[assignment]  # pytest is optional here: None when it is not installed

if TYPE_CHECKING:
    from synapse_sdk.clients.testing import FakeBackend


def _synapse_backend(monkeypatch: Any, tmp_path_factory: Any) -> Iterator[FakeBackend]:
    """A running ``FakeBackend``, with the environment pointing the client factories at it.

    Every Synapse credential variable is cleared first and ``SYNAPSE_CONFIG_PATH`` points at an empty
    location, so neither the developer's shell nor ``~/.synapse/config.json`` can leak into the test.
    """
    from synapse_sdk.clients.testing import FakeBackend
    from synapse_sdk.utils.auth import CREDENTIAL_ENV_VARS

    with FakeBackend() as backend:
        for name in CREDENTIAL_ENV_VARS:
            monkeypatch.delenv(name, raising=False)
        monkeypatch.setenv(
            'SYNAPSE_CONFIG_PATH', str(tmp_path_factory.mktemp('synapse-config') / 'config.json')
        )
        for name, value in backend.env().items():
            monkeypatch.setenv(name, value)
        yield backend


if pytest is not None:
    synapse_backend = pytest.fixture(_synapse_backend, name='synapse_backend')
