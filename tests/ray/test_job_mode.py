"""Job mode (`RayJobsApiExecutor`) against a real Ray head node with the Jobs API."""

from __future__ import annotations

import asyncio
import os
import pickle
import time

import pytest

from synapse_sdk.plugins.executors.local import LocalExecutor
from synapse_sdk.plugins.executors.ray.errors import (
    JobFailedError,
    JobPendingTimeoutError,
    JobStoppedError,
    WorkingDirTooLargeError,
)
from synapse_sdk.plugins.executors.ray.jobs_api import RayJobsApiExecutor, resolve_dashboard_address

pytestmark = pytest.mark.integration


@pytest.fixture(scope='module')
def jobs(ray_head, sample_plugin_dir):
    return RayJobsApiExecutor(dashboard_address=ray_head.dashboard_address, working_dir=sample_plugin_dir)


@pytest.fixture
def local(sample_plugin_dir, monkeypatch):
    monkeypatch.syspath_prepend(str(sample_plugin_dir))
    return LocalExecutor(console=False)


@pytest.mark.parametrize(
    ('entrypoint', 'params'),
    [
        ('ray_sample_actions:add', {'a': 2, 'b': 40}),
        ('ray_sample_actions.SummarizeAction', {'values': [1, 2, 3, 6], 'label': 'xs'}),
    ],
)
def test_same_result_as_local_mode(jobs, local, entrypoint, params):
    job_id = jobs.submit(entrypoint, params)
    assert job_id.startswith('raysubmit_')
    result = jobs.get_result(job_id, timeout=120)
    assert result == local.execute(entrypoint, params)
    assert jobs.get_status(job_id) == 'SUCCEEDED'
    # The action's own log line reached the Ray job log.
    if 'add' in entrypoint:
        assert 'adding 2 and 40' in jobs.get_logs(job_id)


def test_failing_action_error_and_traceback_reach_the_caller(jobs):
    job_id = jobs.submit('ray_sample_actions:fail', {'reason': 'kaput'})
    with pytest.raises(JobFailedError) as info:
        jobs.get_result(job_id, timeout=120)
    err = info.value
    assert err.status == 'FAILED'
    assert err.error_type == 'ValueError'
    assert 'sample failure: kaput' in str(err)
    # The driver's result payload carried the action's own traceback (not scraped from the log).
    assert err.remote_traceback.startswith('Traceback (most recent call last):')
    assert err.remote_traceback.rstrip().endswith('ValueError: sample failure: kaput')
    assert '_deep_helper_that_raises' in err.remote_traceback
    back = pickle.loads(pickle.dumps(err))
    assert (type(back), str(back), back.remote_traceback) == (type(err), str(err), err.remote_traceback)
    assert '_deep_helper_that_raises' in '\n'.join(err.__notes__)
    assert 'Running entrypoint' not in str(err)  # the whole log is not pasted into the message


def test_stream_logs_yields_lines_while_the_job_runs(jobs):
    job_id = jobs.submit('ray_sample_actions:chatty', {'lines': 6, 'interval': 0.5})
    seen, status_at_first = [], None
    for line in jobs.stream_logs(job_id):
        if 'chatty line' in line:
            if status_at_first is None:
                status_at_first = jobs.get_status(job_id)
            seen.append(line)
    assert status_at_first == 'RUNNING'
    assert [s for s in seen if 'chatty line 5' in s]
    assert len(seen) == 6
    assert jobs.get_result(job_id, timeout=60) == {'lines': 6}


def test_stream_logs_async(jobs):
    job_id = jobs.submit('ray_sample_actions:chatty', {'lines': 2, 'interval': 0.2})

    async def collect():
        return [line async for line in jobs.stream_logs_async(job_id)]

    lines = asyncio.run(collect())
    assert sum('chatty line' in line for line in lines) == 2
    assert not any('__SYNAPSE_RESULT' in line for line in lines)


def test_explicit_dashboard_address_wins_over_ray_address(ray_head, sample_plugin_dir, monkeypatch):
    monkeypatch.setenv('RAY_ADDRESS', 'ray://127.0.0.1:1')
    monkeypatch.setenv('RAY_API_SERVER_ADDRESS', 'http://127.0.0.1:1')
    ex = RayJobsApiExecutor(dashboard_address=ray_head.dashboard_address, working_dir=sample_plugin_dir)
    assert ex.dashboard_address == ray_head.dashboard_address
    assert ex.get_result(ex.submit('ray_sample_actions:add', {'a': 1}), timeout=120)['total'] == 1


