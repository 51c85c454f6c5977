"""Worker processes: a plain script (no ``__main__`` guard) can use them, errors and crashes reach the caller."""

from __future__ import annotations

import contextlib
import subprocess
import sys
import textwrap
import threading
from decimal import Decimal

import pytest
from converters_fixtures import tree, write_rich

from synapse_sdk.utils.converters import DatasetWriter, DMRecord, get_converter
from synapse_sdk.utils.converters.workers import WorkerError


def test_a_script_without_a_main_guard_converts_with_workers(tmp_path):
    """With ``multiprocessing``'s spawn, every worker would run this script again (and fail); our workers are
    fresh interpreters that do not import the caller's ``__main__``."""
    src = write_rich(tmp_path / 'src', 70, version='v2', categorized=False)
    get_converter('dm_v2', 'coco', root_dir=src, workers=1).save_to_folder(tmp_path / 'one')
    script = tmp_path / 'convert.py'
    script.write_text(
        textwrap.dedent(
            f"""
            import synapse_sdk.utils.converters.engine as engine
            import synapse_sdk.utils.converters.workers as workers
            from synapse_sdk.utils.converters import get_converter

            engine.AUTO_POOL_AFTER = 2  # the default workers=None moves to a pool early,
            engine.idle_cores = lambda **kw: 2  # even on a busy machine
            engine.SAMPLE_SECONDS = 0  # without watching the CPUs for a while first
            started = []
            start = workers.WorkerPool.__init__
            workers.WorkerPool.__init__ = lambda pool, *args: started.append(args[1]) or start(pool, *args)
            print('converting', flush=True)
            result = get_converter('dm_v2', 'coco', root_dir={str(src)!r}).save_to_folder({str(tmp_path / 'auto')!r})
            print(result.items, started)
            """
        )
    )
    proc = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, timeout=120, check=False
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == ['converting', '70 [2]']  # printed once: the script ran once
    for rel in tree(tmp_path / 'one'):
        assert (tmp_path / 'one' / rel).read_bytes() == (tmp_path / 'auto' / rel).read_bytes(), rel


def test_an_exception_in_a_worker_is_raised_in_the_caller(tmp_path):
    doc = {
        'images': [{'bounding_box': [{'id': 'a', 'classification': 'c', 'attrs': [], 'data': [0, 0, 2, 2]}]}]
    }
    box = {**doc['images'][0]['bounding_box'][0], 'attrs': [{'name': 'weight', 'value': Decimal('1.5')}]}
    bad = {'images': [{'bounding_box': [box]}]}  # no JSON for a Decimal: TypeError
    writer = DatasetWriter('dm_v2', tmp_path / 'out', workers=2)
    with pytest.raises(TypeError, match='Decimal') as info:
        for i in range(200):
            writer.write(DMRecord(name=f'r{i}', document=bad if i == 150 else doc, width=4, height=4))
        writer.close()
    assert any('in a converter worker process' in note for note in info.value.__notes__)
    assert not (tmp_path / 'out').exists() and list(tmp_path.iterdir()) == []


def test_a_killed_worker_stops_the_conversion(tmp_path):
    doc = {'images': [{}]}
    writer = DatasetWriter('dm_v2', tmp_path / 'out', workers=2)
    with pytest.raises(WorkerError, match='exited unexpectedly'):
        for i in range(400):
            writer.write(DMRecord(name=f'r{i}', document=doc, width=4, height=4))
            if i == 100:
                writer._pipe.pool.workers[1].proc.kill()
        writer.close()
    assert list(tmp_path.iterdir()) == []


