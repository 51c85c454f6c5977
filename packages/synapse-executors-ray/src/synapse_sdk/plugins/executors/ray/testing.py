"""Real local Ray for tests and benchmarks: an in-process cluster and a head node with the Jobs API.

Plugin authors can test task and job modes the way this distribution's own tests do::

    from synapse_sdk.plugins.executors.ray.testing import head_node, local_cluster

    with local_cluster():                      # ray.init in this process, loopback only
        RayActorExecutor(working_dir='plugin/').execute('plugin.actions:train', {...})

    with head_node() as head:                  # `ray start --head --block` in its own process group
        RayJobsApiExecutor(dashboard_address=head.dashboard_address, working_dir='plugin/')

Both use a fresh short temp dir, capped resources and free loopback ports, and stop only what they
started: the head node by SIGTERM to its own process (never ``ray stop``, which kills every Ray
process on the machine).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = [
    'RAY_TEST_ENV',
    'HeadNode',
    'free_port',
    'head_node',
    'local_cluster',
    'short_temp_dir',
    'start_head_node',
]

#: Variables every process touching a local test cluster needs: no usage stats, no token auth file
#: in ~/.ray, loopback-only binding, no `uv run` worker bootstrap (workers would miss the venv).
RAY_TEST_ENV = {
    'RAY_USAGE_STATS_ENABLED': '0',
    'RAY_AUTH_MODE': 'disabled',
    'RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER': '0',
    'RAY_ENABLE_UV_RUN_RUNTIME_ENV': '0',
}
DEFAULT_OBJECT_STORE_BYTES = 200 * 1024 * 1024


def free_port() -> int:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        port: int = s.getsockname()[1]
        return port


def short_temp_dir(prefix: str) -> str:
    """A fresh dir directly under /tmp: Ray's AF_UNIX socket paths must stay under 107 bytes."""
    return tempfile.mkdtemp(prefix=prefix, dir='/tmp' if os.path.isdir('/tmp') else None)


@contextlib.contextmanager
def local_cluster(
    num_cpus: int = 2,
    object_store_memory: int = DEFAULT_OBJECT_STORE_BYTES,
    attempts: int = 2,
    **init_kwargs: Any,
) -> Iterator[Any]:
    """``ray.init`` a private in-process cluster (no dashboard); yields the `ray` module.

    Ray gives its node 30 s to register, hard-coded; on a loaded machine without compiled bytecode
    the agents' Python start-up can take longer. Such a start-up timeout is retried (`attempts`).
    """
    os.environ.update(RAY_TEST_ENV)
    import ray

    for attempt in range(1, attempts + 1):
        temp_dir = short_temp_dir('rt')
        try:
            ray.init(
                num_cpus=num_cpus,
                include_dashboard=False,
                object_store_memory=object_store_memory,
                _temp_dir=temp_dir,
                **{'logging_level': 'warning', **init_kwargs},
            )
            break
        except Exception as exc:
            ray.shutdown()
            shutil.rmtree(temp_dir, ignore_errors=True)
            if attempt == attempts or 'timed out during startup' not in str(exc):
                raise
    try:
        yield ray
    finally:
        ray.shutdown()
        shutil.rmtree(temp_dir, ignore_errors=True)


@dataclass
class HeadNode:
    """A running head node: where to reach it, and the process to stop.

    Ray's files live in ``<temp_dir>/ray``, where ``ray start`` also records the cluster's address: a
    process with ``RAY_TMPDIR=<temp_dir>`` finds this head as the cluster kept running on its machine.
    """

    dashboard_address: str
    gcs_address: str
    client_address: str
    temp_dir: str
    process: subprocess.Popen[bytes]

    def stop(self) -> None:
        """SIGTERM the `ray start --block` process; its process group only if it lingers."""
        proc = self.process
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=10)
        shutil.rmtree(self.temp_dir, ignore_errors=True)


