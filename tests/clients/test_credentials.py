"""Every row of seed 000's priority table, the config file (incl. its tenant) and the no-token case."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

import synapse_sdk.utils.auth as auth
from synapse_sdk.clients.backend import BackendClient
from synapse_sdk.clients.backend_v2 import BackendV2Client

ALL_VARS = (
    'SYNAPSE_HOST',
    'SYNAPSE_ACCESS_TOKEN',
    'SYNAPSE_PLUGIN_RUN_USER_TOKEN',
    'SYNAPSE_PLUGIN_RUN_TENANT',
    'SYNAPSE_PLUGIN_RUN_URL_HOST',
    'SYNAPSE_BACKEND_V2_ACCESS_TOKEN',
    'SYNAPSE_BACKEND_V2_DRF_TOKEN',
    'SYNAPSE_BACKEND_V2_TENANT',
)


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> pytest.MonkeyPatch:
    for name in ALL_VARS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv('SYNAPSE_CONFIG_PATH', str(tmp_path / 'config.json'))
    return monkeypatch


def write_config(tmp_path: Path, **values: str) -> None:
    (tmp_path / 'config.json').write_text(json.dumps(values))


def headers(client: object) -> dict[str, str]:
    return dict(client._http.headers)  # type: ignore[attr-defined]


def test_no_credentials_gives_none_for_both(env: pytest.MonkeyPatch) -> None:
    assert auth.create_backend_client() is None
    assert auth.create_backend_v2_client() is None


def test_priority_1_host_and_access_token_bind_both_clients(env: pytest.MonkeyPatch) -> None:
    env.setenv('SYNAPSE_HOST', 'https://h.example/')
    env.setenv('SYNAPSE_ACCESS_TOKEN', 'syn_shared')
    v1, v2 = auth.create_backend_client(), auth.create_backend_v2_client()
    assert isinstance(v1, BackendClient) and isinstance(v2, BackendV2Client)
    assert v1.base_url == v2.base_url == 'https://h.example'
    assert headers(v1)['Synapse-Access-Token'] == 'Token syn_shared'
    assert headers(v2)['SYNAPSE-ACCESS-TOKEN'] == 'syn_shared'


def test_priority_2_user_token_binds_authorization_on_v1_and_drf_on_v2(env: pytest.MonkeyPatch) -> None:
    env.setenv('SYNAPSE_PLUGIN_RUN_USER_TOKEN', 'drf123')
    env.setenv('SYNAPSE_ACCESS_TOKEN', 'syn_a')
    v1, v2 = auth.create_backend_client(), auth.create_backend_v2_client()
    # v1: the user token replaces the access token; v2 sends both.
    assert headers(v1) == {'Authorization': 'Token drf123'}
    assert headers(v2) == {'SYNAPSE-ACCESS-TOKEN': 'syn_a', 'Authorization': 'Token drf123'}


def test_priority_2_user_token_alone_is_enough(env: pytest.MonkeyPatch) -> None:
    env.setenv('SYNAPSE_PLUGIN_RUN_USER_TOKEN', 'drf123')
    assert auth.create_backend_client() is not None
    assert headers(auth.create_backend_v2_client()) == {'Authorization': 'Token drf123'}


def test_priority_2_tenant_prefixed_on_both(env: pytest.MonkeyPatch) -> None:
    env.setenv('SYNAPSE_ACCESS_TOKEN', 'syn_a')
    env.setenv('SYNAPSE_PLUGIN_RUN_TENANT', 'acme')
    assert headers(auth.create_backend_client())['Synapse-Tenant'] == 'Token acme'
    v2 = auth.create_backend_v2_client()
    assert headers(v2)['SYNAPSE-Tenant'] == 'Token acme'
    assert v2.tenant_token_prefix is True


@pytest.mark.parametrize(
    ('variable', 'header', 'value'),
    [
        ('SYNAPSE_BACKEND_V2_ACCESS_TOKEN', 'SYNAPSE-ACCESS-TOKEN', 'syn_v2only'),
        ('SYNAPSE_BACKEND_V2_DRF_TOKEN', 'Authorization', 'Token syn_v2only'),
    ],
)
def test_priority_3_v2_only_tokens_wire_only_v2(
    env: pytest.MonkeyPatch, variable: str, header: str, value: str
) -> None:
    env.setenv(variable, 'syn_v2only')
    assert auth.create_backend_client() is None
    assert headers(auth.create_backend_v2_client())[header] == value


def test_priority_3_v2_tenant_fallback_and_shared_tenant_wins(env: pytest.MonkeyPatch) -> None:
    env.setenv('SYNAPSE_BACKEND_V2_ACCESS_TOKEN', 'syn_x')
    env.setenv('SYNAPSE_BACKEND_V2_TENANT', 'v2tenant')
    assert headers(auth.create_backend_v2_client())['SYNAPSE-Tenant'] == 'Token v2tenant'
    env.setenv('SYNAPSE_PLUGIN_RUN_TENANT', 'shared')
    assert headers(auth.create_backend_v2_client())['SYNAPSE-Tenant'] == 'Token shared'


def test_shared_vars_outrank_v2_only_vars(env: pytest.MonkeyPatch) -> None:
    env.setenv('SYNAPSE_ACCESS_TOKEN', 'syn_shared')
    env.setenv('SYNAPSE_BACKEND_V2_ACCESS_TOKEN', 'syn_v2')
    env.setenv('SYNAPSE_PLUGIN_RUN_USER_TOKEN', 'drf_shared')
    env.setenv('SYNAPSE_BACKEND_V2_DRF_TOKEN', 'drf_v2')
    h = headers(auth.create_backend_v2_client())
    assert h['SYNAPSE-ACCESS-TOKEN'] == 'syn_shared'
    assert h['Authorization'] == 'Token drf_shared'


def test_config_file_supplies_host_token_and_tenant(env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    write_config(tmp_path, host='https://cfg.example', access_token='syn_cfg', tenant='cfgtenant')
    v1, v2 = auth.create_backend_client(), auth.create_backend_v2_client()
    assert v1.base_url == v2.base_url == 'https://cfg.example'
    assert headers(v1) == {'Synapse-Access-Token': 'Token syn_cfg', 'Synapse-Tenant': 'Token cfgtenant'}
    assert headers(v2) == {'SYNAPSE-ACCESS-TOKEN': 'syn_cfg', 'SYNAPSE-Tenant': 'Token cfgtenant'}
    creds = auth.resolve_credentials()
    assert creds.sources['tenant'] == f'config:{tmp_path / "config.json"}'


def test_env_outranks_config_field_by_field(env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    write_config(tmp_path, host='https://cfg.example', access_token='syn_cfg', tenant='cfgtenant')
    env.setenv('SYNAPSE_ACCESS_TOKEN', 'syn_env')
    v1 = auth.create_backend_client()
    assert v1.base_url == 'https://cfg.example'
    assert headers(v1) == {'Synapse-Access-Token': 'Token syn_env', 'Synapse-Tenant': 'Token cfgtenant'}


def test_url_host_is_added_to_every_request(env: pytest.MonkeyPatch) -> None:
    env.setenv('SYNAPSE_ACCESS_TOKEN', 'syn_a')
    env.setenv('SYNAPSE_PLUGIN_RUN_URL_HOST', 'internal')
    assert auth.create_backend_client()._http.default_params == {'url_host': 'internal'}
    assert auth.create_backend_v2_client()._http.default_params == {'url_host': 'internal'}


def test_default_host_when_none_configured(env: pytest.MonkeyPatch) -> None:
    env.setenv('SYNAPSE_ACCESS_TOKEN', 'syn_a')
    assert auth.create_backend_client().base_url == auth.DEFAULT_HOST


def test_malformed_config_is_reported_not_silently_ignored(
    env: pytest.MonkeyPatch, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    (tmp_path / 'config.json').write_text('{"host": ')
    assert auth.create_backend_client() is None
    assert 'config.json is not valid JSON' in caplog.text
    with pytest.raises(auth.ConfigFileError, match='line 1'):
        auth.load_config(tmp_path / 'config.json', strict=True)


def test_save_config_is_atomic_private_and_merges(tmp_path: Path) -> None:
    path = tmp_path / 'sub' / 'config.json'
    auth.save_config({'host': 'https://a', 'access_token': 'syn_1'}, path)
    auth.save_config({'tenant': 'acme', 'access_token': None}, path)
    assert json.loads(path.read_text()) == {'host': 'https://a', 'tenant': 'acme'}
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    with pytest.raises(ValueError, match='unknown config keys'):
        auth.save_config({'password': 'x'}, path)


def test_credentials_repr_masks_tokens(env: pytest.MonkeyPatch) -> None:
    env.setenv('SYNAPSE_ACCESS_TOKEN', 'syn_supersecretvalue')
    env.setenv('SYNAPSE_PLUGIN_RUN_USER_TOKEN', 'drfsupersecret')
    text = repr(auth.resolve_credentials()) + str(auth.resolve_credentials())
    assert 'supersecret' not in text
    assert 'syn_***' in text


def test_factories_are_resolved_at_call_time_so_monkeypatching_works(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = BackendV2Client('https://api.test.synapse.sh', access_token='syn_x')
    monkeypatch.setattr(auth, 'create_backend_v2_client', lambda: fake)
    import synapse_sdk.utils.auth as again

    assert again.create_backend_v2_client() is fake
