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

    The action runs under `resolved.name` (its config.yaml key); ``resolved.strict_params`` reaches the
    worker as ``SYNAPSE_STRICT_PARAMS``.

    The target is the entrypoint string for a discovered action (the worker imports it from the working
    dir, which defaults to the plugin directory), the action object itself when one was given.
    """
    from synapse_sdk.plugins.executors.ray.task import RayActorExecutor

    if resolved.plugin_dir is not None:
        executor_kwargs.setdefault('working_dir', str(resolved.plugin_dir))
    target = resolved.target if resolved.source == 'object' else resolved.entrypoint
    return RayActorExecutor(**_with_strict_params(resolved, executor_kwargs)).execute(
        target, params, name=resolved.name
    )


def submit_job(resolved: ResolvedAction, params: dict[str, Any] | None, /, **executor_kwargs: Any) -> str:
    """``job``: submit as a Ray job with `RayJobsApiExecutor` and return its submission id.

    The action runs under `resolved.name` (``SYNAPSE_ACTION_NAME`` in the job); ``resolved.strict_params``
    reaches the job as ``SYNAPSE_STRICT_PARAMS``.

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
    return RayJobsApiExecutor(**_with_strict_params(resolved, executor_kwargs)).submit(
        resolved.entrypoint, params, job_id=job_id, name=resolved.name
    )


def _with_strict_params(resolved: ResolvedAction, executor_kwargs: dict[str, Any]) -> dict[str, Any]:
    """`executor_kwargs` with ``run_plugin(strict_params=...)`` as ``SYNAPSE_STRICT_PARAMS`` in the worker's
    runtime env (beside the caller's variables, whose dict is left as it was)."""
    from synapse_sdk.plugins.params_check import STRICT_PARAMS_ENV

    strict = getattr(resolved, 'strict_params', None)
    if strict is None:
        return executor_kwargs
    runtime_env = dict(executor_kwargs.get('runtime_env') or {})
    runtime_env['env_vars'] = {
        **dict(runtime_env.get('env_vars') or {}),
        STRICT_PARAMS_ENV: '1' if strict else '0',
    }
    return {**executor_kwargs, 'runtime_env': runtime_env}
