"""Data models of the logging system: levels, progress snapshots and log entries."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any

__all__ = ['LogEntry', 'LogLevel', 'ProgressData']


class LogLevel(StrEnum):
    """Severity of a log entry.

    `SUCCESS` and `DANGER` are the user-facing levels of `RuntimeContext.log_message`
    (``'success'`` and ``'danger'``); the rest mirror the stdlib levels.
    """

    DEBUG = 'debug'
    INFO = 'info'
    SUCCESS = 'success'
    WARNING = 'warning'
    DANGER = 'danger'
    ERROR = 'error'

    @property
    def rank(self) -> int:
        """Ordering for filtering: debug < info = success < warning < danger = error."""
        return _RANKS[self]

    @classmethod
    def coerce(cls, value: LogLevel | str) -> LogLevel:
        """Accept a member or its value (case-insensitive); 'critical' maps to ERROR."""
        if isinstance(value, cls):
            return value
        text = str(value).strip().lower()
        if text == 'critical':
            return cls.ERROR
        try:
            return cls(text)
        except ValueError:
            valid = ', '.join(m.value for m in cls)
            raise ValueError(f'Unknown log level {value!r}; expected one of: {valid}') from None


_RANKS = {
    LogLevel.DEBUG: 10,
    LogLevel.INFO: 20,
    LogLevel.SUCCESS: 20,
    LogLevel.WARNING: 30,
    LogLevel.DANGER: 40,
    LogLevel.ERROR: 40,
}


@dataclass
class ProgressData:
    """Progress of one step (or of the whole run when `step` is None).

    `percent` is 0-100; `time_remaining` is an estimate in seconds from the average rate so far,
    None until there is a rate.
    """

    # Whole numbers in the usual case (items done, items total); ``set_progress`` takes floats too and
    # they are kept as given, so the fields say ``float`` (which an ``int`` satisfies).
    current: float
    total: float
    step: str | None = None
    percent: float = 0.0
    time_remaining: float | None = None
    elapsed: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class LogEntry:
    """One log record as every logger sees it (and as the backend receives it)."""

    event: str
    data: dict[str, Any]
    datetime: str
    level: LogLevel = LogLevel.INFO
    step: str | None = None
    file: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            'event': self.event,
            'data': self.data,
            'datetime': self.datetime,
            'level': self.level.value,
        }
        if self.step is not None:
            out['step'] = self.step
        if self.file is not None:
            out['file'] = self.file
        out.update(self.extra)
        return out
