"""Exceptions raised by the Ray executors.

All derive from the core's `PluginError` (so ``except PluginError`` still catches everything) and from
the builtin a caller would expect: a refused working dir is a `ValueError`, a job that failed or never
started is a `RuntimeError` through `ExecutionError`.
"""

from __future__ import annotations

from collections.abc import Sequence

from synapse_sdk.plugins.errors import CapturedError, ExecutionError, PluginError

__all__ = [
    'ActorDiedError',
    'JobFailedError',
    'JobPendingTimeoutError',
    'JobStoppedError',
    'RayConnectionError',
    'RayExecutorError',
    'RemoteActionError',
    'WorkingDirTooLargeError',
]


class RayExecutorError(ExecutionError):
    """Base class for failures of the Ray machinery around an action (not of the action itself)."""


class RayConnectionError(RayExecutorError):
    """The Ray cluster at `address` could not be reached; `reason` says what happened there.

    `source` says where the address came from (``'given'``: an argument or ``--ray-address``;
    ``'RAY_ADDRESS'``: the environment variable), `timeout` the connect timeout in seconds when it ran out.
    The message is in `language` (``'en'``, ``'ko'``; `reason` should be in the same language).
    """

    def __init__(
        self,
        address: str,
        reason: str,
        *,
        source: str | None = None,
        timeout: float | None = None,
        language: str | None = None,
    ):
        from synapse_sdk.i18n import LocalizedMessage, resolve_language

        self.address = address
        self.reason = reason
        self.source = source
        self.timeout = timeout
        lang = resolve_language(language)
        origin = LocalizedMessage(_FROM_RAY_ADDRESS).get(lang) if source == 'RAY_ADDRESS' else ''
        super().__init__(
            LocalizedMessage(_CONNECT_FAILED).format(lang, address=address + origin, reason=reason)
        )


_CONNECT_FAILED = {
    'en': 'Could not connect to the Ray cluster at {address}: {reason}. Check the address and that the cluster '
    'is running; leave the address out to use a local cluster.',
    'ko': '{address}의 Ray 클러스터에 연결할 수 없습니다: {reason}. 주소와 클러스터가 실행 중인지 확인하세요. '
    '주소를 빼면 로컬 클러스터를 사용합니다.',
}
_FROM_RAY_ADDRESS = {'en': ' (from RAY_ADDRESS)', 'ko': ' (RAY_ADDRESS에서)'}


class WorkingDirTooLargeError(PluginError, ValueError):
    """The working dir is over Ray's package limit; `largest` lists its biggest entries.

    `largest` holds ``(relative path, bytes)`` pairs, biggest first, so the user sees at once what to
    exclude (``excludes=[...]``, ``.gitignore`` or ``.rayignore``).
    """

    def __init__(self, path: str, total: int, limit: int, largest: Sequence[tuple[str, int]]):
        self.path = path
        self.total = total
        self.limit = limit
        self.largest = list(largest)
        lines = [
            f'Working dir {path} holds {_mib(total)} after exclusions, over the {_mib(limit)} limit Ray '
            'accepts for an uploaded package. Largest paths:'
        ]
        lines += [f'  {_mib(size):>12}  {rel}' for rel, size in self.largest]
        lines.append(
            'Exclude them with excludes=[...] (gitignore-style patterns), a .gitignore or .rayignore file, '
            'or ship large files through storage instead.'
        )
        super().__init__('\n'.join(lines))


class ActorDiedError(RayExecutorError):
    """The actor running an action died (killed, out of memory, node lost) before the call returned.

    The executor has already discarded the dead actor; the next call creates a fresh one.
    """


class RemoteActionError(CapturedError):
    """An action failed on Ray with an exception that could not be rebuilt in this process.

    `type_name` is the remote exception's qualified class name and `remote_traceback` its formatted
    traceback (also attached as a note, so it prints with the error).
    """

    def __init__(self, type_name: str, message: str, remote_traceback: str = ''):
        super().__init__(type_name, message, remote_traceback)

    @property
    def remote_message(self) -> str:
        return self.message

    @property
    def remote_traceback(self) -> str:
        return self.formatted_traceback


class JobFailedError(RayExecutorError):
    """A Ray job ended FAILED or STOPPED, or its action failed.

    `error_type` and `remote_traceback` describe the action's exception when the driver reported
    one (the traceback is also attached as a note); `logs_tail` holds the last log lines only when
    the driver died without reporting (so the cause is still visible). The whole log is never
    embedded: fetch it with ``get_logs(job_id)``.
    """

    def __init__(
        self,
        job_id: str,
        status: str,
        message: str,
        *,
        error_type: str | None = None,
        remote_traceback: str = '',
        logs_tail: str = '',
    ):
        self.job_id = job_id
        self.status = status
        self.message = message
        self.error_type = error_type
        self.remote_traceback = remote_traceback
        self.logs_tail = logs_tail
        text = f'Ray job {job_id} ended {status}: '
        text += f'{error_type}: {message}' if error_type else message
        if logs_tail:
            text += f'\n--- last lines of the job log ---\n{logs_tail}'
        super().__init__(text)
        if remote_traceback:
            self.add_note('Traceback in the Ray job driver:\n' + remote_traceback.rstrip())


class JobStoppedError(JobFailedError):
    """A Ray job was stopped before it produced a result."""


class JobPendingTimeoutError(RayExecutorError):
    """A Ray job stayed PENDING longer than allowed; `diagnosis` lists the likely reasons."""

    def __init__(self, job_id: str, waited: float, diagnosis: Sequence[str]):
        self.job_id = job_id
        self.waited = waited
        self.diagnosis = list(diagnosis)
        lines = [f'Ray job {job_id} is still PENDING after {waited:.0f}s. Likely reasons:']
        lines += [f'  - {d}' for d in self.diagnosis]
        super().__init__('\n'.join(lines))


def _mib(n: int) -> str:
    return f'{n / 2**20:.1f} MiB'
