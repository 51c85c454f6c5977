"""A real BackendClient (synapse-clients) against the stateful fake backend on a loopback port.

Logs, progress, metrics and the job status travel through real HTTP in local mode and through
the subprocess entrypoint, the way a plugin runtime container reports them.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

testing = pytest.importorskip('synapse_sdk.clients.testing')

from synapse_sdk.plugins.entrypoint import parse_result_output  # noqa: E402
from synapse_sdk.plugins.errors import ActionExecutionError  # noqa: E402
from synapse_sdk.plugins.executors.local import LocalExecutor  # noqa: E402
from synapse_sdk.plugins.runner import run_plugin  # noqa: E402

HELLO = Path(__file__).resolve().parents[2] / 'examples' / 'hello_plugin'

pytestmark = pytest.mark.integration


@pytest.fixture
def backend(monkeypatch):
    with testing.FakeBackend() as server:
        monkeypatch.setenv('SYNAPSE_HOST', server.url)
        monkeypatch.setenv('SYNAPSE_ACCESS_TOKEN', server.access_token)
        yield server


def _job(server):
    return server.state.add_job(status='PENDING')


def test_local_run_reports_logs_progress_metrics_and_status(backend):
    job = _job(backend)
    result = run_plugin(str(HELLO), 'count', {'to': 20}, job_id=job['id'], console=False)
    assert result == {'total': 210, 'count': 20}
    stored = backend.state.jobs[job['id']] if isinstance(backend.state.jobs, dict) else None
    stored = stored or next(j for j in backend.state.jobs.values() if j['id'] == job['id'])
    assert stored['status'] == 'SUCCEEDED' and stored['result'] == result
    assert stored['progress_record']['steps']['count']['percent'] == 100.0
    assert stored['metrics_record']['steps']['count'] == {'sum': 210, 'numbers': 20}
    statuses = [u['status'] for u in stored['_updates'] if 'status' in u]
    assert statuses == ['RUNNING', 'SUCCEEDED']
    logs = backend.state.logs_for(job['id'])
    events = [entry['event'] for entry in logs]
    assert 'counted' in events and events.count('message') == 2
    assert {entry['data'].get('key') for entry in logs if entry['event'] == 'message'} == {
        None,
        'plugin_run_complete',
    }
    # one request per batch, not per event
    posts = [r for r in backend.state.requests if r.method == 'POST' and r.path.endswith('/logs/')]
    assert len(posts) < len(logs)


def test_v1_and_v2_clients_are_wired_from_the_environment(backend):
    from synapse_sdk.clients.backend import BackendClient
    from synapse_sdk.clients.backend_v2 import BackendV2Client
    from synapse_sdk.plugins import action

    @action(name='probe')
    def probe(params, ctx):
        return {'v1': type(ctx.client).__name__, 'v2': type(ctx.v2_client).__name__}

    out = LocalExecutor(console=False).execute(probe, {})
    assert out == {'v1': BackendClient.__name__, 'v2': BackendV2Client.__name__}


def test_failure_is_reported_to_the_job(backend):
    from synapse_sdk.plugins import action

    @action(name='explode')
    def explode(params, ctx):
        ctx.set_progress(1, 4)
        raise RuntimeError('GPU fell off')

    job = _job(backend)
    with pytest.raises(ActionExecutionError):
        LocalExecutor(job_id=job['id'], console=False).execute(explode, {})
    stored = next(j for j in backend.state.jobs.values() if j['id'] == job['id'])
    assert stored['status'] == 'FAILED'
    assert stored['result'] == {'error': 'RuntimeError: GPU fell off'}
    assert stored['progress_record']['steps']['default']['current'] == 1


def test_backend_outage_never_fails_the_action(backend):
    job = _job(backend)
    backend.stop()
    assert (
        run_plugin(str(HELLO), 'greet', {'name': 'Ada'}, job_id=job['id'], console=False)['message']
        == 'Hello, Ada!'
    )


def test_subprocess_entrypoint_reports_to_the_job(backend):
    job = _job(backend)
    env = {k: v for k, v in os.environ.items()}
    env.update(
        {
            'SYNAPSE_ACTION_ENTRYPOINT': 'hello.counter.CountAction',
            'SYNAPSE_ACTION_PARAMS': json.dumps({'to': 3}),
            'SYNAPSE_JOB_ID': job['id'],
            'SYNAPSE_LANGUAGE': 'ko',
        }
    )
    proc = subprocess.run(
        [sys.executable, '-m', 'synapse_sdk.plugins.entrypoint'],
        cwd=HELLO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert parse_result_output(proc.stdout) == {'status': 'succeeded', 'result': {'total': 6, 'count': 3}}
    stored = next(j for j in backend.state.jobs.values() if j['id'] == job['id'])
    assert stored['status'] == 'SUCCEEDED'
    contents = [e['data']['content'] for e in backend.state.logs_for(job['id']) if e['event'] == 'message']
    assert '플러그인 실행이 완료되었습니다.' in contents
    assert backend.access_token not in proc.stdout + proc.stderr


def test_entrypoint_bad_entrypoint_marks_job_failed(backend):
    job = _job(backend)
    env = dict(os.environ, SYNAPSE_ACTION_ENTRYPOINT='nowhere.module:thing', SYNAPSE_JOB_ID=job['id'])
    proc = subprocess.run(
        [sys.executable, '-m', 'synapse_sdk.plugins.entrypoint'],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 2
    stored = next(j for j in backend.state.jobs.values() if j['id'] == job['id'])
    assert stored['status'] == 'FAILED' and 'nowhere.module' in stored['result']['error']
