"""run_plugin (local), the runner command line and the subprocess entrypoint give identical results."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from synapse_sdk.plugins.discovery import PluginDiscovery
from synapse_sdk.plugins.entrypoint import RESULT_END, RESULT_START, parse_result_output
from synapse_sdk.plugins.errors import (
    ActionExecutionError,
    ActionNotFoundError,
    InvalidModeError,
    ParamsValidationError,
    PluginNotFoundError,
)
from synapse_sdk.plugins.executors.local import LocalExecutor
from synapse_sdk.plugins.runner import resolve_plugin_action, run_plugin

REPO_ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = REPO_ROOT / 'examples'
HELLO = EXAMPLES / 'hello_plugin'
QUIET = {'console': False, 'client': None, 'v2_client': None, 'agent_client': None}


def _subprocess(args, env_extra=None, cwd=None):
    env = {k: v for k, v in os.environ.items() if not k.startswith('SYNAPSE_')}
    env.update(env_extra or {})
    return subprocess.run(
        [sys.executable, *args], capture_output=True, text=True, env=env, cwd=cwd, timeout=120
    )


def test_run_plugin_from_config_path():
    assert run_plugin(str(HELLO), 'greet', {'name': 'Ada'}, **QUIET) == {
        'message': 'Hello, Ada!',
        'language': 'en',
    }
    assert run_plugin(HELLO / 'config.yaml', 'count', {'to': 4}, mode='local', **QUIET) == {
        'total': 10,
        'count': 4,
    }
    assert (
        run_plugin(str(HELLO), 'greet', {'name': 'Ada'}, language='ko', **QUIET)['message']
        == '안녕하세요, Ada님!'
    )


def test_run_plugin_from_module_and_explicit_class():
    sys.path.insert(0, str(HELLO))
    try:
        assert run_plugin('hello.actions', 'greet', {'name': 'Bo'}, **QUIET)['message'] == 'Hello, Bo!'
        from hello.counter import CountAction

        assert run_plugin('anything', 'count', {'to': 3}, action_cls=CountAction, **QUIET) == {
            'total': 6,
            'count': 3,
        }
    finally:
        sys.path.remove(str(HELLO))


def test_directory_without_config_does_not_shadow_a_module(tmp_path, monkeypatch):
    (tmp_path / 'json').mkdir()
    monkeypatch.chdir(tmp_path)
    with pytest.raises(
        ActionNotFoundError, match=r"Unknown action 'x' in module 'json'\. Available actions: none"
    ):
        resolve_plugin_action('json', 'x')


def test_a_plugin_module_whose_own_import_fails_shows_that_error(tmp_path, monkeypatch):
    # The module exists: the error of *its* import is the user's to see, not "cannot find plugin".
    (tmp_path / 'plugin_with_missing_dep_xyz.py').write_text('import missing_dependency_xyz\n')
    (tmp_path / 'plugin_raising_import_error_xyz.py').write_text("raise ImportError('no name on this one')\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(ModuleNotFoundError) as info:
        resolve_plugin_action('plugin_with_missing_dep_xyz', 'x')
    assert info.value.name == 'missing_dependency_xyz'
    # An ImportError naming no module cannot be told apart from a missing plugin: reported as one.
    with pytest.raises(PluginNotFoundError, match='no name on this one'):
        resolve_plugin_action('plugin_raising_import_error_xyz', 'x')


def test_unknown_plugin_action_and_mode():
    with pytest.raises(PluginNotFoundError, match='no_such_plugin_xyz'):
        run_plugin('no_such_plugin_xyz', 'train', {})
    with pytest.raises(ActionNotFoundError, match="Available actions: 'count', 'greet'"):
        run_plugin(str(HELLO), 'train', {})
    with pytest.raises(InvalidModeError, match=r"Unknown execution mode 'remote'.*'local', 'task', 'job'"):
        run_plugin(str(HELLO), 'greet', {'name': 'A'}, mode='remote')
    with pytest.raises(ParamsValidationError, match='name: Field required'):
        run_plugin(str(HELLO), 'greet', {}, **QUIET)


def test_ray_modes_without_the_ray_executors_say_what_to_install(monkeypatch):
    # Registered, but the package cannot be imported (a broken install).
    monkeypatch.setitem(sys.modules, 'synapse_sdk.plugins.executors.ray', None)
    monkeypatch.setitem(sys.modules, 'synapse_sdk.plugins.executors.ray.modes', None)
    for mode in ('task', 'job'):
        with pytest.raises(ImportError, match='pip install synapse-executors-ray'):
            run_plugin(str(HELLO), 'greet', {'name': 'A'}, mode=mode)


def test_runner_command_line_matches_run_plugin():
    proc = _subprocess(
        ['-m', 'synapse_sdk.plugins.runner', str(HELLO), 'greet', '--params', '{"name": "Ada"}']
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout) == run_plugin(str(HELLO), 'greet', {'name': 'Ada'}, **QUIET)
    assert 'Hello, Ada!' in proc.stderr  # logs go to stderr
    proc = _subprocess(['-m', 'synapse_sdk.plugins.runner', str(HELLO), 'greet', '--params', '{}'])
    assert proc.returncode == 2 and 'name: Field required' in proc.stderr
    proc = _subprocess(['-m', 'synapse_sdk.plugins.runner', str(HELLO), 'nope'])
    assert proc.returncode == 2 and "Available actions: 'count', 'greet'" in proc.stderr


@pytest.mark.parametrize(
    ('action', 'entrypoint', 'params'),
    [
        ('greet', 'hello.actions:greet', {'name': 'Ada', 'times': 2}),
        ('count', 'hello.counter.CountAction', {'to': 5}),
    ],
)
def test_entrypoint_subprocess_identical_to_local(action, entrypoint, params, tmp_path):
    local = LocalExecutor(**QUIET).execute(PluginDiscovery.from_path(HELLO).get_action_class(action), params)
    via_runner = run_plugin(str(HELLO), action, params, **QUIET)
    params_file = tmp_path / 'params.json'
    params_file.write_text(json.dumps(params))
    by_env = _subprocess(
        ['-m', 'synapse_sdk.plugins.entrypoint'],
        {'SYNAPSE_ACTION_ENTRYPOINT': entrypoint, 'SYNAPSE_ACTION_PARAMS': json.dumps(params)},
        cwd=HELLO,
    )
    by_file = _subprocess(
        [
            '-m',
            'synapse_sdk.plugins.entrypoint',
            '--entrypoint',
            entrypoint,
            '--params-file',
            str(params_file),
            '--plugin-dir',
            str(HELLO),
        ],
    )
    for proc in (by_env, by_file):
        assert proc.returncode == 0, proc.stderr
        assert RESULT_START in proc.stdout and RESULT_END in proc.stdout
        assert parse_result_output(proc.stdout) == {'status': 'succeeded', 'result': local}
    assert local == via_runner


def test_entrypoint_language_from_environment():
    proc = _subprocess(
        ['-m', 'synapse_sdk.plugins.entrypoint'],
        {
            'SYNAPSE_ACTION_ENTRYPOINT': 'hello.actions:greet',
            'SYNAPSE_ACTION_PARAMS': '{"name": "Ada"}',
            'SYNAPSE_LANGUAGE': 'ko',
        },
        cwd=HELLO,
    )
    assert parse_result_output(proc.stdout)['result'] == {'message': '안녕하세요, Ada님!', 'language': 'ko'}
    assert '플러그인 실행이 완료되었습니다.' in proc.stderr


def test_entrypoint_failures_are_machine_readable(tmp_path):
    missing = _subprocess(['-m', 'synapse_sdk.plugins.entrypoint'], cwd=tmp_path)
    assert missing.returncode == 2
    assert 'SYNAPSE_ACTION_ENTRYPOINT' in parse_result_output(missing.stdout)['error']['message']
    bad_json = _subprocess(
        ['-m', 'synapse_sdk.plugins.entrypoint', '--entrypoint', 'hello.actions:greet', '--params', '{nope'],
        cwd=HELLO,
    )
    assert (
        bad_json.returncode == 2
        and 'not valid JSON' in parse_result_output(bad_json.stdout)['error']['message']
    )
    bad_params = _subprocess(
        [
            '-m',
            'synapse_sdk.plugins.entrypoint',
            '--entrypoint',
            'hello.actions:greet',
            '--params',
            '{"times": 0}',
        ],
        cwd=HELLO,
    )
    payload = parse_result_output(bad_params.stdout)
    assert bad_params.returncode == 2 and payload['error']['type'] == 'ParamsValidationError'
    assert 'times: Input should be greater than or equal to 1' in payload['error']['message']
    (tmp_path / 'failing.py').write_text(
        'from synapse_sdk.plugins import action\n\n@action\ndef explode(params, ctx):\n    raise ValueError("kaboom")\n'
    )
    failed = _subprocess(
        ['-m', 'synapse_sdk.plugins.entrypoint', '--entrypoint', 'failing:explode'], cwd=tmp_path
    )
    payload = parse_result_output(failed.stdout)
    tb = payload['error'].pop('traceback')
    assert failed.returncode == 1 and payload['error'] == {
        'type': 'ValueError',
        'message': "Action 'explode' failed: ValueError: kaboom",
    }
    # The action's own frame and exception line, not the SDK's wrapper, in the payload and on stderr.
    assert tb.startswith('Traceback') and 'raise ValueError("kaboom")' in tb
    assert tb.rstrip().endswith('ValueError: kaboom') and 'ActionExecutionError' not in tb
    assert tb.strip() in failed.stderr
    params_tb = parse_result_output(bad_params.stdout)['error']['traceback']
    assert 'ParamsValidationError' in params_tb and 'input_value' not in params_tb


def test_parse_result_output_errors():
    with pytest.raises(ValueError, match='No result markers'):
        parse_result_output('nothing here')


def test_readme_command_from_repo_root():
    proc = _subprocess(
        ['-m', 'synapse_sdk.plugins.runner', 'examples/hello_plugin', 'greet', '--params', '{"name": "Ada"}'],
        cwd=REPO_ROOT,
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout) == {'message': 'Hello, Ada!', 'language': 'en'}


def test_action_failure_in_run_plugin():
    with pytest.raises(ActionExecutionError):
        run_plugin('x', 'explode', {}, action_cls=_explode, **QUIET)


def _explode_impl(params, ctx):
    raise OSError('no space')


from synapse_sdk.plugins import action as _action_decorator  # noqa: E402

_explode = _action_decorator(name='explode')(_explode_impl)


def test_runner_command_line_bad_params_input(tmp_path):
    base = ['-m', 'synapse_sdk.plugins.runner', str(HELLO), 'greet']
    cases = [
        (['--params', '{nope'], '--params is not valid JSON'),
        (['--params', '[1]'], '--params must be a JSON object, got list'),
        (['--params-file', str(tmp_path / 'missing.json')], 'cannot read --params-file'),
        (['--params', '{}', '--params-file', 'x'], 'use either --params or --params-file'),
    ]
    for extra, message in cases:
        proc = _subprocess([*base, *extra])
        assert proc.returncode == 2, proc.stderr
        assert message in proc.stderr and 'Traceback' not in proc.stderr
    (tmp_path / 'p.json').write_text('{"name": "Bo"}')
    proc = _subprocess([*base, '--params-file', str(tmp_path / 'p.json'), '-q', '--lang', 'ko'])
    assert proc.returncode == 0 and json.loads(proc.stdout)['message'] == '안녕하세요, Bo님!'
    assert proc.stderr == ''


def test_config_env_gives_defaults_in_local_mode(tmp_path, monkeypatch):
    root = tmp_path / 'envplug'
    root.mkdir()
    (root / 'config.yaml').write_text(
        'name: e\ncode: e\nenv:\n  BATCH_SIZE: 8\n  MODE: fast\nactions:\n  show:\n    entrypoint: envplug_actions:show\n'
    )
    (root / 'envplug_actions.py').write_text(
        'from synapse_sdk.plugins import action\n\n@action\ndef show(params, ctx):\n'
        "    return {'batch': ctx.env.get_int('BATCH_SIZE'), 'mode': ctx.env.get_str('MODE'),"
        " 'home': ctx.env.get_str('SYN_TEST_HOME')}\n"
    )
    monkeypatch.setenv('SYN_TEST_HOME', 'h')
    monkeypatch.setenv('MODE', 'slow')  # the process environment overrides config defaults
    try:
        assert run_plugin(str(root), 'show', {}, **QUIET) == {'batch': 8, 'mode': 'slow', 'home': 'h'}
        explicit = run_plugin(str(root), 'show', {}, env={'BATCH_SIZE': '16'}, **QUIET)
        assert explicit == {'batch': 16, 'mode': 'fast', 'home': None}
    finally:
        sys.modules.pop('envplug_actions', None)
