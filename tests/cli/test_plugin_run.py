"""``synapse plugin run``: modes, params, languages, JSON output, terminal vs pipe."""

from __future__ import annotations

import json
import subprocess
import textwrap

import pytest

from .conftest import SYNAPSE_EXE, run_in_pty, subprocess_env

TRAIN_PLUGIN = """
import time

from pydantic import BaseModel, Field

from synapse_sdk.plugins.action import BaseAction


class TrainParams(BaseModel):
    epochs: int = Field(default=3, ge=1)
    delay: float = 0.0


class TrainAction(BaseAction[TrainParams]):
    action_name = 'train'

    def execute(self):
        for epoch in range(self.params.epochs):
            time.sleep(self.params.delay)
            self.set_progress(epoch + 1, self.params.epochs, 'train')
        self.ctx.log_message({'en': 'Training finished', 'ko': '학습이 완료되었습니다'}, 'success')
        return {'epochs': self.params.epochs}
"""


@pytest.fixture
def train_plugin(tmp_path):
    root = tmp_path / 'trainer'
    root.mkdir()
    (root / 'trainer_actions.py').write_text(textwrap.dedent(TRAIN_PLUGIN), encoding='utf-8')
    (root / 'config.yaml').write_text(
        'name: Trainer\ncode: trainer\nversion: 1.0.0\ncategory: neural_net\n'
        'actions:\n  train:\n    entrypoint: trainer_actions:TrainAction\n    method: job\n',
        encoding='utf-8',
    )
    return root


def test_runs_an_action_and_prints_the_result(invoke, make_plugin):
    plugin = make_plugin()
    result = invoke('plugin', 'run', 'greet', '--path', str(plugin), '--params', '{"name": "Ada"}')
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout.split('\n', 1)[1]) == {'message': 'Hello Ada!'}
    assert 'Hello Ada!' in result.stderr  # the action's log line
    assert 'a stray print from the action' in result.stderr  # prints are log output, not the result
    assert "Action 'greet' finished" in result.stderr


def test_json_output_is_a_single_object(invoke, make_plugin):
    plugin = make_plugin()
    result = invoke('plugin', 'run', 'greet', '--path', str(plugin), '--params', '{"name": "Ada"}', '--json')
    assert result.exit_code == 0, result.stderr
    payload = json.loads(result.stdout)  # fails if anything else reached stdout
    assert 'a stray print from the action' in result.stderr
    assert payload['ok'] is True
    assert payload['result'] == {'message': 'Hello Ada!'}
    assert payload['mode'] == 'local'


def test_params_from_file(invoke, make_plugin, tmp_path):
    plugin = make_plugin()
    params = tmp_path / 'params.json'
    params.write_text('{"name": "Grace", "times": 1}', encoding='utf-8')
    result = invoke('plugin', 'run', 'greet', '--path', str(plugin), '--params', f'@{params}', '--json')
    assert json.loads(result.stdout)['result'] == {'message': 'Hello Grace!'}


@pytest.mark.parametrize(
    ('params', 'expected'),
    [
        ('{"name": ', 'is not valid JSON (line 1, column 10'),
        ('[1, 2]', 'must be a JSON object'),
        ('@/nonexistent/params.json', 'cannot read /nonexistent/params.json'),
    ],
)
def test_bad_params_text_is_a_usage_error(invoke, make_plugin, params, expected):
    plugin = make_plugin()
    result = invoke('plugin', 'run', 'greet', '--path', str(plugin), '--params', params)
    assert result.exit_code == 2
    assert expected in result.stderr


def test_param_validation_lists_each_bad_field(invoke, make_plugin):
    plugin = make_plugin()
    result = invoke('plugin', 'run', 'greet', '--path', str(plugin), '--params', '{"times": 0}')
    assert result.exit_code == 2
    assert "Invalid params for action 'greet' (2 problem(s))" in result.stderr
    assert '  - name: Field required' in result.stderr
    assert '  - times: Input should be greater than or equal to 1' in result.stderr
    assert 'Traceback' not in result.stderr
    as_json = invoke('plugin', 'run', 'greet', '--path', str(plugin), '--params', '{"times": 0}', '--json')
    error = json.loads(as_json.stdout)['error']
    assert error['type'] == 'params_validation'
    assert sorted(e['loc'] for e in error['errors']) == ['name', 'times']


def test_unknown_action_names_the_available_ones(invoke, make_plugin):
    plugin = make_plugin()
    result = invoke('plugin', 'run', 'nope', '--path', str(plugin))
    assert result.exit_code == 2
    assert (
        f"Error: Unknown action 'nope' in {plugin / 'config.yaml'}. Available actions: 'fail', 'greet'"
        in (result.stderr.splitlines())
    )
    assert 'Did you mean' not in result.stderr  # nothing close to 'nope'
    typo = invoke('plugin', 'run', 'gret', '--path', str(plugin), '--json')
    assert typo.exit_code == 2
    assert "Did you mean 'greet'?" in typo.stderr.splitlines()
    error = json.loads(typo.stdout)['error']
    assert (error['type'], error['action'], error['available']) == (
        'ActionNotFoundError',
        'gret',
        ['fail', 'greet'],
    )


