"""The export's streaming parts: the id spool, the bounded prefetch thread, raw JSON records."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import threading
import time

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from synapse_sdk.plugins.actions.export import writers as export_writers
from synapse_sdk.plugins.actions.export.ids import IdSpool
from synapse_sdk.plugins.actions.export.pipeline import prefetch
from synapse_sdk.plugins.actions.export.targets import RawJSON, RecordStream, normalize_record
from synapse_sdk.plugins.actions.export.writers import JsonLinesWriter, encode_record


@settings(max_examples=30, deadline=None)
@given(pages=st.lists(st.lists(st.integers(-(2**63), 2**63 - 1), max_size=30), max_size=8))
def test_id_spool_reads_back_what_was_listed(tmp_path_factory, pages):
    flat = [i for page in pages for i in page]
    path = tmp_path_factory.mktemp('spool') / 'ids.bin'
    for spool in (IdSpool.write(pages), IdSpool.write(pages, path)):
        with spool:
            assert len(spool) == len(flat)
            assert [i for start in range(0, len(flat), 7) for i in spool.read(start, 7)] == flat
            assert spool.read(len(flat), 5) == []
            copy = path.with_name('copy.bin')
            spool.save(copy)
            with IdSpool.open(copy) as reopened:
                assert reopened.read(0, len(flat) + 1) == flat


def test_a_listing_cut_short_leaves_no_spool_file(tmp_path):
    def pages():
        yield [1, 2, 3]
        raise ConnectionError('backend gone')

    with pytest.raises(ConnectionError):
        IdSpool.write(pages(), tmp_path / 'ids.bin')
    assert not (
        tmp_path / 'ids.bin'
    ).exists()  # a resumed export never takes a partial listing for a whole one


def test_prefetch_yields_in_order_and_stays_a_bounded_distance_ahead():
    produced = []

    def source():
        for i in range(50):
            produced.append(i)
            yield i

    seen = []
    for item in prefetch(source(), depth=3):
        time.sleep(0.001)
        # in the queue (3) plus the one the producer holds while waiting to put it
        assert len(produced) - len(seen) <= 3 + 2
        seen.append(item)
    assert seen == list(range(50))


def test_prefetch_reraises_the_producers_error_in_place():
    def source():
        yield 1
        yield 2
        raise ValueError('page 3 is broken')

    got = []
    with pytest.raises(ValueError, match='page 3'):
        for item in prefetch(source(), depth=2):
            got.append(item)
    assert got == [1, 2]


def test_stopping_early_stops_and_closes_the_producer():
    closed = threading.Event()

    def source():
        try:
            yield from range(10_000)
        finally:
            closed.set()

    before = threading.active_count()
    stream = prefetch(source(), depth=2)
    assert next(stream) == 0
    stream.close()
    assert closed.wait(5) and threading.active_count() == before


def counting_reader(count: int, size: int, log: list[int] | None = None, fail_at: int | None = None):
    """A `RecordStream` batch reader over ``count`` numbered records, as fetch_v2's: past the end it gives nothing."""

    def read(index):
        if log is not None:
            log.append(index)
        if index == fail_at:
            raise ConnectionError(f'batch {index} is lost')
        records = [{'id': i} for i in range(index * size, min((index + 1) * size, count))]
        return records, (index + 1) * size < count

    return read


@settings(max_examples=40, deadline=None)
@given(count=st.integers(0, 40), size=st.integers(1, 7), fetchers=st.integers(1, 3), start=st.integers(0, 8))
def test_batches_with_several_fetchers_come_in_order_from_any_start(count, size, fetchers, start):
    """What one fetcher reads, batch after batch until one says it is the last, is what several give."""
    one = list(RecordStream(count, size, counting_reader(count, size), api='t').batches(start))
    stream = RecordStream(count, size, counting_reader(count, size), api='t', fetchers=fetchers)
    assert list(stream.batches(start)) == one
    assert [r['id'] for _, batch in one for r in batch] == list(range(start * size, count))


def test_two_fetchers_have_two_batches_in_flight():
    """The reads of batches 1 and 2 each wait for the other to be running: with one fetcher they never meet (the
    wait gives up, and its error ends the stream). Batch 0 is read alone: the second fetcher starts when it is
    taken."""

    def meeting_reader(timeout):
        both = threading.Barrier(2, timeout=timeout)

        def read(index):
            if index in (1, 2):
                both.wait()
            return [{'id': index}], index < 5

        return read

    stream = RecordStream(6, 1, meeting_reader(5), api='t', fetchers=2)
    assert [index for index, _ in stream.batches()] == list(range(6))
    with pytest.raises(threading.BrokenBarrierError):
        list(RecordStream(6, 1, meeting_reader(0.5), api='t', fetchers=1).batches())


def test_a_failed_batch_of_one_fetcher_is_raised_in_its_place_and_stops_them_all():
    before = threading.active_count()
    stream = RecordStream(100, 2, counting_reader(100, 2, fail_at=5), api='t', fetchers=2)
    got = []
    with pytest.raises(ConnectionError, match='batch 5'):
        for index, _ in stream.batches():
            got.append(index)
    assert got == [0, 1, 2, 3, 4]
    deadline = time.monotonic() + 5
    while threading.active_count() != before and time.monotonic() < deadline:
        time.sleep(0.01)
    assert threading.active_count() == before


