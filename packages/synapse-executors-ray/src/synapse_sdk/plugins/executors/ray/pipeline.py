"""`RayPipelineExecutor`: run an `ActionPipeline` on Ray, one action after another, resumable.

The chain is driven from the submitting process with the core's reusable pipeline pieces
(`ActionPipeline.validate`, `initial_params`, `params_for`, `merge_result`), so the params flowing
from one action to the next behave exactly as in ``ActionPipeline.run`` locally. Each action runs as
one call on a warm actor (`RayActorExecutor` machinery: same allow-listed env, secrets path,
recovery), where `worker.run_pipeline_step` builds the action's `RuntimeContext` through the core's shared
`build_runtime_context` (the "Ray pipeline" context site) and reports pipeline progress
(``step='pipeline'``) to the logger, and so to the backend job when there is one.

After every completed action the run's state (flowing params, results, completed actions) is written
atomically to ``<checkpoint_dir>/<run_id>.json`` (mode 0600). Secrets are withheld from that file: the
value of every secret-looking key (``token``, ``password``, ``api_key`` ...), of every field an action's
params model declares secret (``SecretStr``, ``Field(json_schema_extra={'secret': True})``) and every URL
carrying ``user:password@`` is written as ``***`` and its place recorded
(`synapse_sdk.security.redaction.withhold`), so a checkpoint left on disk (or in a
backup) holds no credential. A failed or interrupted run continues from the first action not completed
with ``run(params_with_the_secrets, run_id=..., resume=True)``; the withheld values come from those
params, and a missing one is an error naming it.
"""

from __future__ import annotations

import json
import os
import secrets
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from synapse_sdk.plugins.executors.ray.task import RayActorExecutor
from synapse_sdk.security.redaction import withhold

__all__ = ['RayPipelineExecutor']

DEFAULT_CHECKPOINT_DIR = Path.home() / '.synapse' / 'pipeline-runs'


