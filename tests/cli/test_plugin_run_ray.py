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


def lookup(record):
    return record['missing_key']


class BoomAction(BaseAction[TrainParams]):
    action_name = 'boom'

    def execute(self):
        return lookup({})
"""


@pytest.fixture(scope='module')
def ray_plugin(tmp_path_factory):
    root = tmp_path_factory.mktemp('ray-plugin') / 'rayplug'
    root.mkdir()
    (root / 'cli_ray_actions.py').write_text(textwrap.dedent(ACTIONS), encoding='utf-8')
    (root / 'config.yaml').write_text(
        'name: Ray Plugin\ncode: rayplug\nactions:\n  train:\n    entrypoint: cli_ray_actions:TrainAction\n'
        '    method: job\n  boom:\n    entrypoint: cli_ray_actions:BoomAction\n',
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


def test_task_mode_failure_names_the_plugins_frame_once(ray_head, ray_plugin):
    """The failure comes back from the actor as text; its frame in the plugin is still found and shown."""
    proc = _synapse(
        'plugin', 'run', 'boom', '--mode', 'task', '--ray-address', ray_head['gcs'], cwd=ray_plugin
    )
    assert proc.returncode == 1, proc.stderr[-3000:]
    block = proc.stderr[proc.stderr.index('Error: ') :].splitlines()
    assert block[0] == "Error: action 'boom' failed: KeyError: 'missing_key'", proc.stderr[-3000:]
    # The worker ran a copy of the plugin (Ray's working dir); the frame is shown in the plugin here.
    assert block[1] == '  at cli_ray_actions.py:22, in lookup', block
    assert block[2] == "    return record['missing_key']"
    assert proc.stderr.count("Error: action 'boom' failed") == 1, proc.stderr[-3000:]
    # The actor's console is drawn here by the CLI's console logger, which leaves the failure to the
    # one `Error:` paragraph, as in local mode.
    assert 'DANGER' not in proc.stderr and 'Action boom failed' not in proc.stderr, proc.stderr[-3000:]