def test_stopping_early_stops_every_fetcher():
    log: list[int] = []
    before = threading.active_count()
    batches = RecordStream(10_000, 1, counting_reader(10_000, 1, log), api='t', fetchers=2).batches()
    assert [next(batches)[0] for _ in range(3)] == [0, 1, 2]
    batches.close()
    assert threading.active_count() == before
    read = len(log)
    time.sleep(0.2)
    assert len(log) == read < 20  # nothing read since, and never more than the window ahead


def test_raw_json_is_kept_only_when_it_is_one_line_of_an_object_or_array():
    item = {'id': 7, 'data': '{"b": 1, "a": [1, 2]}', 'files_manifest': {'image_1': {'url': 'u'}}}
    raw = normalize_record(item, raw_data=True)
    assert isinstance(raw['data'], RawJSON) and raw['data'].parse() == {'b': 1, 'a': [1, 2]}
    assert normalize_record(item) == {
        'id': 7,
        'data': {'b': 1, 'a': [1, 2]},
        'files': {'image_1': {'url': 'u'}},
    }
    # a multi-line document would break the one-record-per-line file: parsed (and written compact) instead
    assert normalize_record({**item, 'data': '{\n "a": 1\n}'}, raw_data=True)['data'] == {'a': 1}
    assert normalize_record({**item, 'data': 'not json'}, raw_data=True)['data'] == 'not json'
    assert normalize_record({**item, 'data': None}, raw_data=True)['data'] is None
    with pytest.raises(TypeError):
        json.dumps(raw)  # never silently written as a quoted string


def test_a_raw_record_line_is_the_parsed_record_with_the_backends_bytes(tmp_path):
    text = '{"z": "é", "a": [1.50, {"k": null}]}'
    records = [
        normalize_record({'id': 1, 'data': text, 'files_manifest': {}}, raw_data=True),
        normalize_record({'id': 2, 'data': text, 'files_manifest': {}}),
    ]
    writer = JsonLinesWriter(tmp_path)
    writer.write((r['id'], r) for r in records)
    writer.close()
    raw_line, parsed_line = (tmp_path / 'records.jsonl').read_text(encoding='utf-8').splitlines()
    assert raw_line == '{"id":1,"data":' + text + ',"files":{}}'  # the data bytes as the backend sent them
    assert json.loads(raw_line)['data'] == json.loads(parsed_line)['data']


MARKS = st.sampled_from([export_writers._DATA_MARK, export_writers._LINE_MARK])
TEXTS = (
    st.text(max_size=6)
    | MARKS
    | st.builds(lambda a, m, b: a + m + b, st.text(max_size=3), MARKS, st.text(max_size=3))
)
VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | TEXTS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(TEXTS, inner, max_size=3),
    max_leaves=8,
)


@st.composite
def batch_records(draw):
    """Records as an export writes them: ``data`` as the backend's text (`RawJSON`), parsed, or a string (kept as
    text), with strings anywhere that are or contain the writer's own marks."""
    records = []
    for record_id in range(draw(st.integers(1, 6))):
        data = draw(VALUES)
        kind = draw(st.sampled_from(['raw', 'parsed', 'text']))
        value = RawJSON(json.dumps(data, ensure_ascii=draw(st.booleans()))) if kind == 'raw' else data
        if kind == 'text':
            value = draw(TEXTS)
        record = {'id': record_id, 'data': value, 'files': draw(st.dictionaries(TEXTS, VALUES, max_size=2))}
        records.append(draw(st.sampled_from([record, {'data': value, **record}, draw(TEXTS)])))
    return records


RAW = {'id': 1, 'data': RawJSON('{"a": [1]}'), 'files': {}}


@settings(max_examples=200, deadline=None)
@given(records=batch_records())
@example(records=[RAW, {**RAW, 'files': {'a': [1, export_writers._LINE_MARK, 2]}}, RAW])  # a line mark's JSON
@example(records=[RAW, export_writers._LINE_MARK, RAW, export_writers._DATA_MARK])  # records that are marks
@example(records=[{**RAW, 'files': {'a': [export_writers._DATA_MARK]}}])
def test_a_batch_is_written_as_its_records_one_per_line(tmp_path_factory, records):
    """One encoder call per batch, the backend's texts spliced in at marks: each line parses (json) to its record
    with ``data`` parsed, and the bytes are those of each record encoded on its own, marks in the records or not."""
    root = tmp_path_factory.mktemp('batch')
    writer = JsonLinesWriter(root)
    writer.write((None, record) for record in records)
    writer.close()
    written = (root / 'records.jsonl').read_bytes()
    assert written == b''.join((encode_record(record) + '\n').encode('utf-8') for record in records)
    lines = written.decode('utf-8').split('\n')
    assert lines.pop() == ''
    expected = [
        {**r, 'data': json.loads(r['data'].text)}
        if isinstance(r, dict) and isinstance(r['data'], RawJSON)
        else r
        for r in records
    ]
    assert [json.loads(line) for line in lines] == expected


