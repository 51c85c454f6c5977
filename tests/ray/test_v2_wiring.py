"""Credentials and v1/v2 client wiring at the three Ray context sites: task, job and pipeline.

The clusters were started before these variables are set, so a worker can only see them if the
executor carried them: this checks the allow-list path, not inheritance.
"""

from __future__ import annotations

import hashlib
import json
import urllib.error
import urllib.request

import pytest

from synapse_sdk.plugins.executors.ray.jobs_api import RayJobsApiExecutor
from synapse_sdk.plugins.executors.ray.pipeline import RayPipelineExecutor
from synapse_sdk.plugins.executors.ray.sealed import SEALED_ENV
from synapse_sdk.plugins.executors.ray.task import RayActorExecutor

pytestmark = pytest.mark.integration

TOKEN = 'syn_secret_wiring_7f3a9c'
HOST = 'http://127.0.0.1:9'


@pytest.fixture
def credentials(monkeypatch, tmp_path):
    monkeypatch.setenv('SYNAPSE_HOST', HOST)
    monkeypatch.setenv('SYNAPSE_ACCESS_TOKEN', TOKEN)
    monkeypatch.setenv('SYNAPSE_TEST_NOT_ALLOWED', 'must-not-travel')
    monkeypatch.setenv('SYNAPSE_CONFIG_PATH', str(tmp_path / 'absent.json'))
    return hashlib.sha256(TOKEN.encode()).hexdigest()[:16]


def _assert_wired(out: dict, token_sha: str) -> None:
    assert out['client'] == 'BackendClient'
    assert out['v2_client'] == 'BackendV2Client'
    assert out['token_sha'] == token_sha
    assert out['host'] == HOST
    assert out['leaked'] is None  # not on the allow-list: stayed on the submitter


def test_task_site_builds_clients_from_the_worker_env(
    ray_cluster, sample_plugin_dir, credentials, monkeypatch
):
    ex = RayActorExecutor(working_dir=sample_plugin_dir, num_cpus=0.25)
    try:
        _assert_wired(ex.execute('ray_sample_actions:whoami', {}), credentials)
        # The token is not in the actor's runtime env (what Ray shows in its dashboard) nor the repr.
        assert TOKEN not in json.dumps(ex._runtime_env())
        assert TOKEN not in repr(ex)
        assert ex._runtime_env()['env_vars']['SYNAPSE_HOST'] == HOST

        # Same actor, token withdrawn: the worker forgets the previous call's secret.
        monkeypatch.delenv('SYNAPSE_ACCESS_TOKEN')
        ex2 = RayActorExecutor(working_dir=sample_plugin_dir, num_cpus=0.25)
        out = ex2.execute('ray_sample_actions:whoami', {})
        assert out['token_sha'] is None
        assert out['client'] is None
        ex2.shutdown()
    finally:
        ex.shutdown()


def test_job_site_builds_clients_in_the_driver_without_exposing_the_token(
    ray_head, sample_plugin_dir, credentials
):
    ex = RayJobsApiExecutor(dashboard_address=ray_head.dashboard_address, working_dir=sample_plugin_dir)
    job_id = ex.submit('ray_sample_actions:whoami', {'storage': {'password': 'hunter2-secret'}})
    out = ex.get_result(job_id, timeout=120)
    _assert_wired(out, credentials)

    record = ex.client.get_job_info(job_id).model_dump_json()
    logs = ex.get_logs(job_id)
    for secret in (TOKEN, 'hunter2-secret'):
        assert secret not in record  # runtime env, metadata, entrypoint
        assert secret not in logs
    listing = json.dumps([j.model_dump(mode='json') for j in ex.client.list_jobs()])
    assert TOKEN not in listing

    # The sealed hand-over blob was deleted by the driver once read.
    uri = ex.client.get_job_info(job_id).runtime_env['env_vars'][SEALED_ENV]
    name = uri.split('://', 1)[1]
    with pytest.raises(urllib.error.HTTPError) as info:
        urllib.request.urlopen(f'{ray_head.dashboard_address}/api/packages/gcs/{name}')
    assert info.value.code == 404


def test_job_site_language_and_backend_job_id(ray_head, sample_plugin_dir):
    ex = RayJobsApiExecutor(
        dashboard_address=ray_head.dashboard_address,
        working_dir=sample_plugin_dir,
        language='ko',
        job_id='4242',
    )
    job_id = ex.submit('ray_sample_actions:whoami', {})
    out = ex.get_result(job_id, timeout=120)
    assert out['language'] == 'ko'
    assert out['job_id'] == '4242'
    assert ex.client.get_job_info(job_id).metadata['synapse_job_id'] == '4242'


def test_pipeline_site_builds_clients_from_the_worker_env(
    ray_cluster, sample_plugin_dir, credentials, tmp_path
):
    import ray_sample_actions as m

    ex = RayPipelineExecutor(
        working_dir=sample_plugin_dir, num_cpus=0.25, checkpoint_dir=tmp_path / 'runs', language='ko'
    )
    try:
        outcome = ex.run([m.greet, m.whoami], {'name': 'pipeline'})
    finally:
        ex.shutdown()
    out = outcome.result
    _assert_wired(out, credentials)
    assert out['language'] == 'ko'
    assert TOKEN not in json.dumps(ex.actors._runtime_env())
    assert TOKEN not in (tmp_path / 'runs' / f'{ex.last_run_id}.json').read_text()


@pytest.mark.parametrize('site', ['task', 'job', 'pipeline'])
def test_v2_and_v1_clients_talk_to_the_backend_from_each_ray_site(
    site, request, sample_plugin_dir, monkeypatch, tmp_path
):
    testing = pytest.importorskip('synapse_sdk.clients.testing')
    with testing.FakeBackend() as backend:
        project = backend.state.add_project(title='Ray wiring')
        for task in backend.state.add_tasks(project['id'], 3):
            backend.state.add_assignment(task['id'])
        monkeypatch.setenv('SYNAPSE_HOST', backend.url)
        monkeypatch.setenv('SYNAPSE_ACCESS_TOKEN', backend.access_token)
        monkeypatch.setenv('SYNAPSE_CONFIG_PATH', str(tmp_path / 'absent.json'))
        params = {'project': project['id']}
        if site == 'task':
            request.getfixturevalue('ray_cluster')
            with RayActorExecutor(working_dir=sample_plugin_dir, num_cpus=0.25) as ex:
                out = ex.execute('ray_sample_actions:v2_probe', params)
        elif site == 'job':
            head = request.getfixturevalue('ray_head')
            ex = RayJobsApiExecutor(dashboard_address=head.dashboard_address, working_dir=sample_plugin_dir)
            out = ex.get_result(ex.submit('ray_sample_actions:v2_probe', params), timeout=120)
        else:
            request.getfixturevalue('ray_cluster')
            import ray_sample_actions as m

            with RayPipelineExecutor(
                working_dir=sample_plugin_dir, num_cpus=0.25, checkpoint_dir=tmp_path / 'runs'
            ) as ex:
                out = ex.run([m.v2_probe], params).result
    assert out == {
        'v1': 'BackendClient',
        'v2': 'BackendV2Client',
        'project': 'Ray wiring',
        'tasks': 3,
        'assignments': 3,
        'request_ids': out['request_ids'],
    }
    assert out['request_ids'] >= 1