class RayPipelineExecutor:
    """Runs pipelines on Ray. Takes every argument of `RayActorExecutor`, plus `checkpoint_dir`.

    Args:
        checkpoint_dir: Where run states are kept for resuming (default ``~/.synapse/pipeline-runs``).
        **executor_kwargs: Passed to `RayActorExecutor` (``working_dir``, ``env``, ``num_cpus`` ...).
    """

    def __init__(
        self, *args: Any, checkpoint_dir: str | os.PathLike[str] | None = None, **executor_kwargs: Any
    ):
        self.actors = RayActorExecutor(*args, **executor_kwargs)
        self.checkpoint_dir = Path(checkpoint_dir) if checkpoint_dir is not None else DEFAULT_CHECKPOINT_DIR
        #: The run id of the last run started by `run` (also set when it fails).
        self.last_run_id: str | None = None
        self._params_models: list[Any] = []  # of the running pipeline: their secret fields are withheld

    def run(
        self,
        pipeline: Any,
        params: Any = None,
        *,
        run_id: str | None = None,
        resume: bool = False,
        progress_callback: Any = None,
    ) -> Any:
        """Run `pipeline` (an `ActionPipeline` or a list of actions) and return a `PipelineResult`.

        With ``resume=True`` and the `run_id` of an earlier run, the actions it completed are skipped
        and the chain continues with the params it had reached. `params` then supplies only the
        secrets the checkpoint withheld (same keys as in the first run); results of the actions
        completed before the resume show them as ``***``.
        `progress_callback(done, total, action_name)` is called like ``ActionPipeline.run`` does.

        Raises `PipelineValidationError` before anything runs, and `PipelineExecutionError` (its
        `run_id` attribute says what to resume) when an action fails; `ActorDiedError` if the actor
        died under an action that is not retry-safe (resumable too).
        """
        from synapse_sdk.plugins.errors import ActionExecutionError, ParamsValidationError
        from synapse_sdk.plugins.pipelines import (
            ActionPipeline,
            PipelineExecutionError,
            PipelineResult,
            initial_params,
            merge_result,
            params_for,
        )

        if not isinstance(pipeline, ActionPipeline):
            pipeline = ActionPipeline(list(pipeline))
        names = pipeline.action_names
        total = len(names)
        self._params_models = [d.params_model for d in pipeline.definitions if d.params_model is not None]
        state: dict[str, Any]
        if resume and run_id:
            state = self._load(run_id)
            if state['actions'] != names:
                raise ValueError(
                    f'Run {run_id} was made by the pipeline {state["actions"]}, not {names}; cannot resume it'
                )
            flowing = _restore_secrets(state['params'], state.get('withheld', []), params, run_id)
            results = state['results']
            state['params'] = flowing
        else:
            pipeline.validate(params)
            run_id = run_id or f'{time.strftime("%Y%m%d-%H%M%S")}-{secrets.token_hex(4)}'
            flowing, results = initial_params(params), []
            state = {
                'run_id': run_id,
                'actions': names,
                'params': flowing,
                'results': results,
                'status': 'running',
            }
            self._save(state)
        self.last_run_id = run_id
        start = len(results)
        for index in range(start, total):
            definition = pipeline.definitions[index]
            if progress_callback is not None:
                progress_callback(index, total, definition.name)
            step = {'index': index, 'total': total, 'name': definition.name, 'first': index == start}
            try:
                result = self.actors._invoke(
                    definition.target, params_for(definition, flowing), {'step': step}
                )
            except ParamsValidationError as exc:
                err = PipelineExecutionError(index, definition.name, str(exc), names[:index])
                raise self._failed(state, err) from exc
            except ActionExecutionError as exc:
                cause = exc.original
                reason = f'{type(cause).__name__}: {cause}'
                for note in getattr(exc, '__notes__', ()):  # the worker's traceback
                    cause.add_note(note)
                raise self._failed(
                    state, PipelineExecutionError(index, definition.name, reason, names[:index])
                ) from cause
            except Exception as exc:
                self._failed(state, exc)
                raise
            results.append(result)
            if index + 1 < total:
                try:
                    flowing = merge_result(flowing, result, action=definition.name)
                except TypeError as exc:
                    err = PipelineExecutionError(index, definition.name, str(exc), names[: index + 1])
                    raise self._failed(state, err) from exc
            else:
                flowing = merge_result(flowing, result if isinstance(result, Mapping) else None)
            state.update(params=flowing, results=results)
            self._save(state)
        if progress_callback is not None:
            progress_callback(total, total, names[-1])
        state['status'] = 'succeeded'
        self._save(state)
        return PipelineResult(result=results[-1], results=list(results), params=flowing)

    def shutdown(self) -> None:
        self.actors.shutdown()

    def __enter__(self) -> RayPipelineExecutor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.shutdown()

    # -- state ----------------------------------------------------------------------------------
    def state_path(self, run_id: str) -> Path:
        if not run_id or '/' in run_id or run_id.startswith('.'):
            raise ValueError(f'Invalid run id {run_id!r}')
        return self.checkpoint_dir / f'{run_id}.json'

    def _load(self, run_id: str) -> dict[str, Any]:
        path = self.state_path(run_id)
        if not path.is_file():
            raise FileNotFoundError(f'No pipeline run {run_id!r} to resume in {self.checkpoint_dir}')
        state = json.loads(path.read_text(encoding='utf-8'))
        if not isinstance(state, dict):
            raise ValueError(f'{path} is not a pipeline run state (a JSON object)')
        return state

    def _save(self, state: dict[str, Any]) -> None:
        """Write `state` atomically, with its secrets withheld (see the module docstring)."""
        params, withheld = withhold(state['params'], self._params_models)
        results, _ = withhold(state['results'])
        state = {**state, 'params': params, 'results': results, 'withheld': withheld}
        path = self.state_path(state['run_id'])
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix='.run-', dir=path.parent)
        try:
            with os.fdopen(fd, 'w', encoding='utf-8') as f:
                json.dump(state, f)
            os.chmod(tmp, 0o600)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def _failed(self, state: dict[str, Any], err: BaseException) -> BaseException:
        """Record the failure in the run state and tell the user how to resume."""
        state['status'] = 'failed'
        self._save(state)
        err.run_id = state['run_id']  # type: ignore[attr-defined]  # the run id is attached to the exception for the caller to resume with
        err.add_note(f'Resume with RayPipelineExecutor.run(..., run_id={state["run_id"]!r}, resume=True)')
        return err


# -- secrets kept out of checkpoints ----------------------------------------------------------------
def _restore_secrets(params: Any, withheld: list[list[Any]], given: Any, run_id: str) -> Any:
    """`params` from a checkpoint with each withheld secret taken from `given` (the resume's params)."""
    if not withheld:
        return params
    from synapse_sdk.plugins.pipelines import initial_params

    source = initial_params(given)
    missing = []
    for path in withheld:
        try:
            value = source
            for key in path:
                value = value[key]
        except (KeyError, IndexError, TypeError):
            missing.append('.'.join(str(key) for key in path))
            continue
        target = params
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value
    if missing:
        raise ValueError(
            f'Pipeline run {run_id!r} had secrets in its params, which checkpoints never store: '
            f'{", ".join(missing)}. Pass them again: run(pipeline, {{...}}, run_id={run_id!r}, resume=True)'
        )
    return params
