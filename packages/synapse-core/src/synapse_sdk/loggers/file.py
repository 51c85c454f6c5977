"""`JsonLinesFileLogger`: a complete, machine-readable record of a run in a JSON-lines file."""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path
from typing import Any, TextIO

from synapse_sdk.loggers.base import BaseLogger, utc_now_iso
from synapse_sdk.plugins.models.logger import LogEntry, ProgressData
from synapse_sdk.plugins.models.status import RunStatus

__all__ = ['JsonLinesFileLogger']


class JsonLinesFileLogger(BaseLogger):
    """Appends one JSON object per line to `path`: every entry, progress update, metrics update
    and status change, including debug entries.

    Lines look like ``{"event": "message", "data": {...}, "datetime": ..., "level": "info",
    "step": ...}``; progress lines have event ``progress``, metrics ``metrics``, status
    ``status``. Each line is flushed as written, so a crash loses nothing already logged.
    Values JSON cannot represent are written with `str`.
    """

    def __init__(self, path: str | os.PathLike[str], *, job_id: str | None = None):
        super().__init__()
        self.path = Path(path)
        self.job_id = job_id
        self._file: TextIO | None = None
        self._write_lock = threading.Lock()

    def _write(self, record: dict[str, Any]) -> None:
        if self.job_id is not None:
            record['job'] = self.job_id
        line = json.dumps(record, default=str, ensure_ascii=False)
        with self._write_lock:
            if self._file is None:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                self._file = self.path.open('a', encoding='utf-8')
            self._file.write(line + '\n')
            self._file.flush()

    def _emit(self, entry: LogEntry) -> None:
        self._write(entry.to_dict())

    def _emit_progress(self, progress: ProgressData) -> None:
        self._write(
            {
                'event': 'progress',
                'data': progress.to_dict(),
                'datetime': utc_now_iso(),
                'step': progress.step,
            }
        )

    def _emit_metrics(self, step: str, metrics: dict[str, Any]) -> None:
        self._write({'event': 'metrics', 'data': metrics, 'datetime': utc_now_iso(), 'step': step})

    def _emit_status(self, status: RunStatus, result: Any, error: str | None) -> None:
        data: dict[str, Any] = {'status': status.value}
        if result is not None:
            data['result'] = result
        if error is not None:
            data['error'] = error
        self._write({'event': 'status', 'data': data, 'datetime': utc_now_iso()})

    def _close(self) -> None:
        with self._write_lock:
            if self._file is not None:
                self._file.close()
                self._file = None
