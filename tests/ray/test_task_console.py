"""Task mode as a person meets it (issue #16 point 6), on real Ray.

- The action's logs, progress and prints reach the driver's console through the executor, rendered by a
  `ConsoleLogger` on the driver: the same lines as local mode, bars and colours on a terminal only, no
  ``(ActionActor pid=...)`` prefixes, and all of it before the result.
- Which cluster: a kept one (``ray start --head``) is found and named; without one a local cluster is
  started and the user is told so and how to keep one; a wrong address fails fast, naming it.

In-process tests use the session cluster; the command-line tests run ``synapse`` in a pseudo-terminal
(bars, colours) or through a pipe (clean text), against the session head node found as a kept cluster
(``RAY_TMPDIR`` points at its folder) or, once, with no cluster at all.
"""

from __future__ import annotations

import io
import json
import os
import pickle
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import pytest
from synapse_tests_terminal import run_in_pty  # registered by tests/conftest.py

from synapse_sdk.plugins.executors.local import LocalExecutor
from synapse_sdk.plugins.executors.ray.connection import check_reachable, plan_connection
from synapse_sdk.plugins.executors.ray.errors import RayConnectionError
from synapse_sdk.plugins.executors.ray.task import RayActorExecutor
from synapse_sdk.plugins.executors.ray.testing import free_port, short_temp_dir

pytestmark = pytest.mark.integration

SYNAPSE = Path(sys.executable).parent / 'synapse'
CLOCK = re.compile(r'\b\d\d:\d\d:\d\d\b')
ANSI = '\033['


def _same_lines(text: str) -> str:
    return CLOCK.sub('HH:MM:SS', text)


# -- in-process: the executor's console ---------------------------------------------------------------
def test_console_output_is_local_modes_and_complete_when_the_call_returns(
    ray_cluster, sample_plugin_dir, capsys
):
    params = {'steps': 30}
    local_console = io.StringIO()
    local = LocalExecutor(console=local_console).execute('ray_sample_actions:show', params)
    local_prints = capsys.readouterr()
    ray_console = io.StringIO()
    with RayActorExecutor(working_dir=sample_plugin_dir, num_cpus=0.25, console=ray_console) as ex:
        remote = ex.execute('ray_sample_actions:show', params)
        # Read at once: everything the action wrote was shown before execute() returned.
        ray_text = ray_console.getvalue()
        ray_prints = capsys.readouterr()
    assert remote == local == {'steps': 30}
    assert 'progress show: 30/30 (100%)' in ray_text and 'SUCCESS Plugin run is complete.' in ray_text
    assert _same_lines(ray_text) == _same_lines(local_console.getvalue())
    assert ANSI not in ray_text  # not a terminal: no colours, no bar
    assert ray_prints.out == local_prints.out == 'a print on stdout\n'
    assert ray_prints.err == local_prints.err == 'a print on stderr\n'


def test_lines_reach_the_driver_while_the_action_runs(ray_cluster, sample_plugin_dir, tmp_path):
    """The action waits for a file the test writes only after seeing its first line on the console."""
    console = io.StringIO()
    gate = tmp_path / 'seen-first-line'
    outcome: dict = {}
    with RayActorExecutor(working_dir=sample_plugin_dir, num_cpus=0.25, console=console) as ex:

        def call() -> None:
            try:
                outcome['result'] = ex.execute('ray_sample_actions:show', {'steps': 2, 'gate': str(gate)})
            except BaseException as exc:  # handed to the test thread
                outcome['error'] = exc

        worker = threading.Thread(target=call)
        worker.start()
        deadline = time.monotonic() + 120
        while 'show started' not in console.getvalue():
            assert worker.is_alive(), outcome
            assert time.monotonic() < deadline, 'the first line never reached the driver'
            time.sleep(0.05)
        gate.write_text('seen')
        worker.join(timeout=120)
    assert outcome == {'result': {'steps': 2}}
    assert console.getvalue().index('show started') < console.getvalue().index('show finished')


def test_console_false_hides_logs_but_not_prints(ray_cluster, sample_plugin_dir, capsys):
    with RayActorExecutor(working_dir=sample_plugin_dir, num_cpus=0.25, console=False) as ex:
        assert ex.execute('ray_sample_actions:show', {'steps': 3}) == {'steps': 3}
    shown = capsys.readouterr()
    assert shown.out == 'a print on stdout\n' and shown.err == 'a print on stderr\n'


