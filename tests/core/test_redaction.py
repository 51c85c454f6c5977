"""The one public redaction module (synapse_sdk.security.redaction) and the origin rules."""

from __future__ import annotations

import subprocess
import sys
import traceback
from typing import Annotated

import pytest
from pydantic import BaseModel, Field, SecretStr

from synapse_sdk.security.origins import (
    credential_header_names,
    describe_origin,
    origin_of,
    same_origin,
    strip_credentials,
)
from synapse_sdk.security.redaction import (
    MASK,
    SECRET_MARKER,
    is_secret_key,
    redact,
    redact_url,
    scrub,
    secret_field_names,
    secret_values,
    withhold,
)

SECRET_NAMES = [
    'password',
    'db_passwd',
    'SSH_PASSPHRASE',
    'client_secret',
    'SYNAPSE_ACCESS_TOKEN',
    'refresh-token',
    'api_key',
    'apiKey',
    'X-Api-Key',
    'aws_secret_access_key',
    'AWSAccessKeyId',
    'private_keys',
    'credentials',
    'Authorization',
    'x_auth',
    'authToken',
    'oauth_state',
    'session_id',
    'sentry_dsn',
    'X-Amz-Signature',
    'pwd',
    'SYNAPSE_ACTION_PARAMS',
    'max_tokens',
]
PLAIN_NAMES = [
    'name',
    'author',
    'authority',
    'keyword',
    'keypoints',
    'tokenizer',
    'tokenize_fn',
    'key',
    'keys',
    'pin_memory',
    'batch_size',
    'url',
    'monkeypatch_x',
    'Synapse-Tenant',
    'code',
    '',
]


@pytest.mark.parametrize('name', SECRET_NAMES)
def test_secret_looking_names(name):
    assert is_secret_key(name)


@pytest.mark.parametrize('name', PLAIN_NAMES)
def test_plain_names(name):
    assert not is_secret_key(name)


@pytest.mark.parametrize(
    ('text', 'shown'),
    [
        ('https://user:pw@host.example/simple', 'https://***@host.example/simple'),
        ('git+https://ghp_abcdef@github.com/o/r.git', 'git+https://***@github.com/o/r.git'),
        (
            'https://b.s3.amazonaws.com/k?X-Amz-Algorithm=AWS4&X-Amz-Credential=AKIA%2F1&X-Amz-Signature=ff00',
            'https://b.s3.amazonaws.com/k?X-Amz-Algorithm=AWS4&X-Amz-Credential=***&X-Amz-Signature=***',
        ),
        (
            'https://a.blob.core.windows.net/c/b?sv=2020&sig=abc%3D',
            'https://a.blob.core.windows.net/c/b?sv=2020&sig=***',
        ),
        ('https://h/cb?code=xyz&state=1#access_token=t', 'https://h/cb?code=***&state=1#***'),
        ('https://h/p?page=2&token=', 'https://h/p?page=2&token='),
        ('failed: GET https://h/x?api_key=k1 (HTTP 500)', 'failed: GET https://h/x?api_key=*** (HTTP 500)'),
        ('no url here: user:pw@host', 'no url here: user:pw@host'),
    ],
)
def test_redact_url(text, shown):
    assert redact_url(text) == shown


class Inner(BaseModel):
    dsn_like: str = Field(json_schema_extra=SECRET_MARKER)
    region: str = 'eu'


class Params(BaseModel):
    name: str
    webhook: str = Field(json_schema_extra={'secret': True})
    api_key: str = ''
    token_value: SecretStr | None = None
    conn: Annotated[str, Field(alias='connection', json_schema_extra=SECRET_MARKER)] = ''
    inner: Inner | None = None


def test_secret_field_names_cover_names_types_markers_and_aliases():
    assert secret_field_names(Params) == {'webhook', 'api_key', 'token_value', 'conn', 'connection'}
    assert secret_field_names(Params(name='n', webhook='w')) == secret_field_names(Params)
    assert secret_field_names(dict) == frozenset()


def test_redact_with_a_model_masks_marked_and_nested_fields_and_never_mutates():
    data = {
        'name': 'n',
        'webhook': 'https://hooks.example/T0/abc',
        'connection': 'host=db password=pw1',
        'inner': {'dsn_like': 'postgres://u:p@db/x', 'region': 'eu'},
        'links': ['https://u:p@h/'],
    }
    before = repr(data)
    shown = redact(data, Params)
    assert repr(data) == before
    assert shown == {
        'name': 'n',
        'webhook': MASK,
        'connection': MASK,
        'inner': {'dsn_like': MASK, 'region': 'eu'},
        'links': ['https://***@h/'],
    }
    model = Params(name='n', webhook='w1234', token_value='s3cr3t!')
    assert redact(model)['webhook'] == MASK and redact(model)['token_value'] == MASK


