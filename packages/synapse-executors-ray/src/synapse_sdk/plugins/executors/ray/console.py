"""An action's console output, carried from the Ray worker to the driver's console (task mode, pipelines).

In local mode an action's log lines, progress bars and prints appear on the caller's terminal. On Ray the
worker's output would reach the driver through Ray's log forwarding: as ``(ActionActor pid=...)`` lines
with colour codes, progress as text lines instead of bars, and late, after the result. Instead, the
worker's context gets a `ForwardingLogger` in place of its console logger and the worker's
``sys.stdout``/``sys.stderr`` and file descriptors 1 and 2 are captured for the run (`capture_output`);
all of it turns into *console events* (plain JSON lists), and the driver renders them with a
`ConsoleLogger` of its own, so its terminal decides bars and colours exactly as in local mode.

How events travel (chosen so that the action keeps running on the actor's main thread, as before):

* while the run lasts, a publisher thread in the worker writes each new batch to the cluster's internal
  key-value store under ``<channel>/<seq>``, at most every `FLUSH_INTERVAL` seconds; the driver reads
  and deletes them while it waits for the result;
* what is left when the action returns travels in the call's result, after every published batch.

So every event is rendered before the result, in order, and a quick call costs no key-value traffic.
"""

from __future__ import annotations

import io
import secrets
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from typing import Any, TextIO

from synapse_sdk.loggers.base import BaseLogger

__all__ = [
    'FLUSH_INTERVAL',
    'ConsoleRenderer',
    'EventPublisher',
    'EventReader',
    'ForwardingLogger',
    'capture_output',
    'new_channel',
]

#: Seconds between two batches a worker publishes while an action runs.
FLUSH_INTERVAL = 0.2
# Seconds the end of a run waits for output still arriving on the descriptors (see `_DescriptorCapture`).
_DRAIN_SECONDS = 1.0
_NAMESPACE = 'synapse_console'
Event = list[Any]


def new_channel() -> str:
    """A fresh, unguessable key prefix for one call's events."""
    return f'run-{secrets.token_hex(8)}/'


def _kv() -> Any:
    from ray.experimental import internal_kv

    return internal_kv


# -- worker side --------------------------------------------------------------------------------------
class EventPublisher:
    """Collects one run's events in the worker and publishes them in batches (see the module docstring)."""

    def __init__(self, channel: str | None, interval: float = FLUSH_INTERVAL):
        self.channel = channel
        self.interval = interval
        self.published = 0
        self._pending: list[Event] = []
        self._cond = threading.Condition()
        self._closed = False
        self._thread: threading.Thread | None = None

    def put(self, event: Event) -> None:
        with self._cond:
            last = self._pending[-1] if self._pending else None
            if last is not None and event[0] in ('out', 'err') and last[0] == event[0]:
                last[1] += event[1]  # consecutive writes to one stream travel as one text
            else:
                self._pending.append(event)
            self._cond.notify()

    def start(self) -> EventPublisher:
        if self.channel is not None:
            self._thread = threading.Thread(target=self._pump, name='synapse-console-events', daemon=True)
            self._thread.start()
        return self

    def close(self) -> list[Event]:
        """Stop publishing; return the events not published yet (the call hands them back itself)."""
        with self._cond:
            self._closed = True
            self._cond.notify()
        if self._thread is not None:
            self._thread.join()
        with self._cond:
            rest, self._pending = self._pending, []
        return rest

    def _pump(self) -> None:
        import json

        while True:
            with self._cond:
                while not self._pending and not self._closed:
                    self._cond.wait()
                if self._closed:
                    return
            # Let a burst accumulate, unless the run ends meanwhile (then `close` hands it back).
            with self._cond:
                self._cond.wait_for(lambda: self._closed, timeout=self.interval)
                if self._closed:
                    return
                batch, self._pending = self._pending, []
            try:
                key = f'{self.channel}{self.published:010d}'
                _kv()._internal_kv_put(key, json.dumps(batch, default=str), namespace=_NAMESPACE)
                self.published += 1
            except Exception:  # the key-value store is gone (cluster shutting down): keep it for the result
                with self._cond:
                    self._pending[:0] = batch


