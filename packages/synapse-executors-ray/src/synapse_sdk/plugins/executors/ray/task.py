"""`RayActorExecutor`: run actions on warm Ray actors (the ``task`` mode of `run_plugin`).

One actor is created lazily per (plugin, resources, runtime env) and reused by every later call,
across executor instances of this process, so a warm call costs one actor method call. The actor
(`worker.ActionActor`, the worker-side half) builds each run's `RuntimeContext` inside the worker
through the core's `execute_action` (the "Ray task" context site): clients come from the worker's
environment, never from the submitter's objects.

Secrets (tokens) travel as a call argument and are put into the actor's process environment for the
run; they never enter the actor's runtime env, which Ray shows in the dashboard (see `env`).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import sys
import threading
import time
from collections.abc import Iterable, Mapping
from typing import Any, TextIO

from synapse_sdk.loggers.base import BaseLogger
from synapse_sdk.plugins.executors.ray.connection import (
    ensure_ray,
    is_client_address,
    resolve_connect_timeout,
)
from synapse_sdk.plugins.executors.ray.console import ConsoleRenderer, EventReader, new_channel
from synapse_sdk.plugins.executors.ray.errors import ActorDiedError, RayExecutorError
from synapse_sdk.plugins.executors.ray.remote_errors import restore_exception
from synapse_sdk.plugins.executors.ray.runtime_env import RuntimeEnvPlan, plan_runtime_env, upload_working_dir
from synapse_sdk.plugins.executors.ray.workdir import MAX_WORKING_DIR_BYTES
from synapse_sdk.plugins.executors.ray.worker import ActionActor, is_retry_safe

__all__ = ['RayActorExecutor']

logger = logging.getLogger('synapse_sdk.plugins.executors.ray')


#: Seconds between two looks for new console events while a call runs (a quick call ends the wait early).
_POLL_SECONDS = 0.25


class _CallTimeout(Exception):
    """The call outlived the executor's `timeout`."""


# Which actor a call may use: (Ray job of this driver, plugin, resources, runtime env digest), where
# resources are (num_cpus, num_gpus, memory, sorted custom resources).
PoolKey = tuple[str, str, tuple[float, float, int | None, tuple[tuple[str, float], ...]], str]

# Actors shared by every executor of this process: {pool key: actor handle}.
_POOL: dict[PoolKey, Any] = {}
_POOL_LOCK = threading.Lock()


