"""Seed 000: every context-building site of synapse-core wires both clients from the factories.

The Ray sites (task, job, pipeline) are covered by tests/ray with the same pattern.
"""

import io
import json
from contextlib import redirect_stdout

import pytest

from synapse_sdk.plugins import action
from synapse_sdk.plugins.entrypoint import main as entrypoint_main
from synapse_sdk.plugins.entrypoint import parse_result_output
from synapse_sdk.plugins.execution import build_runtime_context, execute_action
from synapse_sdk.plugins.executors.local import LocalExecutor
from synapse_sdk.plugins.runner import run_plugin

SEEN: dict = {}


@action(name='probe')
def probe(params, ctx):
    SEEN['client'], SEEN['v2_client'] = ctx.client, ctx.v2_client
    return {'v1': ctx.client is not None, 'v2': ctx.v2_client is not None}


def _local():
    return LocalExecutor(console=False).execute(probe, {})


def _run_plugin():
    return run_plugin('unused', 'probe', {}, action_cls=probe, console=False)


def _execute_action():
    return execute_action(probe, {}, console=False)


def _builder():
    ctx = build_runtime_context(console=False)
    SEEN['client'], SEEN['v2_client'] = ctx.client, ctx.v2_client
    return {'v1': True, 'v2': True}


def _entrypoint():
    out = io.StringIO()
    with redirect_stdout(out):
        code = entrypoint_main(['--entrypoint', f'{__name__}:probe', '--params', '{}'])
    assert code == 0
    return parse_result_output(out.getvalue())['result']


SITES = [_local, _run_plugin, _execute_action, _builder, _entrypoint]


@pytest.mark.parametrize('site', SITES, ids=lambda f: f.__name__.strip('_'))
def test_both_clients_come_from_the_factories(site, monkeypatch, auth_module):
    v1, v2 = object(), object()
    monkeypatch.setattr(auth_module, 'create_backend_client', lambda: v1, raising=False)
    monkeypatch.setattr(auth_module, 'create_backend_v2_client', lambda: v2, raising=False)
    monkeypatch.setattr(auth_module, 'create_agent_client', lambda: None, raising=False)
    SEEN.clear()
    assert json.loads(json.dumps(site())) == {'v1': True, 'v2': True}
    assert SEEN['client'] is v1 and SEEN['v2_client'] is v2


@pytest.mark.parametrize('site', SITES, ids=lambda f: f.__name__.strip('_'))
def test_no_credentials_means_none(site, monkeypatch, auth_module):
    monkeypatch.setattr(auth_module, 'create_backend_client', lambda: None, raising=False)
    monkeypatch.setattr(auth_module, 'create_backend_v2_client', lambda: None, raising=False)
    monkeypatch.setattr(auth_module, 'create_agent_client', lambda: None, raising=False)
    SEEN.clear()
    site()
    assert SEEN['client'] is None and SEEN['v2_client'] is None


def test_real_factories_without_credentials_give_none():
    pytest.importorskip('synapse_sdk.clients')
    SEEN.clear()
    _local()
    assert SEEN['client'] is None and SEEN['v2_client'] is None
