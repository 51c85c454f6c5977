"""`RayJobsApiExecutor`: run an action as a Ray job through the Jobs API (the ``job`` mode).

The job's driver is ``python -m synapse_sdk.plugins.executors.ray.job``, a thin wrapper that takes the
sealed secrets and then runs the core's subprocess entrypoint in the same process (see `job`). The
submitter talks to the cluster only over the dashboard's HTTP API (`dashboard_address`), so it needs
no Ray connection of its own; an explicit address is used as given even when ``RAY_ADDRESS`` is set.

What travels where (see `env` and `sealed`): public variables and the action entrypoint in the job's
runtime env; secrets and the params (always) in a sealed blob the driver reads once
and deletes. Nothing secret is printed, logged or stored in the job record.
"""

from __future__ import annotations

import asyncio
import functools
import json
import os
import queue
import threading
import time
from collections.abc import AsyncIterator, Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

from synapse_sdk.plugins.executors.ray.diagnosis import RESOURCES_METADATA
from synapse_sdk.plugins.executors.ray.errors import (
    JobFailedError,
    JobPendingTimeoutError,
    JobStoppedError,
    RayExecutorError,
)
from synapse_sdk.plugins.executors.ray.runtime_env import RuntimeEnvPlan, plan_runtime_env
from synapse_sdk.plugins.executors.ray.sealed import SEALED_ENV, seal
from synapse_sdk.plugins.executors.ray.workdir import MAX_WORKING_DIR_BYTES

if TYPE_CHECKING:
    from ray.job_submission import JobSubmissionClient

__all__ = ['DEFAULT_DASHBOARD_PORT', 'RayJobsApiExecutor', 'resolve_dashboard_address']

DEFAULT_DASHBOARD_PORT = 8265
DRIVER_MODULE = 'synapse_sdk.plugins.executors.ray.job'
TERMINAL = frozenset({'SUCCEEDED', 'FAILED', 'STOPPED'})


def resolve_dashboard_address(dashboard_address: str | None = None, ray_address: str | None = None) -> str:
    """The Jobs API address to use.

    An explicit `dashboard_address` always wins (``RAY_ADDRESS`` in the environment is ignored then).
    Otherwise `ray_address` is turned into one: an ``http(s)://`` address is used as is, and the host
    of a ``ray://host:10001`` or ``host:6379`` address gets the default dashboard port 8265. Last
    come ``RAY_API_SERVER_ADDRESS``, an ``http(s)://`` ``RAY_ADDRESS``, then ``http://127.0.0.1:8265``.
    """
    if dashboard_address:
        address = dashboard_address
    elif ray_address and ray_address != 'auto':
        if ray_address.startswith(('http://', 'https://')):
            address = ray_address
        else:
            host = ray_address.split('://', 1)[-1].rsplit(':', 1)[0]
            address = f'http://{host}:{DEFAULT_DASHBOARD_PORT}'
    else:
        env_addr = os.environ.get('RAY_API_SERVER_ADDRESS') or ''
        ray_env = os.environ.get('RAY_ADDRESS') or ''
        if not env_addr and ray_env.startswith(('http://', 'https://')):
            env_addr = ray_env
        address = env_addr or f'http://127.0.0.1:{DEFAULT_DASHBOARD_PORT}'
    if '://' not in address:
        address = f'http://{address}'
    return address.rstrip('/')


