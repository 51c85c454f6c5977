"""Fixtures for the Ray executor tests: one in-process cluster and one head node per session.

Both are real Ray: the in-process cluster (``ray.init`` in this process) serves task-mode and pipeline
tests; the head node (``ray start --head --block`` in its own process group) serves the Jobs API tests.
Each gets a fresh short temp dir, capped resources and free loopback ports, and is stopped only by
signalling the process this fixture started: never ``ray stop``, which would kill other runs' clusters.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest

# Required for every process that touches Ray here (see shared/specs/test-infrastructure.md): no usage
# stats, no token auth file in ~/.ray, loopback-only binding, and no `uv run` worker bootstrap.
RAY_TEST_ENV = {
    'RAY_USAGE_STATS_ENABLED': '0',
    'RAY_AUTH_MODE': 'disabled',
    'RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER': '0',
    'RAY_ENABLE_UV_RUN_RUNTIME_ENV': '0',
}
os.environ.update(RAY_TEST_ENV)
# A stray RAY_ADDRESS would make the in-process cluster join someone else's cluster.
os.environ.pop('RAY_ADDRESS', None)

HERE = Path(__file__).resolve().parent
SAMPLE_PLUGIN = HERE / 'sample_plugin'
OBJECT_STORE_BYTES = 200 * 1024 * 1024
STRICT = os.environ.get('SYNAPSE_TEST_STRICT') == '1'


def _unavailable(reason: str):
    if STRICT:
        pytest.fail(f'SYNAPSE_TEST_STRICT=1 and {reason}')
    pytest.skip(reason)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def _short_temp_dir(prefix: str) -> str:
    # AF_UNIX socket paths under the Ray temp dir must stay below 107 bytes: keep it directly in /tmp.
    return tempfile.mkdtemp(prefix=prefix, dir='/tmp')


@pytest.fixture(scope='session')
def sample_plugin_dir() -> Path:
    """A plugin directory (config.yaml + module) used as working_dir in every mode."""
    return SAMPLE_PLUGIN


@pytest.fixture(scope='session')
def ray_cluster(sample_plugin_dir):
    """A real in-process Ray cluster for the whole session (2 CPUs, 200 MB object store)."""
    try:
        import ray
    except ImportError:
        _unavailable('ray is not installed')
    temp_dir = _short_temp_dir('rt')
    # The sample plugin must be importable in this process too (local-mode comparisons, action_cls).
    sys.path.insert(0, str(sample_plugin_dir))
    ray.init(
        num_cpus=2,
        include_dashboard=False,
        object_store_memory=OBJECT_STORE_BYTES,
        _temp_dir=temp_dir,
        logging_level='warning',
        log_to_driver=True,
    )
    try:
        yield ray
    finally:
        ray.shutdown()
        sys.path.remove(str(sample_plugin_dir))
        shutil.rmtree(temp_dir, ignore_errors=True)


@dataclass(frozen=True)
class HeadNode:
    dashboard_address: str
    gcs_address: str
    temp_dir: str
    process: subprocess.Popen


def _wait_ready(url: str, proc: subprocess.Popen, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f'ray start exited early with code {proc.returncode}')
        try:
            with urllib.request.urlopen(url, timeout=2) as resp:
                if resp.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.5)
    raise TimeoutError(f'Ray dashboard at {url} did not answer within {timeout:.0f}s')


def _stop_process_group(proc: subprocess.Popen) -> None:
    """SIGTERM the `ray start --block` process we started; its whole group only if it lingers."""
    if proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)


@pytest.fixture(scope='session')
def ray_head():
    """A real Ray head node with the Jobs API, in its own process group, for the whole session."""
    ray_bin = Path(sys.executable).parent / 'ray'
    if not ray_bin.exists():
        _unavailable(f'no `ray` command next to {sys.executable}')
    temp_dir = _short_temp_dir('rh')
    port, dash, client, agent = (_free_port() for _ in range(4))
    env = {
        **os.environ,
        **RAY_TEST_ENV,
        # The job driver's `python` is resolved from the head's PATH: the venv's must come first.
        'PATH': f'{ray_bin.parent}{os.pathsep}{os.environ.get("PATH", "")}',
        'TMPDIR': temp_dir,
    }
    cmd = [
        str(ray_bin), 'start', '--head', '--block',
        '--node-ip-address=127.0.0.1', f'--port={port}',
        '--dashboard-host=127.0.0.1', f'--dashboard-port={dash}',
        f'--ray-client-server-port={client}', f'--dashboard-agent-listen-port={agent}',
        '--num-cpus=2', f'--object-store-memory={OBJECT_STORE_BYTES}',
        f'--temp-dir={temp_dir}', '--disable-usage-stats',
    ]  # fmt: skip
    log = open(Path(temp_dir) / 'ray-start.log', 'wb')  # noqa: SIM115 - kept open for the session
    proc = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    dashboard = f'http://127.0.0.1:{dash}'
    try:
        _wait_ready(f'{dashboard}/api/jobs/', proc, timeout=90)
    except Exception as exc:
        _stop_process_group(proc)
        log.close()
        tail = (Path(temp_dir) / 'ray-start.log').read_text(errors='replace')[-2000:]
        shutil.rmtree(temp_dir, ignore_errors=True)
        _unavailable(f'the Ray head node did not start: {exc}\n{tail}')
    try:
        yield HeadNode(dashboard, f'127.0.0.1:{port}', temp_dir, proc)
    finally:
        _stop_process_group(proc)
        log.close()
        shutil.rmtree(temp_dir, ignore_errors=True)
