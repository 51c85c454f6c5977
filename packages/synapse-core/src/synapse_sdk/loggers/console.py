"""`ConsoleLogger`: human-readable output for a developer's terminal or a container's stderr."""

from __future__ import annotations

import json
import os
import sys
import threading
from typing import Any, TextIO

from synapse_sdk.loggers.base import BaseLogger
from synapse_sdk.plugins.models.logger import LogEntry, LogLevel, ProgressData
from synapse_sdk.plugins.models.status import RunStatus

__all__ = ['ConsoleLogger']

_COLORS = {
    LogLevel.DEBUG: '\033[2m',
    LogLevel.INFO: '',
    LogLevel.SUCCESS: '\033[32m',
    LogLevel.WARNING: '\033[33m',
    LogLevel.DANGER: '\033[31m',
    LogLevel.ERROR: '\033[31m',
}
_RESET = '\033[0m'
_BAR_WIDTH = 30


class ConsoleLogger(BaseLogger):
    """Writes one readable line per entry to `stream` (default ``sys.stderr``).

    On a terminal, progress is drawn as a bar redrawn in place and levels are coloured (unless
    ``NO_COLOR`` is set); otherwise a progress line is printed each time a step crosses another
    10 %. Debug entries (``log_dev_event``) are shown only with ``show_debug=True``.
    """

    def __init__(self, stream: TextIO | None = None, *, show_debug: bool = False):
        super().__init__()
        self._stream = stream
        self.show_debug = show_debug
        self._write_lock = threading.Lock()
        self._bar_open = False
        self._printed_bucket: dict[str, int] = {}

    @property
    def stream(self) -> TextIO:
        return self._stream if self._stream is not None else sys.stderr

    def _isatty(self) -> bool:
        try:
            return self.stream.isatty()
        except (AttributeError, ValueError):
            return False

    def _color(self) -> bool:
        return self._isatty() and not os.environ.get('NO_COLOR')

    def _write_line(self, text: str) -> None:
        with self._write_lock:
            stream = self.stream
            if self._bar_open:
                stream.write('\n')
                self._bar_open = False
            stream.write(text + '\n')
            stream.flush()

    def _emit(self, entry: LogEntry) -> None:
        if entry.level is LogLevel.DEBUG and not self.show_debug:
            return
        data = dict(entry.data)
        if entry.event == 'message':
            body = str(data.pop('content', ''))
            data.pop('key', None)
        elif entry.event in ('log', 'debug') and 'message' in data:
            body = str(data.pop('message'))
        else:
            body = entry.event
        if data:
            body += ' ' + json.dumps(data, default=str, ensure_ascii=False)
        if entry.file:
            body += f' (file: {entry.file})'
        step = f'[{entry.step}] ' if entry.step else ''
        time_part = entry.datetime[11:19]
        level = entry.level.value.upper()
        if self._color():
            line = f'{_COLORS[entry.level]}{time_part} {level:<7} {step}{body}{_RESET}'
        else:
            line = f'{time_part} {level:<7} {step}{body}'
        self._write_line(line)

    def _emit_progress(self, progress: ProgressData) -> None:
        step = progress.step or 'progress'
        if self._isatty():
            filled = int(_BAR_WIDTH * progress.percent / 100)
            bar = '#' * filled + '-' * (_BAR_WIDTH - filled)
            eta = f' ETA {progress.time_remaining:.0f}s' if progress.time_remaining else ''
            text = f'\r{step}: [{bar}] {progress.percent:5.1f}% ({progress.current}/{progress.total}){eta}'
            with self._write_lock:
                self.stream.write(text)
                self._bar_open = True
                if progress.percent >= 100:
                    self.stream.write('\n')
                    self._bar_open = False
                self.stream.flush()
            return
        bucket = int(progress.percent // 10)
        if self._printed_bucket.get(step) == bucket:
            return
        self._printed_bucket[step] = bucket
        self._write_line(f'progress {step}: {progress.current}/{progress.total} ({progress.percent:.0f}%)')

    def _emit_metrics(self, step: str, metrics: dict[str, Any]) -> None:
        self._write_line(f'metrics {step}: {json.dumps(metrics, default=str, ensure_ascii=False)}')

    def _emit_status(self, status: RunStatus, result: Any, error: str | None) -> None:
        # Success and failure are already visible as user messages (completion / failure); only an
        # interruption has no message of its own.
        if status is RunStatus.CANCELLED:
            self._write_line(f'run {status.value}' + (f': {error}' if error else ''))
