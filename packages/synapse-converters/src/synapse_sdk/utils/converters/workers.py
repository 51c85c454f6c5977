"""Worker processes for the per-item work: ``python -m synapse_sdk.utils.converters.workers``.

Why not ``multiprocessing``: its ``spawn`` and ``forkserver`` start methods import the caller's ``__main__`` in
every worker, so a plain script that converts at module level (as the seed documents do, without an
``if __name__ == '__main__'`` guard) would run again in each worker and fail; ``fork`` can deadlock inside Ray
actors and threaded servers. These workers are fresh interpreters running this module: they import the
converters, nothing of the caller.

Protocol, over the worker's stdin and stdout (its original stdout; anything the work prints goes to stderr):
pickled messages. The parent sends ``('job', job)`` (again at each pass: a converter's ``convert()`` and
``save_to_folder()`` use the same workers, see ``PoolHolder``), ``('batch', refs)``, and closes the pipe at the
end; the worker answers each batch with ``('ok', outcomes)`` (their counts folded into the first:
``engine.fold_counts``) or ``('error', exception, traceback text)``.
Batches are answered in the order they were sent, so the parent reads outcomes in submission order. The parent
sends through one thread per worker and reads through another, so a worker writing a large answer never waits for
a parent that is itself writing the next batch or is not scheduled.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import queue
import signal
import subprocess
import sys
import threading
import traceback
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .engine import Job, Outcome

__all__ = ['PoolHolder', 'WorkerError', 'WorkerPool']


class WorkerError(RuntimeError):
    """A worker process died (killed, out of memory) or sent something unreadable."""


def _message(kind: str, value: Any) -> bytes:
    return pickle.dumps((kind, value), protocol=pickle.HIGHEST_PROTOCOL)


class _Worker:
    """One worker process, with a thread feeding its stdin and a thread draining its stdout: the worker never
    waits for the parent to be scheduled (on a busy machine that wait, at every batch, cost more than the work),
    only for the parent's bound on batches in flight."""

    def __init__(self, job_bytes: bytes):
        self.proc = subprocess.Popen(
            [sys.executable, '-m', __name__],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env={**os.environ, 'PYTHONUNBUFFERED': '1'},
        )
        self.outbox: queue.Queue[bytes | None] = queue.Queue()
        self.inbox: queue.Queue[tuple[Any, ...] | None] = queue.Queue()  # unpickled answers; None: unreadable
        self.sender = threading.Thread(target=self._send, args=(job_bytes,), daemon=True)
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.sender.start()
        self.reader.start()

    def _send(self, job_bytes: bytes) -> None:
        stdin = self.proc.stdin
        assert stdin is not None  # opened with stdin=PIPE
        try:
            stdin.write(job_bytes)
            stdin.flush()
            while True:
                message = self.outbox.get()
                if message is None:
                    break
                stdin.write(message)
                stdin.flush()
        except (BrokenPipeError, OSError):  # the worker is gone; the reader reports it
            pass
        finally:
            with contextlib.suppress(OSError):
                stdin.close()

    def _read(self) -> None:
        stdout = self.proc.stdout
        assert stdout is not None  # opened with stdout=PIPE
        while True:
            try:
                answer = pickle.load(stdout)
            except (EOFError, pickle.UnpicklingError, OSError, ValueError):
                self.inbox.put(None)
                return
            self.inbox.put(answer)

    def receive(self) -> list[Outcome]:
        answer = self.inbox.get()
        if answer is None:
            self.inbox.put(None)  # every later receive() fails the same way
            if self.proc.poll() is None:  # alive but unreadable (it wrote something that is not a pickle)
                self.proc.kill()
            code = self.proc.wait()
            raise WorkerError(f'a converter worker process exited unexpectedly (exit code {code})')
        kind, *rest = answer
        if kind == 'ok':
            outcomes: list[Outcome] = rest[0]  # what _serve sends with 'ok'
            return outcomes
        exc, text = rest
        if isinstance(exc, BaseException):
            exc.add_note(f'in a converter worker process:\n{text}')
            raise exc
        raise WorkerError(f'a converter worker failed:\n{text}')

    def stop(self, kill: bool) -> None:
        self.outbox.put(None)
        if kill and self.proc.poll() is None:
            self.proc.kill()
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.sender.join(timeout=5)
        self.reader.join(timeout=5)
        if self.proc.stdout is not None:
            self.proc.stdout.close()