def test_a_record_the_encoder_cannot_take_is_refused_as_before(tmp_path):
    writer = JsonLinesWriter(tmp_path)
    nested = {'id': 1, 'data': RawJSON('{}'), 'files': {'x': RawJSON('{}')}}  # one not at the top level
    with pytest.raises(TypeError, match='RawJSON'):
        writer.write([(1, nested)])
    writer.close()


TRACED_EXPORT = textwrap.dedent(
    """
    import json, statistics, sys, tracemalloc
    from synapse_sdk.clients.backend_v2 import BackendV2Client
    from synapse_sdk.plugins.actions.export import BaseExportAction, ExportParams
    from synapse_sdk.plugins.actions.export import targets
    from synapse_sdk.plugins.execution import build_runtime_context, run_action

    targets.V2_LIST_PAGE = 200  # many list pages even for a few thousand items
    url, project, path = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    samples = []

    class Export(BaseExportAction[ExportParams]):
        action_name = 'export'

        def set_progress(self, current, total, step=None):
            super().set_progress(current, total, step)
            if tracemalloc.is_tracing() and current:
                samples.append(tracemalloc.get_traced_memory()[0])

    ctx = build_runtime_context(
        env={}, console=False, client=None, v2_client=BackendV2Client(url, access_token='syn_test'), agent_client=None
    )
    params = {'target': 'assignment', 'filter': {'project': project}, 'path': path}
    run_action(Export, {**params, 'path': path + '-warm'}, ctx)  # imports, caches, first-use allocations
    tracemalloc.start()
    result = run_action(Export, params, ctx)
    print(json.dumps({'held': statistics.median(samples), 'exported': result['exported']}))
    """
)


SMALL, MORE = 1_400, 10_000


def test_export_memory_does_not_grow_with_the_item_count(fake_backend, tmp_path):
    """Python memory held while an export writes its batches, at 1,400 and at 11,400 items (median over the
    batches, so a transient response does not decide). At 1,400 items (7 batches) the fetchers' window of
    batches ahead fills as at 11,400 (at 600 it did not, and the window counted as growth); how full it is when
    a batch is written still varies by about a batch (~50-80 KB here) from run to run.

    Kept per item for the whole run (the ids in a list, say), 10,000 more items would hold ~360 KB more.
    The fake backend runs in this process, the export in a child, so the child's memory is the export's alone.
    """
    state = fake_backend.state
    script = tmp_path / 'traced.py'
    script.write_text(TRACED_EXPORT)
    held = {}
    for count in (SMALL, SMALL + MORE):
        project = state.add_project()
        for i in range(count):
            state.add('assignments', task=0, project=project['id'], data={'labels': [i, i + 1], 'n': i})
        out = subprocess.run(
            [
                sys.executable,
                str(script),
                fake_backend.url,
                str(project['id']),
                str(tmp_path / f'out{count}'),
            ],
            capture_output=True,
            text=True,
            check=True,
        )
        figures = json.loads(out.stdout.strip().splitlines()[-1])
        assert figures['exported'] == count
        held[count] = figures['held']
    assert held[SMALL + MORE] - held[SMALL] < 128_000, held


def test_an_export_leaves_the_fake_backend_within_its_window(fake_backend, make_ctx, tmp_path, monkeypatch):
    """An export through ``run_action`` against the fake on its loopback port, one answer lost on the way (the
    client resends with the same idempotency key): the export is whole, and the fake kept only its window of
    requests and idempotent answers, counting what it evicted."""
    from synapse_sdk.clients.testing import IdempotencyStore, RequestLog
    from synapse_sdk.plugins.actions.export import BaseExportAction, ExportParams
    from synapse_sdk.plugins.execution import run_action

    class Export(BaseExportAction[ExportParams]):
        action_name = 'export'

    monkeypatch.delenv('SYNAPSE_FORCE_V1_EXPORT', raising=False)
    state = fake_backend.state
    state.requests = RequestLog(max_requests=5)
    fake_backend.idempotency = IdempotencyStore(max_entries=3)
    project = state.add_project()
    for i in range(1_030):  # one list page, six bulk batches
        state.add('assignments', task=0, project=project['id'], data={'n': i})
    fake_backend.inject(r'^/v2/assignments/bulk-fetch/$', drop='after', times=1)
    params = {'target': 'assignment', 'filter': {'project': project['id']}, 'path': str(tmp_path / 'out')}
    result = run_action(Export, params, make_ctx(client=None))

    lines = (tmp_path / 'out' / 'records.jsonl').read_text(encoding='utf-8').splitlines()
    assert result['exported'] == 1_030 and sorted(json.loads(line)['data']['n'] for line in lines) == list(
        range(1_030)
    )
    # one list request, seven bulk requests (six batches, one sent twice)
    assert len(state.requests) == 5 and state.requests.dropped == 3
    assert [r.path for r in state.requests] == ['/v2/assignments/bulk-fetch/'] * 5
    assert len(fake_backend.idempotency) == 3 and fake_backend.idempotency.evicted == 3  # six keys