class ForwardingLogger(BaseLogger):
    """Stands in for the worker's `ConsoleLogger`: every entry, progress update, metrics update and status
    becomes an event for the driver's console (debug entries only with `show_debug`, as in local mode)."""

    def __init__(self, publisher: EventPublisher, *, show_debug: bool = False):
        super().__init__()
        self.publisher = publisher
        self.show_debug = show_debug

    def _emit(self, entry: Any) -> None:
        from synapse_sdk.plugins.models.logger import LogLevel

        if entry.level is LogLevel.DEBUG and not self.show_debug:
            return
        self.publisher.put(['log', entry.level.value, entry.event, entry.data, entry.file, entry.step])

    def _emit_progress(self, progress: Any) -> None:
        self.publisher.put(['progress', progress.current, progress.total, progress.step])

    def _emit_metrics(self, step: str, metrics: dict[str, Any]) -> None:
        self.publisher.put(['metrics', step, metrics])

    def _emit_status(self, status: Any, result: Any, error: str | None) -> None:
        self.publisher.put(['status', getattr(status, 'value', status), error])


class _RoutedStream(io.TextIOBase):
    """A worker's ``sys.stdout``/``sys.stderr``, installed once per process (see `capture_output`).

    While a run is captured its writes become ``['out'|'err', text]`` events of that run; otherwise they
    go to the stream it replaced. One object for the life of the worker, because code keeps references
    to ``sys.stderr`` (a ``logging.StreamHandler()`` created when the plugin is first imported): such a
    handler must reach the run that is current when it writes, not the one that imported the plugin.
    """

    def __init__(self, kind: str, original: TextIO):
        self._kind = kind
        self._original = original

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        publisher = _current
        if publisher is None:
            return self._original.write(text)
        if text:
            publisher.put([self._kind, str(text)])
        return len(text)

    def flush(self) -> None:
        if _current is None:
            self._original.flush()

    def isatty(self) -> bool:
        return False if _current is not None else self._original.isatty()

    def fileno(self) -> int:  # the descriptor itself is captured too (see `_DescriptorCapture`)
        return self._original.fileno()

    @property
    def buffer(self) -> _BytesToEvents:  # ``sys.stdout.buffer.write(b'...')`` works as on a real stream
        return _BytesToEvents(self)

    @property
    def encoding(self) -> str:  # type: ignore[override]  # TextIOBase declares it a plain attribute
        return 'utf-8'


class _BytesToEvents(io.RawIOBase):
    def __init__(self, text: _RoutedStream):
        self._text = text

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        self._text.write(bytes(data).decode('utf-8', 'replace'))
        return len(data)


class _DescriptorCapture:
    """During a run, what reaches file descriptors 1 and 2 becomes events too: a subprocess's output, a C
    extension's, a handler holding the worker's original stream. (Ray would otherwise forward it to the
    driver as ``(ActionActor pid=...)`` lines, after the result.)

    Each descriptor is pointed at a pipe for the run; a thread turns what arrives into events. When the
    run ends the descriptors are restored and what is already in the pipes is taken; a process the
    action left running keeps its end of the pipe, and what it writes later goes to the restored
    descriptor, the Ray way.
    """

    def __init__(self, publisher: EventPublisher):
        self.publisher = publisher
        self._taps: list[tuple[int, int, threading.Event, threading.Event]] = []

    def __enter__(self) -> _DescriptorCapture:
        import os

        _flush_descriptors()
        for fd, kind in ((1, 'out'), (2, 'err')):
            try:
                saved = os.dup(fd)
            except OSError:  # no such descriptor in this process
                continue
            read, write = os.pipe()
            os.dup2(write, fd)
            os.close(write)
            ended, drained = threading.Event(), threading.Event()
            threading.Thread(
                target=self._pump,
                args=(read, kind, saved, ended, drained),
                name='synapse-console-fd',
                daemon=True,
            ).start()
            self._taps.append((fd, saved, ended, drained))
        return self

    def __exit__(self, *exc: object) -> None:
        import os

        _flush_descriptors()
        for fd, saved, ended, _ in self._taps:
            os.dup2(saved, fd)  # from now on only processes the action left running hold the pipe
            ended.set()
        for *_, drained in self._taps:
            drained.wait(timeout=_DRAIN_SECONDS + 5)
        self._taps.clear()

    def _pump(
        self, read: int, kind: str, saved: int, ended: threading.Event, drained: threading.Event
    ) -> None:
        import codecs
        import os
        import select
        import time

        decoder = codecs.getincrementaldecoder('utf-8')('replace')

        def finish_run() -> None:
            text = decoder.decode(b'', final=True)
            if text:
                self.publisher.put([kind, text])
            drained.set()  # the run's output is in; later writes go the Ray way

        ended_at: float | None = None
        try:
            while True:
                ready, _, _ = select.select([read], [], [], 0.05)
                if ended.is_set() and not drained.is_set():
                    ended_at = ended_at or time.monotonic()
                    # Done when the pipe is empty, or after a second of a left-running process's output.
                    if not ready or time.monotonic() - ended_at > _DRAIN_SECONDS:
                        finish_run()
                if not ready:
                    continue
                data = os.read(read, 65536)
                if not data:
                    break
                if drained.is_set():
                    os.write(saved, data)
                else:
                    text = decoder.decode(data)
                    if text:
                        self.publisher.put([kind, text])
        except OSError:
            pass
        finally:
            if not drained.is_set():
                finish_run()
            os.close(read)
            os.close(saved)


