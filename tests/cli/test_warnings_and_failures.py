"""Issue #16 points 4 and 5: warnings read like the CLI, and a failure says where, once.

Run through the installed ``synapse`` console script in a subprocess: how Python shows a warning (and
what it attributes it to) depends on the real process, not on an in-process test runner.
"""

from __future__ import annotations

import json
import subprocess
import textwrap
import traceback
from pathlib import Path

import pytest

from synapse_sdk.cli.failure_frame import plugin_frame

from .conftest import SYNAPSE_EXE, subprocess_env

pytestmark = pytest.mark.integration

ACTIONS = """
import warnings

from pydantic import BaseModel

from synapse_sdk.plugins import action


class Params(BaseModel):
    name: str = 'x'


class Result(BaseModel):
    count: int


def lookup(record):
    return record['missing_key']


@action(name='boom', params=Params)
def boom(params, ctx):
    ctx.log_message('about to fail', 'info')
    return lookup({})


@action(name='drift', result=Result)
def drift(params, ctx):
    for _ in range(3):
        warnings.warn('this helper is going away', FutureWarning)
    warnings.warn('this helper is going away', FutureWarning)  # same text, another line
    return {'count': 'many'}
"""

CONFIG = """\
name: Warn
code: warn
version: 0.1.0
category: custom
colour: blue
actions:
  boom:
    entrypoint: warn_actions:boom
    speed: fast
  drift:
    entrypoint: warn_actions:drift
"""


@pytest.fixture
def plugin(tmp_path) -> Path:
    root = tmp_path / 'warn'
    root.mkdir()
    (root / 'warn_actions.py').write_text(textwrap.dedent(ACTIONS), encoding='utf-8')
    (root / 'config.yaml').write_text(CONFIG, encoding='utf-8')
    return root


def synapse(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(SYNAPSE_EXE), *args], cwd=cwd, capture_output=True, text=True, env=subprocess_env(),
        stdin=subprocess.DEVNULL, timeout=120,
    )  # fmt: skip


def test_config_warnings_are_one_cli_line_each_with_the_file_line(plugin):
    proc = synapse('plugin', 'run', 'drift', cwd=plugin)
    assert proc.returncode == 0, proc.stderr
    config = plugin / 'config.yaml'
    warning_lines = [line for line in proc.stderr.splitlines() if line.startswith('Warning: ')]
    assert f"Warning: {config}:5: unknown key 'colour' is ignored" in warning_lines
    assert f"Warning: {config}:9: unknown key 'actions.boom.speed' is ignored" in warning_lines
    # Python's own layout (path:line: Category: text, then a source line) never appears.
    assert 'ConfigWarning' not in proc.stderr and 'UserWarning' not in proc.stderr
    assert 'click' not in proc.stderr and 'return callback' not in proc.stderr
    assert len(warning_lines) == len(set(warning_lines)) == 4, proc.stderr


def test_result_and_library_warnings_are_one_line_each(plugin):
    proc = synapse('plugin', 'run', 'drift', cwd=plugin)
    lines = proc.stderr.splitlines()
    drift = [line for line in lines if 'does not match Result' in line]
    assert drift == [
        "Warning: Result of action 'drift' does not match Result: count: Input should be a valid integer, unable to parse string as an integer"
    ]
    # The same library warning from two lines of the plugin: shown once, naming its kind and place.
    going = [line for line in lines if 'going away' in line]
    assert len(going) == 1, proc.stderr
    assert going[0].startswith('Warning: this helper is going away (FutureWarning at ')
    assert str(plugin / 'warn_actions.py') in going[0]


def test_warnings_are_data_in_json_output(plugin):
    proc = synapse('plugin', 'run', 'drift', '--json', cwd=plugin)
    assert proc.returncode == 0, proc.stderr
    payload = json.loads(proc.stdout)
    by_category: dict[str, list] = {}
    for warning in payload['warnings']:
        by_category.setdefault(warning['category'], []).append(warning)
    config = str(plugin / 'config.yaml')
    assert {(w['file'], w['line']) for w in by_category['ConfigWarning']} == {(config, 5), (config, 9)}
    assert len(by_category['ResultValidationWarning']) == 1
    assert by_category['FutureWarning'][0]['file'] == str(plugin / 'warn_actions.py')
    assert 'Warning: ' in proc.stderr  # the human lines still go to stderr


def test_config_warnings_in_korean_with_their_key_as_data(plugin):
    """An unknown config.yaml key is put in the CLI's words (run and validate alike); --json has the key."""
    config = plugin / 'config.yaml'
    proc = synapse('-l', 'ko', 'plugin', 'run', 'drift', '--json', cwd=plugin)
    assert proc.returncode == 0, proc.stderr
    assert f"경고: {config}:5: 알 수 없는 키 'colour'은(는) 무시됩니다" in proc.stderr.splitlines()
    assert 'unknown key' not in proc.stderr
    found = [w for w in json.loads(proc.stdout)['warnings'] if w['category'] == 'ConfigWarning']
    assert sorted((w['key'], w['line'], w['reason']) for w in found) == [
        ('actions.boom.speed', 9, 'unknown_key'),
        ('colour', 5, 'unknown_key'),
    ]
    validated = synapse('plugin', 'validate', '-l', 'ko', cwd=plugin)
    assert validated.returncode == 1, validated.stderr
    assert (
        f"  - {config}:9: 알 수 없는 키 'actions.boom.speed'은(는) 무시됩니다"
        in validated.stderr.splitlines()
    )


