"""``synapse plugin run --mode task|job`` and ``plugin job logs --ray-address`` on a real Ray head node.

Seed 002: ``synapse plugin run train --mode task --lang=ko`` and ``--mode job --lang=ko``. The head node
is the session's `ray_head` (tests/cli/conftest.py).
"""

from __future__ import annotations

import json
import subprocess
import textwrap
from pathlib import Path

import pytest

from .conftest import RAY_ENV, SYNAPSE_EXE, subprocess_env

pytestmark = [pytest.mark.integration, pytest.mark.slow]

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
