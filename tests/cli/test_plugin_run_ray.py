"""``synapse plugin run --mode task|job`` and ``plugin job logs --ray-address`` on a real Ray head node.

Seed 002: ``synapse plugin run train --mode task --lang=ko`` and ``--mode job --lang=ko``. The head node
runs in its own process group on loopback ports with a short temp dir, and is stopped by signalling the
process started here (never ``ray stop``, which would stop other test runs' clusters).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import textwrap
import time
import urllib.request
from pathlib import Path

import pytest

from .conftest import SYNAPSE_EXE, subprocess_env

pytestmark = [pytest.mark.integration, pytest.mark.slow]

RAY_ENV = {
    'RAY_USAGE_STATS_ENABLED': '0',
    'RAY_AUTH_MODE': 'disabled',
    'RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER': '0',
    'RAY_ENABLE_UV_RUN_RUNTIME_ENV': '0',
}
STRICT = os.environ.get('SYNAPSE_TEST_STRICT') == '1'

ACTIONS = """
from pydantic import BaseModel, Field

from synapse_sdk.plugins.action import BaseAction


class TrainParams(BaseModel):
    epochs: int = Field(default=2, ge=1)


class TrainAction(BaseAction[TrainParams]):
    action_name = 'train'

    def execute(self):
        for epoch in range(self.params.epochs):
            self.set_progress(epoch + 1, self.params.epochs, 'train')
        self.ctx.log_message({'en': 'Ray training finished', 'ko': 'Ray 학습이 완료되었습니다'}, 'success')
        return {'epochs': self.params.epochs, 'language': self.ctx.language}
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def _unavailable(reason: str):
    if STRICT:
        pytest.fail(f'SYNAPSE_TEST_STRICT=1 and {reason}')
    pytest.skip(reason)


@pytest.fixture(scope='module')
def ray_head():
    ray_bin = Path(sys.executable).parent / 'ray'
    if not ray_bin.exists():
        _unavailable(f'no `ray` command next to {sys.executable}')
    temp_dir = tempfile.mkdtemp(prefix='rc', dir='/tmp')  # AF_UNIX paths below it must stay short
    port, dash, client, agent = (_free_port() for _ in range(4))
    env = {**os.environ, **RAY_ENV, 'PATH': f'{ray_bin.parent}{os.pathsep}{os.environ.get("PATH", "")}',
           'TMPDIR': temp_dir}  # fmt: skip
    env.pop('RAY_ADDRESS', None)
    cmd = [
        str(ray_bin), 'start', '--head', '--block', '--node-ip-address=127.0.0.1', f'--port={port}',
        '--dashboard-host=127.0.0.1', f'--dashboard-port={dash}', f'--ray-client-server-port={client}',
        f'--dashboard-agent-listen-port={agent}', '--num-cpus=2', '--object-store-memory=200000000',
        f'--temp-dir={temp_dir}', '--disable-usage-stats',
    ]  # fmt: skip
    log_path = Path(temp_dir) / 'ray-start.log'
    with open(log_path, 'wb') as log:
        proc = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    dashboard = f'http://127.0.0.1:{dash}'
    deadline = time.monotonic() + 120
    while True:
        try:
            with urllib.request.urlopen(f'{dashboard}/api/jobs/', timeout=2) as resp:
                if resp.status == 200:
                    break
        except OSError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            _stop(proc)
            tail = log_path.read_text(errors='replace')[-2000:]
            shutil.rmtree(temp_dir, ignore_errors=True)
            _unavailable(f'the Ray head node did not start:\n{tail}')
        time.sleep(0.5)
    try:
        yield {'gcs': f'127.0.0.1:{port}', 'dashboard': dashboard}
    finally:
        _stop(proc)
        shutil.rmtree(temp_dir, ignore_errors=True)


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)


@pytest.fixture(scope='module')
def ray_plugin(tmp_path_factory):
    root = tmp_path_factory.mktemp('ray-plugin') / 'rayplug'
    root.mkdir()
    (root / 'cli_ray_actions.py').write_text(textwrap.dedent(ACTIONS), encoding='utf-8')
    (root / 'config.yaml').write_text(
        'name: Ray Plugin\ncode: rayplug\nactions:\n  train:\n    entrypoint: cli_ray_actions:TrainAction\n'
        '    method: job\n',
        encoding='utf-8',
    )
    return root


def _synapse(*args: str, cwd: Path, timeout: float = 240) -> subprocess.CompletedProcess:
    env = subprocess_env(**RAY_ENV)
    env.pop('RAY_ADDRESS', None)
    return subprocess.run(
        [str(SYNAPSE_EXE), *args], cwd=cwd, env=env, capture_output=True, text=True,
        stdin=subprocess.DEVNULL, timeout=timeout,
    )  # fmt: skip


def test_task_mode_in_korean(ray_head, ray_plugin):
    proc = _synapse(
        'plugin', 'run', 'train', '--mode', 'task', '--lang=ko', '--params', '{"epochs": 3}',
        '--ray-address', ray_head['gcs'], '--json', cwd=ray_plugin,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-3000:]
    payload = json.loads(proc.stdout)
    assert payload['mode'] == 'task'
    assert payload['result'] == {'epochs': 3, 'language': 'ko'}


def test_job_mode_then_follow_its_logs(ray_head, ray_plugin):
    submitted = _synapse(
        'plugin', 'run', 'train', '--mode', 'job', '--lang=ko', '--ray-address', ray_head['dashboard'], '--json',
        cwd=ray_plugin,
    )  # fmt: skip
    assert submitted.returncode == 0, submitted.stderr[-3000:]
    job_id = json.loads(submitted.stdout)['job_id']
    assert job_id

    logs = _synapse(
        'plugin', 'job', 'logs', job_id, '--ray-address', ray_head['dashboard'], '--follow', cwd=ray_plugin
    )
    assert logs.returncode == 0, logs.stderr[-3000:]
    assert 'Ray 학습이 완료되었습니다' in logs.stdout  # the driver's Korean log line, streamed to the end
