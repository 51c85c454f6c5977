"""Logs, progress and status from actions on Ray reach the backend job, as in local mode.

A stateful fake backend (synapse-clients' `FakeBackend`) listens on loopback; the executors carry
its host and token to the workers through the allow-list, and the worker's context reports to it.
"""

from __future__ import annotations

import pytest

from synapse_sdk.plugins.errors import ActionExecutionError
from synapse_sdk.plugins.executors.ray.errors import JobFailedError
from synapse_sdk.plugins.executors.ray.jobs_api import RayJobsApiExecutor
from synapse_sdk.plugins.executors.ray.pipeline import RayPipelineExecutor
from synapse_sdk.plugins.executors.ray.task import RayActorExecutor

testing = pytest.importorskip('synapse_sdk.clients.testing')

pytestmark = pytest.mark.integration


@pytest.fixture
def backend(monkeypatch, tmp_path):
    with testing.FakeBackend() as server:
        monkeypatch.setenv('SYNAPSE_HOST', server.url)
        monkeypatch.setenv('SYNAPSE_ACCESS_TOKEN', server.access_token)
        monkeypatch.setenv('SYNAPSE_CONFIG_PATH', str(tmp_path / 'absent.json'))
        yield server


def _stored(server, job_id):
    jobs = server.state.jobs
    return jobs[job_id] if job_id in jobs else next(j for j in jobs.values() if str(j['id']) == str(job_id))


def _statuses(job):
    return [u['status'] for u in job['_updates'] if 'status' in u]


def test_task_mode_reports_to_the_backend_job(ray_cluster, sample_plugin_dir, backend):
    job = backend.state.add_job(status='PENDING')
    with RayActorExecutor(working_dir=sample_plugin_dir, num_cpus=0.25, job_id=job['id']) as ex:
        result = ex.execute('ray_sample_actions:SummarizeAction', {'values': [1, 3]})
        stored = _stored(backend, job['id'])
        assert stored['status'] == 'SUCCEEDED' and stored['result'] == result
        assert _statuses(stored) == ['RUNNING', 'SUCCEEDED']
        assert stored['progress_record']['steps']['summarize']['percent'] == 100.0
        keys = {e['data'].get('key') for e in backend.state.logs_for(job['id']) if e['event'] == 'message'}
        assert 'plugin_run_complete' in keys

        failing = backend.state.add_job(status='PENDING')
        ex.job_id = failing['id']
        with pytest.raises(ActionExecutionError):
            ex.execute('ray_sample_actions:fail', {})
        assert _stored(backend, failing['id'])['status'] == 'FAILED'


def test_job_mode_reports_to_the_backend_job(ray_head, sample_plugin_dir, backend):
    job = backend.state.add_job(status='PENDING')
    ex = RayJobsApiExecutor(dashboard_address=ray_head.dashboard_address, working_dir=sample_plugin_dir)
    result = ex.get_result(ex.submit('ray_sample_actions:add', {'a': 4}, job_id=job['id']), timeout=120)
    stored = _stored(backend, job['id'])
    assert stored['status'] == 'SUCCEEDED' and stored['result'] == result
    messages = [
        e['data'].get('content') for e in backend.state.logs_for(job['id']) if e['event'] == 'message'
    ]
    assert 'adding 4 and 0' in messages

    failing = backend.state.add_job(status='PENDING')
    with pytest.raises(JobFailedError):
        ex.get_result(ex.submit('ray_sample_actions:fail', {}, job_id=failing['id']), timeout=120)
    assert _stored(backend, failing['id'])['status'] == 'FAILED'


def test_pipeline_reports_one_run_to_the_backend_job(ray_cluster, sample_plugin_dir, backend, tmp_path):
    import ray_sample_actions as m

    job = backend.state.add_job(status='PENDING')
    with RayPipelineExecutor(
        working_dir=sample_plugin_dir, num_cpus=0.25, job_id=job['id'], checkpoint_dir=tmp_path / 'runs'
    ) as ex:
        outcome = ex.run([m.prepare, m.train, m.EvaluateAction], {'n': 1, 'workdir': str(tmp_path)})
    stored = _stored(backend, job['id'])
    assert _statuses(stored) == ['RUNNING', 'SUCCEEDED']
    assert stored['result'] == outcome.result
    assert stored['progress_record']['steps']['pipeline']['percent'] == 100.0