class RayJobsApiExecutor:
    """Submits actions as Ray jobs and follows them: status, logs, result, stop.

    Args:
        env: Variables for the job (and ``ctx.env`` values); secret-looking ones travel sealed.
        job_id: Backend job id the driver reports logs/progress/status to (with credentials).
        language: Language of user-facing messages.
        dashboard_address: The Ray dashboard (``http://head:8265``). Honoured even when
            ``RAY_ADDRESS`` is set; see `resolve_dashboard_address` for the defaults.
        ray_address: Used only to derive the dashboard address when none is given.
        runtime_env, working_dir, requirements_file, excludes, env_allowlist: As for
            `RayActorExecutor`; the working dir is size-checked before every submission.
        num_cpus, num_gpus, memory, resources: Resources reserved for the driver process.
        pending_timeout: Seconds a job may stay PENDING in `wait`/`get_result` before
            `JobPendingTimeoutError` (with a diagnosis) is raised; None waits as long as Ray does.
        python: The interpreter command the driver runs with (resolved on the cluster node).
    """

    def __init__(
        self,
        env: Mapping[str, Any] | None = None,
        job_id: str | None = None,
        language: str | None = None,
        *,
        dashboard_address: str | None = None,
        ray_address: str | None = None,
        runtime_env: Mapping[str, Any] | None = None,
        working_dir: str | os.PathLike[str] | None = None,
        requirements_file: str | os.PathLike[str] | None = None,
        num_cpus: float | None = None,
        num_gpus: float | None = None,
        memory: int | None = None,
        resources: Mapping[str, float] | None = None,
        env_allowlist: Iterable[str] = (),
        excludes: Iterable[str] = (),
        default_excludes: bool = True,
        max_working_dir_bytes: int = MAX_WORKING_DIR_BYTES,
        pending_timeout: float | None = 300.0,
        python: str = 'python',
    ):
        self.env = dict(env) if env is not None else None
        self.job_id = job_id
        self.language = language
        self.dashboard_address = resolve_dashboard_address(dashboard_address, ray_address)
        self.working_dir = str(working_dir) if working_dir is not None else None
        self.num_cpus = num_cpus
        self.num_gpus = num_gpus
        self.memory = memory
        self.resources = dict(resources or {})
        self.pending_timeout = pending_timeout
        self.python = python
        # Re-measured at each submission (files change): the arguments are bound once.
        self._plan_runtime_env = functools.partial(
            plan_runtime_env,
            runtime_env=runtime_env,
            working_dir=working_dir,
            requirements_file=requirements_file,
            env=self.env,
            env_allowlist=tuple(env_allowlist),
            excludes=tuple(excludes),
            default_excludes=default_excludes,
            max_working_dir_bytes=max_working_dir_bytes,
        )
        self._client_obj: JobSubmissionClient | None = None

    def __repr__(self) -> str:
        return f'RayJobsApiExecutor(dashboard_address={self.dashboard_address!r}, working_dir={self.working_dir!r})'

    @property
    def client(self) -> JobSubmissionClient:
        """The `ray.job_submission.JobSubmissionClient` (created on first use)."""
        if self._client_obj is None:
            self._client_obj = _submission_client(self.dashboard_address)
        return self._client_obj

    # -- submitting -----------------------------------------------------------------------------
    def submit(
        self,
        action: Any,
        params: Any = None,
        *,
        job_id: str | None = None,
        submission_id: str | None = None,
        name: str | None = None,
    ) -> str:
        """Submit `action` (``'module:Name'``, or an importable class/function) with `params`.

        `name` is the name the action runs under (its config.yaml key; ``SYNAPSE_ACTION_NAME`` in the job).

        Returns the Ray submission id. The working dir is checked first (`WorkingDirTooLargeError`
        lists its largest paths when it is over the limit).
        """
        entrypoint = _entrypoint_of(action)
        plan: RuntimeEnvPlan = self._plan_runtime_env()  # re-measured: files change
        backend_job = job_id if job_id is not None else self.job_id
        env_vars = dict(plan.runtime_env.get('env_vars') or {})
        env_vars['SYNAPSE_ACTION_ENTRYPOINT'] = entrypoint
        if name:
            env_vars['SYNAPSE_ACTION_NAME'] = name
        if backend_job:
            env_vars['SYNAPSE_JOB_ID'] = str(backend_job)
        if self.language:
            env_vars['SYNAPSE_LANGUAGE'] = self.language

        params_json = _jsonable_params(params)
        sealed: dict[str, Any] = {}
        if plan.worker_env.secret:
            sealed['secrets'] = dict(plan.worker_env.secret)
        # Params never travel in the runtime env (Ray shows it in the dashboard and the job record):
        # a field may be secret by a marker only the params model knows, so they are always sealed.
        sealed['params'] = params_json
        if sealed:
            env_vars[SEALED_ENV] = seal(self.client, sealed)

        runtime_env = {**plan.runtime_env, 'env_vars': env_vars}
        kwargs: dict[str, Any] = {}
        for name, value in (
            ('entrypoint_num_cpus', self.num_cpus),
            ('entrypoint_num_gpus', self.num_gpus),
            ('entrypoint_memory', self.memory),
            ('entrypoint_resources', self.resources or None),
        ):
            if value:
                kwargs[name] = value
        metadata = {'synapse_action': entrypoint, RESOURCES_METADATA: json.dumps(self._requested())}
        if backend_job:
            metadata['synapse_job_id'] = str(backend_job)
        return self.client.submit_job(
            entrypoint=f'{self.python} -m {DRIVER_MODULE}',
            runtime_env=runtime_env,
            submission_id=submission_id,
            metadata=metadata,
            **kwargs,
        )

    # -- following ------------------------------------------------------------------------------
    def get_status(self, job_id: str) -> str:
        """``'PENDING'``, ``'RUNNING'``, ``'SUCCEEDED'``, ``'FAILED'`` or ``'STOPPED'``."""
        return self.client.get_job_status(job_id).value

    def get_logs(self, job_id: str) -> str:
        """The job's whole log so far (driver stdout and stderr)."""
        return self.client.get_job_logs(job_id)

    def stop(self, job_id: str) -> bool:
        """Ask Ray to stop the job; True if it was running or pending."""
        return bool(self.client.stop_job(job_id))

    def wait(self, job_id: str, timeout: float | None = None, *, poll_interval: float = 0.5) -> str:
        """Block until the job ends; return ``'SUCCEEDED'``.

        Raises `JobFailedError` (FAILED, with the action's error and traceback) or
        `JobStoppedError`; `JobPendingTimeoutError` (with a diagnosis) when the job stays PENDING
        over `pending_timeout`; `TimeoutError` after `timeout` seconds in all.
        """
        started = time.monotonic()
        while True:
            status = self.get_status(job_id)
            if status in TERMINAL:
                break
            waited = time.monotonic() - started
            if status == 'PENDING' and self.pending_timeout is not None and waited > self.pending_timeout:
                from synapse_sdk.plugins.executors.ray.diagnosis import diagnose_pending

                raise JobPendingTimeoutError(job_id, waited, diagnose_pending(self.client, job_id))
            if timeout is not None and waited > timeout:
                raise TimeoutError(f'Ray job {job_id} still {status} after {timeout:g}s')
            time.sleep(poll_interval)
        if status != 'SUCCEEDED':
            raise self._failure(job_id, status)
        return status

    def get_result(self, job_id: str, timeout: float | None = None) -> Any:
        """Wait for the job and return the action's JSON-compatible result (raises like `wait`)."""
        self.wait(job_id, timeout)
        from synapse_sdk.plugins.entrypoint import parse_result_output

        try:
            payload = parse_result_output(self.get_logs(job_id))
        except ValueError as exc:
            raise RayExecutorError(f'Ray job {job_id} succeeded but printed no result') from exc
        if payload.get('status') != 'succeeded':
            raise self._failure(job_id, 'FAILED')
        return payload.get('result')

    def stream_logs(self, job_id: str, *, include_result: bool = False) -> Iterator[str]:
        """Yield the job's log lines as they are written, until the job ends.

        The result block the driver prints at the end is left out unless `include_result`.
        """
        lines: queue.Queue[Any] = queue.Queue(maxsize=1000)
        done = object()

        def pump() -> None:
            async def run() -> None:
                async for line in self.stream_logs_async(job_id, include_result=include_result):
                    lines.put(line)

            try:
                asyncio.run(run())
            except BaseException as exc:  # handed to the consumer
                lines.put(exc)
            finally:
                lines.put(done)

        thread = threading.Thread(target=pump, name=f'ray-job-logs-{job_id}', daemon=True)
        thread.start()
        while True:
            item = lines.get()
            if item is done:
                break
            if isinstance(item, BaseException):
                raise item
            yield item
        thread.join(timeout=5)

    async def stream_logs_async(self, job_id: str, *, include_result: bool = False) -> AsyncIterator[str]:
        """Async version of `stream_logs`."""
        import warnings

        hide = _ResultBlockFilter(include_result)
        pending = ''
        with warnings.catch_warnings():
            warnings.simplefilter('ignore', DeprecationWarning)  # aiohttp's ssl=None notice in Ray
            async for chunk in self.client.tail_job_logs(job_id):
                pending += chunk
                *complete, pending = pending.split('\n')
                for line in complete:
                    if hide.keep(line):
                        yield line
        if pending and hide.keep(pending):
            yield pending

    # -- internals ------------------------------------------------------------------------------
    def _requested(self) -> dict[str, float]:
        wanted = {'CPU': self.num_cpus, 'GPU': self.num_gpus, 'memory': self.memory, **self.resources}
        return {k: v for k, v in wanted.items() if v}

    def _failure(self, job_id: str, status: str) -> JobFailedError:
        from synapse_sdk.plugins.entrypoint import parse_result_output

        info = self.client.get_job_info(job_id)
        logs = self.get_logs(job_id)
        cls = JobStoppedError if status == 'STOPPED' else JobFailedError
        try:
            payload = parse_result_output(logs)
        except ValueError:
            payload = None
        if payload and payload.get('status') == 'failed':
            error = payload.get('error') or {}
            return cls(
                job_id,
                status,
                error.get('message', ''),
                error_type=error.get('type'),
                remote_traceback=error.get('traceback') or '',
            )
        tail = '\n'.join(logs.rstrip().splitlines()[-20:])
        return cls(
            job_id, status, info.message or 'the driver exited without reporting a result', logs_tail=tail
        )


