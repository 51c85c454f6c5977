"""``synapse login``, ``synapse config show`` and ``synapse doctor`` against the fake backend."""

from __future__ import annotations

import json
import stat

import pytest

from synapse_sdk.utils.auth import load_config, resolve_credentials

from .conftest import SYNAPSE_EXE, run_in_pty

TOKEN = 'syn_test'  # the fake backend's default access token


@pytest.fixture
def backend_url(synapse_backend, monkeypatch, config_file):
    """The fake backend's URL, with the env tokens removed so only what `login` stores counts."""
    monkeypatch.setenv('SYNAPSE_CONFIG_PATH', str(config_file))
    monkeypatch.delenv('SYNAPSE_ACCESS_TOKEN')
    monkeypatch.delenv('SYNAPSE_HOST')
    return synapse_backend.url


def test_login_from_stdin_verifies_and_stores_with_mode_0600(invoke, backend_url, config_file):
    result = invoke('login', '--host', backend_url, '--token-stdin', input=f'{TOKEN}\n')
    assert result.exit_code == 0, result.stderr
    assert TOKEN not in result.stdout + result.stderr
    assert f'Logged in to {backend_url} (authenticated as' in result.stdout
    assert stat.S_IMODE(config_file.stat().st_mode) == 0o600
    assert load_config(config_file) == {'host': backend_url, 'access_token': TOKEN}
    creds = resolve_credentials()  # what the client factories will use
    assert creds.host == backend_url and creds.access_token == TOKEN


def test_login_rejected_token_is_not_saved(invoke, backend_url, config_file):
    result = invoke('login', '--host', backend_url, '--token-stdin', input='syn_wrong-token\n')
    assert result.exit_code == 1
    assert 'rejected the token' in result.stderr and 'nothing was saved' in result.stderr
    assert 'syn_wrong-token' not in result.stdout + result.stderr
    assert not config_file.exists()


def test_login_to_a_refusing_port_saves_nothing_and_claims_nothing(invoke, refusing_url, config_file):
    result = invoke('login', '--host', refusing_url, '--token-stdin', input='tok_abcdef123456\n')
    assert result.exit_code == 1
    assert 'Logged in' not in result.stdout + result.stderr
    assert result.stdout == ''
    assert f'could not reach {refusing_url}: connection refused; nothing was saved.' in result.stderr
    assert '--no-verify' in result.stderr  # how to save it anyway
    assert 'tok_abcdef123456' not in result.stdout + result.stderr
    assert not config_file.exists()


def test_login_answered_401_by_a_real_server_saves_nothing(invoke, unauthorized_url, config_file):
    result = invoke('login', '--host', unauthorized_url, '--token-stdin', input='tok_abcdef123456\n')
    assert result.exit_code == 1
    assert f'the backend at {unauthorized_url} rejected the token (401); nothing was saved.' in result.stderr
    assert 'Logged in' not in result.stdout
    assert not config_file.exists()


def test_login_saves_unverified_credentials_only_when_asked_and_says_so(invoke, refusing_url, config_file):
    result = invoke(
        'login', '--host', refusing_url, '--token-stdin', '--no-verify', input='tok_abcdef123456\n'
    )
    assert result.exit_code == 0, result.stderr
    assert 'Logged in' not in result.stdout
    assert f'Saved the token for {refusing_url} without checking it (--no-verify)' in result.stdout
    assert load_config(config_file) == {'host': refusing_url, 'access_token': 'tok_abcdef123456'}
    payload = json.loads(
        invoke(
            'login', '--host', refusing_url, '--token-stdin', '--no-verify', '--json', input='tok_x1234567'
        ).stdout
    )
    assert payload['verified'] is False and payload['user'] is None


def test_login_warns_about_plain_http_to_a_remote_host(invoke):
    result = invoke(
        'login', '--host', 'http://synapse.example.com', '--token-stdin', '--no-verify', input='syn_x123456'
    )
    assert result.exit_code == 0
    assert 'uses plain HTTP' in result.stderr
    assert (
        'plain HTTP'
        not in invoke(
            'login', '--host', 'http://127.0.0.1:9', '--token-stdin', '--no-verify', input='syn_x123456'
        ).stderr
    )


def test_login_never_prompts_without_a_terminal(invoke, config_file):
    result = invoke('login', '--no-verify')
    assert result.exit_code == 2
    assert 'standard input is not a terminal' in result.stderr and '--token-stdin' in result.stderr
    assert not config_file.exists()


def test_login_json(invoke, backend_url):
    result = invoke('login', '--host', backend_url, '--token-stdin', '--json', input=TOKEN)
    payload = json.loads(result.stdout)
    assert payload['verified'] is True and payload['user']['email']
    assert TOKEN not in result.stdout


@pytest.mark.integration
def test_login_prompt_does_not_echo_the_token(backend_url, config_file):
    """A real terminal: the typed token must not appear in what the terminal shows."""
    secret = 'syn_test'
    status, shown = run_in_pty(
        [str(SYNAPSE_EXE), 'login', '--host', backend_url],
        answers=[(b'Access token', secret.encode() + b'\n')],
    )
    assert status == 0, shown
    assert 'Logged in to' in shown
    assert secret not in shown
    assert load_config(config_file)['access_token'] == secret


