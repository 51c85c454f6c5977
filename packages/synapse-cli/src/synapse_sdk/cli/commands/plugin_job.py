"""``synapse plugin job logs``: print or follow a job's logs from the backend, an agent or Ray."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from types import TracebackType
from typing import Any, Literal, Protocol

import click

from synapse_sdk.cli.errors import EXIT_INPUT, CliError, missing_dependency
from synapse_sdk.cli.localized import LocalizedCommand, LocalizedGroup
from synapse_sdk.cli.messages import t
from synapse_sdk.cli.options import debug_option, lang_option
from synapse_sdk.cli.output import get_output


class _LogLines(Protocol):
    """A source of log lines: the backend, an agent or Ray."""

    def __call__(
        self, job_id: str, follow: bool, *, ray_address: str | None, timeout: float
    ) -> Iterator[str]: ...


@click.group(cls=LocalizedGroup)
@lang_option
def job(language: str) -> None:
    """Inspect plugin jobs."""


@job.command('logs', cls=LocalizedCommand)
@click.argument('job_id')
@click.option('--follow', '-f', is_flag=True, help='Keep streaming new lines until the job ends.')
@click.option(
    '--source',
    type=click.Choice(['auto', 'backend', 'agent', 'ray']),
    default='auto',
    show_default=True,
    help='auto: Ray with --ray-address, else the agent when SYNAPSE_AGENT_URL/SYNAPSE_AGENT_TOKEN are set, '
    'else the backend.',
)
@click.option('--ray-address', metavar='ADDRESS', help='Ray dashboard of a job started with --mode job.')
@click.option(
    '--timeout', type=float, default=30.0, show_default=True, help='Agent: longest wait for a line.'
)
@lang_option
@debug_option
def logs(
    job_id: str, follow: bool, source: str, ray_address: str | None, timeout: float, language: str
) -> None:
    """Print the logs of JOB_ID (with --follow, stream them until the job completes).

    \b
    Examples:
      synapse plugin job logs 5f0c...            # a backend job
      synapse plugin job logs raysubmit_abc --ray-address http://127.0.0.1:8265 --follow
    """
    out = get_output()
    if source == 'auto':
        source = 'ray' if ray_address else ('agent' if _agent_configured() else 'backend')
    sources: dict[str, _LogLines] = {'ray': _ray_lines, 'agent': _agent_lines, 'backend': _backend_lines}
    lines = sources[source]
    for line in lines(job_id, follow, ray_address=ray_address, timeout=timeout):
        out.echo(line)


def _agent_configured() -> bool:
    import os

    return bool(os.environ.get('SYNAPSE_AGENT_URL') and os.environ.get('SYNAPSE_AGENT_TOKEN'))


def _backend_lines(job_id: str, follow: bool, **_: Any) -> Iterator[str]:
    from synapse_sdk.utils.auth import create_backend_client, resolve_credentials

    creds = resolve_credentials()
    client = create_backend_client(creds)
    if client is None:
        raise CliError(
            t('cli.backend.no_token', host=creds.host), hint=t('cli.job.no_token_hint'), exit_code=EXIT_INPUT
        )
    with _not_found_is_input_error(job_id):
        if not follow:
            logs = client.list_job_console_logs(job_id)
            if isinstance(logs, dict):
                logs = logs.get('logs', logs.get('results', []))
            if isinstance(logs, str):
                logs = logs.splitlines()
            yield from (str(line) for line in logs)
            return
        yield from _sse_log_lines(client.tail_job_console_logs(job_id), job_id)


def _sse_log_lines(raw_lines: Iterable[str], job_id: str) -> Iterator[str]:
    """Log text from the backend's ``tail_console_logs`` frames; stops at ``complete``."""
    for raw in raw_lines:
        if raw.startswith(':'):
            continue  # heartbeat comment
        payload = raw[5:].strip() if raw.startswith('data:') else raw
        try:
            frame = json.loads(payload)
        except json.JSONDecodeError:
            yield payload
            continue
        if not isinstance(frame, dict):
            yield str(frame)
            continue
        kind = frame.get('type')
        if kind == 'log':
            data = frame.get('data')
            yield data if isinstance(data, str) else json.dumps(data, ensure_ascii=False)
        elif kind == 'error':
            raise CliError(t('cli.job.stream_error', job_id=job_id, reason=frame.get('message')))
        elif kind == 'complete':
            return


def _agent_lines(job_id: str, follow: bool, *, timeout: float, **_: Any) -> Iterator[str]:
    from synapse_sdk.utils.auth import create_agent_client

    client = create_agent_client()
    if client is None:
        raise CliError(t('cli.job.no_agent'), hint=t('cli.job.no_agent_hint'), exit_code=EXIT_INPUT)
    with _not_found_is_input_error(job_id):
        if follow:
            yield from client.tail_job_logs(job_id, timeout)
        else:
            yield from client.get_job_logs(job_id).splitlines()


def _ray_lines(job_id: str, follow: bool, *, ray_address: str | None, **_: Any) -> Iterator[str]:
    try:
        from synapse_sdk.plugins.executors.ray.jobs_api import RayJobsApiExecutor
    except ImportError as exc:
        raise missing_dependency('Ray job logs', 'synapse-executors-ray', exc) from None
    executor = RayJobsApiExecutor(ray_address=ray_address)
    if follow:
        for chunk in executor.stream_logs(job_id):
            yield from chunk.rstrip('\n').split('\n')
    else:
        yield from executor.get_logs(job_id).rstrip('\n').split('\n')


class _not_found_is_input_error:
    """A 404 for the job becomes 'no job JOB_ID' (exit 2) instead of a generic HTTP error."""

    def __init__(self, job_id: str) -> None:
        self.job_id = job_id

    def __enter__(self) -> _not_found_is_input_error:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> Literal[False]:
        from synapse_sdk.clients.exceptions import NotFoundError

        if exc is not None and isinstance(exc, NotFoundError):
            raise CliError(
                t('cli.job.not_found', job_id=repr(self.job_id)), exit_code=EXIT_INPUT, kind='job_not_found'
            ) from None
        return False
