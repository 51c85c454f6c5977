"""The conversion loop: per-item work (in-process or in a process pool), ordering, error policy, progress.

Every direction is a ``Reader`` (source format -> pivot ``Item``) and a ``Writer`` (pivot -> target files). The
loop hands items one at a time (or in small batches to worker processes, with a bounded number in flight, results
consumed in input order) so memory follows one item, and output is deterministic whatever ``workers`` is. The
references to the items come as a ``RefStream``: sized (for progress) but produced on the fly, from an external
sort when the order has to be fixed, so no per-image list is held either.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, NamedTuple

from .items import Item, LossRecord, validate_item
from .problems import ProblemKind, ProblemRecord

if TYPE_CHECKING:
    from .workers import PoolHolder, WorkerPool

__all__ = [
    'NOT_PLAIN',
    'Outcome',
    'Pipeline',
    'Progress',
    'Reader',
    'RefStream',
    'WriteContext',
    'Writer',
    'fold_counts',
    'iter_outcomes',
]


class RefStream:
    """The item references of one split: ``len()`` is known up front (progress needs the total), iteration
    produces them on the fly (``make()`` is called per pass) and ``close()`` releases scratch files."""

    def __init__(
        self, length: int, make: Callable[[], Iterator[Any]], closers: Iterable[Callable[[], Any]] = ()
    ):
        self.length = length
        self.make = make
        self.closers = list(closers)

    @classmethod
    def of(cls, refs: list[Any]) -> RefStream:
        return cls(len(refs), lambda: iter(refs))

    def __len__(self) -> int:
        return self.length

    def __iter__(self) -> Iterator[Any]:
        return self.make()

    def close(self) -> None:
        for close in self.closers:
            close()


class Reader:
    """Source side of a conversion. Instances are pickled to worker processes: keep them small."""

    #: Where external sorts spill (set by the converter: beside the output when saving; None = system temp).
    scratch: str | None = None

    def splits(self) -> list[str | None]:
        """DM split names present (``[None]`` for a flat dataset). Raises FileNotFoundError for a bad layout."""
        raise NotImplementedError

    def refs(self, split: str | None) -> RefStream:
        """Small picklable references to the items of ``split``, in deterministic order (never the order of a
        directory listing), produced without a per-item list in memory."""
        raise NotImplementedError

    def load(self, ref: Any) -> Item:
        """Read one item. Per-item problems are recorded on the item, never raised."""
        raise NotImplementedError


@dataclass
class WriteContext:
    """What a writer needs per item: where to write (None: dry run) and the class table (None: collect)."""

    staging: str | None
    table: dict[str, dict[str, int]] | None
    options: dict[str, Any]
    collected: dict[str, set[str]] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    tallies: dict[str, int] = field(default_factory=dict)

    def class_id(self, group: str, name: str) -> int | None:
        if self.table is None:
            self.collected.setdefault(group, set()).add(name)
            return 0
        return self.table.get(group, {}).get(name)

    def count(self, kind: str, n: int = 1) -> None:
        """``n`` source annotations of ``kind`` are in the output (``annotations_written``)."""
        self.counts[kind] = self.counts.get(kind, 0) + n

    def tally(self, key: str, n: int = 1) -> None:
        """A statistic of the scan a writer decides by (YOLO's ``task='auto'``); not part of the result."""
        self.tallies[key] = self.tallies.get(key, 0) + n


class Writer:
    """Target side. ``process`` runs per item (maybe in a worker); the other hooks run in the main process."""

    need_class = True
    keeps_other_media = False  # DM writers keep every media item; format writers use the first image only
    class_tools: tuple[str, ...] = ('bounding_box', 'polygon', 'segmentation')  # named by ``class_names``
    #: Attributes only the main process uses (``consume``/``finish`` state: open files): not sent to workers,
    #: which may start in the middle of a pass.
    main_process_state: tuple[str, ...] = ()

    def __init__(self, **options: Any):
        self.options = options

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        for name in self.main_process_state:
            state[name] = None
        return state

    def needs_scan(self, class_names: list[str] | None) -> bool:
        """Whether a pass over the whole dataset must precede writing (to fix class ids)."""
        return False

    def build_table(
        self,
        collected: dict[str, set[str]],
        counts: dict[str, int],
        class_names: list[str] | None,
        tally: dict[str, int] | None = None,
    ) -> dict[str, dict[str, int]]:
        """The class table (and whatever else the whole dataset fixes) from the scan of ``convert()``."""
        return {}

    def process(self, item: Item, ctx: WriteContext) -> Any:
        raise NotImplementedError

    def process_plain(self, item: Item, ctx: WriteContext, class_names: frozenset[str] | None) -> Any:
        """``process`` of a validated item, for the items a writer can do in one pass (``items.plain_shapes``):
        ``validate_item`` is not run first, the writer checks what it takes. ``NOT_PLAIN`` (with nothing recorded
        on ``item`` or ``ctx``) sends the item the general way: ``validate_item`` then ``process``. The output,
        counts and report must be those of the general way, byte for byte."""
        return NOT_PLAIN

    def begin(self, staging: str, table: dict[str, dict[str, int]], output_dir: str) -> None:
        pass

    def consume(self, item_split: str | None, stem: str, payload: Any) -> None:
        pass

    def finish(self, staging: str, splits: list[str | None]) -> None:
        pass


class _NotPlain:
    def __repr__(self) -> str:
        return 'NOT_PLAIN'


#: What ``Writer.process_plain`` returns for an item it leaves to ``validate_item`` + ``process``.
NOT_PLAIN: Any = _NotPlain()


class Outcome:
    """What the per-item work hands the main process (``Session.accept``), in item order: counts, problems and
    losses, the writer's payload for ``Writer.consume``.

    Small on purpose: with workers every outcome is pickled in a worker and unpickled in the main process, whose
    CPU per item bounds an export. So it is a slotted object pickled as one positional tuple (a dataclass pickles
    its field names with every instance), and an empty problem or loss list is not sent (``None``)."""

    __slots__ = (
        'changes',
        'collected',
        'losses',
        'payload',
        'problems',
        'read',
        'split',
        'stem',
        'tallies',
        'unusable',
        'written',
    )

    def __init__(
        self,
        split: str | None,
        stem: str,
        problems: list[ProblemRecord] | None,
        losses: list[LossRecord] | None,
        read: dict[str, int],
        written: dict[str, int],
        collected: dict[str, set[str]],
        changes: dict[str, int],
        tallies: dict[str, int],
        payload: Any = None,
        unusable: bool = False,
    ):
        self.split = split
        self.stem = stem
        self.problems: list[ProblemRecord] = problems or []
        self.losses: list[LossRecord] = losses or []
        self.read = read
        self.written = written
        self.collected = collected
        self.changes = changes
        self.tallies = tallies
        self.payload = payload
        self.unusable = unusable

    def __reduce__(self) -> tuple[Any, ...]:
        return Outcome, (
            self.split,
            self.stem,
            self.problems or None,
            self.losses or None,
            self.read,
            self.written,
            self.collected,
            self.changes,
            self.tallies,
            self.payload,
            self.unusable,
        )


@dataclass
class Job:
    reader: Reader
    writer: Writer
    staging: str | None
    table: dict[str, dict[str, int]] | None
    class_names: frozenset[str] | None
    options: dict[str, Any]


def process_ref(job: Job, ref: Any) -> Outcome:
    item = job.reader.load(ref)
    read = {tool: len(anns) for tool, anns in item.ann.items() if isinstance(anns, list) and anns}
    ctx = WriteContext(staging=job.staging, table=job.table, options=job.options)
    payload = None
    if not item.unusable:
        writer = job.writer
        if item.doc is not None and not writer.keeps_other_media:
            _other_media_losses(item, item.doc)
        payload = writer.process_plain(item, ctx, job.class_names)
        if payload is NOT_PLAIN:
            validate_item(
                item,
                need_class=writer.need_class,
                class_names=job.class_names,
                class_tools=writer.class_tools,
            )
            try:
                payload = writer.process(item, ctx)
            except (
                RecursionError
            ):  # a value (an attribute, say) nested too deep to write: the item is unusable
                payload = None
                item.problem(ProblemKind.MALFORMED_JSON, 'values nested too deeply to convert', whole=True)
    return Outcome(
        item.split,
        item.stem,
        item.problems,
        item.losses,
        read,
        ctx.counts,
        ctx.collected,
        item.changes,
        ctx.tallies,
        payload,
        item.unusable,
    )


def fold_counts(outcomes: list[Outcome]) -> None:
    """Move the counts of a batch of outcomes (``read``, ``written``, ``changes``) into its first outcome, in
    order, leaving the others empty: ``Session.accept`` adds them up with nothing in between, so the totals and
    the order of their keys (first seen first) are the same; a worker does it so that the main process, whose CPU
    per item bounds an export, unpickles and adds three dicts per batch instead of per item."""
    if not outcomes:
        return
    first = outcomes[0]
    totals = (first.read, first.written, first.changes)
    for outcome in outcomes[1:]:
        for total, counts in zip(totals, (outcome.read, outcome.written, outcome.changes), strict=True):
            for key, n in counts.items():
                total[key] = total.get(key, 0) + n
        outcome.read, outcome.written, outcome.changes = {}, {}, {}


def _other_media_losses(item: Item, doc: dict[str, Any]) -> None:
    for container, media in doc.items():
        if container == 'classification' or not isinstance(media, list):
            continue
        for index, entry in enumerate(media):
            if (container, index) == ('images', 0) or not isinstance(entry, dict):
                continue
            for tool, anns in entry.items():
                for ann in anns if isinstance(anns, list) else []:
                    ann_id = ann.get('id') if isinstance(ann, dict) else None
                    item.loss(
                        ann_id,
                        tool,
                        'other_media',
                        f'{container}[{index}]: only the first image is converted',
                    )


#: Batches in flight per worker: enough that a worker always has the next batch when the parent is slow to be
#: scheduled (a busy machine), few enough that memory stays bounded (outcomes of 4 x 64 items per worker).
IN_FLIGHT = 4

#: With ``workers=None`` (the default) a pass starts in-process and moves to a pool of one process per core once
#: this many items went through: below it, starting the pool (spawned interpreters importing the package)
#: costs more than the second core saves.
AUTO_POOL_AFTER = 1000


class Pipeline:
    """Outcomes of refs submitted one at a time, handed back in submission order.

    ``workers=1``: in-process, each outcome as soon as its ref is submitted. ``workers > 1``: batches go to
    worker processes (``workers.WorkerPool``: fresh interpreters that never import the caller's ``__main__``),
    at most ``IN_FLIGHT * workers`` batches in flight (bounded memory; deterministic output whatever the worker
    count). ``workers=None``: in-process for the first ``AUTO_POOL_AFTER`` refs (not waiting for them when the
    pass is known, ``expected``, to have more), then one process per idle core (``idle_cores``) when that is two
    or more, else in-process. Push-style so that both a converter's pass over a dataset and a caller feeding
    records (``DatasetWriter``) use it; ``close()`` stops the workers.

    With ``workers=None`` the choice does not wait: the idle cores are measured over the pass's own start (from
    the pipeline's creation, at least ``SAMPLE_SECONDS``: refs are converted in process until then), where it
    slept ``SAMPLE_SECONDS`` at the choice (0.1 s: a tenth of the bare loop of a 10,000-item export).
    """

    def __init__(
        self,
        job: Job,
        workers: int | None,
        batch_size: int = 64,
        expected: int | None = None,
        holder: PoolHolder | None = None,
    ):
        self.job = job
        self.holder = holder  # keeps the workers for the owner's next pass
        self.auto = workers is None
        self.workers = usable_cores() if self.auto else max(workers or 1, 1)
        self.batch_size = batch_size
        self.batch: list[Any] = []
        self.pool: WorkerPool | None = None
        self.decided = False  # with workers=None: whether the worker count is chosen (see _in_process)
        self.own_holder = False
        self.submitted = 0
        # A pass known to be long (``expected`` items) chooses as soon as the CPUs have been watched.
        long = expected is not None and expected > AUTO_POOL_AFTER
        self.after = 0 if long else AUTO_POOL_AFTER
        short = expected is not None and not long
        self.snapshot = cpu_snapshot() if self.auto and self.workers > 1 and not short else None

    def _in_process(self) -> bool:
        if self.workers <= 1:
            return True
        if self.auto and not self.decided and (self.submitted <= self.after or not self._choose()):
            return True
        # workers=None on a busy machine: more processes get no more CPU, only the cost of starting
        return self.workers <= 1

    def _choose(self) -> bool:
        """With ``workers=None``, past ``after`` refs: whether the worker count is chosen now (the CPUs have been
        watched long enough); it is then in ``workers``, and the pool starts with the first batch."""
        held = self.holder.pool if self.holder is not None else None
        if held is not None:
            self.workers = held.size
        else:
            snapshot = self.snapshot
            if snapshot is not None:
                age = time.monotonic() - snapshot.at
                if age > MAX_WINDOW_SECONDS:  # idle long before this pass got busy: watch from now
                    self.snapshot = cpu_snapshot()
                    return False
                if age < SAMPLE_SECONDS:
                    return False
            self.workers = idle_cores(since=snapshot)
        # Decided once per pass: idle_cores() is asked once (asking at every item until the first batch was
        # full cost 63 samples, 6 s, when it slept).
        self.decided = True
        return True

    def submit(self, ref: Any) -> list[Outcome]:
        self.submitted += 1
        if self._in_process():
            return [process_ref(self.job, ref)]
        self.batch.append(ref)
        if len(self.batch) < self.batch_size:
            return []
        pool = self._send()
        out: list[Outcome] = []
        while pool.in_flight >= IN_FLIGHT * self.workers:
            out += pool.result()
        return out

    def drain(self) -> Iterator[Outcome]:
        """The outcomes of everything submitted and not handed back yet."""
        if self.batch and self.pool is None:  # fewer refs than one batch: not worth starting workers
            batch, self.batch = self.batch, []
            for ref in batch:
                yield process_ref(self.job, ref)
        elif self.batch:
            self._send()
        while self.pool is not None and self.pool.in_flight:
            yield from self.pool.result()

    def _send(self) -> WorkerPool:
        """Send the batch (starting the workers first if need be); the pool it went to."""
        pool = self.pool
        if pool is None:
            from .workers import PoolHolder

            if self.holder is None:
                self.holder = PoolHolder()
                self.own_holder = True
            pool = self.pool = self.holder.acquire(self.job, self.workers)
        batch, self.batch = self.batch, []
        pool.submit(batch)
        return pool

    def close(self) -> None:
        """After the pass (every outcome handed back: the workers are kept for the holder's next pass) or after
        an error or interrupt (batches still in flight: the workers are killed)."""
        clean = not self.batch
        self.batch = []
        if self.pool is not None and self.holder is not None:  # the holder is set where the pool is
            pool, self.pool = self.pool, None
            self.holder.release(pool, clean=clean and not pool.in_flight)
            if self.own_holder:
                self.holder.close()


def usable_cores() -> int:
    """Cores this process may run on (its CPU affinity: a container or ``taskset`` may allow fewer than the
    machine has), else the machine's core count."""
    try:
        return len(os.sched_getaffinity(0)) or 1
    except (AttributeError, OSError):
        return os.cpu_count() or 1


#: How long ``idle_cores`` watches the CPUs, in seconds: the kernel counts CPU time in ticks of 10 ms, so this
#: is ten ticks per core (enough to tell a busy core from an idle one), and short next to a pass long enough to
#: be worth a pool (over ``AUTO_POOL_AFTER`` items, seconds of work).
SAMPLE_SECONDS = 0.1

#: A ``Pipeline`` watches the CPUs from its creation; a window longer than this (a caller idle before it wrote)
#: says little about now, and the pipeline watches again from the moment it notices.
MAX_WINDOW_SECONDS = 2.0


def idle_cores(sample: float = SAMPLE_SECONDS, since: CpuSnapshot | None = None) -> int:
    """Usable cores that other processes leave idle right now (at least 1): what ``cpu_use`` measures over
    ``sample`` seconds (or since the snapshot ``since``, waiting only for what is left of ``sample``), less the
    caller's own process and the kernel's threads. Where the CPUs cannot be watched (not Linux), the 1-minute
    load average less the caller's own process; all usable cores where that is unknown too.

    Used only to decide whether worker processes are worth starting: on a busy machine they get no more CPU
    time, they add the cost of starting interpreters and passing outcomes. The output does not depend on it.
    Why not the load average (the previous measure): it lags by a minute and counts the caller's own recent
    work, so on a quiet 2-core machine a process that had just been busy (a converter's first pass, a
    benchmark's setup) saw one idle core and started no workers. Why not the kernel's threads: they are mostly
    disk writeback, which follows the I/O (the caller's own: a download, the images a conversion copies) in
    bursts of a second or two; counted, a conversion that starts after copying files would start no workers,
    although workers halve its time (DM v2 -> YOLO at 10,000 images: 2.34x the I/O floor in-process, 1.31x
    with two workers)."""
    cores = usable_cores()
    use = cpu_use(sample, since)
    if use is not None:
        others = max(0.0, use.busy - use.own - use.kernel)
    else:
        try:
            others = os.getloadavg()[0] - 1  # the caller's own process is running
        except (AttributeError, OSError):
            return cores
    return max(1, min(cores, cores - round(others)))


class CpuUse(NamedTuple):
    """CPU time used over a sample, in cores (1.0: one core busy the whole time)."""

    busy: float  # on the cores this process may run on, by everything (idle and I/O wait are idle)
    own: float  # by this process (all its threads)
    kernel: float  # by the kernel's threads (``kworker``, ...), on any core


class CpuSnapshot(NamedTuple):
    """The CPU counters at one moment (``cpu_snapshot``), the start of a ``cpu_use`` window."""

    ticks: dict[str, tuple[int, int]]  # per usable core: (total, idle) ticks since boot
    kernel: dict[int, int]  # per kernel thread: ticks
    own: float  # this process's CPU seconds
    at: float  # time.monotonic()


def cpu_snapshot() -> CpuSnapshot | None:
    """The CPU counters now; None where ``/proc/stat`` cannot be read."""
    ticks = _cpu_ticks(_cpu_names())
    if ticks is None:
        return None
    return CpuSnapshot(ticks, _kernel_ticks(), _own_seconds(), time.monotonic())


def cpu_use(sample: float = SAMPLE_SECONDS, since: CpuSnapshot | None = None) -> CpuUse | None:
    """What the CPUs do over the next ``sample`` seconds, or since ``since`` (sleeping only for what is left
    of ``sample``): ``/proc/stat`` per core, ``/proc/<pid>/stat`` for the kernel's threads; time stolen by a
    hypervisor counts as busy. None where ``/proc/stat`` cannot be read."""
    before = since if since is not None else cpu_snapshot()
    if before is None:
        return None
    left = sample - (time.monotonic() - before.at)
    if left > 0:
        time.sleep(left)
    after = cpu_snapshot()
    if after is None:
        return None
    elapsed = after.at - before.at
    if elapsed <= 0:
        return None
    total = busy = 0
    for name, (t1, i1) in after.ticks.items():
        t0, i0 = before.ticks.get(name, (t1, i1))
        total += t1 - t0
        busy += (t1 - i1) - (t0 - i0)
    if total <= 0:
        return None
    kernel = sum(t - before.kernel.get(pid, t) for pid, t in after.kernel.items()) / _TICKS / elapsed
    return CpuUse(busy / total * len(after.ticks), (after.own - before.own) / elapsed, kernel)


_TICKS = os.sysconf('SC_CLK_TCK') if hasattr(os, 'sysconf') else 100  # /proc's unit of CPU time per second
_PF_KTHREAD = 0x00200000  # /proc/<pid>/stat flags: a kernel thread


def _cpu_names() -> set[str] | None:
    """``/proc/stat`` names (``cpu3``) of the cores this process may run on; None: every core."""
    try:
        return {f'cpu{n}' for n in os.sched_getaffinity(0)}
    except (AttributeError, OSError):
        return None


def _cpu_ticks(cpus: set[str] | None) -> dict[str, tuple[int, int]] | None:
    """Per core of ``cpus``: ``(total, idle)`` ticks since boot, from ``/proc/stat`` (fields user nice system
    idle iowait irq softirq steal; guest time is already in user and nice)."""
    try:
        with open('/proc/stat', encoding='ascii') as fh:
            lines = fh.read().splitlines()
    except OSError:
        return None
    ticks: dict[str, tuple[int, int]] = {}
    for line in lines:
        name, _, rest = line.partition(' ')
        if not name.startswith('cpu') or name == 'cpu' or (cpus is not None and name not in cpus):
            continue
        fields = [int(v) for v in rest.split()[:8]]
        if len(fields) < 5:
            return None
        ticks[name] = (sum(fields), fields[3] + fields[4])
    return ticks or None


def _kernel_ticks() -> dict[int, int]:
    """CPU ticks (user + system) of every kernel thread visible in ``/proc``, by pid (none in a container that
    does not show them: their time then counts as busy, the cautious side)."""
    ticks: dict[int, int] = {}
    try:
        pids = [int(e) for e in os.listdir('/proc') if e.isdigit()]
    except OSError:
        return ticks
    for pid in pids:
        try:
            with open(f'/proc/{pid}/stat', 'rb') as fh:
                fields = fh.read().rpartition(b')')[2].split()
        except OSError:  # gone meanwhile
            continue
        # after the name: state ppid pgrp session tty_nr tpgid flags minflt cminflt majflt cmajflt utime stime
        if len(fields) > 12 and int(fields[6]) & _PF_KTHREAD:
            ticks[pid] = int(fields[11]) + int(fields[12])
    return ticks


def _own_seconds() -> float:
    times = os.times()
    return times.user + times.system


def iter_outcomes(job: Job, refs: Iterable[Any], workers: int | None) -> Iterator[Outcome]:
    """Outcomes of every ref, in input order (see ``Pipeline``)."""
    pipe = Pipeline(job, workers)
    try:
        for ref in refs:
            yield from pipe.submit(ref)
        yield from pipe.drain()
    finally:
        pipe.close()


class Progress:
    """Throttled progress: calls ``callback(current, total)`` and ``ctx.set_progress(current, total, step=...)``
    about a hundred times per pass (every 1%) and at the end, never per item."""

    def __init__(self, callback: Callable[[int, int], Any] | None, ctx: Any, step: str, total: int):
        self.callback = callback
        self.ctx = ctx
        self.step = step
        self.total = total
        self.every = max(1, total // 100)
        self.last = -1

    def update(self, current: int) -> None:
        if current != self.total and current - self.last < self.every and current != 0:
            return
        self.last = current
        if self.callback is not None:
            self.callback(current, self.total)
        setter = getattr(self.ctx, 'set_progress', None) if self.ctx is not None else None
        if setter is not None:
            setter(current, self.total, step=self.step)


def default_workers(workers: int | None) -> int | None:
    """``None`` (automatic: see ``Pipeline``), ``0`` -> one per core, else the number given."""
    if workers is None:
        return None
    if workers <= 0:
        return usable_cores()
    return workers
