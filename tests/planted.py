"""Planted secrets and a plugin that tries hard to leak them, shared by the planted-secret tests
(tests/core for local, entrypoint and CLI runs; tests/ray for Ray task, Ray job and pipeline runs).

The secrets sit in a secret-looking field (``password``), a field marked secret by its author
(``json_schema_extra={'secret': True}``) and a ``SecretStr``. The action logs the password under its
key and in a message's text, logs ``repr(ctx.env)``, prints the context and raises an exception group
whose members carry two secrets in a message and one in an ``OSError``'s file name. Registered
as ``synapse_tests_planted`` by tests/conftest.py.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

PLANTED = ('PLANTED-pw-7391', 'PLANTED-hook-5518', 'PLANTED-str-2846')

CONFIG = """\
name: Secret Plugin
code: secret-plugin
version: 0.1.0
category: custom
actions:
  leaky:
    entrypoint: secretplug.actions:leaky
    method: task
  prepare:
    entrypoint: secretplug.actions:prepare
    method: task
"""

ACTIONS = '''\
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


@action(name='prepare', params=Params)
def prepare(params, ctx):
    """A pipeline's first action: succeeds, so a checkpoint holding the params is written."""
    ctx.log('preparing', {'password': params.password, 'count': params.count})
    return {'prepared': params.count}


@action(name='leaky', params=Params)
def leaky(params, ctx):
    ctx.log('started', {'password': params.password, 'note': 'ok'})
    ctx.log_message(f'environment: {ctx.env!r}', 'info')
    ctx.log_message(f'connecting as {params.password} to {params.webhook}', 'info')  # secrets in the text
    print('context:', ctx)
    try:
        open(f'/nonexistent/{params.password}')  # an OSError whose file name holds the secret
    except OSError as missing:
        refused = RuntimeError(f'upstream refused {params.password} and {params.webhook}')
        raise ExceptionGroup('the upstream failed', [refused, missing]) from None
'''

FILES = {'config.yaml': CONFIG, 'secretplug/__init__.py': '', 'secretplug/actions.py': ACTIONS}


def write_plugin(directory: Path) -> Path:
    """Write the leaky plugin into `directory` and return it."""
    for name, text in FILES.items():
        path = directory / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return directory


def params(bad: bool) -> dict:
    """The params carrying the planted secrets; ``bad`` makes validation fail (the validator echoes)."""
    return {
        'name': 'n',
        'password': PLANTED[0],
        'webhook': PLANTED[1] if bad else f'https://{PLANTED[1]}.example',
        'signing': PLANTED[2],
        'count': 'not-a-number' if bad else 3,
    }


def assert_clean(text: str, where: str, extra: Iterable[str] = ()) -> None:
    """No planted secret (nor any of `extra`) in `text`."""
    for secret in (*PLANTED, *extra):
        assert secret not in text, f'{secret} leaked in {where}:\n{_around(text, secret)}'


def _around(text: str, secret: str) -> str:
    at = text.find(secret)
    return text[max(0, at - 1500) : at + 500]


def files_text(*roots: Path) -> dict[str, str]:
    """Every regular file under `roots` (read as text, undecodable bytes replaced), by path."""
    out = {}
    for root in roots:
        for path in sorted(Path(root).rglob('*')):
            if path.is_file() and not path.is_symlink():
                try:
                    out[str(path)] = path.read_text(errors='replace')
                except OSError:
                    continue
    return out
