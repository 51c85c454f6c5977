import io
import json
import time
import warnings

import pytest

from synapse_sdk.loggers import (
    BackendJobLogger,
    CompositeLogger,
    ConsoleLogger,
    JobLogTransport,
    JsonLinesFileLogger,
    NullLogger,
    ProgressWarning,
)
from synapse_sdk.plugins.models import LogLevel, RunStatus


def test_progress_overshoot_is_clamped_with_a_warning_not_a_crash():
    logger = NullLogger()
    with pytest.warns(ProgressWarning, match='exceeds total'):
        data = logger.set_progress(12, 10, step='train')
    assert (data.current, data.percent) == (10, 100.0)
    with pytest.warns(ProgressWarning, match='< 0'):
        assert logger.set_progress(-1, 10, step='train').current == 0
    with pytest.warns(ProgressWarning, match='total'):
        logger.set_progress(1, -5, step='train')
    zero = logger.set_progress(0, 0, step='empty')
    assert zero.percent == 100.0


def test_progress_warning_points_at_the_caller(recwarn):
    logger = NullLogger()
    logger.set_progress(3, 2)
    warning = recwarn.pop(ProgressWarning)
    assert warning.filename == __file__


def test_progress_record_overall_and_eta():
    logger = NullLogger()
    logger.set_step_proportions({'download': 1, 'train': 3})
    logger.set_progress(1, 1, step='download')
    logger.set_progress(1, 2, step='train')
    record = logger.progress_record()
    assert record['steps']['train']['percent'] == 50.0
    assert record['current_progress']['step'] == 'train'
    assert record['current_progress']['overall'] == pytest.approx(62.5)
    logger.set_progress(0, 100, step='eta')
    time.sleep(0.02)
    assert logger.set_progress(50, 100, step='eta').time_remaining is not None


def test_metrics_merge_per_step_and_default_step():
    logger = NullLogger()
    logger.set_metrics({'loss': 0.5}, step='train')
    logger.set_metrics({'acc': 0.9}, step='train')
    logger.set_metrics({'mAP': 0.8})
    assert logger.get_metrics('train') == {'loss': 0.5, 'acc': 0.9}
    assert logger.get_metrics() == {'train': {'loss': 0.5, 'acc': 0.9}, 'default': {'mAP': 0.8}}
    with pytest.raises(TypeError):
        logger.set_metrics([1, 2], step='x')


def test_log_rejects_non_mapping_and_redacts_secrets():
    logger = NullLogger()
    with pytest.raises(TypeError, match='mapping'):
        logger.log(LogLevel.INFO, 'e', ['x'])
    entry = logger.log(
        'info', 'config_loaded', {'api_key': 'k1', 'nested': {'password': 'p'}, 'url': 'https://u:pw@h/x'}
    )
    assert entry.data == {'api_key': '***', 'nested': {'password': '***'}, 'url': 'https://***@h/x'}


def test_console_logger_plain_stream():
    stream = io.StringIO()
    logger = ConsoleLogger(stream)
    logger.message('Training started', LogLevel.INFO)
    logger.log('info', 'checkpoint_saved', {'epoch': 5}, file='/model.pt')
    logger.log('debug', 'dev_event', {'message': 'hidden'})
    for i in range(1, 11):
        logger.set_progress(i, 10, step='train')
    logger.set_metrics({'loss': 0.1}, step='train')
    out = stream.getvalue()
    assert 'INFO    Training started' in out
    assert 'checkpoint_saved {"epoch": 5} (file: /model.pt)' in out
    assert 'hidden' not in out
    assert out.count('progress train') == 10
    assert 'metrics train: {"loss": 0.1}' in out
    assert '\033[' not in out and '\r' not in out


class _Tty(io.StringIO):
    def isatty(self):
        return True


