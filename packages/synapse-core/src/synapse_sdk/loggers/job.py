"""`BackendJobLogger`: sends a run's logs, progress and metrics to its backend job.

It talks to the backend only through `JobLogTransport` (``create_logs`` / ``update_job``), which
`synapse_sdk.clients.backend.BackendClient` implements, so synapse-core never imports a client.

Delivery model (each rule fixes a failure seen in production with one-request-per-event loggers):
- Log entries are queued and sent in batches (`batch_size` entries, or every `flush_interval`
  seconds) by a background thread; the action never waits on the network.
- No request body is larger than `max_request_bytes` (counted as the client encodes it): batches are
  filled up to it, and an entry that alone would not fit is cut, its longest strings ending with a
  visible marker that gives the original size (``[... truncated: this log entry was N bytes]``).
- When the backend (or a proxy in front of it) still refuses a request as too large (HTTP 413), the
  logger halves its byte cap, down to `min_request_bytes`, and sends the same entries again under it:
  the batch is split, an entry too large for the new cap is cut, a file is left out of its entry. A
  413 is not a backend failure: it costs no attempt and does not open the breaker. So one huge entry
  never sinks the ordinary entries batched with it.
- Progress and metrics are *coalesced*: only the newest snapshot is sent, at most once per
  `snapshot_interval` seconds, and always once more at the end so a finished job never shows 90 %.
- The queue is bounded (`max_queue`); when full, the oldest entries are dropped and counted.
- A failed batch is retried (up to `max_attempts` sends per entry), then dropped and counted.
- After `breaker_threshold` consecutive failures the logger stops calling the backend for
  `breaker_cooldown` seconds (entries stay queued), so an outage costs the run a few client
  timeouts, not one per batch. A status change still gets one attempt.
- Backend failures never propagate to the action. `stats` says what was sent and lost; losses are
  reported once through the ``synapse_sdk.loggers`` stdlib logger when the run finishes.
- An entry's ``file`` (a local path) is sent inline as a ``data:<mime>;base64,...`` URI, the form
  the backend stores, when the file exists, is at most `max_inline_file_bytes` (when set) and its
  entry fits in one request; otherwise the file is left out and ``data.file_not_sent`` says why. Entries with a file travel in a request of
  their own, so one large image cannot hold back a batch.
- Before a status change (``report_status``) everything queued is flushed, so the backend sees
  the final progress and logs before the job turns SUCCEEDED or FAILED.
"""

from __future__ import annotations

import atexit
import base64
import functools
import logging
import mimetypes
import threading
import time
import weakref
from collections import deque
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from synapse_sdk.loggers._sizing import LIST_OVERHEAD, SEPARATOR, cut_entry, wire_size
from synapse_sdk.loggers.base import BaseLogger
from synapse_sdk.loggers.transport import JobLogTransport
from synapse_sdk.plugins.models.logger import LogEntry, ProgressData
from synapse_sdk.plugins.models.status import RunStatus
from synapse_sdk.security.redaction import redact_url

__all__ = ['BackendJobLogger']

_log = logging.getLogger('synapse_sdk.loggers')

#: The default cap on a request body: nginx's default ``client_max_body_size`` (1 MiB).
DEFAULT_MAX_REQUEST_BYTES = 1024 * 1024
#: The smallest cap a 413 can lower it to.
DEFAULT_MIN_REQUEST_BYTES = 16 * 1024
_TOO_LARGE = 413  # HTTP status of a body over the server's (or its proxy's) limit
_SENT, _REFUSED_TOO_LARGE, _FAILED = 'sent', 'too_large', 'failed'


@dataclass(slots=True)
class _Queued:
    """A queued entry: what is sent, its size on the wire, its size before any cut, its failed sends."""

    record: dict[str, Any]
    size: int
    original: int
    attempts: int = 0

    @property
    def cut(self) -> bool:
        return self.size < self.original and 'file' not in self.record


def _finish_at_exit(ref: weakref.ref[BackendJobLogger]) -> None:
    logger = ref()
    if logger is not None:
        logger.finish()


