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