def test_prints_do_not_also_travel_the_ray_way(ray_cluster, sample_plugin_dir, capsys):
    """Nothing the action prints is written to the worker's own stdout/stderr, which Ray forwards to
    the driver as ``(ActionActor pid=...)`` lines: the worker's log files never see it."""
    marker = f'unique-{uuid.uuid4().hex}'
    with RayActorExecutor(working_dir=sample_plugin_dir, num_cpus=0.25, console=io.StringIO()) as ex:
        ex.execute('ray_sample_actions:greet', {'name': marker})
        worker_pid = ex.execute('ray_sample_actions:whoami', {})['pid']
    logs = Path(ray_cluster._private.worker._global_node.get_logs_dir_path())
    worker_files = [p for p in logs.glob(f'worker-*-{worker_pid}.*') if p.suffix in ('.out', '.err')]
    assert worker_files, sorted(p.name for p in logs.iterdir())[:20]
    assert not any(marker in p.read_text(errors='replace') for p in worker_files)


def test_output_that_bypasses_sys_stdout_is_shown_too_on_every_run(ray_cluster, sample_plugin_dir, capsys):
    """A `logging` handler made when the plugin was imported (it holds the ``sys.stderr`` of that moment),
    a subprocess and a write to the descriptor: shown like prints on each run of the warm actor, and
    never the Ray way (the worker's log files, which Ray forwards with ``(ActionActor pid=...)``)."""
    with RayActorExecutor(working_dir=sample_plugin_dir, num_cpus=0.25, console=io.StringIO()) as ex:
        for tag in ('first', 'second'):  # the second run reuses the actor and the imported module
            assert ex.execute('ray_sample_actions:noisy', {'tag': tag}) == {'tag': tag}
            shown = capsys.readouterr()
            assert re.search(rf'^subprocess line {tag}$', shown.out, re.M), shown
            assert re.search(rf'^handler line {tag}$', shown.err, re.M), shown
            assert re.search(rf'^descriptor line {tag}$', shown.err, re.M), shown
        worker_pid = ex.execute('ray_sample_actions:whoami', {})['pid']
    logs = Path(ray_cluster._private.worker._global_node.get_logs_dir_path())
    worker_files = [p for p in logs.glob(f'worker-*-{worker_pid}.*') if p.suffix in ('.out', '.err')]
    assert worker_files
    texts = [p.read_text(errors='replace') for p in worker_files]
    assert not any(f'line {tag}' in text for text in texts for tag in ('first', 'second')), texts


def test_a_process_left_running_does_not_hold_the_run(ray_cluster, sample_plugin_dir, capsys):
    """What it writes during the run is shown with the run; what it writes later goes to the worker's own
    stdout (Ray's way), and neither the call nor the next one waits for it."""
    tag = f'left-{uuid.uuid4().hex[:8]}'
    with RayActorExecutor(working_dir=sample_plugin_dir, num_cpus=0.25, console=io.StringIO()) as ex:
        assert ex.execute('ray_sample_actions:leave_running', {'tag': tag}) == {'tag': tag}
        shown = capsys.readouterr()
        assert re.search(rf'^early {tag}$', shown.out, re.M), shown
        assert f'late {tag}' not in shown.out
        worker_pid = ex.execute('ray_sample_actions:whoami', {})['pid']
        logs = Path(ray_cluster._private.worker._global_node.get_logs_dir_path())
        out_file = next(logs.glob(f'worker-*-{worker_pid}.out'))
        deadline = time.monotonic() + 60
        while f'late {tag}' not in out_file.read_text(errors='replace'):
            assert time.monotonic() < deadline, "the late line never reached the worker's stdout"
            time.sleep(0.2)
    assert f'early {tag}' not in out_file.read_text(errors='replace')


def test_pipeline_steps_show_on_the_driver_console(ray_cluster, sample_plugin_dir, tmp_path):
    from synapse_sdk.plugins.executors.ray.pipeline import RayPipelineExecutor

    console = io.StringIO()
    with RayPipelineExecutor(
        working_dir=sample_plugin_dir, num_cpus=0.25, console=console, checkpoint_dir=tmp_path
    ) as executor:
        import ray_sample_actions as m

        outcome = executor.run([m.show], {'steps': 4})
    assert outcome.result == {'steps': 4}
    text = console.getvalue()
    assert 'show finished' in text and 'progress show: 4/4 (100%)' in text
    assert 'progress pipeline:' in text  # the pipeline's own progress, from the worker's context