def test_config_show_masks_tokens_and_names_sources(invoke, config_file, monkeypatch):
    invoke(
        'login', '--host', 'http://127.0.0.1:9', '--token-stdin', '--no-verify', input='syn_abcdefghijklmnop'
    )
    monkeypatch.setenv('SYNAPSE_PLUGIN_RUN_TENANT', 'acme')
    result = invoke('config', 'show')
    assert result.exit_code == 0
    assert 'syn_abcdefghijklmnop' not in result.stdout
    rows = {line.split()[0]: line for line in result.stdout.splitlines()[3:]}
    assert 'syn_*** (20 chars)' in rows['access_token'] and 'config file' in rows['access_token']
    assert 'http://127.0.0.1:9' in rows['host']
    assert 'acme' in rows['tenant'] and '$SYNAPSE_PLUGIN_RUN_TENANT' in rows['tenant']
    payload = json.loads(invoke('config', 'show', '--json').stdout)
    assert payload['values']['access_token']['value'] == 'syn_*** (20 chars)'


def test_config_show_reports_a_broken_file(invoke, config_file):
    config_file.parent.mkdir()
    config_file.write_text('{not json', encoding='utf-8')
    result = invoke('config', 'show')
    assert result.exit_code == 1
    assert 'is not valid JSON' in result.stderr and 'synapse login' in result.stderr


def test_doctor_with_working_backend(invoke, synapse_backend):
    result = invoke('doctor', '--json')
    payload = json.loads(result.stdout)
    checks = {c['name']: c for c in payload['checks']}
    assert checks['synapse-cli']['status'] == 'ok'
    assert checks['credentials']['status'] == 'ok'
    assert checks['backend']['status'] == 'ok', checks['backend']
    assert checks['ray']['status'] in ('ok', 'warn')
    assert result.exit_code == 0 and payload['ok'] is True
    statuses = [c['status'] for c in payload['checks']]
    assert payload['summary'] == {
        'passed': statuses.count('ok'),
        'warnings': statuses.count('warn'),
        'skipped': statuses.count('skip'),
        'failed': 0,
    }


@pytest.mark.parametrize('server', ['refusing_url', 'unauthorized_url'])
def test_doctor_fails_when_the_backend_cannot_be_used(invoke, monkeypatch, request, server):
    url = request.getfixturevalue(server)
    monkeypatch.setenv('SYNAPSE_HOST', url)
    monkeypatch.setenv('SYNAPSE_ACCESS_TOKEN', 'syn_abcdefghijkl')
    result = invoke('doctor')
    assert result.exit_code == 1
    backend = next(line for line in result.stdout.splitlines() if ' backend: ' in line)
    assert backend.startswith('[FAIL] backend: ')
    assert ('connection refused' if server == 'refusing_url' else 'rejected the token (401)') in backend
    summary = result.stdout.rstrip().splitlines()[-1]
    assert summary.endswith(', 1 failed') and ' passed, ' in summary and 'skipped' in summary
    assert 'syn_abcdefghijkl' not in result.stdout


def test_doctor_counts_warnings_and_skips_apart_from_passes(invoke):
    """No credentials, no config file: warnings and a skip, nothing failed, so exit 0, and never
    'N of N checks passed'."""
    payload = json.loads(invoke('doctor', '--json').stdout)
    statuses = [c['status'] for c in payload['checks']]
    result = invoke('doctor')
    assert result.exit_code == 0
    summary = result.stdout.rstrip().splitlines()[-1]
    assert summary == (
        f'{len(statuses)} checks: {statuses.count("ok")} passed, {statuses.count("warn")} warning(s), '
        f'{statuses.count("skip")} skipped, 0 failed'
    )
    assert statuses.count('warn') >= 2 and statuses.count('skip') == 1  # config file + credentials; backend


def test_doctor_flags_a_rejected_token_with_a_fix(invoke, synapse_backend, monkeypatch):
    monkeypatch.setenv('SYNAPSE_ACCESS_TOKEN', 'syn_revoked')
    result = invoke('doctor')
    assert result.exit_code == 1
    assert '[FAIL] backend' in result.stdout and 'fix: synapse login' in result.stdout
    assert 'syn_revoked' not in result.stdout


def test_doctor_without_credentials_is_not_a_failure(invoke):
    result = invoke('doctor')
    assert result.exit_code == 0
    assert '[WARN] credentials: no access token found' in result.stdout
    assert '[SKIP] backend' in result.stdout


def test_doctor_warns_about_a_world_readable_config(invoke, config_file):
    invoke(
        'login', '--host', 'http://127.0.0.1:9', '--token-stdin', '--no-verify', input='syn_abcdefghijklmnop'
    )
    config_file.chmod(0o644)
    result = invoke('doctor', '--offline')
    assert f'fix: chmod 600 {config_file}' in result.stdout


def test_doctor_and_login_speak_korean(invoke, backend_url, config_file):
    result = invoke('login', '--host', backend_url, '--token-stdin', '-l', 'ko', input=f'{TOKEN}\n')
    assert result.exit_code == 0, result.stderr
    assert f'{backend_url}에 로그인했습니다 (' in result.stdout and '(으)로 인증됨' in result.stdout
    assert '자격 증명을' in result.stdout and TOKEN not in result.stdout + result.stderr

    config_file.chmod(0o644)
    doctor = invoke('doctor', '--offline', env={'SYNAPSE_LANGUAGE': 'ko'})  # the variable, without --lang
    assert doctor.exit_code == 0, doctor.stderr
    assert f'다른 사용자도 {config_file}을(를) 읽을 수 있습니다 (모드 644)' in doctor.stdout
    assert f'해결: chmod 600 {config_file}' in doctor.stdout
    assert '[SKIP] 백엔드: 건너뜀 (--offline)' in doctor.stdout  # check names too; --json keeps 'backend'
    assert doctor.stdout.rstrip().splitlines()[-1].startswith('검사 ')
    english = invoke('doctor', '--offline', '--lang', 'en', env={'SYNAPSE_LANGUAGE': 'ko'})
    assert ' passed, ' in english.stdout and '검사' not in english.stdout
