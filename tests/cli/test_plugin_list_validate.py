"""``synapse plugin list`` and ``synapse plugin validate``."""

from __future__ import annotations

import json
import textwrap


def test_list_shows_actions_methods_and_types(invoke, make_plugin):
    plugin = make_plugin()
    result = invoke('plugin', 'list', '--path', str(plugin))
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == 'Hello Plugin (hello 0.1.0, category custom)'
    assert lines[1].split() == ['action', 'method', 'input', 'output', 'description']
    assert lines[3].split()[:4] == ['greet', 'task', '-', '-']


def test_list_json(invoke, make_plugin, monkeypatch):
    plugin = make_plugin()
    monkeypatch.chdir(plugin)
    payload = json.loads(invoke('plugin', 'list', '--json').stdout)
    assert payload['code'] == 'hello'
    assert [a['name'] for a in payload['actions']] == ['greet', 'fail']
    assert payload['actions'][0]['method'] == 'task'


def test_list_with_types_from_config(invoke, tmp_path):
    (tmp_path / 'config.yaml').write_text(
        'name: T\ncode: t\nactions:\n  train:\n    entrypoint: m:train\n    method: job\n'
        '    input_type: yolo_dataset\n    output_type: model_weights\n',
        encoding='utf-8',
    )
    result = invoke('plugin', 'list', '--path', str(tmp_path))
    assert result.stdout.splitlines()[3].split() == ['train', 'job', 'yolo_dataset', 'model_weights']


def test_validate_accepts_a_good_plugin(invoke, make_plugin):
    result = invoke('plugin', 'validate', '--path', str(make_plugin()))
    assert result.exit_code == 0, result.stderr
    assert 'greet: name, times' in result.stdout
    assert 'Plugin hello is valid: 2 action(s) checked.' in result.stdout
    payload = json.loads(invoke('plugin', 'validate', '--path', str(make_plugin('other')), '--json').stdout)
    greet = next(a for a in payload['actions'] if a['name'] == 'greet')
    assert greet['ui_fields'] == 2  # the hyperparameter form of GreetParams (name, times)


def test_validate_in_korean(invoke, make_plugin):
    result = invoke('plugin', 'validate', '--path', str(make_plugin()), '-l', 'ko')
    assert '플러그인 hello이(가) 유효합니다' in result.stdout


def test_validate_lists_every_problem_at_once(invoke, tmp_path):
    (tmp_path / 'broken_actions.py').write_text(
        textwrap.dedent(
            """
            from pydantic import BaseModel
            from synapse_sdk.plugins.decorators import action

            class Weird:
                pass

            class BadParams(BaseModel):
                model_config = {'arbitrary_types_allowed': True}
                thing: Weird

            @action(name='bad', params=BadParams)
            def bad(params, ctx):
                return {}

            @action(name='good')
            def good(params, ctx):
                return {}

            not_an_action = 42
            """
        ),
        encoding='utf-8',
    )
    (tmp_path / 'config.yaml').write_text(
        textwrap.dedent(
            """\
            name: Broken
            code: broken
            colour: blue
            actions:
              good:
                entrypoint: broken_actions:good
              bad:
                entrypoint: broken_actions:bad
              missing:
                entrypoint: no_such_module:thing
              notaction:
                entrypoint: broken_actions:not_an_action
            """
        ),
        encoding='utf-8',
    )
    result = invoke('plugin', 'validate', '--path', str(tmp_path))
    assert result.exit_code == 1
    err = result.stderr
    assert 'Plugin broken has 4 problem(s)' in err
    assert "unknown key 'colour'" in err
    assert "action 'bad': params model BadParams has no JSON schema" in err
    assert "action 'missing':" in err and 'no_such_module' in err
    assert "action 'notaction':" in err and 'not an action' in err
    payload = json.loads(invoke('plugin', 'validate', '--path', str(tmp_path), '--json').stdout)
    assert payload['ok'] is False and len(payload['problems']) == 4
    assert [a['name'] for a in payload['actions']] == ['good', 'bad']  # loadable, though 'bad' has a problem


def test_validate_reports_config_errors_with_lines(invoke, tmp_path):
    (tmp_path / 'config.yaml').write_text(
        'name: X\ncode: x\nactions:\n  a:\n    method: job\n', encoding='utf-8'
    )
    result = invoke('plugin', 'validate', '--path', str(tmp_path))
    assert result.exit_code == 1
    assert 'config.yaml:4: actions.a.entrypoint: Field required' in result.stderr


def test_run_reports_config_errors_as_input_errors(invoke, tmp_path):
    (tmp_path / 'config.yaml').write_text('', encoding='utf-8')
    result = invoke('plugin', 'run', 'x', '--path', str(tmp_path))
    assert result.exit_code == 2
    assert 'invalid plugin config' in result.stderr and 'the file is empty' in result.stderr


def test_list_and_validate_a_module(invoke, tmp_path, monkeypatch):
    (tmp_path / 'cli_listed_module.py').write_text(
        textwrap.dedent(
            '''
            """Module plugin."""
            from pydantic import BaseModel
            from synapse_sdk.plugins.decorators import action

            class P(BaseModel):
                n: int = 1

            @action(name='count', description='Counts', params=P)
            def count(params, ctx):
                return {'n': params.n}
            '''
        ),
        encoding='utf-8',
    )
    monkeypatch.chdir(tmp_path)
    listed = json.loads(invoke('plugin', 'list', '--plugin', 'cli_listed_module', '--json').stdout)
    assert [a['name'] for a in listed['actions']] == ['count']
    assert listed['actions'][0]['entrypoint'] == 'cli_listed_module:count'
    validated = invoke('plugin', 'validate', '--plugin', 'cli_listed_module')
    assert validated.exit_code == 0 and 'count: n' in validated.stdout
