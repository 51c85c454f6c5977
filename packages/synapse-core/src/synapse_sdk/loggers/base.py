"""`BaseLogger`: the state every logger shares (progress, metrics, steps) and the emit hooks.

A logger receives four kinds of things from an action: log entries (events and user messages),
progress updates, metrics and the run status. `BaseLogger` validates and records them, then
calls a hook (`_emit`, `_emit_progress`, `_emit_metrics`, `_emit_status`) that concrete
loggers implement to write to the console, a file or the backend.

Two rules hold for every logger:
- Progress never crashes a run: ``current > total`` is clamped to ``total`` and a
  `ProgressWarning` is issued; a zero total counts as complete.
- Values under secret-looking keys (``token``, ``password``, ``api_key`` ...) are masked before
  any hook sees them, and so is every occurrence of the run's secret values (`add_secrets`; the
  executor adds the secret params of the action), wherever the action wrote them: the event, the
  message text, any string of the data, metrics, the status error.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from synapse_sdk.plugins._warnings import warn_user
from synapse_sdk.plugins.models.logger import LogEntry, LogLevel, ProgressData
from synapse_sdk.plugins.models.status import RunStatus
from synapse_sdk.security.redaction import redact, scrub

__all__ = ['BaseLogger', 'CompositeLogger', 'LoggerWarning', 'NullLogger', 'ProgressWarning', 'to_plain']

DEFAULT_STEP = 'default'


class ProgressWarning(RuntimeWarning):
    """A progress update was out of range and has been corrected (developer warning)."""


class LoggerWarning(RuntimeWarning):
    """A logger could not write (closed stream, full disk ...); the run goes on without it."""


def utc_now_iso() -> str:
    return datetime.now(UTC).isoformat()


_PRIMITIVES = (str, int, float, bool, type(None))


def to_plain(value: Any, _depth: int = 0) -> Any:
    """JSON-ready copy of log data and metrics without importing numpy or torch.

    Scalars of array libraries (``numpy.float32(0.1)``, a 0-d tensor) become Python numbers through
    their ``item()``; arrays become lists through ``tolist()``; tuples and sets become lists; other
    objects are kept (the file logger writes them with `str`). Without this a single numpy loss value
    would make the backend reject a whole metrics snapshot.
    """
    if isinstance(value, _PRIMITIVES) or _depth > 20:
        return value
    if isinstance(value, Mapping):
        return {str(k) if not isinstance(k, str) else k: to_plain(v, _depth + 1) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [to_plain(v, _depth + 1) for v in value]
    item = getattr(value, 'item', None)
    if callable(item) and getattr(value, 'ndim', 0) == 0 and not isinstance(value, Mapping):
        try:
            return to_plain(item(), _depth + 1)
        except (TypeError, ValueError):
            pass
    tolist = getattr(value, 'tolist', None)
    if callable(tolist):
        try:
            return to_plain(tolist(), _depth + 1)
        except (TypeError, ValueError):
            pass
    return value


class _StepProgress:
    __slots__ = ('current', 'first_current', 'first_time', 'last_time', 'total')

    def __init__(self, current: float, total: float, now: float):
        self.current = current
        self.total = total
        self.first_current = current
        self.first_time = now
        self.last_time = now


class BaseLogger:
    """Shared logger state and API; subclasses override the ``_emit*`` hooks.

    Thread-safe: actions may report from worker threads.
    """

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._progress: dict[str, _StepProgress] = {}
        self._metrics: dict[str, dict[str, Any]] = {}
        self._proportions: dict[str, float] = {}
        self._current_step: str | None = None
        self._last_progress_step: str | None = None
        self._overall = 0.0
        self._finished = False
        #: The logger whose progress/metrics state this one reports (a `CompositeLogger` parent).
        self._owner: BaseLogger = self
        self._failed_hooks: set[str] = set()
        self._secrets: frozenset[str] = frozenset()

    def add_secrets(self, values: Iterable[str]) -> None:
        """Mask (``***``) each of `values` wherever it appears in what this logger records from now on:
        the secret values of the run's params, which an action may still put in a message
        (``ctx.log_message(f'connecting with {params.password}')``). Values under 4 characters are
        ignored (masking them would mangle ordinary text)."""
        added = {value for value in values if isinstance(value, str) and len(value) >= 4}
        if added:
            with self._lock:
                self._secrets = self._secrets | added

    def _scrub(self, value: Any) -> Any:
        secrets = self._secrets
        return scrub(value, secrets) if secrets else value

    def _dispatch(self, hook: str, *args: Any) -> None:
        """Call an output hook; a failing output is reported once and never stops the action."""
        try:
            getattr(self, hook)(*args)
        except Exception as exc:
            if hook not in self._failed_hooks:
                self._failed_hooks.add(hook)
                warn_user(
                    f'{type(self).__name__} could not write ({hook}: {type(exc).__name__}: {exc}); '
                    'the run continues without it',
                    LoggerWarning,
                )

    # -- entries ------------------------------------------------------------------------------
    def log(
        self,
        level: LogLevel | str,
        event: str,
        data: Mapping[str, Any] | None = None,
        file: str | None = None,
        step: str | None = None,
    ) -> LogEntry:
        """Record a structured event; `data` must be a mapping (it is redacted, never mutated)."""
        if data is not None and not isinstance(data, Mapping):
            raise TypeError(f'log data must be a mapping, got {type(data).__name__}')
        entry = LogEntry(
            event=self._scrub(str(event)),
            data=self._scrub(to_plain(redact(dict(data or {})))),
            datetime=utc_now_iso(),
            level=LogLevel.coerce(level),
            step=step if step is not None else self._current_step,
            file=None if file is None else str(file),
        )
        self._dispatch('_emit', entry)
        return entry

    def message(
        self,
        content: str,
        level: LogLevel | str = LogLevel.INFO,
        *,
        key: str | None = None,
        step: str | None = None,
    ) -> LogEntry:
        """A user-facing message (event ``message``, data ``{'content': ..., 'key': code?}``)."""
        data: dict[str, Any] = {'content': content}
        if key is not None:
            data['key'] = key
        return self.log(level, 'message', data, step=step)

    def debug(self, message: str, **data: Any) -> LogEntry:
        return self.log(LogLevel.DEBUG, 'debug', {'message': message, **data})

    def info(self, message: str, **data: Any) -> LogEntry:
        return self.log(LogLevel.INFO, 'log', {'message': message, **data})

    def warning(self, message: str, **data: Any) -> LogEntry:
        return self.log(LogLevel.WARNING, 'log', {'message': message, **data})

    def error(self, message: str, **data: Any) -> LogEntry:
        return self.log(LogLevel.ERROR, 'log', {'message': message, **data})

    # -- steps --------------------------------------------------------------------------------
    def set_step(self, step: str | None) -> None:
        """Set the step that entries without an explicit step are attributed to."""
        with self._lock:
            self._current_step = step

    def get_step(self) -> str | None:
        return self._current_step

    def set_step_proportions(self, proportions: Mapping[str, float]) -> None:
        """Declare each step's share of the whole run, for the ``overall`` percentage.

        Shares are relative weights (they need not sum to 1 or 100). Steps without a share do not
        count toward ``overall``. Without any proportions, ``overall`` follows the latest step.
        """
        clean = {}
        for name, share in proportions.items():
            if share < 0:
                raise ValueError(f'Step proportion for {name!r} must be >= 0, got {share}')
            clean[str(name)] = float(share)
        with self._lock:
            self._proportions = clean

    # -- progress -----------------------------------------------------------------------------
    def set_progress(self, current: float, total: float, step: str | None = None) -> ProgressData:
        """Record progress of `step` (default: the current step, else ``'default'``)."""
        name = step or self._current_step or DEFAULT_STEP
        if total is None or total < 0:
            warn_user(
                f'set_progress: total must be >= 0 (got {total!r}) for step {name!r}; update ignored',
                ProgressWarning,
            )
            return self.get_progress(name) or ProgressData(0, 0, name)
        if current < 0:
            warn_user(
                f'set_progress: current {current} < 0 for step {name!r}; clamped to 0',
                ProgressWarning,
            )
            current = 0
        if current > total:
            warn_user(
                f'set_progress: current {current} exceeds total {total} for step {name!r}; clamped to {total}',
                ProgressWarning,
            )
            current = total
        now = time.monotonic()
        with self._lock:
            state = self._progress.get(name)
            if state is None or state.total != total or current < state.current:
                state = self._progress[name] = _StepProgress(current, total, now)
            else:
                state.current = current
                state.last_time = now
            self._last_progress_step = name
            data = self._snapshot(name, state)
            self._update_overall()
        self._dispatch('_emit_progress', data)
        return data

    def _snapshot(self, name: str, state: _StepProgress) -> ProgressData:
        percent = 100.0 if state.total == 0 else round(100.0 * state.current / state.total, 2)
        remaining = None
        done = state.current - state.first_current
        spent = state.last_time - state.first_time
        if done > 0 and spent > 0 and state.total:
            remaining = round((state.total - state.current) * spent / done, 2)
        return ProgressData(
            current=state.current,
            total=state.total,
            step=name,
            percent=percent,
            time_remaining=remaining,
            elapsed=round(time.monotonic() - state.first_time, 3),
        )

    def _update_overall(self) -> None:
        if self._proportions:
            weight = sum(self._proportions.values())
            if weight <= 0:
                return
            value = 0.0
            for name, share in self._proportions.items():
                state = self._progress.get(name)
                if state is not None:
                    value += share * (1.0 if state.total == 0 else state.current / state.total)
            overall = 100.0 * value / weight
        else:
            assert self._last_progress_step is not None  # progress was set (guarded by the caller)
            state = self._progress[self._last_progress_step]
            overall = 100.0 if state.total == 0 else 100.0 * state.current / state.total
        self._overall = max(self._overall, round(overall, 2)) if self._proportions else round(overall, 2)

    def get_progress(self, step: str | None = None) -> ProgressData | None:
        """Latest progress of `step` (default: the step last updated); None if never set."""
        with self._lock:
            name = step or self._last_progress_step
            state = self._progress.get(name) if name else None
            return None if name is None or state is None else self._snapshot(name, state)

    def progress_record(self) -> dict[str, Any]:
        """All progress in the backend's ``progress_record`` shape."""
        with self._lock:
            steps = {}
            for name, state in self._progress.items():
                snap = self._snapshot(name, state)
                steps[name] = {
                    'current': snap.current,
                    'total': snap.total,
                    'percent': snap.percent,
                    'time_remaining': snap.time_remaining,
                }
                if name in self._proportions:
                    steps[name]['proportion'] = self._proportions[name]
            current = self._last_progress_step
            return {
                'steps': steps,
                'current_progress': {
                    'step': current,
                    'percent': steps[current]['percent'] if current else 0.0,
                    'time_remaining': steps[current]['time_remaining'] if current else None,
                    'overall': self._overall,
                },
            }

    # -- metrics ------------------------------------------------------------------------------
    def set_metrics(self, value: Mapping[str, Any], step: str | None = None) -> None:
        """Merge `value` into the metrics of `step` (default: the current step, else ``'default'``)."""
        if not isinstance(value, Mapping):
            raise TypeError(f'metrics must be a mapping, got {type(value).__name__}')
        name = step or self._current_step or DEFAULT_STEP
        clean = self._scrub(to_plain(redact(dict(value))))
        with self._lock:
            self._metrics.setdefault(name, {}).update(clean)
        self._dispatch('_emit_metrics', name, clean)

    def get_metrics(self, step: str | None = None) -> dict[str, Any]:
        """Metrics of one step, or of all steps (``{step: {...}}``) when `step` is None."""
        with self._lock:
            if step is not None:
                return dict(self._metrics.get(step, {}))
            return {k: dict(v) for k, v in self._metrics.items()}

    def metrics_record(self) -> dict[str, Any]:
        """All metrics in the backend's ``metrics_record`` shape."""
        return {'steps': self.get_metrics()}

    # -- lifecycle ----------------------------------------------------------------------------
    def report_status(self, status: RunStatus, *, result: Any = None, error: str | None = None) -> None:
        """Report the run status (executors call this; `result` must already be JSON-compatible)."""
        self._dispatch(
            '_emit_status', RunStatus(status), result, None if error is None else self._scrub(error)
        )

    def flush(self) -> None:
        """Deliver anything buffered. Default: nothing is buffered."""

    def finish(self) -> None:
        """Flush and release resources. Idempotent; logging afterwards still works but is unbuffered."""
        with self._lock:
            if self._finished:
                return
            self._finished = True
        self._dispatch('flush')
        self._dispatch('_close')

    @property
    def finished(self) -> bool:
        return self._finished

    # -- hooks --------------------------------------------------------------------------------
    def _emit(self, entry: LogEntry) -> None:
        """Write one entry."""

    def _emit_progress(self, progress: ProgressData) -> None:
        """Write one progress update."""

    def _emit_metrics(self, step: str, metrics: dict[str, Any]) -> None:
        """Write one metrics update (only the new values)."""

    def _emit_status(self, status: RunStatus, result: Any, error: str | None) -> None:
        """Write a run status change."""

    def _close(self) -> None:
        """Release resources after the final flush."""


