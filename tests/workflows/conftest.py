"""Fixtures for the workflow tests.

`RecordingRuntime` is a minimal stand-in for `RuntimeContext` used by the tests of pure
step/pipeline logic. It records what the workflow machinery sends to the runtime, so tests can assert on it without
depending on a logger implementation.
"""

from __future__ import annotations

from typing import Any

import pytest


class RecordingRuntime:
    def __init__(self) -> None:
        self.progress: list[tuple[float, float, str | None]] = []
        self.metrics: list[tuple[dict[str, Any], str]] = []
        self.events: list[tuple[str, dict[str, Any], str | None]] = []
        self.messages: list[tuple[Any, tuple, dict]] = []
        self.logger = RecordingLogger()

    def set_progress(self, current: float, total: float, step: str | None = None) -> None:
        self.progress.append((current, total, step))

    def set_metrics(self, value: dict[str, Any], step: str) -> None:
        self.metrics.append((value, step))

    def log(self, event: str, data: dict[str, Any], file: str | None = None) -> None:
        self.events.append((event, data, file))

    def log_message(self, message: Any, *args: Any, **kwargs: Any) -> None:
        self.messages.append((message, args, kwargs))

    def log_dev_event(self, message: str, data: dict[str, Any] | None = None) -> None:
        self.events.append(('dev_event', {'message': message, **(data or {})}, None))


class RecordingLogger:
    def __init__(self) -> None:
        self.steps: list[str | None] = []
        self.proportions: dict[str, float] | None = None

    def set_step(self, step: str | None) -> None:
        self.steps.append(step)

    def set_step_proportions(self, proportions: dict[str, float]) -> None:
        self.proportions = dict(proportions)


@pytest.fixture
def runtime() -> RecordingRuntime:
    return RecordingRuntime()


@pytest.fixture(scope='session')
def make_runtime() -> type[RecordingRuntime]:
    """The stand-in class itself, for tests (e.g. hypothesis) that need a fresh one per example."""
    return RecordingRuntime
