"""The README's main command, from the repository root, as a real process."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from .conftest import SYNAPSE_EXE, subprocess_env

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / 'examples' / 'hello_plugin'


@pytest.mark.integration
@pytest.mark.skipif(
    not (EXAMPLE / 'config.yaml').is_file(), reason='examples/hello_plugin is not in this checkout'
)
def test_readme_command_runs_the_example_plugin():
    readme = (ROOT / 'README.md').read_text(encoding='utf-8')
    command = 'synapse plugin run greet --path examples/hello_plugin --params \'{"name": "Ada"}\''
    assert command in readme  # the test runs what the README shows
    proc = subprocess.run(
        [
            str(SYNAPSE_EXE),
            'plugin',
            'run',
            'greet',
            '--path',
            'examples/hello_plugin',
            '--params',
            '{"name": "Ada"}',
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env=subprocess_env(),
        stdin=subprocess.DEVNULL,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout.split('\n', 1)[1])  # after the 'Result:' header
    assert 'Ada' in result['message']
    assert "Action 'greet' finished" in proc.stderr