class NullLogger(BaseLogger):
    """Keeps progress and metrics state but writes nothing (tests, benchmarks, nested runs)."""


class CompositeLogger(BaseLogger):
    """Fans every entry, update and status out to several loggers; holds the shared state itself.

    The children's own state is not updated: ask the composite for progress and metrics.
    """

    def __init__(self, *loggers: BaseLogger):
        super().__init__()
        self.loggers: tuple[BaseLogger, ...] = tuple(loggers)
        for child in self.loggers:
            child._owner = self

    def _emit(self, entry: LogEntry) -> None:
        for child in self.loggers:
            child._dispatch('_emit', entry)

    def _emit_progress(self, progress: ProgressData) -> None:
        for child in self.loggers:
            child._dispatch('_emit_progress', progress)

    def _emit_metrics(self, step: str, metrics: dict[str, Any]) -> None:
        for child in self.loggers:
            child._dispatch('_emit_metrics', step, metrics)

    def _emit_status(self, status: RunStatus, result: Any, error: str | None) -> None:
        for child in self.loggers:
            child._dispatch('_emit_status', status, result, error)

    def flush(self) -> None:
        for child in self.loggers:
            child._dispatch('flush')

    def _close(self) -> None:
        for child in self.loggers:
            child.finish()

    def find(self, kind: type[BaseLogger]) -> BaseLogger | None:
        """The first child that is an instance of `kind` (e.g. the backend job logger)."""
        for child in self.loggers:
            if isinstance(child, kind):
                return child
        return None