def test_dashboard_address_resolution(monkeypatch):
    monkeypatch.delenv('RAY_ADDRESS', raising=False)
    monkeypatch.delenv('RAY_API_SERVER_ADDRESS', raising=False)
    assert resolve_dashboard_address('10.0.0.5:8265') == 'http://10.0.0.5:8265'
    assert resolve_dashboard_address(None, 'ray://cluster:10001') == 'http://cluster:8265'
    assert resolve_dashboard_address(None, 'head:6379') == 'http://head:8265'
    assert resolve_dashboard_address(None, 'https://ray.example/') == 'https://ray.example'
    assert resolve_dashboard_address() == 'http://127.0.0.1:8265'
    monkeypatch.setenv('RAY_ADDRESS', 'http://fromenv:8265')
    assert resolve_dashboard_address() == 'http://fromenv:8265'


def test_too_large_working_dir_is_refused_before_submitting(ray_head, tmp_path):
    (tmp_path / 'plugin.py').write_text('x = 1\n')
    weights = tmp_path / 'weights'
    weights.mkdir()
    with open(weights / 'model.bin', 'wb') as f:
        f.truncate(120 * 2**20)  # sparse: large st_size, no disk used
    ex = RayJobsApiExecutor(dashboard_address=ray_head.dashboard_address, working_dir=tmp_path)
    before = len(ex.client.list_jobs())
    with pytest.raises(WorkingDirTooLargeError) as info:
        ex.submit('plugin:x', {})
    assert 'weights/' in str(info.value)
    assert 'weights/model.bin' in str(info.value)
    assert info.value.largest[0] == ('weights/', 120 * 2**20)
    assert len(ex.client.list_jobs()) == before


def test_pending_job_is_diagnosed(ray_head, sample_plugin_dir):
    ex = RayJobsApiExecutor(
        dashboard_address=ray_head.dashboard_address,
        working_dir=sample_plugin_dir,
        num_gpus=1,
        pending_timeout=2,
    )
    job_id = ex.submit('ray_sample_actions:add', {'a': 1})
    try:
        with pytest.raises(JobPendingTimeoutError) as info:
            ex.wait(job_id, timeout=60)
        assert 'GPU=1' in str(info.value)
        assert 'no alive node' in str(info.value)
    finally:
        ex.stop(job_id)


def test_stopped_job_raises_job_stopped(jobs):
    job_id = jobs.submit('ray_sample_actions:chatty', {'lines': 100, 'interval': 0.2})
    deadline = time.monotonic() + 60
    while jobs.get_status(job_id) != 'RUNNING':
        assert time.monotonic() < deadline
        time.sleep(0.2)
    assert jobs.stop(job_id) is True
    with pytest.raises(JobStoppedError):
        jobs.wait(job_id, timeout=60)


def test_run_plugin_job_mode(ray_head, sample_plugin_dir, jobs):
    from synapse_sdk.plugins.runner import run_plugin

    job_id = run_plugin(
        str(sample_plugin_dir),
        'summarize',
        {'values': [2, 4]},
        mode='job',
        dashboard_address=ray_head.dashboard_address,
    )
    assert jobs.get_result(job_id, timeout=120) == {'label': 'values', 'count': 2, 'mean': 3.0}
    assert os.environ.get('RAY_ADDRESS') is None


def test_cli_mode_job_json_stdout_is_the_result_alone(ray_head, sample_plugin_dir, jobs):
    """In a process of its own, as a script runs it (in this one, the session's Ray cluster prints too)."""
    import json
    import subprocess
    import sys
    from pathlib import Path

    env = {k: v for k, v in os.environ.items() if not k.startswith(('PYTEST_', 'SYNAPSE_', 'RAY_ADDRESS'))}
    proc = subprocess.run(
        [str(Path(sys.executable).parent / 'synapse'), 'plugin', 'run', 'add', '--path', str(sample_plugin_dir),
         '--params', '{"a": 9}', '--mode', 'job', '--ray-address', ray_head.dashboard_address, '--json'],
        env=env, capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=240,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = json.loads(proc.stdout)  # all of it: any stray line fails here
    job_id = out.pop('job_id')
    assert out == {'ok': True, 'action': 'add', 'mode': 'job', 'warnings': []}
    assert jobs.get_result(job_id, timeout=120) == {'total': 9, 'path': '/out/9'}


def test_bad_params_fail_the_job_with_the_validation_error(jobs):
    with pytest.raises(JobFailedError) as info:
        jobs.get_result(jobs.submit('ray_sample_actions:add', {'a': 'not a number'}), timeout=120)
    assert info.value.error_type == 'ParamsValidationError'
    assert "Invalid params for action 'add'" in str(info.value)
