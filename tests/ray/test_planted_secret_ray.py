"""A planted secret never shows up in anything captured from a Ray run: task mode, job mode, pipeline.

Same plugin and secrets as tests/core/test_planted_secret.py (tests/planted.py), plus a planted backend
access token. Each run reports to a fake backend job. Everything captured is grepped: the exception
(str, repr, traceback with the worker's traceback notes), this process's output, every file under the
cluster's session directory (worker and driver logs, runtime-env logs), the task actor's runtime env, the
Ray job's record (entrypoint, runtime env, metadata, message) and logs, the pipeline's checkpoint files, and every request body the
backend received (job log batches, job updates).
"""

from __future__ import annotations

import json
import traceback
from pathlib import Path

import pytest
import synapse_tests_planted as planted  # registered by tests/conftest.py

from synapse_sdk.plugins.executors.ray.jobs_api import RayJobsApiExecutor
from synapse_sdk.plugins.executors.ray.pipeline import RayPipelineExecutor
from synapse_sdk.plugins.executors.ray.task import RayActorExecutor

testing = pytest.importorskip('synapse_sdk.clients.testing')

pytestmark = pytest.mark.integration

BACKEND_TOKEN = 'PLANTED-ray-tok-4471'
LEAKY = 'secretplug.actions:leaky'


@pytest.fixture(scope='module')
def plugin_dir(tmp_path_factory) -> Path:
    return planted.write_plugin(tmp_path_factory.mktemp('secret-plugin'))


@pytest.fixture
def backend(monkeypatch, tmp_path):
    with testing.FakeBackend(access_token=BACKEND_TOKEN) as server:
        monkeypatch.setenv('SYNAPSE_CONFIG_PATH', str(tmp_path / 'absent.json'))
        for name, value in server.env().items():
            monkeypatch.setenv(name, value)
        yield server


def _error_texts(error: BaseException, where: str) -> dict[str, str]:
    return {
        f'{where}: traceback': ''.join(traceback.format_exception(error)),
        f'{where}: str': str(error),
        f'{where}: repr': repr(error),
    }


def _received(server) -> str:
    bodies = [r.body.decode(errors='replace') for r in server.requests_to('.')]
    assert any('"status": "FAILED"' in body for body in bodies)  # the job's failure was reported
    assert any('"event": "started"' in body for body in bodies)  # the action's log entries arrived
    return '\n'.join(bodies)


def _assert_all_clean(texts: dict[str, str]) -> None:
    for where, text in texts.items():
        planted.assert_clean(text, where, extra=[BACKEND_TOKEN])


def _session_logs() -> dict[str, str]:
    """Every file of the in-process cluster's session directory (worker logs included)."""
    import ray._private.worker

    return planted.files_text(Path(ray._private.worker._global_node.get_session_dir_path()))


def test_task_mode_never_shows_the_secret(ray_cluster, plugin_dir, backend, capfd):
    job = backend.state.add_job(status='PENDING')
    texts = {}
    with RayActorExecutor(working_dir=plugin_dir, num_cpus=0.25, job_id=job['id']) as ex:
        for bad in (True, False):
            with pytest.raises(Exception) as caught:
                ex.execute(LEAKY, planted.params(bad))
            texts.update(_error_texts(caught.value, f'task {"params" if bad else "action"} error'))
        texts['repr(executor)'] = repr(ex)
        texts['the actor runtime env'] = json.dumps(ex._runtime_env(), default=str)
    texts['backend request bodies'] = _received(backend)
    out, err = capfd.readouterr()
    texts['driver output'] = out + err
    texts.update(_session_logs())
    assert any('environment:' in text for text in texts.values())  # the worker's output was captured
    _assert_all_clean(texts)


def test_job_mode_never_shows_the_secret(ray_head, plugin_dir, backend, capfd):
    job = backend.state.add_job(status='PENDING')
    ex = RayJobsApiExecutor(dashboard_address=ray_head.dashboard_address, working_dir=plugin_dir)
    # Both jobs at once: each takes seconds to start, the head has room for two drivers.
    submitted = {bad: ex.submit(LEAKY, planted.params(bad), job_id=job['id']) for bad in (True, False)}
    texts = {}
    for bad, ray_job in submitted.items():
        where = f'job {"params" if bad else "action"} error'
        with pytest.raises(Exception) as caught:
            ex.get_result(ray_job, timeout=120)
        texts.update(_error_texts(caught.value, where))
        texts[f'{where}: Ray job logs'] = ex.get_logs(ray_job)
        info = ex.client.get_job_info(ray_job)
        texts[f'{where}: Ray job record'] = json.dumps(info.model_dump(), default=str)
    texts['backend request bodies'] = _received(backend)
    out, err = capfd.readouterr()
    texts['submitter output'] = out + err
    texts.update(planted.files_text(Path(ray_head.temp_dir)))
    assert any('environment:' in text for text in texts.values())  # the driver's output was captured
    _assert_all_clean(texts)


def test_pipeline_never_shows_the_secret(ray_cluster, plugin_dir, backend, capfd, tmp_path, monkeypatch):
    monkeypatch.syspath_prepend(str(plugin_dir))
    from secretplug.actions import leaky, prepare

    job = backend.state.add_job(status='PENDING')
    runs = tmp_path / 'runs'
    texts = {}
    with RayPipelineExecutor(
        working_dir=plugin_dir, num_cpus=0.25, job_id=job['id'], checkpoint_dir=runs
    ) as ex:
        for bad in (True, False):
            with pytest.raises(Exception) as caught:
                ex.run([prepare, leaky], planted.params(bad))
            texts.update(_error_texts(caught.value, f'pipeline {"params" if bad else "action"} error'))
    checkpoints = planted.files_text(runs)
    assert checkpoints  # the first action completed: its checkpoint was written
    texts.update(checkpoints)
    texts['backend request bodies'] = _received(backend)
    out, err = capfd.readouterr()
    texts['driver output'] = out + err
    texts.update(_session_logs())
    _assert_all_clean(texts)
