"""A planted secret never shows up in anything captured from a run: local, entrypoint, CLI (with and
without --debug, SYNAPSE_DEBUG=1), for a params error and for an action failure.

The secrets sit in a secret-looking field (``password``), a field marked secret by its author
(``json_schema_extra={'secret': True}``) and a ``SecretStr``; the test greps every byte captured.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import traceback
from pathlib import Path

import pytest

from synapse_sdk.plugins import run_plugin
from synapse_sdk.plugins.errors import ParamsValidationError

PLANTED = ('PLANTED-pw-7391', 'PLANTED-hook-5518', 'PLANTED-str-2846')

PLUGIN = {
    'config.yaml': textwrap.dedent(
        """\
        name: Secret Plugin
        code: secret-plugin
        version: 0.1.0
        category: custom
        actions:
          leaky:
            entrypoint: secretplug.actions:leaky
            method: task
        """
    ),
    'secretplug/__init__.py': '',
    'secretplug/actions.py': textwrap.dedent(
        """\
        from pydantic import BaseModel, Field, SecretStr, field_validator

        from synapse_sdk.plugins import action


        class Params(BaseModel):
            name: str
            password: str
            webhook: str = Field(json_schema_extra={'secret': True})
            signing: SecretStr
            count: int

            @field_validator('webhook')
            @classmethod
            def check_hook(cls, value):
                if not value.startswith('https://'):
                    raise ValueError(f'webhook {value} must be https')  # an author echoing the value
                return value


        @action(name='leaky', params=Params)
        def leaky(params, ctx):
            ctx.log('started', {'password': params.password, 'note': 'ok'})
            ctx.log_message(f'environment: {ctx.env!r}', 'info')
            print('context:', ctx)
            raise RuntimeError(f'upstream refused {params.password} and {params.webhook}')
        """
    ),
}


@pytest.fixture
def plugin(tmp_path: Path) -> Path:
    for name, text in PLUGIN.items():
        path = tmp_path / 'plugin' / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return tmp_path / 'plugin'


def _params(bad: bool) -> dict:
    return {
        'name': 'n',
        'password': PLANTED[0],
        'webhook': PLANTED[1] if bad else f'https://{PLANTED[1]}.example',
        'signing': PLANTED[2],
        'count': 'not-a-number' if bad else 3,
    }


def _assert_clean(text: str, where: str) -> None:
    for secret in PLANTED:
        assert secret not in text, f'{secret} leaked in {where}:\n{text[-3000:]}'


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(('SYNAPSE_', 'RAY_ADDRESS'))}
    env.update(extra)
    return env


@pytest.mark.parametrize('bad', [True, False], ids=['params-error', 'action-error'])
def test_local_run_never_shows_the_secret(plugin, tmp_path, capsys, bad):
    log_file = tmp_path / 'run.jsonl'
    with pytest.raises(Exception) as caught:
        run_plugin(str(plugin), 'leaky', _params(bad), mode='local', log_file=str(log_file))
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
    }
    for where, text in texts.items():
        _assert_clean(text, where)


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