# -- which cluster -----------------------------------------------------------------------------------
def test_a_kept_cluster_is_found_a_gone_one_is_named_and_none_means_new(ray_head, tmp_path, monkeypatch):
    monkeypatch.delenv('RAY_ADDRESS', raising=False)
    monkeypatch.setenv('RAY_TMPDIR', ray_head.temp_dir)  # where `ray start` recorded the head
    plan = plan_connection()
    assert (plan.how, plan.init_address, plan.shown) == ('kept', None, ray_head.gcs_address)

    gone = tmp_path / 'ray'
    gone.mkdir()
    (gone / 'ray_current_cluster').write_text(f'127.0.0.1:{free_port()}')
    monkeypatch.setenv('RAY_TMPDIR', str(tmp_path))
    plan = plan_connection()
    assert (plan.how, plan.init_address) == ('stale', 'local')

    monkeypatch.setenv('RAY_TMPDIR', str(tmp_path / 'empty'))
    assert plan_connection().how == 'new'
    monkeypatch.setenv('RAY_ADDRESS', 'ray://elsewhere:10001')
    assert plan_connection() == plan_connection('ray://elsewhere:10001').__class__(
        'RAY_ADDRESS', 'ray://elsewhere:10001', 'ray://elsewhere:10001'
    )
    assert plan_connection('10.1.2.3:6379').how == 'given'


def test_real_ray_servers_answer_the_check(ray_head):
    check_reachable(ray_head.gcs_address, 30)
    check_reachable(ray_head.client_address, 30)


