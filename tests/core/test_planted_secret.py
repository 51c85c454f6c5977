"""A planted secret never shows up in anything captured from a run: local (with a backend job: every
request body the backend received), entrypoint, CLI (with and without --debug, SYNAPSE_DEBUG=1), for a
params error and for an action failure. The Ray paths (task, job, pipeline) are in
tests/ray/test_planted_secret_ray.py; the plugin and the secrets are shared (tests/planted.py).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import traceback
from pathlib import Path

import pytest
import synapse_tests_planted as planted  # registered by tests/conftest.py

from synapse_sdk.plugins import run_plugin
from synapse_sdk.plugins.errors import ParamsValidationError

_params = planted.params
_assert_clean = planted.assert_clean
BACKEND_TOKEN = 'PLANTED-backend-tok-6650'


@pytest.fixture
def plugin(tmp_path: Path) -> Path:
    return planted.write_plugin(tmp_path / 'plugin')


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(('SYNAPSE_', 'RAY_ADDRESS'))}
    env.update(extra)
    return env


@pytest.mark.parametrize('bad', [True, False], ids=['params-error', 'action-error'])
def test_local_run_never_shows_the_secret(plugin, tmp_path, capsys, monkeypatch, bad):
    testing = pytest.importorskip('synapse_sdk.clients.testing')
    log_file = tmp_path / 'run.jsonl'
    backend = testing.FakeBackend(access_token=BACKEND_TOKEN).start()
    try:
        monkeypatch.setenv('SYNAPSE_CONFIG_PATH', str(tmp_path / 'absent.json'))
        for name, value in backend.env().items():
            monkeypatch.setenv(name, value)
        job = backend.state.add_job(status='PENDING')
        with pytest.raises(Exception) as caught:
            run_plugin(
                str(plugin), 'leaky', _params(bad), mode='local', log_file=str(log_file), job_id=job['id']
            )
        received = [r.body.decode(errors='replace') for r in backend.requests_to('.')]
    finally:
        backend.stop()
    assert any('"status": "FAILED"' in body for body in received)  # the backend job was reported to
    if bad:
        assert isinstance(caught.value, ParamsValidationError)
        assert caught.value.__cause__ is None and caught.value.__context__ is None
    captured = capsys.readouterr()
    texts = {
        'traceback': ''.join(traceback.format_exception(caught.value)),
        'str': str(caught.value),
        'repr': repr(caught.value),
        'stdout': captured.out,
        'stderr': captured.err,
        'log file': log_file.read_text() if log_file.exists() else '',
        'backend request bodies': '\n'.join(received),
    }
    for where, text in texts.items():
        _assert_clean(text, where, extra=[BACKEND_TOKEN])


@pytest.mark.parametrize('bad', [True, False], ids=['params-error', 'action-error'])
def test_entrypoint_never_shows_the_secret(plugin, bad):
    env = _env(
        SYNAPSE_ACTION_PARAMS=json.dumps(_params(bad)),
        SYNAPSE_ACTION_ENTRYPOINT='secretplug.actions:leaky',
        SYNAPSE_PLUGIN_DIR=str(plugin),
        SYNAPSE_DEBUG='1',
    )
    done = subprocess.run(
        [sys.executable, '-m', 'synapse_sdk.plugins.entrypoint'],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == (2 if bad else 1), done.stderr
    _assert_clean(done.stdout + done.stderr, 'entrypoint output')


@pytest.mark.parametrize('flags', [[], ['--debug']], ids=['plain', 'debug'])
@pytest.mark.parametrize('bad', [True, False], ids=['params-error', 'action-error'])
def test_cli_never_shows_the_secret(plugin, bad, flags):
    command = [sys.executable, '-m', 'synapse_sdk.cli', 'plugin', 'run', 'leaky', '--path', str(plugin)]
    command += ['--params', json.dumps(_params(bad)), *flags]
    done = subprocess.run(command, env=_env(SYNAPSE_DEBUG='1'), capture_output=True, text=True, timeout=120)
    assert done.returncode != 0
    assert 'leaky' in done.stdout + done.stderr
    _assert_clean(done.stdout + done.stderr, f'CLI {" ".join(flags)}')


# -- the ways an action can still carry a secret into a message or a traceback ----------------------
# Each action writes the secrets into a log message's text and data (not under a secret key) and
# then fails in a way whose text the plain args scrubbing cannot reach: an exception group, an
# OSError's file name, a dict or bytes argument, a pydantic error raised inside the action.

CARRIER_CONFIG = """\
name: Carrier Plugin
code: carrier-plugin
version: 0.1.0
category: custom
actions:
  carry:
    entrypoint: carrier.actions:carry
    method: task