def test_convert_and_save_share_their_workers(tmp_path, monkeypatch):
    from synapse_sdk.utils.converters import workers

    started = []
    original = workers.WorkerPool.__init__

    def counting(self, job, count):
        started.append(count)
        original(self, job, count)

    monkeypatch.setattr(workers.WorkerPool, '__init__', counting)
    src = write_rich(tmp_path / 'src', 140, version='v2', categorized=False)
    conv = get_converter('dm_v2', 'coco', root_dir=src, workers=2)
    conv.convert()
    pool = conv._workers.pool
    assert pool is not None and started == [2]  # kept for save_to_folder
    conv.save_to_folder(tmp_path / 'out')
    assert started == [2] and conv._workers.pool is None  # the same processes, stopped after saving
    assert all(w.proc.poll() is not None for w in pool.workers)
    get_converter('dm_v2', 'coco', root_dir=src, workers=1).save_to_folder(tmp_path / 'one')
    for rel in tree(tmp_path / 'one'):
        assert (tmp_path / 'one' / rel).read_bytes() == (tmp_path / 'out' / rel).read_bytes(), rel


@contextlib.contextmanager
def spinning(count):
    """``count`` child processes, each keeping a core busy (a bare loop) until the block ends."""
    code = 'import sys; print("ready", flush=True)\nwhile True: pass'
    procs = [
        subprocess.Popen([sys.executable, '-c', code], stdout=subprocess.PIPE, text=True)
        for _ in range(count)
    ]
    try:
        for proc in procs:
            assert proc.stdout.readline() == 'ready\n'
        yield procs
    finally:
        for proc in procs:
            proc.kill()
            proc.wait()
            proc.stdout.close()


def _two_cores():
    from synapse_sdk.utils.converters import engine

    if engine.usable_cores() < 2 or engine.cpu_snapshot() is None:  # (a 10 ms sample may see no tick: None)
        pytest.skip('needs two usable cores and /proc/stat (Linux)')
    return engine


def test_a_core_kept_busy_by_another_process_is_not_idle():
    """Every core but one spinning: one idle core at most, whatever else the machine does (a loaded CI machine
    only makes it busier, so this cannot flake; the quiet case, two idle cores, cannot be asserted there)."""
    engine = _two_cores()
    cores = engine.usable_cores()
    with spinning(cores - 1):
        use = engine.cpu_use(0.3)
        assert use.busy - use.own - use.kernel >= cores - 1 - 0.3 and use.own < 0.2
        assert engine.idle_cores() == 1


def test_the_callers_own_threads_are_not_counted_as_busy():
    """A thread of the caller (an export fetching pages while it converts) is the caller's own work: measured as
    ``own`` and left out of what other processes use."""
    engine = _two_cores()
    stop = threading.Event()

    def spin():
        while not stop.is_set():
            pass

    thread = threading.Thread(target=spin)
    thread.start()
    try:
        use = engine.cpu_use(0.3)
    finally:
        stop.set()
        thread.join()
    assert use.own >= 0.1 and use.busy >= use.own - 0.15


def test_kernel_threads_are_told_from_processes():
    """The flag read from ``/proc/<pid>/stat`` marks the kernel's threads (``kthreadd`` is pid 2 wherever the
    kernel's threads are visible) and not processes, this one and a busy child included."""
    import os

    engine = _two_cores()
    try:
        with open('/proc/2/comm') as fh:
            visible = fh.read().strip() == 'kthreadd'
    except OSError:
        visible = False
    if not visible:
        pytest.skip('no kernel thread visible here (a container with its own pid namespace)')
    with spinning(1) as procs:
        kernel = engine._kernel_ticks()
    assert 2 in kernel
    assert not {os.getpid(), *(proc.pid for proc in procs)} & set(kernel)


