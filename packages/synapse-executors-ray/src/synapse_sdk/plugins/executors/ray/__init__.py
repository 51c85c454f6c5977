"""Ray executors: warm actors (task mode), Ray jobs (job mode), pipelines and Serve.

::

    from synapse_sdk.plugins.executors.ray.task import RayActorExecutor
    from synapse_sdk.plugins.executors.ray.jobs_api import RayJobsApiExecutor
    from synapse_sdk.plugins.executors.ray.pipeline import RayPipelineExecutor
    from synapse_sdk.plugins.executors.ray.serve import deploy_action

The names are also available from this package, imported on first use so that importing it does
not import Ray.
"""

from typing import Any

_LAZY = {
    'RayActorExecutor': 'synapse_sdk.plugins.executors.ray.task',
    'RayJobsApiExecutor': 'synapse_sdk.plugins.executors.ray.jobs_api',
    'RayPipelineExecutor': 'synapse_sdk.plugins.executors.ray.pipeline',
    'deploy_action': 'synapse_sdk.plugins.executors.ray.serve',
    'delete_deployment': 'synapse_sdk.plugins.executors.ray.serve',
    'check_working_dir': 'synapse_sdk.plugins.executors.ray.workdir',
    'DEFAULT_ENV_ALLOWLIST': 'synapse_sdk.plugins.executors.ray.env',
    'ActorDiedError': 'synapse_sdk.plugins.executors.ray.errors',
    'JobFailedError': 'synapse_sdk.plugins.executors.ray.errors',
    'JobPendingTimeoutError': 'synapse_sdk.plugins.executors.ray.errors',
    'JobStoppedError': 'synapse_sdk.plugins.executors.ray.errors',
    'RayConnectionError': 'synapse_sdk.plugins.executors.ray.errors',
    'RayExecutorError': 'synapse_sdk.plugins.executors.ray.errors',
    'RemoteActionError': 'synapse_sdk.plugins.executors.ray.errors',
    'WorkingDirTooLargeError': 'synapse_sdk.plugins.executors.ray.errors',
}

__all__ = sorted(_LAZY)


def __getattr__(name: str) -> Any:
    module_name = _LAZY.get(name)
    if module_name is None:
        raise AttributeError(f'module {__name__!r} has no attribute {name!r}')
    import importlib

    value = getattr(importlib.import_module(module_name), name)
    globals()[name] = value
    return value