def test_console_logger_draws_a_bar_on_a_terminal(monkeypatch):
    monkeypatch.delenv('NO_COLOR', raising=False)
    stream = _Tty()
    logger = ConsoleLogger(stream, show_debug=True)
    logger.set_progress(5, 10, step='train')
    logger.message('done', 'success')
    out = stream.getvalue()
    assert '\rtrain: [###############---------------]  50.0%' in out
    assert '\033[32m' in out


def test_jsonl_file_logger(tmp_path):
    path = tmp_path / 'logs' / 'run.jsonl'
    logger = JsonLinesFileLogger(path, job_id='j1')
    logger.message('hello', 'info', key='custom_message')
    logger.log('debug', 'dev_event', {'message': 'dbg', 'obj': object()})
    logger.set_progress(1, 2, step='s')
    logger.set_metrics({'m': 1}, step='s')
    logger.report_status(RunStatus.COMPLETED, result={'ok': True})
    logger.finish()
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    assert [line['event'] for line in lines] == ['message', 'dev_event', 'progress', 'metrics', 'status']
    assert lines[0]['data'] == {'content': 'hello', 'key': 'custom_message'} and lines[0]['job'] == 'j1'
    assert lines[2]['data']['percent'] == 50.0
    assert lines[4]['data'] == {'status': 'completed', 'result': {'ok': True}}


def test_recording_transport_satisfies_protocol(transport):
    assert isinstance(transport, JobLogTransport)


def test_job_logger_batches_logs_and_coalesces_progress(transport):
    logger = BackendJobLogger(
        transport, 'job-1', batch_size=50, background=False, flush_interval=3600, snapshot_interval=3600
    )
    for i in range(120):
        logger.log('info', 'item', {'i': i})
    for i in range(1, 101):
        logger.set_progress(i, 100, step='upload')
    logger.set_metrics({'files': 100}, step='upload')
    assert len(transport.log_batches) == 2  # two full batches sent, 20 entries still queued
    assert all(len(batch) == 50 for batch in transport.log_batches)
    logger.report_status(RunStatus.COMPLETED, result={'n': 100})
    logger.finish()
    assert len(transport.logs) == 120
    assert [e['data']['i'] for e in transport.logs] == list(range(120))
    assert all(e['job'] == 'job-1' and e['event'] == 'item' for e in transport.logs)
    snapshots = [d for _, d in transport.updates if 'progress_record' in d]
    assert len(snapshots) <= 3  # 100 progress updates coalesced
    assert snapshots[-1]['progress_record']['steps']['upload']['percent'] == 100.0
    assert snapshots[-1]['metrics_record'] == {'steps': {'upload': {'files': 100}}}
    # Final snapshot and logs are delivered before the status turns SUCCEEDED.
    status_index = next(i for i, (_, d) in enumerate(transport.updates) if d.get('status') == 'SUCCEEDED')
    assert status_index == len(transport.updates) - 1
    assert transport.updates[status_index][1]['result'] == {'n': 100}
    assert logger.stats['logs_sent'] == 120 and logger.stats['dropped'] == 0


def test_job_logger_background_thread_flushes(transport):
    logger = BackendJobLogger(transport, 'job-2', flush_interval=0.05, snapshot_interval=0.05)
    logger.message('hi', 'info')
    logger.set_progress(1, 2)
    deadline = time.monotonic() + 5
    while (not transport.logs or not transport.updates) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert transport.logs[0]['data'] == {'content': 'hi'}
    assert transport.updates[0][1]['progress_record']['steps']['default']['current'] == 1
    logger.finish()
    assert not logger._thread.is_alive()


def test_job_logger_retries_then_counts_losses(caplog, transport_cls):
    RecordingTransport = transport_cls
    flaky = RecordingTransport(fail_logs=1, fail_updates=1)
    logger = BackendJobLogger(flaky, 'job-3', background=False, breaker_threshold=5)
    logger.log('info', 'a', {})
    logger.set_progress(1, 1)
    logger.finish()  # one failure each, then delivered
    assert [e['event'] for e in flaky.logs] == ['a']
    assert flaky.updates and logger.stats['failures'] == 2

    dead = RecordingTransport(fail_logs=99, fail_updates=99)
    logger = BackendJobLogger(dead, 'job-4', background=False, max_attempts=2)
    logger.log('info', 'lost', {})
    with caplog.at_level('WARNING', logger='synapse_sdk.loggers'):
        logger.finish()
    assert logger.stats['dropped'] == 1
    assert 'could not be delivered' in caplog.text
    assert 'Could not send create_logs for job job-4: ConnectionError' in caplog.text