def start_head_node(
    num_cpus: int = 2,
    object_store_memory: int = DEFAULT_OBJECT_STORE_BYTES,
    timeout: float = 90,
    attempts: int = 2,
) -> HeadNode:
    """Start ``ray start --head --block`` on loopback; return once it is up and its Jobs API and agent answer.

    The venv's ``bin`` comes first on the head's PATH, because a job's ``python`` entrypoint is
    resolved from it, and ``TMPDIR`` points into the head's temp dir (no stray ``/tmp/pymp-*``); Ray's
    own folder is ``<temp dir>/ray`` (see `HeadNode`).
    Raises `RuntimeError` with the end of its log if it does not come up. Ray's 30 s start-up limit
    (see `local_cluster`) running out is retried (`attempts`).
    """
    for attempt in range(1, attempts + 1):
        try:
            return _start_head_node(num_cpus, object_store_memory, timeout)
        except RuntimeError as exc:
            if attempt == attempts or 'timed out during startup' not in str(exc):
                raise
    raise AssertionError('unreachable')  # pragma: no cover


def _start_head_node(num_cpus: int, object_store_memory: int, timeout: float) -> HeadNode:
    ray_bin = Path(sys.executable).parent / 'ray'
    if not ray_bin.exists():
        raise RuntimeError(f'no `ray` command next to {sys.executable}')
    temp_dir = short_temp_dir('rh')
    port, dash, client, agent, env_agent = (free_port() for _ in range(5))
    env = {
        **os.environ,
        **RAY_TEST_ENV,
        'PATH': f'{ray_bin.parent}{os.pathsep}{os.environ.get("PATH", "")}',
        'TMPDIR': temp_dir,
    }
    env.pop('RAY_ADDRESS', None)
    cmd = [
        str(ray_bin), 'start', '--head', '--block',
        '--node-ip-address=127.0.0.1', f'--port={port}',
        '--dashboard-host=127.0.0.1', f'--dashboard-port={dash}',
        f'--ray-client-server-port={client}', f'--dashboard-agent-listen-port={agent}',
        f'--runtime-env-agent-port={env_agent}',  # else Ray Client jobs with a runtime env cannot start
        f'--num-cpus={num_cpus}', f'--object-store-memory={object_store_memory}',
        f'--temp-dir={os.path.join(temp_dir, "ray")}', '--disable-usage-stats',
    ]  # fmt: skip
    log_path = Path(temp_dir) / 'ray-start.log'
    with open(log_path, 'wb') as log:
        proc = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    head = HeadNode(
        f'http://127.0.0.1:{dash}', f'127.0.0.1:{port}', f'ray://127.0.0.1:{client}', temp_dir, proc
    )
    record = Path(temp_dir, 'ray', 'ray_current_cluster')
    deadline = time.monotonic() + timeout
    while True:
        if proc.poll() is not None or time.monotonic() > deadline:
            tail = log_path.read_text(errors='replace')[-2000:]
            head.stop()
            raise RuntimeError(f'the Ray head node did not start (exit code {proc.returncode}):\n{tail}')
        # `ray start` records the cluster's address once every process is up (the last step); jobs
        # are handed to the dashboard agent, which can come up long after the dashboard on a loaded
        # machine ("No available agent to submit job"): wait for its port too.
        if record.exists():
            try:
                with urllib.request.urlopen(f'{head.dashboard_address}/api/jobs/', timeout=2) as resp:
                    if resp.status == 200 and _accepts_connections(agent):
                        return head
            except OSError:
                pass
        time.sleep(0.5)


def _accepts_connections(port: int) -> bool:
    try:
        with socket.create_connection(('127.0.0.1', port), timeout=2):
            return True
    except OSError:
        return False


@contextlib.contextmanager
def head_node(**kwargs: Any) -> Iterator[HeadNode]:
    """`start_head_node` as a context manager that always stops it."""
    head = start_head_node(**kwargs)
    try:
        yield head
    finally:
        head.stop()
