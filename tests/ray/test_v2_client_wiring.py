"""Seed 000: every `RuntimeContext` site builds both clients from the factories, where the action runs.

One parametrised test covers the five sites the seed lists (entrypoint, LocalExecutor, Ray task, Ray
job, Ray pipeline), so a site that forgets ``v2_client=`` fails here. Each run uses both clients
against the fake backend (a real HTTP server on loopback) and proves where they were built:

- in-process sites (the entrypoint's ``main()``, `LocalExecutor`): the factories replaced with
  seed 000's ``monkeypatch.setattr(auth_module, 'create_backend_v2_client', ...)`` pattern are the
  ones that built ``ctx.client`` / ``ctx.v2_client`` (same objects);
- Ray sites: the action ran in another process (worker or job driver), the patched factories of
  this process were never called, and the clients carry what only the factories produce from that
  process's environment (tenant header ``Token <code>``, ``tenant_token_prefix=True``).

The Ray clusters are the session fixtures of tests/ray/conftest.py, started before any credential
is set, so a worker sees the credentials only if the executor carried them (not by inheritance).
This module lives under tests/ray for that reason: one cluster and one head node per pytest session.
"""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from synapse_sdk.clients.testing import FakeBackend
from synapse_sdk.plugins.entrypoint import main as entrypoint_main
from synapse_sdk.plugins.entrypoint import parse_result_output
from synapse_sdk.plugins.executors.local import LocalExecutor
from synapse_sdk.plugins.executors.ray.jobs_api import RayJobsApiExecutor
from synapse_sdk.plugins.executors.ray.pipeline import RayPipelineExecutor
from synapse_sdk.plugins.executors.ray.sealed import SEALED_ENV
from synapse_sdk.plugins.executors.ray.task import RayActorExecutor

pytestmark = pytest.mark.integration

TOKEN = 'syn_wiring_secret_7f3a9c'
PASSWORD = 'hunter2-secret'
SITES = ['entrypoint', 'local_executor', 'ray_task', 'ray_job', 'ray_pipeline']
IN_PROCESS = {'entrypoint', 'local_executor'}
RAY_FIXTURE = {'ray_task': 'ray_cluster', 'ray_job': 'ray_head', 'ray_pipeline': 'ray_cluster'}
CREDENTIAL_VARS = (
    'SYNAPSE_HOST',
    'SYNAPSE_ACCESS_TOKEN',
    'SYNAPSE_PLUGIN_RUN_USER_TOKEN',
    'SYNAPSE_PLUGIN_RUN_TENANT',
    'SYNAPSE_BACKEND_V2_ACCESS_TOKEN',
    'SYNAPSE_BACKEND_V2_DRF_TOKEN',
    'SYNAPSE_BACKEND_V2_TENANT',
)


@pytest.fixture
def site_ray(request) -> Any:
    """The Ray fixture the site needs, set up before any credential reaches ``os.environ``."""
    fixture = RAY_FIXTURE.get(request.node.callspec.params['site'])
    return request.getfixturevalue(fixture) if fixture else None


@pytest.fixture
def backend(site_ray, sample_plugin_dir, monkeypatch, tmp_path) -> Iterator[FakeBackend]:
    """A fake backend with a distinctive token, and only its credentials in the environment."""
    monkeypatch.syspath_prepend(str(sample_plugin_dir))
    for name in CREDENTIAL_VARS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv('SYNAPSE_CONFIG_PATH', str(tmp_path / 'absent.json'))
    with FakeBackend(access_token=TOKEN) as server:
        for name, value in server.env(SYNAPSE_PLUGIN_RUN_TENANT='acme').items():
            monkeypatch.setenv(name, value)
        # Not on the executors' allow-list: it must stay in this process.
        monkeypatch.setenv('SYNAPSE_TEST_NOT_ALLOWED', 'must-not-travel')
        yield server