def _flush_descriptors() -> None:
    """Write out what Python and C buffered for descriptors 1 and 2 (before they are switched)."""
    import sys

    for stream in (sys.__stdout__, sys.__stderr__):
        with suppress(Exception):
            if stream is not None:
                stream.flush()
    with suppress(Exception):
        import ctypes

        ctypes.CDLL(None).fflush(None)


# The publisher of the run being captured in this process (a worker runs one action at a time).
_current: EventPublisher | None = None


@contextmanager
def capture_output(publisher: EventPublisher) -> Iterator[None]:
    """During the block, what the action prints (to ``sys.stdout``/``sys.stderr`` or straight to the
    descriptors, also from subprocesses) becomes events of `publisher`."""
    import sys

    global _current
    if not isinstance(sys.stdout, _RoutedStream):
        sys.stdout = _RoutedStream('out', sys.stdout)
    if not isinstance(sys.stderr, _RoutedStream):
        sys.stderr = _RoutedStream('err', sys.stderr)
    with _DescriptorCapture(publisher):
        _current = publisher
        try:
            yield
        finally:
            _current = None


# -- driver side --------------------------------------------------------------------------------------
class EventReader:
    """Reads (and deletes) the batches a worker published on `channel`, in order."""

    def __init__(self, channel: str):
        self.channel = channel
        self.read = 0

    def take(self, until: int | None = None) -> list[Event]:
        """The events of the batches published so far (up to batch number `until`), oldest first."""
        import json

        kv = _kv()
        events: list[Event] = []
        while until is None or self.read < until:
            key = f'{self.channel}{self.read:010d}'
            data = kv._internal_kv_get(key, namespace=_NAMESPACE)
            if data is None:  # not published yet (with `until`: cannot happen, the put returned first)
                break
            kv._internal_kv_del(key, namespace=_NAMESPACE)
            events += json.loads(data)
            self.read += 1
        return events

    def discard(self) -> None:
        """Delete whatever is left on the channel (a call that failed or timed out)."""
        with suppress(Exception):  # best effort: the cluster may be gone
            _kv()._internal_kv_del(self.channel, del_by_prefix=True, namespace=_NAMESPACE)


class ConsoleRenderer:
    """Shows a worker's events on this process's console, through a `ConsoleLogger` like local mode's.

    `console` is what `LocalExecutor` takes: True (``sys.stderr``), False (no logger output; prints are
    still shown), a stream, or a logger to use as the console (e.g. a `ConsoleLogger` subclass that
    leaves out what the caller reports itself). Prints go to this process's ``sys.stdout`` /
    ``sys.stderr``.
    """

    def __init__(self, console: bool | TextIO | BaseLogger = True):
        from synapse_sdk.loggers.console import ConsoleLogger

        self.logger: BaseLogger | None
        if isinstance(console, BaseLogger):
            self.logger = console
        elif console is False:
            self.logger = None
        else:
            # Debug entries arrive only when the run's env asks for them (the worker decides, as locally).
            self.logger = ConsoleLogger(None if console is True else console, show_debug=True)

    def render(self, events: list[Event]) -> None:
        import sys

        logger = self.logger
        for event in events:
            kind = event[0]
            if kind in ('out', 'err'):
                stream = sys.stdout if kind == 'out' else sys.stderr
                stream.write(event[1])
                stream.flush()
            elif logger is None:
                continue
            elif kind == 'log':
                _, level, name, data, file, step = event
                logger.log(level, name, data, file=file, step=step)
            elif kind == 'progress':
                logger.set_progress(event[1], event[2], step=event[3])
            elif kind == 'metrics':
                logger.set_metrics(event[2], step=event[1])
            elif kind == 'status':
                from synapse_sdk.plugins.models.status import RunStatus

                logger.report_status(RunStatus(event[1]), error=event[2])

    def close(self) -> None:
        if self.logger is not None:
            self.logger.finish()