def test_automatic_workers_start_no_pool_beside_a_busy_process(tmp_path, monkeypatch):
    """``workers=None`` past ``AUTO_POOL_AFTER`` records with the other core busy: no worker is started."""
    from synapse_sdk.utils.converters import workers

    engine = _two_cores()
    started = []
    original = workers.WorkerPool.__init__
    monkeypatch.setattr(
        workers.WorkerPool,
        '__init__',
        lambda pool, job, count: started.append(count) or original(pool, job, count),
    )
    monkeypatch.setattr(engine, 'AUTO_POOL_AFTER', 50)
    doc = {
        'images': [{'bounding_box': [{'id': 'a', 'classification': 'c', 'attrs': [], 'data': [0, 0, 2, 2]}]}]
    }
    with (
        spinning(engine.usable_cores() - 1),
        DatasetWriter('yolo', tmp_path / 'out', task='detect', class_names=['c']) as writer,
    ):
        count = 0
        while count < 300 or not writer._pipe.decided:  # chosen once the CPUs were watched for 0.1 s
            writer.write(DMRecord(name=f'r{count}', document=doc, width=4, height=4))
            count += 1
        assert writer._pipe.workers == 1
        for i in range(count, count + 300):
            writer.write(DMRecord(name=f'r{i}', document=doc, width=4, height=4))
    assert writer.result.items == count + 300 and started == []


def test_without_proc_stat_the_load_average_decides(monkeypatch):
    """The fallback where the CPUs cannot be watched (not Linux): cores less the 1-minute load average, the
    caller's own process counted as one."""
    from synapse_sdk.utils.converters import engine

    monkeypatch.setattr(engine, '_cpu_ticks', lambda cpus: None)
    monkeypatch.setattr(engine, 'usable_cores', lambda: 2)
    for load, idle in ((0.2, 2), (1.0, 2), (1.6, 1), (9.0, 1)):
        monkeypatch.setattr(engine.os, 'getloadavg', lambda load=load: (load, load, load))
        assert engine.idle_cores() == idle
    monkeypatch.setattr(engine, 'usable_cores', lambda: 16)
    monkeypatch.setattr(engine.os, 'getloadavg', lambda: (5.2, 0, 0))
    assert engine.idle_cores() == 12


def test_usable_cores_follow_the_affinity():
    """A process restricted to one core (``taskset``, a container's cpuset) starts no workers by default."""
    import os

    if len(os.sched_getaffinity(0)) < 2:
        pytest.skip('needs a process allowed on two cores (else nothing to restrict)')
    code = (
        'import os; os.sched_setaffinity(0, {0}); '
        'from synapse_sdk.utils.converters import engine; '
        'print(engine.usable_cores(), engine.idle_cores(), engine.default_workers(0))'
    )
    out = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ['1', '1', '1']


def test_automatic_workers_are_chosen_once_per_pass(tmp_path, monkeypatch):
    """``idle_cores`` watches the CPUs for a tenth of a second: the choice is made once per pass, not at every
    item until the first batch is full (that slept 6 s per pass)."""
    from synapse_sdk.utils.converters import engine

    asked = []

    def two_idle(sample=engine.SAMPLE_SECONDS, since=None):
        asked.append(sample)
        return 2

    monkeypatch.setattr(engine, 'idle_cores', two_idle)
    monkeypatch.setattr(engine, 'AUTO_POOL_AFTER', 10)
    monkeypatch.setattr(engine, 'SAMPLE_SECONDS', 0)
    doc = {
        'images': [{'bounding_box': [{'id': 'a', 'classification': 'c', 'attrs': [], 'data': [0, 0, 2, 2]}]}]
    }
    with DatasetWriter('yolo', tmp_path / 'out', task='detect', class_names=['c']) as writer:
        for i in range(200):
            writer.write(DMRecord(name=f'r{i}', document=doc, width=4, height=4))
        assert writer._pipe.pool is not None and writer._pipe.pool.size == 2
    assert writer.result.items == 200 and len(asked) == 1


def test_the_idle_cores_are_watched_over_the_pass_start_without_sleeping(monkeypatch):
    """A pipeline watches the CPUs from its creation: at the choice, a window at least ``SAMPLE_SECONDS`` old is
    read without sleeping (it slept 0.1 s, ~10 % of a 10,000-item export), and still sees a busy process."""
    engine = _two_cores()
    slept = []
    real_sleep = engine.time.sleep
    cores = engine.usable_cores()
    with spinning(cores - 1):
        snapshot = engine.cpu_snapshot()
        real_sleep(0.3)  # the pass's start: its first records
        monkeypatch.setattr(engine.time, 'sleep', slept.append)
        use = engine.cpu_use(since=snapshot)
        assert slept == []
        assert use.busy - use.own - use.kernel >= cores - 1 - 0.3
        assert engine.idle_cores(since=snapshot) == 1 and slept == []
        engine.cpu_use(since=engine.cpu_snapshot())  # a fresh window: waits for the rest of the sample
    assert len(slept) == 1 and 0 < slept[0] <= engine.SAMPLE_SECONDS


