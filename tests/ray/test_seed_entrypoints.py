"""Seed 002/004 entrypoints and params checks through `run_plugin` on real Ray (task and job modes).

A plain ``(params, ctx)`` function named in config.yaml runs; a class without `action_name` sees the config key
it was loaded under as ``self.action_name``; strict params checking reaches the worker (issue #16 points 3, 9).
"""

from __future__ import annotations

import textwrap
import uuid

import pytest

from synapse_sdk.plugins.errors import ParamsValidationError
from synapse_sdk.plugins.executors.ray.errors import JobFailedError
from synapse_sdk.plugins.executors.ray.jobs_api import RayJobsApiExecutor
from synapse_sdk.plugins.executors.ray.task import _POOL, _POOL_LOCK
from synapse_sdk.plugins.runner import run_plugin

pytestmark = pytest.mark.integration


@pytest.fixture(scope='module')
def seed_plugin(tmp_path_factory):
    """A plugin whose config keys differ from its class and function names."""
    package = f'seed_plugin_{uuid.uuid4().hex[:8]}'
    root = tmp_path_factory.mktemp('seed') / 'plugin'
    (root / package).mkdir(parents=True)
    (root / package / '__init__.py').write_text('')
    (root / package / 'actions.py').write_text(
        textwrap.dedent(
            """\
            from pydantic import BaseModel

            from synapse_sdk.plugins.action import BaseAction


            class FitParams(BaseModel):
                steps: int = 1


            class TrainAction(BaseAction[FitParams]):
                def execute(self):
                    return {'action_name': self.action_name, 'steps': self.params.steps}


            def export_model(params, ctx):
                return {'format': params.get('format', 'onnx')}
            """
        )
    )
    (root / 'config.yaml').write_text(
        textwrap.dedent(
            f"""\
            name: Seed plugin
            code: seed-plugin
            actions:
              fit:
                entrypoint: {package}.actions:TrainAction
                method: job
              export:
                entrypoint: {package}.actions.export_model
                method: task
            """
        )
    )
    return root


@pytest.fixture
def own_actors(ray_cluster):
    """Kill the warm actors `run_plugin` starts here, so they do not hold the test cluster's CPUs."""
    before = set(_POOL)
    yield
    with _POOL_LOCK:
        for key in set(_POOL) - before:
            ray_cluster.kill(_POOL.pop(key), no_restart=True)


def test_task_mode(own_actors, seed_plugin):
    task = {'mode': 'task', 'num_cpus': 0.25}
    assert run_plugin(str(seed_plugin), 'fit', {'steps': 2}, **task) == {'action_name': 'fit', 'steps': 2}
    assert run_plugin(str(seed_plugin), 'export', {'format': 'coco'}, **task) == {'format': 'coco'}
    with pytest.raises(ParamsValidationError, match=r"stepz: unknown param \(did you mean 'steps'\?\)"):
        run_plugin(str(seed_plugin), 'fit', {'stepz': 2}, strict_params=True, **task)


def test_job_mode(ray_head, seed_plugin):
    dashboard = {'dashboard_address': ray_head.dashboard_address}
    jobs = RayJobsApiExecutor(**dashboard)
    fit = run_plugin(str(seed_plugin), 'fit', {'stepz': 2}, mode='job', **dashboard)
    export = run_plugin(str(seed_plugin), 'export', {'formatt': 'coco'}, mode='job', **dashboard)
    strict = run_plugin(str(seed_plugin), 'fit', {'stepz': 2}, mode='job', strict_params=True, **dashboard)

    assert jobs.get_result(fit, timeout=180) == {'action_name': 'fit', 'steps': 1}
    assert "UnknownParamsWarning: Action 'fit': unknown param 'stepz' ignored (did you mean 'steps'?)" in (
        jobs.get_logs(fit)
    )
    assert jobs.get_result(export, timeout=180) == {'format': 'onnx'}
    assert "'formatt' was never read (did you mean 'format'?)" in jobs.get_logs(export)
    with pytest.raises(JobFailedError) as info:
        jobs.get_result(strict, timeout=180)
    assert info.value.error_type == 'ParamsValidationError'
    assert "stepz: unknown param (did you mean 'steps'?)" in str(info.value)