def test_defaults_to_the_current_directory(invoke, train_plugin, monkeypatch):
    """Seed 002: `synapse plugin run train --lang=ko --params '{"epochs": 10}'` from the plugin folder."""
    monkeypatch.chdir(train_plugin)
    result = invoke('plugin', 'run', 'train', '--lang=ko', '--params', '{"epochs": 10}')
    assert result.exit_code == 0, result.stderr
    assert '학습이 완료되었습니다' in result.stderr
    assert "'train' 액션이" in result.stderr
    assert json.loads(result.stdout.split('\n', 1)[1]) == {'epochs': 10}
    short = invoke('plugin', 'run', 'train', '-l', 'ko')
    assert short.exit_code == 0 and '학습이 완료되었습니다' in short.stderr
    explicit = invoke('plugin', 'run', 'train', '--mode', 'local', '--lang=ko')
    assert explicit.exit_code == 0 and '학습이 완료되었습니다' in explicit.stderr


def test_synapse_language_is_honoured_without_lang(invoke, train_plugin, monkeypatch):
    monkeypatch.chdir(train_plugin)
    result = invoke('plugin', 'run', 'train', env={'SYNAPSE_LANGUAGE': 'ko'})
    assert '학습이 완료되었습니다' in result.stderr
    english = invoke('plugin', 'run', 'train', '--lang', 'en', env={'SYNAPSE_LANGUAGE': 'ko'})
    assert 'Training finished' in english.stderr and '학습' not in english.stderr
    unsupported_env = invoke('plugin', 'run', 'train', env={'SYNAPSE_LANGUAGE': 'fr'})
    assert unsupported_env.exit_code == 0 and 'Training finished' in unsupported_env.stderr


def test_unsupported_lang_is_rejected(invoke, train_plugin):
    result = invoke('plugin', 'run', 'train', '--path', str(train_plugin), '--lang', 'fr')
    assert result.exit_code == 2
    assert "unsupported language 'fr'" in result.stderr


def test_directory_without_config_explains_what_to_do(invoke, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = invoke('plugin', 'run', 'train')
    assert result.exit_code == 2
    assert 'no config.yaml in the current directory' in result.stderr
    assert '--path' in result.stderr and '--plugin' in result.stderr


def test_path_and_plugin_are_exclusive(invoke, make_plugin):
    result = invoke('plugin', 'run', 'greet', '--path', str(make_plugin()), '--plugin', 'x.y')
    assert result.exit_code == 2
    assert 'either --path or --plugin' in result.stderr


def test_plugin_module_from_the_current_directory(invoke, tmp_path, monkeypatch):
    (tmp_path / 'cli_mod_plugin.py').write_text(textwrap.dedent(TRAIN_PLUGIN), encoding='utf-8')
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    result = invoke(
        'plugin', 'run', 'train', '--plugin', 'cli_mod_plugin', '--params', '{"epochs": 2}', '--json'
    )
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)['result'] == {'epochs': 2}


def test_unknown_mode_is_rejected_by_click(invoke, make_plugin):
    result = invoke('plugin', 'run', 'greet', '--path', str(make_plugin()), '--mode', 'remote')
    assert result.exit_code == 2
    assert "'remote' is not one of 'local', 'task', 'job'" in result.stderr


# -- real subprocesses: a pseudo-terminal and a pipe ---------------------------------------------------


@pytest.mark.integration
def test_progress_bar_on_a_terminal(train_plugin):
    code, output = run_in_pty(
        [str(SYNAPSE_EXE), 'plugin', 'run', 'train', '--params', '{"epochs": 4, "delay": 0.05}'],
        cwd=train_plugin,
    )
    assert code == 0, output
    assert '\r' in output  # redrawn in place
    assert 'train: [' in output and '#' * 30 + ']' in output  # the full bar at 100 %
    assert '100.0%' in output
    assert '"epochs": 4' in output


@pytest.mark.integration
def test_plain_lines_when_piped(train_plugin):
    proc = subprocess.run(
        [str(SYNAPSE_EXE), 'plugin', 'run', 'train', '--params', '{"epochs": 4}'],
        cwd=train_plugin,
        capture_output=True,
        text=True,
        env=subprocess_env(),
        stdin=subprocess.DEVNULL,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    for stream in (proc.stdout, proc.stderr):
        assert '\x1b' not in stream and '\r' not in stream
    progress_lines = [line for line in proc.stderr.splitlines() if 'train' in line and '4/4' in line]
    assert progress_lines, proc.stderr
    assert json.loads(proc.stdout.split('\n', 1)[1]) == {'epochs': 4}


@pytest.mark.integration
def test_piped_json_run_in_korean(train_plugin):
    proc = subprocess.run(
        [str(SYNAPSE_EXE), 'plugin', 'run', 'train', '--lang=ko', '--params', '{"epochs": 10}', '--json'],
        cwd=train_plugin,
        capture_output=True,
        text=True,
        env=subprocess_env(),
        stdin=subprocess.DEVNULL,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)['result'] == {'epochs': 10}
    assert '학습이 완료되었습니다' in proc.stderr