class BackendJobLogger(BaseLogger):
    """Batches log entries and coalesces progress/metrics to one backend job."""

    def __init__(
        self,
        transport: JobLogTransport,
        job_id: str,
        *,
        batch_size: int = 200,
        flush_interval: float = 2.0,
        snapshot_interval: float = 1.0,
        max_queue: int = 10_000,
        max_attempts: int = 3,
        background: bool = True,
        breaker_threshold: int = 2,
        breaker_cooldown: float = 30.0,
        max_inline_file_bytes: int | None = None,
        max_request_bytes: int = DEFAULT_MAX_REQUEST_BYTES,
        min_request_bytes: int = DEFAULT_MIN_REQUEST_BYTES,
    ):
        super().__init__()
        if not job_id:
            raise ValueError('BackendJobLogger needs a job_id')
        if not 1024 <= min_request_bytes <= max_request_bytes:
            raise ValueError(
                f'BackendJobLogger needs 1024 <= min_request_bytes <= max_request_bytes, '
                f'got {min_request_bytes} and {max_request_bytes}'
            )
        self.transport = transport
        self.job_id = str(job_id)
        self.batch_size = batch_size
        self.flush_interval = flush_interval
        self.snapshot_interval = snapshot_interval
        self.max_queue = max_queue
        self.max_attempts = max_attempts
        self.background = background
        self.breaker_threshold = breaker_threshold
        self.breaker_cooldown = breaker_cooldown
        self.max_inline_file_bytes = max_inline_file_bytes
        self.max_request_bytes = max_request_bytes
        self.min_request_bytes = min_request_bytes
        #: The cap in force: `max_request_bytes`, lowered by each 413 the backend answers.
        self.request_cap = max_request_bytes
        self._consecutive_failures = 0
        self._open_until = 0.0
        self._queue: deque[_Queued] = deque()
        self._queued_bytes = 0
        self._cond = threading.Condition()
        self._send_lock = threading.Lock()
        self._snapshot_dirty = False
        self._last_logs_sent = time.monotonic()
        self._last_snapshot_sent = 0.0
        self._thread: threading.Thread | None = None
        self._exit_hook: Any = None
        self._stop = False
        self._stats = {
            'logs_sent': 0,
            'batches_sent': 0,
            'snapshots_sent': 0,
            'dropped': 0,
            'failures': 0,
            'skipped_calls': 0,
            'truncated': 0,
            'too_large': 0,
        }
        self._warned: set[str] = set()

    @property
    def stats(self) -> dict[str, int]:
        """Counters: ``logs_sent``, ``batches_sent``, ``snapshots_sent``, ``dropped``, ``failures``,
        ``skipped_calls`` (while the breaker was open), ``truncated`` (entries sent cut to fit a
        request), ``too_large`` (413 answers) and ``queued``."""
        with self._cond:
            return {**self._stats, 'queued': len(self._queue)}

    # -- hooks --------------------------------------------------------------------------------
    def _emit(self, entry: LogEntry) -> None:
        record = entry.to_dict()
        record['job'] = self.job_id
        if entry.file is not None:
            self._inline_file(record)
        queued = self._fit(_Queued(record, 0, 0))
        with self._cond:
            while len(self._queue) >= self.max_queue:
                self._pop()
                self._stats['dropped'] += 1
            if queued is None:
                self._stats['dropped'] += 1
            else:
                self._queue.append(queued)
                self._queued_bytes += queued.size
            if self._batch_ready():
                self._cond.notify()
        self._after_enqueue()

    def _emit_progress(self, progress: ProgressData) -> None:
        self._mark_snapshot()

    def _emit_metrics(self, step: str, metrics: dict[str, Any]) -> None:
        self._mark_snapshot()

    def _emit_status(self, status: RunStatus, result: Any, error: str | None) -> None:
        self.flush()
        data: dict[str, Any] = {'status': status.backend_value}
        if status is RunStatus.COMPLETED and result is not None:
            data['result'] = result
        if status is RunStatus.FAILED and error is not None:
            data['result'] = {'error': error}
        self._call('update_job', self.job_id, data, probe=True)

    def _inline_file(self, record: dict[str, Any]) -> None:
        path = Path(record.pop('file'))
        try:
            size = path.stat().st_size
            encoded_size = 4 * ((size + 2) // 3)
            if self.max_inline_file_bytes is not None and size > self.max_inline_file_bytes:
                reason = f'{size} bytes exceeds the {self.max_inline_file_bytes}-byte inline limit'
            elif encoded_size + wire_size(record) + LIST_OVERHEAD > self.request_cap:
                reason = f'{size} bytes do not fit in a request of at most {self.request_cap} bytes'
            else:
                mime = mimetypes.guess_type(path.name)[0] or 'application/octet-stream'
                encoded = base64.b64encode(path.read_bytes()).decode('ascii')
                record['file'] = f'data:{mime};base64,{encoded}'
                return
        except OSError as exc:
            reason = f'cannot read it: {type(exc).__name__}'
        _leave_file_out(record, f'{path.name}: {reason}')

    def _fit(self, item: _Queued) -> _Queued | None:
        """`item` sized, and cut (or its file left out) if it does not fit alone in a request now."""
        room = self.request_cap - LIST_OVERHEAD
        if not item.size:
            item.size = item.original = wire_size(item.record)
        if item.size <= room:
            return item
        if 'file' in item.record:
            _leave_file_out(
                item.record,
                f'the file does not fit in a request of at most {self.request_cap} bytes '
                '(the backend refused larger ones with HTTP 413)',
            )
            item.size = item.original = wire_size(item.record)
            if item.size <= room:
                return item
        record = cut_entry(item.record, room, item.original)
        if record is None:
            return None
        item.record, item.size = record, wire_size(record)
        return item

    # -- delivery -----------------------------------------------------------------------------
    def _batch_ready(self) -> bool:
        """Enough is queued to fill a request (by count or by bytes). Call with ``_cond`` held."""
        return len(self._queue) >= self.batch_size or self._queued_bytes >= self.request_cap

    def _pop(self) -> _Queued:
        item = self._queue.popleft()
        self._queued_bytes -= item.size
        return item

    def _push_front(self, items: list[_Queued]) -> None:
        self._queue.extendleft(reversed(items))
        self._queued_bytes += sum(item.size for item in items)

    def _mark_snapshot(self) -> None:
        with self._cond:
            self._snapshot_dirty = True
        self._after_enqueue()

    def _after_enqueue(self) -> None:
        if self._finished or not self.background:
            # Synchronous mode (or after finish): deliver what is due right now.
            self._deliver(force=self._finished)
            return
        if self._thread is None:
            with self._cond:
                if self._thread is None:
                    self._thread = threading.Thread(
                        target=self._run, name=f'joblog-flusher-{self.job_id}', daemon=True
                    )
                    self._thread.start()
                    # A logger nobody finished still delivers what it holds when the process exits.
                    self._exit_hook = functools.partial(_finish_at_exit, weakref.ref(self))
                    atexit.register(self._exit_hook)

    def _run(self) -> None:
        while True:
            with self._cond:
                if self._stop:
                    return
                self._cond.wait(timeout=0.2)
                if self._stop:
                    return
            self._deliver(force=False)

    def _deliver(self, *, force: bool) -> None:
        with self._send_lock:
            now = time.monotonic()
            with self._cond:
                logs_due = bool(self._queue) and (
                    force or self._batch_ready() or now - self._last_logs_sent >= self.flush_interval
                )
                snap_due = self._snapshot_dirty and (
                    force or now - self._last_snapshot_sent >= self.snapshot_interval
                )
            while logs_due:
                if not self._send_batch():
                    break
                with self._cond:
                    logs_due = bool(self._queue) and (force or self._batch_ready())
            if snap_due:
                self._send_snapshot()

    def _send_batch(self) -> bool:
        with self._cond:
            batch: list[_Queued] = []
            size = LIST_OVERHEAD
            while self._queue and len(batch) < self.batch_size:
                head = self._queue[0]
                has_file = 'file' in head.record
                if has_file and batch:
                    break  # a file entry goes in a request of its own
                if head.size + LIST_OVERHEAD > self.request_cap:  # the cap fell since it was queued
                    self._pop()
                    refit = self._fit(head)
                    if refit is None:
                        self._stats['dropped'] += 1
                        continue
                    self._push_front([refit])
                    head = refit
                if batch and size + SEPARATOR + head.size > self.request_cap:
                    break
                size += head.size + (SEPARATOR if batch else 0)
                batch.append(self._pop())
                if has_file:
                    break
        if not batch:
            return False
        outcome = self._call('create_logs', [item.record for item in batch])
        self._last_logs_sent = time.monotonic()
        with self._cond:
            if outcome == _SENT:
                self._stats['logs_sent'] += len(batch)
                self._stats['batches_sent'] += 1
                self._stats['truncated'] += sum(item.cut for item in batch)
                return True
            if outcome == _REFUSED_TOO_LARGE and self._lower_cap(size):
                self._push_front(batch)  # sent again, split or cut under the new cap
                return True
            retry = []
            for item in batch:
                item.attempts += 1
                if item.attempts < self.max_attempts:
                    retry.append(item)
            self._stats['dropped'] += len(batch) - len(retry)
            room = self.max_queue - len(self._queue)
            if len(retry) > room:
                self._stats['dropped'] += len(retry) - room
                retry = retry[: max(room, 0)]
            self._push_front(retry)
        return False

    def _lower_cap(self, refused: int) -> bool:
        """After a 413 for a body of `refused` bytes: halve the cap; False if it cannot go lower."""
        self._stats['too_large'] += 1
        cap = max(self.min_request_bytes, min(self.request_cap, refused // 2))
        if cap >= refused:
            return False
        if 'too_large' not in self._warned:
            self._warned.add('too_large')
            _log.warning(
                'The backend refused %d bytes of logs for job %s as too large (HTTP 413); '
                'sending at most %d bytes per request from now on',
                refused,
                self.job_id,
                cap,
            )
        self.request_cap = cap
        return True

    def _send_snapshot(self) -> None:
        with self._cond:
            self._snapshot_dirty = False
        owner = self._owner
        data = {'progress_record': owner.progress_record(), 'metrics_record': owner.metrics_record()}
        self._last_snapshot_sent = time.monotonic()
        if self._call('update_job', self.job_id, data) == _SENT:
            with self._cond:
                self._stats['snapshots_sent'] += 1
        else:
            with self._cond:
                self._snapshot_dirty = True  # retry with the newest state next time

    @property
    def breaker_open(self) -> bool:
        return time.monotonic() < self._open_until

    def _call(self, method: str, *args: Any, probe: bool = False) -> str:
        """``'sent'``, ``'too_large'`` (the backend answered 413) or ``'failed'``."""
        if not probe and self.breaker_open:
            with self._cond:
                self._stats['skipped_calls'] += 1
            return _FAILED
        try:
            getattr(self.transport, method)(*args)
        except Exception as exc:  # a backend problem must never stop the action
            if method == 'create_logs' and getattr(exc, 'status_code', None) == _TOO_LARGE:
                # The backend answered: it is up, the batch was too big. Not a failure to count.
                with self._cond:
                    self._consecutive_failures = 0
                return _REFUSED_TOO_LARGE
            with self._cond:
                self._stats['failures'] += 1
                self._consecutive_failures += 1
                if self._consecutive_failures >= self.breaker_threshold:
                    self._open_until = time.monotonic() + self.breaker_cooldown
            kind = f'{method}:{type(exc).__name__}'
            if kind not in self._warned:
                self._warned.add(kind)
                _log.warning(
                    'Could not send %s for job %s: %s: %s',
                    method,
                    self.job_id,
                    type(exc).__name__,
                    redact_url(str(exc)),
                )
            return _FAILED
        with self._cond:
            self._consecutive_failures = 0
            self._open_until = 0.0
        return _SENT

    def flush(self) -> None:
        """Send everything queued and the latest snapshot now (one retry round for failures)."""
        for _ in range(self.max_attempts):
            self._deliver(force=True)
            with self._cond:
                if not self._queue and not self._snapshot_dirty:
                    return
            if self.breaker_open:
                return

    def _close(self) -> None:
        if self._exit_hook is not None:
            atexit.unregister(self._exit_hook)
        with self._cond:
            self._stop = True
            self._cond.notify_all()
        if self._thread is not None:
            self._thread.join(timeout=30)
        self.flush()
        stats = self.stats
        lost = stats['dropped'] + stats['queued']
        if lost:
            _log.warning('%d log entries for job %s could not be delivered to the backend', lost, self.job_id)
        if stats['truncated']:
            _log.warning(
                '%d log entries for job %s were cut to fit in a request of %d bytes (marked "truncated")',
                stats['truncated'],
                self.job_id,
                self.request_cap,
            )


def _leave_file_out(record: dict[str, Any], reason: str) -> None:
    record.pop('file', None)
    record['data'] = {**record['data'], 'file_not_sent': reason}