class WorkerPool:
    """``workers`` processes working on batches; ``submit(batch)`` queues one, ``result()`` returns the outcomes of
    the oldest batch not returned yet (batches go round-robin, so each worker answers its own in order)."""

    def __init__(self, job: Job, workers: int):
        job_bytes = _message('job', job)
        self.workers = [_Worker(job_bytes) for _ in range(workers)]
        self.order: list[_Worker] = []  # worker of each batch in flight, oldest first
        self.next = 0

    @property
    def size(self) -> int:
        return len(self.workers)

    def set_job(self, job: Job) -> None:
        """The job of the next pass (no batch may be in flight)."""
        job_bytes = _message('job', job)
        for worker in self.workers:
            worker.outbox.put(job_bytes)

    def submit(self, batch: list[Any]) -> None:
        worker = self.workers[self.next]
        self.next = (self.next + 1) % len(self.workers)
        worker.outbox.put(_message('batch', batch))
        self.order.append(worker)

    @property
    def in_flight(self) -> int:
        return len(self.order)

    def result(self) -> list[Outcome]:
        return self.order.pop(0).receive()

    def close(self, *, kill: bool = False) -> None:
        """Stop the workers: after their batches (``kill=False``) or at once (after an error or interrupt)."""
        kill = kill or bool(self.order)
        for worker in self.workers:
            worker.stop(kill)
        self.order.clear()


class PoolHolder:
    """Keeps one ``WorkerPool`` between passes (``convert()`` then ``save_to_folder()``, or the two passes of a
    spooled ``DatasetWriter``), so its processes start once. A pass ``acquire``s it and ``release``s it clean
    (every batch answered: kept) or not (an error or interrupt: killed). ``close()`` stops it; the owner calls
    it when done, and ``weakref.finalize`` when the owner is collected."""

    def __init__(self) -> None:
        self.pool: WorkerPool | None = None

    def acquire(self, job: Job, workers: int) -> WorkerPool:
        pool, self.pool = self.pool, None
        if pool is not None and pool.size == workers:
            pool.set_job(job)
            return pool
        if pool is not None:
            pool.close()
        return WorkerPool(job, workers)

    def release(self, pool: WorkerPool, *, clean: bool) -> None:
        if clean and not pool.in_flight and self.pool is None:
            self.pool = pool
        else:
            pool.close(kill=not clean)

    def close(self) -> None:
        pool, self.pool = self.pool, None
        if pool is not None:
            pool.close()


def _serve() -> None:
    """The worker's loop (see the module docstring)."""
    from .engine import fold_counts, process_ref

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the whole group: the parent stops us
    inbox = sys.stdin.buffer
    outbox = os.fdopen(os.dup(sys.stdout.fileno()), 'wb')
    os.dup2(
        sys.stderr.fileno(), sys.stdout.fileno()
    )  # prints of the work go to stderr, not into the protocol
    job: Job | None = None
    while True:
        try:
            kind, value = pickle.load(inbox)
        except EOFError:
            return
        if kind == 'job':
            job = value
            continue
        batch = value
        try:
            if job is None:  # the parent sends the job first: never happens
                raise WorkerError('a batch came before the job')
            outcomes = [process_ref(job, ref) for ref in batch]
            fold_counts(outcomes)
            answer: tuple[str, list[Outcome]] = ('ok', outcomes)
            data = pickle.dumps(answer, protocol=pickle.HIGHEST_PROTOCOL)
        except BaseException as exc:  # sent to the parent, which raises it
            text = traceback.format_exc()
            try:
                data = pickle.dumps(('error', exc, text), protocol=pickle.HIGHEST_PROTOCOL)
            except Exception:
                data = pickle.dumps(('error', None, text), protocol=pickle.HIGHEST_PROTOCOL)
        outbox.write(data)
        outbox.flush()


if __name__ == '__main__':
    _serve()
