"""``synapse plugin job logs`` through the backend and the agent of the fake backend."""

from __future__ import annotations

import pytest


@pytest.fixture
def job(synapse_backend):
    return synapse_backend.state.add_job(
        action='train', status='RUNNING', console_logs='epoch 1 loss 0.9\nepoch 2 loss 0.5\n'
    )


def test_prints_backend_console_logs(invoke, job):
    result = invoke('plugin', 'job', 'logs', job['id'])
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines() == ['epoch 1 loss 0.9', 'epoch 2 loss 0.5']


def test_follows_backend_stream_until_complete(invoke, job):
    result = invoke('plugin', 'job', 'logs', job['id'], '--follow')
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines() == ['epoch 1 loss 0.9', 'epoch 2 loss 0.5']


def test_unknown_job_is_an_input_error(invoke, synapse_backend):
    result = invoke('plugin', 'job', 'logs', 'no-such-job')
    assert result.exit_code == 2
    assert "no job 'no-such-job' found" in result.stderr


def test_agent_source_with_websocket_and_http_fallback(invoke, synapse_backend, monkeypatch):
    job = synapse_backend.state.add_job(action='train', status='RUNNING')
    synapse_backend.state.agent_job_logs[job['id']] = ['agent line 1', 'agent line 2']
    monkeypatch.setenv('SYNAPSE_AGENT_URL', synapse_backend.agent_url)
    monkeypatch.setenv('SYNAPSE_AGENT_TOKEN', 'agent_test')
    followed = invoke('plugin', 'job', 'logs', job['id'], '--follow')
    assert followed.exit_code == 0, followed.stderr
    assert followed.stdout.splitlines() == ['agent line 1', 'agent line 2']
    synapse_backend.websocket_enabled = False
    fallback = invoke('plugin', 'job', 'logs', job['id'], '-f')
    assert fallback.stdout.splitlines() == ['agent line 1', 'agent line 2']
    plain = invoke('plugin', 'job', 'logs', job['id'], '--source', 'agent')
    assert plain.stdout.splitlines() == ['agent line 1', 'agent line 2']


def test_agent_source_without_agent_config(invoke):
    result = invoke('plugin', 'job', 'logs', 'x', '--source', 'agent')
    assert result.exit_code == 2
    assert 'SYNAPSE_AGENT_URL' in result.stderr


def test_without_credentials(invoke):
    result = invoke('plugin', 'job', 'logs', 'x')
    assert result.exit_code == 2
    assert 'synapse login' in result.stderr