def test_job_logger_drops_oldest_when_queue_is_full(transport):
    logger = BackendJobLogger(
        transport, 'job-5', batch_size=1000, max_queue=10, background=False, flush_interval=3600
    )
    for i in range(15):
        logger.log('info', 'e', {'i': i})
    logger.finish()
    assert [e['data']['i'] for e in transport.logs] == list(range(5, 15))
    assert logger.stats['dropped'] == 5


def test_composite_fans_out_and_job_child_reports_shared_state(transport, tmp_path):
    stream = io.StringIO()
    job = BackendJobLogger(transport, 'job-6', background=False)
    composite = CompositeLogger(ConsoleLogger(stream), JsonLinesFileLogger(tmp_path / 'x.jsonl'), job)
    composite.set_progress(3, 4, step='s')
    composite.message('m', 'warning')
    composite.finish()
    assert composite.find(BackendJobLogger) is job
    assert 'WARNING m' in stream.getvalue()
    assert (tmp_path / 'x.jsonl').read_text().count('\n') == 2
    assert transport.updates[-1][1]['progress_record']['steps']['s']['current'] == 3
    assert composite.finished and job.finished


def test_logging_after_finish_still_delivers(transport):
    logger = BackendJobLogger(transport, 'job-7')
    logger.finish()
    logger.message('late', 'info')
    assert transport.logs[-1]['data']['content'] == 'late'
    with warnings.catch_warnings():
        warnings.simplefilter('error')
        logger.finish()  # idempotent


def test_breaker_stops_hammering_a_dead_backend(transport_cls):
    dead = transport_cls(fail_logs=10**6, fail_updates=10**6)
    logger = BackendJobLogger(
        dead, 'job-8', background=False, batch_size=1, breaker_threshold=2, breaker_cooldown=60
    )
    for i in range(50):
        logger.log('info', 'e', {'i': i})
        logger.set_progress(i, 50)
    logger.report_status(RunStatus.COMPLETED, result={})
    logger.finish()
    stats = logger.stats
    attempted = stats['failures']
    assert attempted <= 4  # two to open the breaker, one status probe (+ at most one more)
    assert stats['skipped_calls'] > 50
    assert logger.breaker_open


def test_breaker_closes_after_success(transport_cls):
    flaky = transport_cls(fail_logs=2)
    logger = BackendJobLogger(
        flaky, 'job-9', background=False, batch_size=1, breaker_threshold=2, breaker_cooldown=0
    )
    for i in range(3):
        logger.log('info', 'e', {'i': i})
    logger.finish()
    assert [e['data']['i'] for e in flaky.logs] == [0, 1, 2]
    assert not logger.breaker_open


def test_job_logger_inlines_small_files_alone_and_skips_large_ones(transport, tmp_path):
    small = tmp_path / 'plot.png'
    small.write_bytes(b'\x89PNG\r\n\x1a\nxx')
    big = tmp_path / 'train.csv'
    big.write_bytes(b'x' * 100)
    logger = BackendJobLogger(
        transport, 'job-f', background=False, flush_interval=3600, max_inline_file_bytes=50
    )
    logger.log('info', 'before', {})
    logger.log('info', 'visualization', {'epoch': 1}, file=str(small))
    logger.log('info', 'data_loaded', {'count': 1000}, file=str(big))
    logger.log('info', 'missing', {}, file=str(tmp_path / 'nope.jpg'))
    logger.log('info', 'after', {})
    logger.finish()
    by_event = {e['event']: e for e in transport.logs}
    assert by_event['visualization']['file'].startswith('data:image/png;base64,iVBORw0KGgp')
    assert 'file' not in by_event['data_loaded']
    assert (
        by_event['data_loaded']['data']['file_not_sent']
        == 'train.csv: 100 bytes exceeds the 50-byte inline limit'
    )
    assert 'nope.jpg: cannot read it' in by_event['missing']['data']['file_not_sent']
    sizes = [[e['event'] for e in batch] for batch in transport.log_batches]
    assert ['visualization'] in sizes  # sent alone
    assert [e['event'] for e in transport.logs] == [
        'before',
        'visualization',
        'data_loaded',
        'missing',
        'after',
    ]


