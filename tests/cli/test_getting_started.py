"""docs/getting-started.md, run as written: create -> validate -> run -> test -> run on Ray -> publish.

Every ```bash block of the page runs, in order, in one shell (so its ``cd`` and ``export`` hold for
what follows), in an empty folder, with the workspace's ``synapse``, ``pytest`` and ``python`` first on
``PATH``. Two kinds of line are not run as written, and only these: ``pip install`` (the workspace has
everything installed; installing would change the environment under test) and the ``export
RAY_ADDRESS=...`` of the Ray step, which gets the address of the session's Ray head node instead of
the page's example address. The transcripts the page shows (plain ``` blocks) must match what the
commands printed, and its Python snippet must be the scaffold's own test.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
from pathlib import Path

import pytest

from .conftest import RAY_ENV, SYNAPSE_EXE, subprocess_env

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


def _script(ray_address: str) -> str:
    lines = ['set -e']
    for block in _blocks('bash'):
        for line in block.splitlines():
            command = line.strip()
            if not command or command.startswith('pip install'):
                continue
            if command.startswith('export RAY_ADDRESS='):
                command = f'export RAY_ADDRESS={ray_address}'
            lines += [f'echo + {shlex.quote(command)} >&2', command]
    return '\n'.join(lines) + '\n'


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


@pytest.mark.timeout(600)  # about 60 s alone; a dozen processes, so give a loaded machine room
def test_getting_started_runs_as_written(tmp_path, ray_head):
    env = subprocess_env(**RAY_ENV, PATH=f'{SYNAPSE_EXE.parent}{os.pathsep}{os.environ.get("PATH", "")}')
    env.pop('RAY_ADDRESS', None)
    proc = subprocess.run(
        ['bash', '-c', _script(ray_head['gcs'])], cwd=tmp_path, env=env, capture_output=True, text=True,
        stdin=subprocess.DEVNULL, timeout=600,
    )  # fmt: skip
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output[-5000:]

    plugin = tmp_path / 'my-trainer'
    assert (plugin / 'config.yaml').is_file()
    # Every step did its work: the fake backend got the model, pytest passed, Ray ran inference,
    # the dry run archived without uploading.
    assert 'models +1' in output
    assert re.search(r'^=* \d+ passed in [\d.]+s =*$', proc.stdout, re.M), proc.stdout[-2000:]
    assert output.count('"label": "positive"') >= 4  # inference's result here (--json) and from Ray
    assert 'Nothing was uploaded.' in output

    # The transcripts on the page are what the commands print.
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