class RayActorExecutor:
    """Runs actions on a warm Ray actor and returns their validated, JSON-compatible results.

    Args:
        env: Values for ``ctx.env`` in the worker (default: the worker's environment). They also
            travel to the worker's process environment: public ones through the runtime env,
            secret-looking ones (``*_TOKEN``, ``*PASSWORD*`` ...) as a call argument.
        job_id: Backend job id; with credentials in the worker, logs/progress go to that job.
        language: Language of user-facing messages (``'en'``, ``'ko'``).
        ray_address: Cluster to connect to (``host:6379``, ``'auto'``, ``ray://host:10001``). None
            reuses an existing ``ray.init``, else ``RAY_ADDRESS``, else a cluster kept running on this
            machine with ``ray start --head``, else starts a local Ray for this process (and says so).
        connect_timeout: Seconds an address may take to answer before `RayConnectionError` (default
            ``SYNAPSE_RAY_CONNECT_TIMEOUT``, else 10).
        console: As for `LocalExecutor`: True shows the action's logs and progress on ``sys.stderr``
            (bars on a terminal), a stream shows them there, a logger is used as the console, False
            hides them. What the action prints reaches this process's stdout/stderr in every case.
        runtime_env: A Ray runtime env merged with what the executor adds.
        working_dir: Plugin directory shipped to the worker (size-checked, see `check_working_dir`);
            the actor runs in it, so ``'module:Name'`` entrypoints import from it.
        requirements_file: pip requirements (default ``<working_dir>/requirements.txt`` if present).
        num_cpus, num_gpus, memory, resources: The actor's Ray resources.
        env_allowlist: More variable names to copy from this process's environment to the worker,
            besides `DEFAULT_ENV_ALLOWLIST`.
        excludes: Gitignore-style patterns left out of the working dir (beside the defaults).
        max_retries: How many times a call is retried on a fresh actor when the actor dies under a
            retry-safe action. Other actions fail with `ActorDiedError`; the next call gets a new actor.
        timeout: Seconds to wait for a call (None: no limit).
    """

    def __init__(
        self,
        env: Mapping[str, Any] | None = None,
        job_id: str | None = None,
        language: str | None = None,
        *,
        ray_address: str | None = None,
        runtime_env: Mapping[str, Any] | None = None,
        working_dir: str | os.PathLike[str] | None = None,
        requirements_file: str | os.PathLike[str] | None = None,
        num_cpus: float = 1,
        num_gpus: float = 0,
        memory: int | None = None,
        resources: Mapping[str, float] | None = None,
        env_allowlist: Iterable[str] = (),
        excludes: Iterable[str] = (),
        default_excludes: bool = True,
        max_working_dir_bytes: int = MAX_WORKING_DIR_BYTES,
        max_retries: int = 1,
        timeout: float | None = None,
        checkpoint: Mapping[str, Any] | None = None,
        connect_timeout: float | None = None,
        console: bool | TextIO | BaseLogger = True,
    ):
        self.env = dict(env) if env is not None else None
        self.job_id = job_id
        self.language = language
        self.ray_address = ray_address
        self.working_dir = str(working_dir) if working_dir is not None else None
        self.num_cpus = num_cpus
        self.num_gpus = num_gpus
        self.memory = memory
        self.resources = dict(resources or {})
        self.max_retries = max_retries
        self.timeout = timeout
        self.checkpoint = dict(checkpoint) if checkpoint is not None else None
        self.connect_timeout = resolve_connect_timeout(connect_timeout)
        self.console = console
        # Measured now so a too-large working dir is refused before anything starts on Ray.
        self._plan: RuntimeEnvPlan = plan_runtime_env(
            runtime_env=runtime_env,
            working_dir=working_dir,
            requirements_file=requirements_file,
            env=self.env,
            env_allowlist=env_allowlist,
            excludes=excludes,
            default_excludes=default_excludes,
            max_working_dir_bytes=max_working_dir_bytes,
        )
        self._actor_runtime_env: dict[str, Any] | None = None
        self._used: set[PoolKey] = set()
        self._keys: dict[str, PoolKey] = {}
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return (
            f'RayActorExecutor(working_dir={self.working_dir!r}, num_cpus={self.num_cpus}, '
            f'num_gpus={self.num_gpus}, env={sorted(self._plan.worker_env.names)})'
        )

    # -- public API -----------------------------------------------------------------------------
    def execute(self, action: Any, params: Any = None, *, name: str | None = None) -> Any:
        """Run `action` (a `BaseAction` subclass, an `@action` function or a ``'module:Name'``
        entrypoint) with `params` on the warm actor; return its JSON-compatible result.

        Raises what local mode raises (`ParamsValidationError`, `ActionExecutionError` with the
        original exception as ``__cause__``), with the worker's traceback attached as a note;
        `ActorDiedError` when the actor died under a non-retry-safe action.
        """
        return self._invoke(action, params, {'name': name})

    def _invoke(self, action: Any, params: Any, extra: Mapping[str, Any]) -> Any:
        """One actor call with recovery: the body of `execute` and of each pipeline step."""
        ray = self._ray()
        from ray.exceptions import RayActorError, RayTaskError, WorkerCrashedError

        call = {
            **extra,
            'env': self._ctx_env(),
            'secrets': dict(self._plan.worker_env.secret),
            'job_id': self.job_id,
            'language': self.language,
            'checkpoint': self.checkpoint,
        }
        key = self._key(action)
        attempts = 0
        while True:
            actor = self._actor(key)
            try:
                status, value = self._call(ray, actor, action, params, call)
            except (RayActorError, WorkerCrashedError) as exc:
                self._discard(key, actor)
                retry_safe = self._retry_safe(key, action)
                if retry_safe and attempts < self.max_retries:
                    attempts += 1
                    logger.warning(
                        'Ray actor died under retry-safe action %s; retrying on a new actor', action
                    )
                    continue
                why = (
                    f'It was retried {attempts} time(s) (max_retries={self.max_retries}).'
                    if retry_safe
                    else 'It was not retried because it is not declared retry-safe (retry_safe = True).'
                )
                raise ActorDiedError(
                    f'The Ray actor running {_describe(action)} died before the call returned '
                    f'({type(exc).__name__}). {why} The next call starts a new actor.'
                ) from exc
            except _CallTimeout as exc:
                # A running call cannot be interrupted inside a sync actor: drop the busy actor.
                self._discard(key, actor)
                raise TimeoutError(
                    f'{_describe(action)} did not finish within {self.timeout}s on Ray'
                ) from exc
            except RayTaskError as exc:  # the call never reached the action (e.g. arguments not loadable)
                missing = _import_error_in(exc.cause)
                if missing is not None:
                    raise RayExecutorError(
                        f'Ray could not run {_describe(action)}: the worker cannot import the action or its '
                        f'params ({type(missing).__name__}: {missing}). Pass a working_dir that contains '
                        "its module, or a 'module:Name' entrypoint importable there."
                    ) from exc
                raise RayExecutorError(f'Ray could not run {_describe(action)}: {exc.cause!r}') from exc
            if status == 'ok':
                return value
            raise restore_exception(value)

    def _call(self, ray: Any, actor: Any, action: Any, params: Any, call: dict[str, Any]) -> tuple[str, Any]:
        """Run one call, showing the action's console output here while it runs (see `console`).

        Every event is rendered before the call returns: the batches published while it ran, then
        the rest, which comes back with the result.
        """
        channel = new_channel()
        call = {**call, 'console': {'channel': channel, 'logs': self.console is not False}}
        reader = EventReader(channel)
        renderer = ConsoleRenderer(self.console)
        deadline = None if self.timeout is None else time.monotonic() + self.timeout
        ref = actor.run.remote(action, params, call)
        done = False
        try:
            while True:
                wait = (
                    _POLL_SECONDS
                    if deadline is None
                    else max(min(_POLL_SECONDS, deadline - time.monotonic()), 0)
                )
                ready, _ = ray.wait([ref], timeout=wait)
                if ready:
                    break
                try:
                    renderer.render(reader.take())
                except Exception:  # Ray is in trouble: the call's own outcome (ray.get below) says how
                    logger.debug('could not read console events of %s', channel, exc_info=True)
                if deadline is not None and time.monotonic() >= deadline:
                    raise _CallTimeout(self.timeout)
            status, value, rest, published = ray.get(ref)
            renderer.render(reader.take(until=published))
            renderer.render(rest)
            done = True
            return status, value
        finally:
            renderer.close()
            if not done:
                reader.discard()

    def shutdown(self) -> None:
        """Kill the actors this executor used, also if other executors share them (they get new ones
        on their next call); actors it never used stay warm. Safe to call twice."""
        if not self._used:
            return
        import ray

        with _POOL_LOCK:
            for key in list(self._used):
                actor = _POOL.pop(key, None)
                if actor is not None and ray.is_initialized():
                    with contextlib.suppress(Exception):  # already dead
                        ray.kill(actor, no_restart=True)
            self._used.clear()

    def __enter__(self) -> RayActorExecutor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.shutdown()

    # -- internals ------------------------------------------------------------------------------
    def _ray(self) -> Any:
        job_level = None
        if is_client_address(self.ray_address):
            job_level = self._plan.runtime_env
        return ensure_ray(
            self.ray_address,
            runtime_env=job_level,
            connect_timeout=self.connect_timeout,
            notify=self._notify,
            language=self.language,
        )

    def _notify(self, text: str) -> None:
        """Connection notices (a local cluster started, a kept one reused) go where the logs go."""
        if self.console is False:
            return
        if isinstance(self.console, BaseLogger):
            stream: Any = getattr(self.console, 'stream', None) or sys.stderr
        else:
            stream = sys.stderr if self.console is True else self.console
        stream.write(text + '\n')
        stream.flush()

    def _ctx_env(self) -> dict[str, str] | None:
        if self.env is None:
            return None
        we = self._plan.worker_env
        return {**we.public, **we.secret}

    def _runtime_env(self) -> dict[str, Any]:
        with self._lock:
            if self._actor_runtime_env is None:
                renv = self._plan.runtime_env
                if is_client_address(self.ray_address):
                    # Ray Client: the working dir was shipped with ray.init at job level.
                    renv = {k: v for k, v in renv.items() if k not in ('working_dir', 'excludes')}
                else:
                    renv = upload_working_dir(renv)
                self._actor_runtime_env = renv
            return self._actor_runtime_env

    def _key(self, action: Any) -> PoolKey:
        """Pool key: (Ray job of this driver, plugin, resources, runtime env). Cached per plugin."""
        plugin = self.working_dir or _plugin_of(action)
        key = self._keys.get(plugin)
        if key is None:
            import ray

            renv = json.dumps(self._runtime_env(), sort_keys=True, default=str)
            resources = (self.num_cpus, self.num_gpus, self.memory, tuple(sorted(self.resources.items())))
            cluster = ray.get_runtime_context().get_job_id()
            key = self._keys[plugin] = (cluster, plugin, resources, hashlib.sha256(renv.encode()).hexdigest())
        return key

    def _actor(self, key: PoolKey) -> Any:
        with _POOL_LOCK:
            actor = _POOL.get(key)
            if actor is None:
                actor = _POOL[key] = self._start_actor()
            self._used.add(key)
            return actor

    def _start_actor(self) -> Any:
        """Create an actor and wait until it is up, so `timeout` covers only the action's run and a
        runtime env that cannot be built is reported as such, not as an actor dying mid-call."""
        import ray
        from ray.exceptions import RayError

        actor = self._create_actor()
        try:
            ray.get(actor.pid.remote())
        except RayError as exc:
            with contextlib.suppress(Exception):
                ray.kill(actor, no_restart=True)
            raise RayExecutorError(
                f'Could not start the Ray actor (working_dir={self.working_dir!r}, num_cpus={self.num_cpus}, '
                f'num_gpus={self.num_gpus}): {type(exc).__name__}: {exc}'
            ) from exc
        return actor

    def _create_actor(self) -> Any:
        import ray

        options: dict[str, Any] = {
            'num_cpus': self.num_cpus,
            'num_gpus': self.num_gpus,
            'max_restarts': 0,
            'max_concurrency': 1,
            'runtime_env': self._runtime_env(),
        }
        if self.memory:
            options['memory'] = self.memory
        if self.resources:
            options['resources'] = self.resources
        return ray.remote(ActionActor).options(**options).remote()

    def _discard(self, key: PoolKey, actor: Any) -> None:
        import ray

        with _POOL_LOCK:
            if _POOL.get(key) is actor:
                del _POOL[key]
        with contextlib.suppress(Exception):
            ray.kill(actor, no_restart=True)

    def _retry_safe(self, key: PoolKey, action: Any) -> bool:
        if not isinstance(action, str):
            return is_retry_safe(action)
        # An entrypoint may only be importable in the worker: ask a (fresh) actor.
        import ray

        try:
            return bool(ray.get(self._actor(key).retry_safe.remote(action), timeout=60))
        except Exception:
            return False


def _import_error_in(error: Any, depth: int = 0) -> ImportError | None:
    """The ImportError behind a Ray deserialisation failure (Ray wraps it in RaySystemError)."""
    if isinstance(error, ImportError):
        return error
    if error is None or depth > 3:
        return None
    nested = (getattr(error, 'client_exc', None), getattr(error, 'cause', None), error.__cause__)
    for candidate in (*nested, *getattr(error, 'args', ())):
        if isinstance(candidate, BaseException) and candidate is not error:
            found = _import_error_in(candidate, depth + 1)
            if found is not None:
                return found
    return None


def _plugin_of(action: Any) -> str:
    if isinstance(action, str):
        return action.replace(':', '.').split('.', 1)[0]
    return (getattr(action, '__module__', '') or '').split('.', 1)[0]


def _describe(action: Any) -> str:
    if isinstance(action, str):
        return f'action {action!r}'
    return f'action {getattr(action, "__qualname__", action)!r}'
