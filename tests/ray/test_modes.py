"""The ``task`` and ``job`` modes as `run_plugin` reaches them: through the entry points of this distribution.

The executors are replaced by recorders here so the test sees exactly what `run_plugin` hands them
(constructor kwargs, execute/submit arguments) without a cluster; the modes themselves run for real in
test_task_mode.py and test_job_mode.py.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from synapse_sdk.plugins.executors.ray import jobs_api, task
from synapse_sdk.plugins.runner import run_plugin

HELLO = Path(__file__).resolve().parents[2] / 'examples' / 'hello_plugin'


@pytest.fixture
def calls(monkeypatch):
    seen: list[tuple] = []

    class RecordingActor:
        def __init__(self, **kwargs):
            seen.append(('actor', kwargs))

        def execute(self, target, params, *, name=None):
            seen.append(('execute', target, params, name))
            return {'ok': True}

    class RecordingJobs:
        def __init__(self, **kwargs):
            seen.append(('jobs', kwargs))

        def submit(self, entrypoint, params, *, job_id=None, name=None):
            seen.append(('submit', entrypoint, params, job_id, name))
            return 'raysubmit_1'

    monkeypatch.setattr(task, 'RayActorExecutor', RecordingActor)
    monkeypatch.setattr(jobs_api, 'RayJobsApiExecutor', RecordingJobs)
    return seen


def test_run_plugin_calls_the_ray_executors_as_documented(calls):
    assert run_plugin(str(HELLO), 'greet', {'name': 'A'}, mode='task', ray_address='ray://c:10001') == {
        'ok': True
    }
    assert calls[0] == ('actor', {'ray_address': 'ray://c:10001', 'working_dir': str(HELLO.resolve())})
    assert calls[1] == ('execute', 'hello.actions:greet', {'name': 'A'}, 'greet')  # runs under its config key
    calls.clear()
    job = run_plugin(str(HELLO), 'count', {'to': 2}, mode='job', job_id='j-1', language='ko')
    assert job == 'raysubmit_1'
    assert calls[0] == ('jobs', {'language': 'ko', 'working_dir': str(HELLO.resolve())})
    assert calls[1] == ('submit', 'hello.counter:CountAction', {'to': 2}, 'j-1', 'count')


def test_an_action_object_goes_to_task_mode_as_itself_and_to_job_mode_by_name(calls):
    sys.path.insert(0, str(HELLO))
    try:
        from hello.counter import CountAction

        run_plugin('hello', 'count', {'to': 1}, mode='task', action_cls=CountAction)
        run_plugin('hello', 'count', {'to': 1}, mode='job', action_cls=CountAction)
    finally:
        sys.path.remove(str(HELLO))
    assert calls[1] == ('execute', CountAction, {'to': 1}, 'count')
    assert calls[3] == ('submit', 'hello.counter:CountAction', {'to': 1}, None, 'count')


def test_job_mode_refuses_an_action_defined_in_main(calls):
    from synapse_sdk.plugins import action

    @action(name='here')
    def here(params, ctx):
        return {}

    here.__module__ = '__main__'
    with pytest.raises(ValueError, match='defined in __main__; move it to an importable module'):
        run_plugin('x', 'here', {}, mode='job', action_cls=here)
    assert calls == []


def test_strict_params_reach_the_worker_through_its_runtime_env(calls):
    renv = {'env_vars': {'A': '1'}, 'pip': ['x']}
    run_plugin(str(HELLO), 'greet', {}, mode='task', strict_params=True, runtime_env=renv)
    run_plugin(str(HELLO), 'count', {}, mode='job', strict_params=False)
    run_plugin(str(HELLO), 'count', {}, mode='job')
    assert calls[0][1]['runtime_env'] == {'env_vars': {'A': '1', 'SYNAPSE_STRICT_PARAMS': '1'}, 'pip': ['x']}
    assert renv == {'env_vars': {'A': '1'}, 'pip': ['x']}  # the caller's dict is left as it was
    assert calls[2][1]['runtime_env'] == {'env_vars': {'SYNAPSE_STRICT_PARAMS': '0'}}
    assert 'runtime_env' not in calls[4][1]  # not asked: the worker's own SYNAPSE_STRICT_PARAMS decides