@pytest.fixture
def silent_server():
    """A port that accepts connections and never says anything."""
    server = socket.socket()
    server.bind(('127.0.0.1', 0))
    server.listen()
    held: list = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(server.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield server.getsockname()[1]
    stop.set()
    thread.join()
    for conn in held:
        conn.close()
    server.close()


def test_wrong_addresses_fail_naming_the_address_and_what_happened(ray_head, silent_server):
    cases = [
        (f'ray://127.0.0.1:{free_port()}', 30, 'connection refused: nothing listens on port'),
        ('ray://no-such-host.invalid:10001', 30, "the host name 'no-such-host.invalid' does not resolve"),
        (f'ray://127.0.0.1:{silent_server}', 1, 'accepts connections but no Ray server answered within 1s'),
        (f'ray://{ray_head.dashboard_address.split("//")[1]}', 30, 'is not a Ray Client server'),
        (ray_head.client_address.replace('ray://', ''), 30, 'is not a Ray GCS'),
    ]
    for address, timeout, reason in cases:
        with pytest.raises(RayConnectionError) as info:
            check_reachable(address, timeout)
        err = info.value
        assert err.address == address and reason in err.reason, (address, str(err))
        assert str(err).startswith(f'Could not connect to the Ray cluster at {address}: ')
        assert err.timeout == (timeout if 'within' in reason else None)  # set when it ran out
        back = pickle.loads(pickle.dumps(err))
        assert type(back) is RayConnectionError and str(back) == str(err) and back.reason == err.reason


def test_a_wrong_address_is_named_in_korean_too(silent_server):
    refused = f'ray://127.0.0.1:{free_port()}'
    with pytest.raises(RayConnectionError) as info:
        check_reachable(refused, 30, language='ko')
    assert str(info.value).startswith(
        f'{refused}의 Ray 클러스터에 연결할 수 없습니다: 연결이 거부되었습니다: 포트 {refused.rsplit(":", 1)[1]}에서'
    ), str(info.value)
    silent = f'ray://127.0.0.1:{silent_server}'
    with pytest.raises(RayConnectionError) as info:
        check_reachable(silent, 0.5, source='RAY_ADDRESS', language='ko')
    assert str(info.value).startswith(
        f'{silent} (RAY_ADDRESS에서)의 Ray 클러스터에 연결할 수 없습니다: 포트 {silent_server}은(는) 연결을 받지만 '
        '0.5초 안에 Ray 서버가 응답하지 않았습니다'
    ), str(info.value)


PRINT_SCRIPT = """
import builtins, io, json, sys, time

original = builtins.print


class Seen(io.TextIOBase):  # this driver's stdout: what Ray shows of its workers' lines
    text = ''

    def write(self, s):
        Seen.text += s
        return len(s)


sys.stdout = Seen()
from synapse_sdk.plugins.executors.ray.connection import ensure_ray

ray = ensure_ray(sys.argv[1])


@ray.remote(num_cpus=0.1)
def shout():
    print('a line from a worker', flush=True)


ray.get(shout.remote())
deadline = time.monotonic() + 60
while 'a line from a worker' not in Seen.text and time.monotonic() < deadline:
    time.sleep(0.1)
with open(sys.argv[2], 'w') as f:
    json.dump({'shown': Seen.text, 'print_replaced': builtins.print is not original}, f)
"""


def test_the_driver_keeps_pythons_print_after_ray_shows_a_worker_line(ray_head, tmp_path):
    """Ray's driver swaps ``builtins.print`` for its tqdm-safe printer when it first shows a worker's line
    (`RAY_TQDM_PATCH_PRINT`); a process that connected through the executors keeps Python's own."""
    report = tmp_path / 'report.json'
    env = {k: v for k, v in os.environ.items() if k not in ('RAY_ADDRESS', 'RAY_TQDM_PATCH_PRINT')}
    proc = subprocess.run(
        [sys.executable, '-c', PRINT_SCRIPT, ray_head.gcs_address, str(report)],
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    outcome = json.loads(report.read_text())
    assert 'a line from a worker' in outcome['shown'], outcome  # Ray did show the worker's line here
    assert outcome['print_replaced'] is False


# -- the command line, as a person runs it ------------------------------------------------------------
def _cli_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(('PYTEST_', 'SYNAPSE_', 'RAY_ADDRESS'))}
    env.pop('NO_COLOR', None)
    env.update(extra)
    return env


def _show_args(sample_plugin_dir: Path, *more: str, action: str = 'show') -> list[str]:
    return [str(SYNAPSE), 'plugin', 'run', action, '--path', str(sample_plugin_dir), '--mode', 'task', *more]


def test_on_a_terminal_a_kept_cluster_is_reused_with_bars_and_colours(ray_head, sample_plugin_dir):
    env = _cli_env(RAY_TMPDIR=ray_head.temp_dir)
    code, shown = run_in_pty(_show_args(sample_plugin_dir, '--params', '{"steps": 30}'), env=env, timeout=240)
    assert code == 0, shown
    assert f'Using the Ray cluster running on this machine at {ray_head.gcs_address}' in shown
    assert 'Starting a local' not in shown and 'starting a local' not in shown
    assert re.search(r'\rshow: \[#{30}\] 100\.0% \(30/30\)', shown), shown  # the bar, redrawn in place
    assert 'progress show:' not in shown  # no plain progress lines on a terminal
    assert '\033[32m' in shown and 'SUCCESS show finished' in shown  # coloured like local mode
    assert 'Plugin run is complete.' not in shown  # the CLI says it in its own words, as in local mode
    assert '(ActionActor' not in shown and 'pid=' not in shown
    assert 'a print on stdout' in shown and 'a print on stderr' in shown
    assert shown.index('show finished') < shown.index("Action 'show' finished in") < shown.index('Result:')
    assert shown.endswith('\r\n}\r\n'), shown[-300:]  # nothing after the result (Ray's lines end before it)


def _autoscaler_says(head, text: str) -> None:
    """Append an event to the head node's autoscaler log as Ray's autoscaler writes one: Ray's log monitor
    publishes it to every driver connected to the cluster, which prints ``(autoscaler +Ns) <text>``."""
    log = Path(head.temp_dir, 'ray', 'session_latest', 'logs', 'monitor.log')
    assert log.is_file(), f'no autoscaler log at {log}'
    stamp = time.strftime('%Y-%m-%d %H:%M:%S')
    with log.open('a', encoding='utf-8') as f:
        f.write(f'{stamp},000\tINFO autoscaler.py:1 -- :event_summary:{text}\n')


def test_json_to_a_file_rays_own_lines_stay_on_the_terminal_and_nothing_follows(
    ray_head, sample_plugin_dir, tmp_path
):
    """``synapse plugin run --mode task --json > result.json`` on a terminal while Ray prints on the driver:
    an autoscaler event (like another driver's GPU request on a shared cluster) and a line printed by a Ray
    task the action started (forwarded by Ray: another worker, not the run's captured output). Both are on
    the terminal (stderr), the file holds the JSON alone, and nothing follows on the terminal: Ray's
    autoscaler module, imported when the event arrives, registers colorama's exit-time colour reset, which
    printed a stray ``ESC[0m`` after the run."""
    tag = uuid.uuid4().hex[:8]
    event = f'Warning: test event {tag}'
    gate = tmp_path / 'gate'
    params = json.dumps({'tag': tag, 'gate': str(gate)})
    args = _show_args(sample_plugin_dir, '--json', '--params', params, action='relay')
    with (tmp_path / 'result.json').open('wb') as result:
        code, shown = run_in_pty(
            args,
            env=_cli_env(RAY_TMPDIR=ray_head.temp_dir),
            timeout=240,
            answers=[
                (f'relay waiting {tag}'.encode(), lambda: _autoscaler_says(ray_head, event)),
                (event.encode(), lambda: None),
                (f'nested line {tag}'.encode(), gate.touch),  # both seen: the action may return
            ],
            stdout=result,
        )
    assert code == 0, shown
    out = json.loads((tmp_path / 'result.json').read_text(encoding='utf-8'))  # all of it
    assert (out['ok'], out['mode'], out['result']) == (True, 'task', {'tag': tag})
    plain = re.sub(r'\x1b\[[0-9;]*m', '', shown)  # Ray colours its prefixes on a terminal
    assert re.search(rf'^\(autoscaler \+\d+s\) {re.escape(event)}\r$', plain, re.M), shown
    assert re.search(rf'^\(nested pid=\d+\) nested line {tag}\r$', plain, re.M), shown
    assert not shown.endswith(f'{ANSI}0m'), shown[-300:]


def test_piped_without_any_cluster_a_local_one_is_started_and_said_so(sample_plugin_dir, tmp_path):
    """No address, no RAY_ADDRESS, nothing recorded by `ray start`, Ray's auth mode left to Ray."""
    ray_tmp = short_temp_dir('rn')  # AF_UNIX paths under it must stay short
    home = tmp_path / 'home'
    home.mkdir()
    env = _cli_env(RAY_TMPDIR=ray_tmp, HOME=str(home))
    env.pop('RAY_AUTH_MODE', None)  # Ray's default: token auth on, and its notice about that
    try:
        proc = subprocess.run(
            _show_args(sample_plugin_dir, '--params', '{"steps": 30}'),
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,  # one stream: the order a person reading a log file sees
            stdin=subprocess.DEVNULL,
            timeout=300,
        )
    finally:
        shutil.rmtree(ray_tmp, ignore_errors=True)
    shown = proc.stdout.decode('utf-8', 'replace')
    assert proc.returncode == 0, shown
    assert 'No Ray cluster given or running on this machine: starting a local one for this run' in shown
    assert 'To keep one for later runs, start it once with: ray start --head' in shown
    assert re.search(r'Local Ray cluster started in \d+\.\ds\.', shown), shown
    assert 'Token authentication' not in shown and 'WARNING' not in shown
    assert ANSI not in shown and '\r' not in shown
    assert '(ActionActor' not in shown
    assert 'progress show: 30/30 (100%)' in shown and 'a print on stdout' in shown
    assert shown.index('show finished') < shown.index('Result:\n{\n  "steps": 30\n}')


def test_a_wrong_address_fails_fast_naming_it(sample_plugin_dir, silent_server):
    refused = f'ray://127.0.0.1:{free_port()}'
    proc = subprocess.run(
        [*_show_args(sample_plugin_dir), '--ray-address', refused],
        env=_cli_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 1
    assert f'Could not connect to the Ray cluster at {refused}: connection refused' in proc.stderr
    proc = subprocess.run(
        [*_show_args(sample_plugin_dir), '--ray-address', refused, '--lang', 'ko'],
        env=_cli_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 1
    assert f'{refused}의 Ray 클러스터에 연결할 수 없습니다: 연결이 거부되었습니다' in proc.stderr, proc.stderr

    silent = f'ray://127.0.0.1:{silent_server}'
    proc = subprocess.run(
        _show_args(sample_plugin_dir),
        env=_cli_env(RAY_ADDRESS=silent, SYNAPSE_RAY_CONNECT_TIMEOUT='1.5'),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 1
    assert (
        f'Could not connect to the Ray cluster at {silent} (from RAY_ADDRESS): port {silent_server} accepts '
        'connections but no Ray server answered within 1.5s'
    ) in proc.stderr