def test_unfinished_job_logger_delivers_at_process_exit(tmp_path):
    """SYN-7435 class of bug: a logger nobody finished must not lose its last logs and progress."""
    import subprocess
    import sys

    out = tmp_path / 'delivered.json'
    script = f"""
import json
from synapse_sdk.loggers import BackendJobLogger

class T:
    logs, updates = [], []
    def create_logs(self, logs):
        self.logs.extend(logs)
    def update_job(self, job_id, data):
        self.updates.append(data)

t = T()
import atexit  # exit hooks run last-registered first: this one runs after the logger's
atexit.register(lambda: open({str(out)!r}, 'w').write(json.dumps({{'logs': t.logs, 'updates': t.updates}})))

logger = BackendJobLogger(t, 'j', flush_interval=3600, snapshot_interval=3600)
logger.message('last words', 'info')
logger.set_progress(10, 10)
"""
    subprocess.run([sys.executable, '-c', script], check=True, timeout=60)
    delivered = json.loads(out.read_text())
    assert [e['data']['content'] for e in delivered['logs']] == ['last words']
    assert delivered['updates'][-1]['progress_record']['steps']['default']['percent'] == 100.0


def test_array_library_scalars_become_plain_numbers(transport):
    class FakeScalar:  # behaves like numpy.float32 / a 0-d tensor, without importing numpy
        ndim = 0

        def item(self):
            return 0.25

    class FakeArray:
        ndim = 1

        def tolist(self):
            return [1, 2]

    logger = BackendJobLogger(transport, 'job-n', background=False)
    logger.set_metrics(
        {'loss': FakeScalar(), 'hist': FakeArray(), 'pair': (1, 2), 3: 'int key'}, step='train'
    )
    entry = logger.log('info', 'epoch', {'loss': FakeScalar(), 'nested': {'v': [FakeScalar()]}})
    logger.finish()
    assert entry.data == {'loss': 0.25, 'nested': {'v': [0.25]}}
    metrics = transport.updates[-1][1]['metrics_record']['steps']['train']
    assert metrics == {'loss': 0.25, 'hist': [1, 2], 'pair': [1, 2], '3': 'int key'}
    json.dumps(transport.updates)


def test_a_failing_output_never_stops_the_action(tmp_path):
    from synapse_sdk.loggers import LoggerWarning
    from synapse_sdk.plugins import action
    from synapse_sdk.plugins.executors.local import LocalExecutor

    closed = io.StringIO()
    closed.close()
    (tmp_path / 'is_a_dir.jsonl').mkdir()

    @action(name='busy')
    def busy(params, ctx):
        for i in range(3):
            ctx.set_progress(i + 1, 3)
            ctx.log_message(f'step {i}')
        ctx.set_metrics({'m': 1})
        return 'done'

    executor = LocalExecutor(
        console=closed, log_file=tmp_path / 'is_a_dir.jsonl', client=None, v2_client=None, agent_client=None
    )
    with pytest.warns(LoggerWarning) as record:
        assert executor.execute(busy, {}) == 'done'
    texts = {str(w.message).split(' (')[0] for w in record}
    assert texts == {'ConsoleLogger could not write', 'JsonLinesFileLogger could not write'}
    assert len(record) <= 8  # once per logger and hook, not once per call
