"""Fixtures for the workflow tests.

`RecordingRuntime` is a minimal stand-in for `RuntimeContext` used by the tests of pure
step/pipeline logic. It records what the workflow machinery sends to the runtime, so tests can assert on it without
depending on a logger implementation.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable
from pathlib import Path
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

    def get_step(self) -> str | None:
        return self.steps[-1] if self.steps else None

    def set_step_proportions(self, proportions: dict[str, float]) -> None:
        self.proportions = dict(proportions)


@pytest.fixture
def runtime() -> RecordingRuntime:
    return RecordingRuntime()


@pytest.fixture(scope='session')
def make_runtime() -> type[RecordingRuntime]:
    """The stand-in class itself, for tests (e.g. hypothesis) that need a fresh one per example."""
    return RecordingRuntime


# -- fake backend ---------------------------------------------------------------------------------

_UNSET: Any = object()


@pytest.fixture
def fake_backend() -> Any:
    from synapse_sdk.clients.testing import FakeBackend

    with FakeBackend() as backend:
        yield backend


@pytest.fixture
def storage_dir(fake_backend: Any, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A local directory registered on the fake backend as its default internal storage."""
    location = tmp_path_factory.mktemp('storage')
    fake_backend.state.add_storage(
        name='default',
        category='internal',
        provider='local',
        configuration={'location': str(location)},
        is_default=True,
    )
    return location


@pytest.fixture
def make_ctx(request: pytest.FixtureRequest) -> Any:
    """Build a real `RuntimeContext` (no console output) wired to the fake backend when one is used."""
    from synapse_sdk.plugins.execution import build_runtime_context

    made = []

    def make(*, client: Any = _UNSET, v2_client: Any = _UNSET, env: dict[str, Any] | None = None) -> Any:
        backend = request.getfixturevalue('fake_backend') if 'fake_backend' in request.fixturenames else None
        if client is _UNSET:
            client = backend.client() if backend else None
        if v2_client is _UNSET:
            v2_client = backend.v2_client() if backend else None
        ctx = build_runtime_context(
            env=env or {}, console=False, client=client, v2_client=v2_client, agent_client=None
        )
        made.append(ctx)
        return ctx

    yield make
    for ctx in made:
        ctx.logger.finish()


# -- an export killed midway ------------------------------------------------------------------------

_EXPORT_WORKER = textwrap.dedent(
    """
    import json, sys
    from synapse_sdk.clients.backend_v2 import BackendV2Client
    from synapse_sdk.plugins.actions.export import BaseExportAction, ExportParams
    from synapse_sdk.plugins.actions.export import action as export_action, targets
    from synapse_sdk.plugins.execution import build_runtime_context, run_action

    export_action.CHECKPOINT_SECONDS = 0.0  # a checkpoint after every batch
    targets.BULK_BATCH = int(sys.argv[3])

    class Export(BaseExportAction[ExportParams]):
        action_name = 'export'

    ctx = build_runtime_context(
        env={}, console=False, client=None, v2_client=BackendV2Client(sys.argv[1], access_token='syn_test'),
        agent_client=None,
    )
    run_action(Export, json.loads(sys.argv[2]), ctx)
    """
)


@pytest.fixture
def kill_export(fake_backend: Any, tmp_path_factory: pytest.TempPathFactory) -> Callable[..., None]:
    """``kill_export(params, batches=k, bulk_batch=200)``: run the v2 export of `params` (``path`` included) in a
    subprocess against the fake backend, its bulk fetches slowed down enough to aim, and kill it with SIGKILL
    once its journal says `batches` batches are done. Asserts it was killed there, not finished; the fake's
    faults are cleared afterwards."""
    script = tmp_path_factory.mktemp('export-worker') / 'worker.py'  # not beside the export's output
    script.write_text(_EXPORT_WORKER)

    def kill(params: dict[str, Any], *, batches: int, bulk_batch: int = 200) -> None:
        out = Path(params['path'])
        journal_file = out.parent / f'.{out.name}.export-partial' / 'journal.json'
        fake_backend.inject(r'^/v2/assignments/bulk-fetch/$', delay=0.15, times=None)
        worker = subprocess.Popen(
            [sys.executable, str(script), fake_backend.url, json.dumps(params), str(bulk_batch)]
        )
        deadline = time.monotonic() + 60
        try:
            while time.monotonic() < deadline:
                try:
                    if json.loads(journal_file.read_text()).get('batches_done', 0) >= batches:
                        break
                except (OSError, ValueError):
                    pass
                assert worker.poll() is None, 'the export ended before it could be killed'
                time.sleep(0.01)
            os.kill(worker.pid, signal.SIGKILL)
        finally:
            worker.wait(timeout=30)
            fake_backend.clear_faults()
        assert worker.returncode == -signal.SIGKILL and not out.exists()

    return kill


# -- tiny DM datasets -----------------------------------------------------------------------------


def dm_v1_document(width: int = 40, height: int = 20, cls: str = 'car') -> dict[str, Any]:
    """A DM v1 annotation document with one bounding box on ``image_1``."""
    return {
        'extra': {'image_1': {'width': width, 'height': height}},
        'annotations': {
            'image_1': [
                {
                    'id': 'bb01AbCdEf',
                    'tool': 'bounding_box',
                    'isLocked': False,
                    'isVisible': True,
                    'isValid': True,
                    'isDrawCompleted': True,
                    'label': [],
                    'classification': {'class': cls},
                }
            ]
        },
        'annotationsData': {
            'image_1': [{'id': 'bb01AbCdEf', 'coordinate': {'x': 4, 'y': 2, 'width': 10, 'height': 8}}]
        },
        'relations': {'image_1': []},
        'annotationGroups': {'image_1': []},
    }


def png_file(path: Path, width: int = 40, height: int = 20) -> Path:
    from synapse_sdk.utils.converters.png import encode_png

    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(encode_png(width, height, bytes(width * height * 3), mode='RGB'))
    return path


@pytest.fixture(scope='session')
def dm() -> Any:
    """Helpers to build DM datasets: ``dm.document(...)``, ``dm.png(path)``."""

    class _DM:
        document = staticmethod(dm_v1_document)
        png = staticmethod(png_file)

    return _DM
