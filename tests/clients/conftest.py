"""Shared helpers for the client tests: fast clients whose retry waits are recorded, not slept."""

from __future__ import annotations

from typing import Any

import pytest

from synapse_sdk.clients.testing import FakeBackend


def _record_sleeps(client: Any) -> list[float]:
    waits: list[float] = []
    client._http.sleep = waits.append
    return waits


@pytest.fixture
def record_sleeps() -> Any:
    """``record_sleeps(client)`` makes the client record its retry waits instead of sleeping them."""
    return _record_sleeps


@pytest.fixture
def backend() -> Any:
    with FakeBackend() as server:
        yield server