def test_secret_values_and_scrub():
    data = {'name': 'n', 'webhook': 'hook-123', 'inner': {'dsn_like': 'd-s-n-1'}, 'password': 'pw-9999'}
    values = secret_values(data, Params)
    assert set(values) == {'hook-123', 'd-s-n-1', 'pw-9999'}
    text = 'failed with hook-123 and pw-9999; name n'
    assert scrub(text, values) == 'failed with *** and ***; name n'
    assert scrub({'e': [text]}, values) == {'e': ['failed with *** and ***; name n']}
    assert scrub('abc', ['abc']) == 'abc'  # shorter than 4 characters: too likely to be a word
    assert secret_values(Params(name='n', webhook='w', token_value='tok-42')) == ['tok-42']


class Other(BaseModel):
    signing: SecretStr
    count: int = 0


def test_withhold_masks_what_any_model_marks_records_where_and_keeps_urls_whole():
    data = {
        'name': 'n',
        'webhook': 'https://hooks.example/T0/abc',  # secret by Params' marker only
        'signing': 'sig-value-1',  # secret by Other's SecretStr annotation only
        'inner': {'dsn_like': 'postgres://u:p@db/x', 'region': 'eu'},
        'links': ['https://u:p@h/', 'https://h/'],
        'api_key': '',  # empty: nothing to withhold
        'count': 3,
    }
    before = repr(data)
    copy, paths = withhold(data, [Params, Other])
    assert repr(data) == before
    assert copy == {
        'name': 'n',
        'webhook': MASK,
        'signing': MASK,
        'inner': {'dsn_like': MASK, 'region': 'eu'},
        'links': [MASK, 'https://h/'],  # withheld whole, so the exact value can be put back
        'api_key': '',
        'count': 3,
    }
    assert sorted(paths, key=str) == sorted(
        [['webhook'], ['signing'], ['inner', 'dsn_like'], ['links', 0]], key=str
    )
    assert withhold(data)[0]['webhook'] == 'https://hooks.example/T0/abc'  # no model: names only
    assert withhold({'password': 'p'}, Params) == ({'password': MASK}, [['password']])


def test_modules_import_only_the_standard_library():
    code = (
        'import sys; import synapse_sdk.security.redaction, synapse_sdk.security.origins; '
        "print(sorted(m for m in ('pydantic', 'yaml', 'requests', 'synapse_sdk.plugins') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == '[]'


def test_origins():
    assert origin_of('HTTPS://Api.Example:443/v1') == ('https', 'api.example', 443)
    assert same_origin('https://a.example/x', 'https://a.example:443/y?z')
    assert same_origin('http://a.example:8000/', 'ws://a.example:8000/jobs/1/logs/')
    assert not same_origin('http://a.example/', 'https://a.example/')
    assert not same_origin('https://a.example/', 'https://a.example:8443/')
    assert not same_origin('https://a.example/', 'https://b.example/')
    assert describe_origin('https://u:p@[::1]:9/x?token=1') == 'https://[::1]:9'
    headers = {'Synapse-Tenant': 'Token t', 'X-Api-Key': 'k', 'Accept': 'a', 'Cookie': 'c'}
    assert credential_header_names(headers) == {'x-api-key', 'cookie'}
    removed = strip_credentials(headers, ['synapse-tenant'])
    assert sorted(removed) == ['Cookie', 'Synapse-Tenant', 'X-Api-Key'] and headers == {'Accept': 'a'}


def test_scrub_exception_keeps_the_chain_as_python_prints_it() -> None:
    from synapse_sdk.security.redaction import RedactedError, scrub_exception

    secret = 'chain-secret-5521'
    try:
        try:
            raise FileNotFoundError(2, 'No such file', f'/data/{secret}')
        except OSError:
            raise ExceptionGroup('failed', [ValueError(f'v {secret}')])  # noqa: B904  # implicit __context__ on purpose
    except ExceptionGroup as caught:
        exc = caught
    before = ''.join(traceback.format_exception(exc))
    assert secret in before and 'During handling of the above exception' in before

    result = scrub_exception(exc, [secret])
    after = ''.join(traceback.format_exception(result))
    assert result is exc and secret not in after
    assert 'During handling of the above exception' in after  # the context is still shown
    assert after.replace('***', secret) == before  # nothing but the secret changed

    class Opaque(Exception):
        def __str__(self) -> str:
            return f'computed {secret}'

    try:
        raise Opaque() from KeyError('k')
    except Opaque as caught:
        stand_in = scrub_exception(caught, [secret])
    assert isinstance(stand_in, RedactedError) and stand_in.original_type.endswith('Opaque')
    assert str(stand_in) == 'Opaque: computed ***'
    assert isinstance(stand_in.__cause__, KeyError) and stand_in.__traceback__ is not None
