"""Every place that builds a RuntimeContext gets both clients from synapse_sdk.utils.auth (seed 000).

The Ray sites (task, job, pipeline) belong in this list too; they are added with synapse-executors-ray.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from synapse_sdk.clients.testing import FakeBackend

execution = pytest.importorskip('synapse_sdk.plugins.executors.local')
entrypoint = pytest.importorskip('synapse_sdk.plugins.entrypoint')

pytestmark = pytest.mark.integration

PROBE = textwrap.dedent(
    """
    from synapse_sdk.plugins import action


    @action(name='probe')
    def probe(params, ctx):
        page = ctx.v2_client.tasks.list(project=42, per_page=50)
        with ctx.v2_client.capture_request_ids() as ids:
            assignments = list(ctx.v2_client.assignments.list(project=42, list_all=True))
        ctx.logger.info('export-listing', request_id=ctx.v2_client.last_request_id)
        return {
            'v1': type(ctx.client).__name__,
            'v2': type(ctx.v2_client).__name__,
            'v1_url': ctx.client.base_url,
            'v2_tenant_prefix': ctx.v2_client.tenant_token_prefix,
            'project': ctx.client.get_project(42)['title'],
            'tasks': len(page.results),
            'assignments': len(assignments),
            'request_ids': ids,
        }
    """
)


def run_local(plugin_dir: Path, job_id: str) -> dict[str, Any]:
    sys.path.insert(0, str(plugin_dir))
    try:
        import importlib

        module = importlib.import_module('probe_plugin')
        return execution.LocalExecutor(console=False, job_id=job_id).execute(module.probe, {})
    finally:
        sys.path.remove(str(plugin_dir))
        sys.modules.pop('probe_plugin', None)


def run_entrypoint(plugin_dir: Path, job_id: str) -> dict[str, Any]:
    proc = subprocess.run(
        [
            sys.executable,
            '-m',
            'synapse_sdk.plugins.entrypoint',
            '--entrypoint',
            'probe_plugin:probe',
            '--plugin-dir',
            str(plugin_dir),
            '--job-id',
            job_id,
        ],
        capture_output=True,
        text=True,
        env=dict(os.environ),
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    payload = entrypoint.parse_result_output(proc.stdout)
    assert payload['status'] == 'succeeded', payload
    return payload['result']


SITES = {'local_executor': run_local, 'entrypoint': run_entrypoint}


@pytest.mark.parametrize('site', sorted(SITES))
def test_every_context_site_wires_v1_and_v2_clients(
    site: str, synapse_backend: FakeBackend, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv('SYNAPSE_PLUGIN_RUN_TENANT', 'acme')
    synapse_backend.state.add_project(id=42, title='Wired')
    for task in synapse_backend.state.add_tasks(42, 60):
        synapse_backend.state.add_assignment(task['id'])
    job = synapse_backend.state.add_job()
    (tmp_path / 'probe_plugin.py').write_text(PROBE)

    result = SITES[site](tmp_path, job['id'])

    assert result['v1'] == 'BackendClient' and result['v2'] == 'BackendV2Client'
    assert result['v1_url'] == synapse_backend.url and result['v2_tenant_prefix'] is True
    assert (result['project'], result['tasks'], result['assignments']) == ('Wired', 50, 60)
    served = [r.request_id for r in synapse_backend.requests_to('^/v2/assignments/$')]
    assert result['request_ids'] == served
    tenant_headers = {r.header('SYNAPSE-Tenant') for r in synapse_backend.requests_to('^/v2/')}
    assert tenant_headers == {'Token acme'}
    logs = synapse_backend.state.logs_for(job['id'])
    logged = [e for e in logs if e['data'].get('message') == 'export-listing']
    assert logged and logged[0]['data']['request_id'] == served[-1]
    assert synapse_backend.state.jobs[job['id']]['status'] == 'SUCCEEDED'


def test_without_credentials_both_clients_are_none(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in list(os.environ):
        if name.startswith('SYNAPSE_'):
            monkeypatch.delenv(name)
    monkeypatch.setenv('SYNAPSE_CONFIG_PATH', str(tmp_path / 'none.json'))
    from synapse_sdk.plugins import action

    @action(name='probe_none')
    def probe_none(params, ctx):
        return {'v1': ctx.client, 'v2': ctx.v2_client}

    assert execution.LocalExecutor(console=False).execute(probe_none, {}) == {'v1': None, 'v2': None}


def test_seed_000_monkeypatch_pattern(monkeypatch: pytest.MonkeyPatch) -> None:
    import synapse_sdk.utils.auth as auth_module
    from synapse_sdk.clients.backend_v2 import BackendV2Client
    from synapse_sdk.plugins import action

    fake = BackendV2Client('https://api.test.synapse.sh', access_token='syn_x')
    monkeypatch.setattr(auth_module, 'create_backend_v2_client', lambda: fake)

    @action(name='uses_v2')
    def uses_v2(params, ctx):
        return {'same': ctx.v2_client is fake}

    assert execution.LocalExecutor(console=False).execute(uses_v2, {}) == {'same': True}
    assert json.dumps({'ok': True})


def test_seed_000_class_based_example_runs_as_written(synapse_backend: FakeBackend) -> None:
    from synapse_sdk.plugins.action import BaseAction
    from synapse_sdk.plugins.enums import PluginCategory

    synapse_backend.state.add_project(id=42)
    for task in synapse_backend.state.add_tasks(42, 70):
        synapse_backend.state.add_assignment(task['id'])
    seen: dict[str, Any] = {}

    class MyExportAction(BaseAction):
        category = PluginCategory.EXPORT

        def run(self):
            # v1 path — still works exactly as before
            if self.client:
                projects = self.client.list_projects()
            # v2 path — guard against None when running without credentials
            if self.v2_client is not None:
                page = self.v2_client.tasks.list(project=42, per_page=50)
                for task in page.results:
                    seen.setdefault('tasks', []).append(task.id)
            # request_id correlation for backend log lookup
            with self.v2_client.capture_request_ids():
                self.v2_client.assignments.list(project=42, list_all=True)
            self.logger.info(
                'export-listing',
                request_id=self.v2_client.last_request_id,
            )
            seen['projects'] = projects['count']
            seen['request_id'] = self.v2_client.last_request_id

    execution.LocalExecutor(console=False).execute(MyExportAction, {})
    assert seen['projects'] == 1 and len(seen['tasks']) == 50
    (first_assignment_page,) = synapse_backend.requests_to(
        '^/v2/assignments/$'
    )  # list_all fetches page 1 eagerly
    assert seen['request_id'] == first_assignment_page.request_id
