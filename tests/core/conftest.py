"""Fixtures for synapse-core tests: temporary plugins, a recording job transport, clean env."""

from __future__ import annotations

import sys
import textwrap
import types
import uuid
from pathlib import Path
from typing import Any

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = REPO_ROOT / 'examples'


class RecordingTransport:
    """A `JobLogTransport` that records what a backend would receive (pure-logic tests)."""

    def __init__(self, fail_logs: int = 0, fail_updates: int = 0):
        self.logs: list[dict[str, Any]] = []
        self.log_batches: list[list[dict[str, Any]]] = []
        self.updates: list[tuple[str, dict[str, Any]]] = []
        self.fail_logs = fail_logs
        self.fail_updates = fail_updates

    def create_logs(self, logs):
        if self.fail_logs:
            self.fail_logs -= 1
            raise ConnectionError('backend down')
        batch = [dict(entry) for entry in logs]
        self.log_batches.append(batch)
        self.logs.extend(batch)

    def update_job(self, job_id, data):
        if self.fail_updates:
            self.fail_updates -= 1
            raise ConnectionError('backend down')
        self.updates.append((job_id, dict(data)))

    def statuses(self) -> list[str]:
        return [d['status'] for _, d in self.updates if 'status' in d]


@pytest.fixture
def transport() -> RecordingTransport:
    return RecordingTransport()


@pytest.fixture
def transport_cls() -> type[RecordingTransport]:
    return RecordingTransport


@pytest.fixture(autouse=True)
def _clean_synapse_env(monkeypatch):
    """No test sees the developer's credentials or language settings."""
    for key in (
        'SYNAPSE_LANGUAGE',
        'SYNAPSE_ACCESS_TOKEN',
        'SYNAPSE_HOST',
        'SYNAPSE_PLUGIN_RUN_USER_TOKEN',
        'SYNAPSE_BACKEND_V2_ACCESS_TOKEN',
        'SYNAPSE_BACKEND_V2_DRF_TOKEN',
        'SYNAPSE_LOG_FILE',
        'SYNAPSE_FORCE_V1_EXPORT',
        'SYNAPSE_JOB_ID',
    ):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv('HOME', '/nonexistent-home-for-synapse-tests')


@pytest.fixture
def make_plugin(tmp_path, monkeypatch):
    """Create a plugin directory: ``make_plugin(config_yaml, {'relative/path.py': source})``.

    Module names inside get a unique package prefix ``pkg`` replaced in both config and sources,
    so tests never collide in ``sys.modules``. Returns ``(plugin_dir, package_name)``.
    """
    created: list[str] = []

    def make(config: str | None, files: dict[str, str] | None = None) -> tuple[Path, str]:
        package = f'plg_{uuid.uuid4().hex[:8]}'
        root = tmp_path / package
        root.mkdir()
        if config is not None:
            (root / 'config.yaml').write_text(
                textwrap.dedent(config).replace('PKG', package), encoding='utf-8'
            )
        for rel, source in (files or {}).items():
            target = root / rel.replace('PKG', package)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(textwrap.dedent(source).replace('PKG', package), encoding='utf-8')
        created.append(package)
        return root, package

    yield make
    for name in list(sys.modules):
        if any(name == p or name.startswith(p + '.') for p in created):
            del sys.modules[name]
    sys.path[:] = [p for p in sys.path if not any(c in p for c in created)]


@pytest.fixture
def auth_module(monkeypatch):
    """``synapse_sdk.utils.auth``; a stand-in module when synapse-clients is not installed, so the
    client-wiring tests also run against synapse-core alone."""
    try:
        import synapse_sdk.utils.auth as module
    except ImportError:
        module = types.ModuleType('synapse_sdk.utils.auth')
        if 'synapse_sdk.utils' not in sys.modules:
            utils = types.ModuleType('synapse_sdk.utils')
            utils.__path__ = []
            monkeypatch.setitem(sys.modules, 'synapse_sdk.utils', utils)
        monkeypatch.setitem(sys.modules, 'synapse_sdk.utils.auth', module)
    return module
