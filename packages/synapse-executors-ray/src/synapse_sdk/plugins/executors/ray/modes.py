"""The ``task`` and ``job`` modes of `run_plugin`, registered in the ``synapse_sdk.executors`` entry-point group.

synapse-core finds them through this distribution's entry points (see its pyproject.toml and
`synapse_sdk.plugins.executors.registry`), so core never names this package. Each is a `ModeExecutor`:
``mode(resolved_action, params, **executor_kwargs)``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from synapse_sdk.plugins.runner import ResolvedAction

__all__ = ['run_task', 'submit_job']


def run_task(resolved: ResolvedAction, params: dict[str, Any] | None, /, **executor_kwargs: Any) -> Any:
    """``task``: run on a warm actor with `RayActorExecutor` and return the result.

    The target is the entrypoint string for a discovered action (the worker imports it from the working
    dir, which defaults to the plugin directory), the action object itself when one was given.
    """
    from synapse_sdk.plugins.executors.ray.task import RayActorExecutor

    if resolved.plugin_dir is not None:
        executor_kwargs.setdefault('working_dir', str(resolved.plugin_dir))
    target = resolved.target if resolved.source == 'object' else resolved.entrypoint
    return RayActorExecutor(**executor_kwargs).execute(target, params)


def submit_job(resolved: ResolvedAction, params: dict[str, Any] | None, /, **executor_kwargs: Any) -> str:
    """``job``: submit as a Ray job with `RayJobsApiExecutor` and return its submission id.

    The action is never imported here: the job's driver imports it by its entrypoint string.
    ``job_id`` (the backend job to report to) is taken out of `executor_kwargs`.
    """
    from synapse_sdk.plugins.executors.ray.jobs_api import RayJobsApiExecutor

    if resolved.entrypoint is None:
        raise ValueError(
            f'Cannot submit {resolved.target!r} as a Ray job: it is defined in __main__; '
            'move it to an importable module'
        )
    if resolved.plugin_dir is not None:
        executor_kwargs.setdefault('working_dir', str(resolved.plugin_dir))
    job_id = executor_kwargs.pop('job_id', None)
    return RayJobsApiExecutor(**executor_kwargs).submit(resolved.entrypoint, params, job_id=job_id)