_ENV_LOCK = threading.Lock()
_ADDRESS_VARS = ('RAY_API_SERVER_ADDRESS', 'RAY_ADDRESS')


def _submission_client(address: str) -> JobSubmissionClient:
    """A `JobSubmissionClient` bound to exactly `address`.

    Ray's client replaces an explicit address with ``RAY_API_SERVER_ADDRESS`` or ``RAY_ADDRESS``
    when either is set (a ``ray://`` value there broke every submission of the reference SDK for a
    week). They are hidden from the client while it resolves its address, then restored.
    """
    from ray.job_submission import JobSubmissionClient

    with _ENV_LOCK:
        saved = {name: os.environ.pop(name) for name in _ADDRESS_VARS if name in os.environ}
        try:
            return JobSubmissionClient(address)
        finally:
            os.environ.update(saved)


class _ResultBlockFilter:
    def __init__(self, include: bool):
        from synapse_sdk.plugins.entrypoint import RESULT_END, RESULT_START

        self.include = include
        self.start, self.end = RESULT_START, RESULT_END
        self.inside = False

    def keep(self, line: str) -> bool:
        if self.include:
            return True
        if line.strip() == self.start:
            self.inside = True
            return False
        if self.inside:
            if line.strip() == self.end:
                self.inside = False
            return False
        return True


def _entrypoint_of(action: Any) -> str:
    if isinstance(action, str):
        from synapse_sdk.plugins.loading import normalize_entrypoint

        return normalize_entrypoint(action)
    from synapse_sdk.plugins.definition import resolve_action

    entrypoint = resolve_action(action).entrypoint
    if entrypoint.startswith('__main__:') or '<locals>' in entrypoint:
        raise ValueError(
            f'Cannot submit {action!r} as a Ray job: it must be importable by name on the cluster '
            '(defined at module level of a module in the working dir)'
        )
    return entrypoint


def _jsonable_params(params: Any) -> dict[str, Any]:
    if params is None:
        return {}
    from synapse_sdk.plugins.execution import to_jsonable

    value = to_jsonable(params)
    if not isinstance(value, dict):
        raise TypeError(f'params must be a mapping or a pydantic model, got {type(params).__name__}')
    return value