#: Modules only the main process needs: the pydantic report models (``result``) and pydantic itself, the
#: bookkeeping of a pass, the converter and writer front ends. A worker that imports them pays for it at every start.
MAIN_PROCESS_ONLY = (
    'pydantic',
    'synapse_sdk.utils.converters.result',
    'synapse_sdk.utils.converters.session',
    'synapse_sdk.utils.converters.base',
    'synapse_sdk.utils.converters.converters',
    'synapse_sdk.utils.converters.stream',
)


def _worker_imports(err: str) -> list[str]:
    """Module names in ``-X importtime`` lines (each worker process prints its own)."""
    names = []
    for line in err.splitlines():
        if line.startswith('import time:') and '|' in line:
            names.append(line.rpartition('|')[2].strip())
    return names


@pytest.mark.parametrize(
    ('how', 'writer_module'),
    [
        ('records yolo', 'yolo'),
        ('records coco', 'coco'),
        ('records pascal', 'voc'),
        ('records dm_v1', 'dm_io'),
        ('dir dm_v2->yolo', 'yolo'),
        ('dir coco->pascal', 'voc'),
    ],
)
def test_a_worker_imports_only_what_converting_an_item_needs(
    tmp_path, monkeypatch, capfd, how, writer_module
):
    """Each worker's start is paid again by every pass that uses workers; what it imports is most of that cost
    (pydantic and the report models were ~170 of ~290 ms of CPU). Real worker processes report their imports
    with CPython's ``-X importtime`` (``PYTHONPROFILEIMPORTTIME``, set for them only: this process has started)."""
    kind, _, what = how.partition(' ')
    names = ['car', 'person']
    if kind == 'dir':
        source, target = what.split('->')
        src = write_rich(tmp_path / 'dm', 70, version='v2', categorized=False)
        if source != 'dm_v2':
            get_converter('dm_v2', source, root_dir=src, workers=1).save_to_folder(tmp_path / source)
            src = tmp_path / source
        capfd.readouterr()
        monkeypatch.setenv('PYTHONPROFILEIMPORTTIME', '1')
        result = get_converter(source, target, root_dir=src, workers=2).save_to_folder(tmp_path / 'out')
        assert result.items == 70
    else:
        doc = {
            'images': [
                {'bounding_box': [{'id': 'a', 'classification': 'car', 'attrs': [], 'data': [1, 1, 2, 2]}]}
            ]
        }
        if what == 'dm_v1':
            from synapse_sdk.utils.converters import v2_to_v1

            doc = v2_to_v1(doc)
        options = {'class_names': names, **({'task': 'detect'} if what == 'yolo' else {})}
        monkeypatch.setenv('PYTHONPROFILEIMPORTTIME', '1')
        source = 'dm_v1' if what == 'dm_v1' else 'dm_v2'
        target = 'dm_v2' if what == 'dm_v1' else what
        with DatasetWriter(target, tmp_path / 'out', source=source, workers=2, **options) as writer:
            writer.write_many(DMRecord(name=f'r{i}', document=doc, width=8, height=8) for i in range(130))
        assert writer.result is not None and writer.result.items == 130
    imported = _worker_imports(capfd.readouterr().err)
    # Both workers reported (the capture works) and converted with the writer's module.
    assert imported.count('synapse_sdk.utils.converters.engine') == 2, imported
    assert imported.count(f'synapse_sdk.utils.converters.{writer_module}') == 2, imported
    assert [m for m in imported if m.startswith(MAIN_PROCESS_ONLY)] == []