@pytest.fixture
def factory_spies(monkeypatch) -> list[tuple[str, int, Any]]:
    """Seed 000's monkeypatch pattern around the real factories; records ``(which, pid, client)``."""
    import synapse_sdk.utils.auth as auth_module

    calls: list[tuple[str, int, Any]] = []
    for which, name in (('v1', 'create_backend_client'), ('v2', 'create_backend_v2_client')):
        real = getattr(auth_module, name)

        def spy(real: Callable[[], Any] = real, which: str = which) -> Any:
            client = real()
            calls.append((which, os.getpid(), client))
            return client

        monkeypatch.setattr(auth_module, name, spy)
    return calls


# -- the five sites: each runs `ray_sample_actions:wiring_probe` and checks what only it can show ----
Run = tuple[dict[str, Any], Callable[[], None]]


def _entrypoint(ctx: dict[str, Any]) -> Run:
    args = ['--entrypoint', 'ray_sample_actions:wiring_probe', '--params', json.dumps(ctx['params'])]
    args += ['--plugin-dir', str(ctx['plugin_dir']), '--job-id', ctx['job_id'], '--language', 'ko']
    assert entrypoint_main(args) == 0
    payload = parse_result_output(ctx['capsys'].readouterr().out)
    assert payload['status'] == 'succeeded', payload
    return payload['result'], lambda: None


def _local(ctx: dict[str, Any]) -> Run:
    executor = LocalExecutor(console=False, job_id=ctx['job_id'], language='ko')
    return executor.execute('ray_sample_actions:wiring_probe', ctx['params']), lambda: None


def _ray_task(ctx: dict[str, Any]) -> Run:
    with RayActorExecutor(
        working_dir=ctx['plugin_dir'], num_cpus=0.25, job_id=ctx['job_id'], language='ko'
    ) as ex:
        out = ex.execute('ray_sample_actions:wiring_probe', ctx['params'])
        runtime_env = ex._runtime_env()
        shown = repr(ex)

    def secrets_stay_out() -> None:  # the dashboard shows runtime envs
        assert TOKEN not in json.dumps(runtime_env) and TOKEN not in shown
        assert runtime_env['env_vars']['SYNAPSE_HOST'] == ctx['backend'].url

    return out, secrets_stay_out


def _ray_job(ctx: dict[str, Any]) -> Run:
    ex = RayJobsApiExecutor(
        dashboard_address=ctx['ray'].dashboard_address,
        working_dir=ctx['plugin_dir'],
        job_id=ctx['job_id'],
        language='ko',
    )
    ray_job_id = ex.submit('ray_sample_actions:wiring_probe', ctx['params'])
    out = ex.get_result(ray_job_id, timeout=120)

    def secrets_stay_out() -> None:
        info = ex.client.get_job_info(ray_job_id)
        record, logs = info.model_dump_json(), ex.get_logs(ray_job_id)
        listing = json.dumps([j.model_dump(mode='json') for j in ex.client.list_jobs()])
        for secret in (TOKEN, PASSWORD):  # runtime env, metadata, entrypoint, driver output
            assert secret not in record and secret not in logs and secret not in listing
        assert info.metadata['synapse_job_id'] == ctx['job_id']
        # The sealed hand-over blob was deleted by the driver once read.
        name = info.runtime_env['env_vars'][SEALED_ENV].split('://', 1)[1]
        with pytest.raises(urllib.error.HTTPError) as err:
            urllib.request.urlopen(f'{ctx["ray"].dashboard_address}/api/packages/gcs/{name}')
        assert err.value.code == 404

    return out, secrets_stay_out


def _ray_pipeline(ctx: dict[str, Any]) -> Run:
    import ray_sample_actions as m

    runs = ctx['tmp_path'] / 'runs'
    with RayPipelineExecutor(
        working_dir=ctx['plugin_dir'], num_cpus=0.25, checkpoint_dir=runs, job_id=ctx['job_id'], language='ko'
    ) as ex:
        out = ex.run([m.wiring_probe], ctx['params']).result
        runtime_env = ex.actors._runtime_env()
    checkpoint = (runs / f'{ex.last_run_id}.json').read_text()

    def secrets_stay_out() -> None:
        assert TOKEN not in json.dumps(runtime_env)
        assert TOKEN not in checkpoint  # (params are checkpointed for resume, as given)

    return out, secrets_stay_out