def test_a_failure_shows_the_plugins_frame_once(plugin):
    proc = synapse('plugin', 'run', 'boom', cwd=plugin)
    assert proc.returncode == 1
    error_block = proc.stderr[proc.stderr.index('Error: ') :].splitlines()
    assert error_block == [
        "Error: action 'boom' failed: KeyError: 'missing_key'",
        '  at warn_actions.py:18, in lookup',
        "    return record['missing_key']",
        'Run again with --debug to see the full traceback.',
    ]
    assert proc.stderr.count("KeyError: 'missing_key'") == 1  # no DANGER log line repeating it
    assert 'DANGER' not in proc.stderr and 'Traceback' not in proc.stderr
    assert 'about to fail' in proc.stderr  # the action's own logs are still shown

    as_json = synapse('plugin', 'run', 'boom', '--json', cwd=plugin)
    error = json.loads(as_json.stdout)['error']
    assert error['frame'] == {
        'file': str(plugin / 'warn_actions.py'),
        'line': 18,
        'function': 'lookup',
        'source': "return record['missing_key']",
    }


def test_debug_shows_everything(plugin):
    proc = synapse('plugin', 'run', 'boom', '--debug', cwd=plugin)
    assert proc.returncode == 1
    assert 'Traceback (most recent call last)' in proc.stderr
    assert 'synapse_sdk/plugins/execution.py' in proc.stderr  # the SDK's frames too
    assert f'File "{plugin / "warn_actions.py"}", line 24, in boom' in proc.stderr
    assert '--debug to see' not in proc.stderr


def test_invalid_params_are_reported_once(plugin):
    proc = synapse('plugin', 'run', 'boom', '--params', '{"name": 5}', cwd=plugin)
    assert proc.returncode == 2
    assert proc.stderr.count('Input should be a valid string') == 1, proc.stderr
    assert 'DANGER' not in proc.stderr


def test_success_is_reported_once(plugin):
    proc = synapse('plugin', 'run', 'drift', cwd=plugin)
    assert "Action 'drift' finished in" in proc.stderr
    assert 'Plugin run is complete' not in proc.stderr


HELPER = "def helper():\n    return {}['gone']\n\ndef entry():\n    return helper()\n"


def _raise_from(path: Path) -> BaseException:
    """A real exception raised in a plugin file (for the frame search, with and without a traceback)."""
    namespace: dict = {}
    exec(compile(HELPER, str(path), 'exec'), namespace)
    try:
        namespace['entry']()
    except KeyError as exc:
        return exc
    raise AssertionError('no exception')


def test_frame_from_another_process_is_read_from_its_traceback_text(tmp_path):
    """A Ray failure comes back without a traceback object, only Python's formatted text."""
    source = tmp_path / 'plugin' / 'actions.py'
    source.parent.mkdir()
    source.write_text(HELPER, encoding='utf-8')
    exc = _raise_from(source)
    text = ''.join(traceback.format_exception(exc))
    local = plugin_frame(exc, '', str(source.parent))
    exc.__traceback__ = None
    remote = plugin_frame(exc, text, '/somewhere/else')  # the worker's copy lies elsewhere
    for frame in (local, remote):
        assert (frame.file, frame.line, frame.function, frame.source) == (
            str(source),
            2,
            'helper',
            "return {}['gone']",
        )


def test_a_frame_of_a_shipped_copy_is_shown_in_the_plugin_here(tmp_path):
    """Ray runs a copy of the plugin in its working dir; the frame names the author's own file."""
    copy = (
        tmp_path / 'session' / 'runtime_resources' / 'working_dir_files' / '_ray_pkg_1' / 'pkg' / 'actions.py'
    )
    copy.parent.mkdir(parents=True)
    copy.write_text(HELPER, encoding='utf-8')
    exc = _raise_from(copy)
    text = ''.join(traceback.format_exception(exc))
    exc.__traceback__ = None
    copy.unlink()  # the worker's copy is not on this machine
    plugin = tmp_path / 'plugin'
    (plugin / 'pkg').mkdir(parents=True)
    (plugin / 'pkg' / 'actions.py').write_text(HELPER, encoding='utf-8')
    frame = plugin_frame(exc, text, str(plugin))
    assert (frame.file, frame.line, frame.source) == (
        str(plugin / 'pkg' / 'actions.py'),
        2,
        "return {}['gone']",
    )