"""

CARRIER_ACTIONS = """\
from pydantic import BaseModel, Field

from synapse_sdk.plugins import action


class Target(BaseModel):
    url: str
    api_token: str


class Params(BaseModel):
    how: str
    password: str
    targets: list[Target] = []
    hook: str = Field('', json_schema_extra={'secret': True})


class Port(BaseModel):
    port: int


@action(name='carry', params=Params)
def carry(params, ctx):
    secret, token, hook = params.password, params.targets[0].api_token, params.hook
    ctx.log_message(f'connecting with {secret} {token} {hook}', 'info')
    ctx.log('attempt', {'detail': f'tried {secret}', 'nested': [token]})
    if params.how == 'group':
        raise ExceptionGroup('several failed', [ValueError(f'first {secret}'), KeyError(token)])
    if params.how == 'oserror':
        open(f'/nonexistent/{secret}/{token}')
    if params.how == 'dict':
        raise RuntimeError({'password': secret, 'token': token})
    if params.how == 'bytes':
        raise RuntimeError(hook.encode())
    if params.how == 'pydantic':
        Port(port=secret)
    raise AssertionError(params.how)
"""

CARRIED = ('CARRIED-pw-4410', 'CARRIED-tok-7731', 'CARRIED-hook-2290')
HOWS = ['group', 'oserror', 'dict', 'bytes', 'pydantic']


@pytest.fixture
def carrier(tmp_path: Path) -> Path:
    root = tmp_path / 'carrier'
    (root / 'carrier').mkdir(parents=True)
    (root / 'config.yaml').write_text(CARRIER_CONFIG)
    (root / 'carrier' / '__init__.py').write_text('')
    (root / 'carrier' / 'actions.py').write_text(CARRIER_ACTIONS)
    return root


def _carrier_params(how: str) -> dict:
    return {
        'how': how,
        'password': CARRIED[0],
        'targets': [{'url': 'https://example.test', 'api_token': CARRIED[1]}],
        'hook': CARRIED[2],
    }


@pytest.mark.parametrize('how', HOWS)
def test_secrets_carried_into_messages_and_odd_exceptions_are_masked_locally(carrier, tmp_path, capsys, how):
    log_file = tmp_path / 'run.jsonl'
    with pytest.raises(Exception) as caught:
        run_plugin(str(carrier), 'carry', _carrier_params(how), mode='local', log_file=str(log_file))
    captured = capsys.readouterr()
    texts = {
        'traceback': ''.join(traceback.format_exception(caught.value)),
        'str': str(caught.value),
        'stdout': captured.out,
        'stderr': captured.err,
        'log file': log_file.read_text(),
    }
    assert 'connecting with ***' in texts['log file']  # the message was logged, masked
    for where, text in texts.items():
        _assert_clean(text, where, extra=CARRIED)


@pytest.mark.parametrize('how', HOWS)
def test_secrets_carried_into_messages_and_odd_exceptions_are_masked_by_the_cli(carrier, how):
    command = [sys.executable, '-m', 'synapse_sdk.cli', 'plugin', 'run', 'carry', '--path', str(carrier)]
    command += ['--params', json.dumps(_carrier_params(how)), '--debug']
    done = subprocess.run(command, env=_env(), capture_output=True, text=True, timeout=120)
    assert done.returncode != 0
    assert 'Traceback' in done.stderr + done.stdout  # --debug printed the whole chain
    _assert_clean(done.stdout + done.stderr, f'CLI --debug ({how})', extra=CARRIED)
