"""docs/getting-started.md, run as written: create -> validate -> run -> test -> run on Ray -> publish.

Every ```bash block of the page runs, in order, in one shell (so its ``cd`` and ``export`` hold for
what follows), in an empty folder, with the workspace's ``synapse``, ``pytest`` and ``python`` first on
``PATH``. Two kinds of line are not run as written, and only these: ``pip install`` (the workspace has
everything installed; installing would change the environment under test) and the ``export
RAY_ADDRESS=...`` of the Ray step, which gets the address of the session's Ray head node instead of
the page's example address. The transcripts the page shows (plain ``` blocks) must match what the
commands printed, and its Python snippet must be the scaffold's own test.

Quick and robust on a loaded machine: the Ray head node boots while the steps before the Ray step run
(it is waited for just before ``export RAY_ADDRESS``); each step has its own deadline, so a hung step is
named with its output and killed instead of holding the suite until its timeout; and the scaffold's
``pytest`` runs without the workspace's own hypothesis plugin, which a plugin author's ``pip install
pytest`` does not bring and which tripled that step's time.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

from .conftest import AUTHOR_PYTEST, PYTEST_ALL_PASSED, RAY_ENV, SYNAPSE_EXE, run_steps, subprocess_env

pytestmark = [pytest.mark.integration, pytest.mark.slow]

PAGE = Path(__file__).resolve().parents[2] / 'docs' / 'getting-started.md'
FENCE = re.compile(r'^```(\w*)\n(.*?)^```', re.M | re.S)
# The page's example values that differ per run, as patterns (after re.escape).
VARIABLE = [
    (re.escape('127.0.0.1:41873'), r'127\.0\.0\.1:\d+'),
    (re.escape('/home/me/my-trainer'), r'\S+/my-trainer'),
    (re.escape('0.9s'), r'[\d.]+s'),
]


def _blocks(kind: str) -> list[str]:
    return [body for lang, body in FENCE.findall(PAGE.read_text(encoding='utf-8')) if lang == kind]


def _commands() -> list[str]:
    """The page's commands in order, without the ``pip install`` lines."""
    commands = []
    for block in _blocks('bash'):
        for line in block.splitlines():
            command = line.strip()
            if command and not command.startswith('pip install'):
                commands.append(command)
    return commands


def test_the_page_walks_every_step():
    commands = ' '.join(_blocks('bash'))
    for step in (
        'plugin create',
        'plugin validate',
        'plugin run',
        'pytest',
        '--mode task',
        'publish --dry-run',
    ):
        assert step in commands, step


@pytest.mark.timeout(420)  # ~40 s alone; the steps' own deadlines (below) name a hung one first
def test_getting_started_runs_as_written(tmp_path, ray_head_booting):
    env = subprocess_env(
        **RAY_ENV, **AUTHOR_PYTEST, PATH=f'{SYNAPSE_EXE.parent}{os.pathsep}{os.environ.get("PATH", "")}'
    )
    env.pop('RAY_ADDRESS', None)
    commands = _commands()
    [ray_export] = [c for c in commands if c.startswith('export RAY_ADDRESS=')]
    [ray_run] = [c for c in commands if '--mode task' in c]
    gcs = ray_head_booting.addresses['gcs']
    commands[commands.index(ray_export)] = ray_step = f'export RAY_ADDRESS={gcs}'
    steps = run_steps(
        commands, cwd=tmp_path, env=env, timeout=120, timeouts={ray_run: 180},
        before={ray_step: ray_head_booting.wait},  # the head node booted while the steps before ran
    )  # fmt: skip
    by_command = {step.command: step for step in steps}
    output = ''.join(step.stdout + step.stderr for step in steps)

    plugin = tmp_path / 'my-trainer'
    assert (plugin / 'config.yaml').is_file()
    # Every step did its work: the fake backend got the model, pytest passed, Ray ran inference with
    # the result of the local run, the dry run archived without uploading.
    [fake] = [s for s in steps if s.command.endswith('--fake-backend')]
    assert 'models +1' in fake.stderr, fake.stderr
    tested = by_command['pytest'].stdout
    assert PYTEST_ALL_PASSED.search(tested), tested[-2000:]
    [local] = [s for s in steps if s.command.endswith('--json')]
    local_result = json.loads(local.stdout)['result']
    assert [r['label'] for r in local_result['results']] == ['negative', 'positive', 'positive']
    on_ray = by_command[ray_run].stdout
    assert json.loads(on_ray[on_ray.index('{') :]) == local_result, on_ray
    assert 'Nothing was uploaded.' in by_command['synapse plugin publish --dry-run'].stdout

    # The transcripts on the page are what the commands printed.
    for transcript in _blocks(''):
        for line in transcript.splitlines():
            pattern = re.escape(line)
            for example, variable in VARIABLE:
                pattern = pattern.replace(example, variable)
            assert re.search(pattern, output), f'the page shows {line!r}, the run did not print it'
    # The test the page quotes is the scaffold's test.
    [snippet] = _blocks('python')
    scaffold_tests = (plugin / 'tests' / 'test_train.py').read_text(encoding='utf-8')
    for line in snippet.strip().splitlines():
        assert line in scaffold_tests, line
