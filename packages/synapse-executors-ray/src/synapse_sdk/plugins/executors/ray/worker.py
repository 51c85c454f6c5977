"""What runs inside Ray workers: the task-mode actor and the pipeline step runner.

The driver side (`task`, `pipeline`, `serve`) imports this module to name the actor class; this module
imports nothing from the driver side, so the two cannot form an import cycle (a test checks the
package's import graph, imports inside functions included). Everything here builds its
`RuntimeContext` through the core's shared functions, in the worker process.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Mapping
from typing import Any

from synapse_sdk.plugins.executors.ray.console import EventPublisher, ForwardingLogger, capture_output
from synapse_sdk.plugins.executors.ray.remote_errors import capture_exception

__all__ = ['ActionActor', 'is_retry_safe', 'line_buffered_output', 'run_pipeline_step']


def line_buffered_output() -> None:
    """Make this worker's stdout/stderr line-buffered.

    Ray redirects worker output to files, which Python block-buffers: an action's log lines would
    reach the driver's console only when the buffer fills or the actor exits.
    """
    import sys

    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, 'reconfigure', None)
        if reconfigure is not None:
            with contextlib.suppress(Exception):
                reconfigure(line_buffering=True)


def is_retry_safe(action: Any) -> bool:
    """``@action(retry_safe=True)`` / ``BaseAction.retry_safe``, read from the action's definition."""
    from synapse_sdk.plugins.definition import resolve_action

    return resolve_action(action).retry_safe


class ActionActor:
    """The task-mode actor's class: runs actions in the worker process. Not for direct use."""

    def __init__(self) -> None:
        self._secret_names: set[str] = set()
        self._loaded: dict[str, Any] = {}
        line_buffered_output()

    def pid(self) -> int:
        return os.getpid()

    def _load(self, target: Any) -> Any:
        if not isinstance(target, str):
            return target
        found = self._loaded.get(target)
        if found is None:
            from synapse_sdk.plugins.loading import load_entrypoint

            found = self._loaded[target] = load_entrypoint(target, plugin_dir=os.getcwd())
        return found

    def _apply_secrets(self, secrets: Mapping[str, str]) -> None:
        for name in self._secret_names - set(secrets):
            os.environ.pop(name, None)
        os.environ.update(secrets)
        self._secret_names = set(secrets)

    def retry_safe(self, target: Any) -> bool:
        try:
            return is_retry_safe(self._load(target))
        except Exception:
            return False

    def run(self, target: Any, params: Any, call: dict[str, Any]) -> tuple[str, Any, list[Any], int]:
        """Run one action; returns ``(status, value, events, published)``.

        `status` is ``'ok'`` (`value` is the result) or ``'error'`` (`value` a captured exception).
        The action's console output travels to the driver as events (see `console`): `published`
        batches on ``call['console']['channel']`` while it ran, then `events`, the rest.
        """
        self._apply_secrets(call.get('secrets') or {})
        console = call.get('console') or {}
        publisher = EventPublisher(console.get('channel')).start()
        context_kwargs: dict[str, Any] = {
            'env': call.get('env'),
            'job_id': call.get('job_id'),
            'language': call.get('language'),
            'checkpoint': call.get('checkpoint'),
            'console': ForwardingLogger(publisher, show_debug=_debug(call.get('env')))
            if console.get('logs', True)
            else False,
        }
        try:
            with capture_output(publisher):
                action = self._load(target)
                if call.get('step') is None:
                    from synapse_sdk.plugins.execution import execute_action

                    result = execute_action(action, params, name=call.get('name'), **context_kwargs)
                else:  # one action of a pipeline (see `pipeline`)
                    result = run_pipeline_step(action, params, step=call['step'], **context_kwargs)
        except Exception as exc:
            status, value = 'error', capture_exception(exc)
        else:
            status, value = 'ok', result
        rest = publisher.close()
        return status, value, rest, publisher.published


def _debug(env: Mapping[str, Any] | None) -> bool:
    """Whether debug entries are shown: ``DEBUG``/``SYNAPSE_DEBUG`` of the run's env, as in local mode."""
    from synapse_sdk.plugins.context.env import PluginEnvironment

    return (PluginEnvironment.from_environ() if env is None else PluginEnvironment(env)).debug


def run_pipeline_step(action: Any, params: Any, *, step: Mapping[str, Any], **context_kwargs: Any) -> Any:
    """Run action `step['index']` of `step['total']` of a `RayPipelineExecutor` run in a fresh context.

    Per-action status is not reported (the pipeline is one run): RUNNING before the first action,
    COMPLETED with the result after the last, FAILED when an action fails.
    """
    from synapse_sdk.plugins.errors import ActionExecutionError, ParamsValidationError
    from synapse_sdk.plugins.execution import build_runtime_context, run_action
    from synapse_sdk.plugins.models.status import RunStatus
    from synapse_sdk.plugins.pipelines import PIPELINE_PROGRESS_STEP

    index, total, name = step['index'], step['total'], step.get('name')
    ctx = build_runtime_context(**context_kwargs)
    try:
        if step.get('first'):
            ctx.logger.report_status(RunStatus.RUNNING)
        ctx.set_progress(index, total, step=PIPELINE_PROGRESS_STEP)
        ctx.log('pipeline_action_started', {'index': index, 'action': name, 'total': total})
        try:
            result = run_action(
                action, params, ctx, name=name, report_status=False, check_unknown_params=False
            )
        except (ParamsValidationError, ActionExecutionError) as exc:
            ctx.logger.report_status(
                RunStatus.FAILED, error=f'pipeline action {index} ({name}) failed: {exc}'
            )
            raise
        if index + 1 == total:
            ctx.set_progress(total, total, step=PIPELINE_PROGRESS_STEP)
            ctx.end_log()
            ctx.logger.report_status(RunStatus.COMPLETED, result=result)
        return result
    finally:
        ctx.logger.finish()