RUNNERS: dict[str, Callable[[dict[str, Any]], Run]] = {
    'entrypoint': _entrypoint,
    'local_executor': _local,
    'ray_task': _ray_task,
    'ray_job': _ray_job,
    'ray_pipeline': _ray_pipeline,
}


@pytest.mark.parametrize('site', SITES)
def test_each_site_builds_both_clients_from_the_factories_where_the_action_runs(
    site: str,
    site_ray: Any,
    backend: FakeBackend,
    factory_spies: list,
    sample_plugin_dir: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    backend.state.add_project(id=42, title='Wired')
    for task in backend.state.add_tasks(42, 60):
        backend.state.add_assignment(task['id'])
    job_id = str(backend.state.add_job()['id'])
    params = {'project': 42, 'storage': {'password': PASSWORD}}
    context = {
        'params': params,
        'job_id': job_id,
        'plugin_dir': sample_plugin_dir,
        'backend': backend,
        'ray': site_ray,
        'tmp_path': tmp_path,
        'capsys': capsys,
    }

    out, secrets_stay_out = RUNNERS[site](context)

    # Where the clients were built.
    if site in IN_PROCESS:
        assert out['pid'] == os.getpid()
        # Each patched factory was called once, here, and built the very objects the action got.
        assert [(which, pid) for which, pid, _ in factory_spies] == [('v1', os.getpid()), ('v2', os.getpid())]
        assert out['client_ids'] == [id(client) for _, _, client in factory_spies]
    else:
        assert out['pid'] != os.getpid()
        assert factory_spies == []  # nothing was built here and shipped to the worker
        assert out['leaked'] is None  # the worker got the allow-listed variables only
        secrets_stay_out()

    # Both clients work against the backend with what the factories produce.
    assert (out['v1'], out['v2']) == ('BackendClient', 'BackendV2Client')
    assert out['v1_url'] == backend.url and out['v2_tenant_prefix'] is True
    assert (out['project'], out['tasks'], out['assignments']) == ('Wired', 50, 60)
    assert (out['job_id'], out['language']) == (job_id, 'ko')
    served = [r.request_id for r in backend.requests_to('^/v2/assignments/$')]
    assert out['request_ids'] == served and served
    assert {r.header('SYNAPSE-Tenant') for r in backend.requests_to('^/v2/')} == {'Token acme'}
    # The action's log line, with the v2 request id, reached the backend job from where it ran.
    logged = [e for e in backend.state.logs_for(job_id) if e['data'].get('message') == 'export-listing']
    assert logged and logged[0]['data']['request_id'] == served[-1]
    assert backend.state.jobs[job_id]['status'] == 'SUCCEEDED'


@pytest.mark.parametrize('site', ['local_executor', 'ray_task'])
def test_without_a_token_both_clients_are_none(site, site_ray, sample_plugin_dir, monkeypatch, tmp_path):
    """No credentials: both factories give None. On Ray, the warm actor that ran the previous call
    with a token does not keep it for the next call."""
    monkeypatch.syspath_prepend(str(sample_plugin_dir))
    for name in CREDENTIAL_VARS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv('SYNAPSE_CONFIG_PATH', str(tmp_path / 'absent.json'))
    monkeypatch.setenv('SYNAPSE_HOST', 'http://127.0.0.1:9')  # a host alone is not a credential
    if site == 'local_executor':
        out = LocalExecutor(console=False).execute('ray_sample_actions:whoami', {})
    else:
        # An executor takes the credentials when it is created; both share one warm actor.
        monkeypatch.setenv('SYNAPSE_ACCESS_TOKEN', TOKEN)
        with RayActorExecutor(working_dir=sample_plugin_dir, num_cpus=0.25) as ex:
            with_token = ex.execute('ray_sample_actions:whoami', {})
            monkeypatch.delenv('SYNAPSE_ACCESS_TOKEN')
            out = RayActorExecutor(working_dir=sample_plugin_dir, num_cpus=0.25).execute(
                'ray_sample_actions:whoami', {}
            )
        assert with_token['client'] == 'BackendClient' and with_token['token_sha'] is not None
        assert out['pid'] == with_token['pid']  # the same warm actor
    assert (out['client'], out['v2_client'], out['token_sha']) == (None, None, None)
