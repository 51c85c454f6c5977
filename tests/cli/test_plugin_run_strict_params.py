"""``synapse plugin run --strict-params``: unknown params keys refused with a did-you-mean (issue #16 point 3).

The default (a warning) is rendered by the CLI's warning display; here only the switch and its pass-through.
"""

from __future__ import annotations

import json


def test_unknown_key_warns_by_default_and_fails_with_strict_params(invoke, make_plugin):
    plugin = make_plugin()
    params = json.dumps({'name': 'Ada', 'timez': 2})

    warned = invoke('plugin', 'run', 'greet', '--path', str(plugin), '--params', params, '--json')
    assert warned.exit_code == 0, warned.stderr
    out = json.loads(warned.stdout)
    assert out['result'] == {'message': 'Hello Ada!'}
    text = "Action 'greet': unknown param 'timez' ignored (did you mean 'times'?)"
    assert [w['message'] for w in out['warnings'] if w['category'] == 'UnknownParamsWarning'] == [text]
    assert text in warned.stderr

    refused = invoke('plugin', 'run', 'greet', '--path', str(plugin), '--params', params, '--strict-params')
    assert refused.exit_code == 2
    assert "timez: unknown param (did you mean 'times'?)" in refused.stderr
    assert 'Hello Ada!' not in refused.stdout + refused.stderr  # refused before the action ran


NO_MODEL_ACTIONS = """
from synapse_sdk.plugins.decorators import action


@action(name='greet', description='Greets someone')
def greet(params, ctx) -> dict:
    return {'message': f"Hello {params.get('name', 'you')}!"}


@action(name='fail')
def fail(params, ctx) -> dict:
    raise RuntimeError('unused')
"""


def test_json_warnings_carry_the_param_and_its_suggestion(invoke, make_plugin):
    """--json output has the unknown key and the did-you-mean as data, beside the text."""
    plugin = make_plugin()
    params = json.dumps({'name': 'Ada', 'timez': 2, 'zzz': 1})
    result = invoke('plugin', 'run', 'greet', '--path', str(plugin), '--params', params, '--json')
    assert result.exit_code == 0, result.stderr
    found = [w for w in json.loads(result.stdout)['warnings'] if w['category'] == 'UnknownParamsWarning']
    assert [{k: w[k] for k in ('action', 'param', 'suggestion', 'never_read')} for w in found] == [
        {'action': 'greet', 'param': 'timez', 'suggestion': 'times', 'never_read': False},
        {'action': 'greet', 'param': 'zzz', 'suggestion': None, 'never_read': False},
    ]
    assert "Warning: Action 'greet': unknown param 'zzz' ignored\n" in result.stderr  # no empty hint


def test_a_key_an_action_without_a_model_never_read_in_korean(invoke, make_plugin):
    plugin = make_plugin('nomodel', NO_MODEL_ACTIONS)
    params = json.dumps({'nmae': 'Ada'})
    result = invoke('plugin', 'run', 'greet', '--path', str(plugin), '--params', params, '--json', '-l', 'ko')
    assert result.exit_code == 0, result.stderr
    payload = json.loads(result.stdout)
    assert payload['result'] == {'message': 'Hello you!'}  # the typo was not read: the default was used
    [warning] = [w for w in payload['warnings'] if w['category'] == 'UnknownParamsWarning']
    assert (warning['param'], warning['suggestion'], warning['never_read']) == ('nmae', 'name', True)
    assert (
        "경고: 'greet' 액션: 파라미터 'nmae'을(를) 액션이 한 번도 읽지 않았습니다 (혹시 'name'?)"
        in result.stderr
    )
    assert 'never read' not in result.stderr  # the core's English text is data only
