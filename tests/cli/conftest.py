"""Fixtures for the CLI tests: an isolated home directory, a click runner, small plugins on disk.

No test touches the real ``~/.synapse``: HOME and ``SYNAPSE_CONFIG_PATH`` point into a temp dir and
every ``SYNAPSE_*`` variable of the developer's shell is removed.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
import urllib.request
import uuid
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from click.testing import CliRunner
from synapse_tests_terminal import run_in_pty as run_in_pty  # re-exported: the tests import it from here

from synapse_sdk.cli.app import cli

SYNAPSE_EXE = Path(sys.executable).parent / 'synapse'


@pytest.fixture(autouse=True)
def isolated_home(tmp_path, monkeypatch):
    home = tmp_path / 'home'
    home.mkdir()
    for name in list(os.environ):
        if name.startswith('SYNAPSE_'):
            monkeypatch.delenv(name)
    monkeypatch.setenv('HOME', str(home))
    monkeypatch.setenv('SYNAPSE_CONFIG_PATH', str(home / '.synapse' / 'config.json'))
    monkeypatch.delenv('NO_COLOR', raising=False)
    return home


@pytest.fixture
def config_file(isolated_home) -> Path:
    return isolated_home / '.synapse' / 'config.json'


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def invoke(runner):
    """``invoke('plugin', 'run', ...)`` -> click `Result` (stdout and stderr kept apart)."""

    def _invoke(*args: str, input: str | None = None, env: dict[str, str] | None = None):
        return runner.invoke(cli, list(args), input=input, env=env, catch_exceptions=False)

    return _invoke


def subprocess_env(**extra: str) -> dict[str, str]:
    """The current (isolated) environment for a `synapse` subprocess."""
    env = {k: v for k, v in os.environ.items() if not k.startswith('PYTEST_')}
    env.update(extra)
    return env


# What a plugin author's environment (``pip install "synapse-sdk[all]" pytest``) lacks and the workspace
# has: its test tools' pytest plugins. hypothesis's alone tripled the start of a scaffold's ``pytest``.
AUTHOR_PYTEST = {'PYTEST_ADDOPTS': '-p no:hypothesispytest'}

# pytest's last line when every test passed; past a minute it adds the time as h:mm:ss (a loaded machine).
PYTEST_ALL_PASSED = re.compile(r'^=+ \d+ passed in [\d.]+s(?: \(\d+:\d\d:\d\d\))? =+$', re.M)


class StepFailed(AssertionError):
    """A step of `run_steps` exited non-zero or did not finish in time; the message has its output."""


class Step:
    """One command run by `run_steps`: what it printed and how it ended."""

    def __init__(self, command: str):
        self.command = command
        self.stdout = ''
        self.stderr = ''
        self.status: int | None = None  # None: killed when it did not finish in time
        self.seconds = 0.0


def run_steps(
    commands: list[str],
    *,
    cwd: Path,
    env: dict[str, str],
    timeout: float = 120.0,
    timeouts: dict[str, float] | None = None,
    before: dict[str, Callable[[], None]] | None = None,
) -> list[Step]:
    """Run `commands` one after another in one bash shell, as a person types them (``cd`` and ``export``
    hold for what follows), with stdin closed; stop at the first that fails.

    Each command has its own deadline (`timeout`, or ``timeouts[command]``): a hung step is reported by
    name with what it printed, and it and everything it started (one process group) is killed, not left
    to hold a test cluster's CPUs until the suite's timeout. ``before[command]`` is called (in this
    process) just before that command is typed. Raises `StepFailed`; returns each `Step` otherwise.
    """
    marker = f'@@step-{uuid.uuid4().hex}@@'
    read_fd, write_fd = os.pipe()
    # The shell reads the commands from `read_fd`, never from stdin: a command that reads stdin gets EOF.
    driver = (
        f'while IFS= read -r -u {read_fd} __cmd; do\n'
        '  printf "+ %s\\n" "$__cmd" >&2\n'
        f'  eval "$__cmd" {read_fd}<&-\n'
        '  __status=$?\n'
        f'  printf "\\n{marker} %s\\n" "$__status"; printf "\\n{marker} %s\\n" "$__status" >&2\n'
        '  [ "$__status" -eq 0 ] || exit "$__status"\n'
        'done\n'
    )
    proc = subprocess.Popen(
        ['bash', '--noprofile', '--norc', '-c', driver], cwd=cwd, env=env, stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, pass_fds=(read_fd,), start_new_session=True,
    )  # fmt: skip
    os.close(read_fd)
    streams = {'stdout': bytearray(), 'stderr': bytearray()}
    arrived = threading.Condition()

    def pump(name: str, pipe) -> None:
        while chunk := pipe.read1(65536):
            with arrived:
                streams[name] += chunk
                arrived.notify_all()
        with arrived:
            streams[name] += b'\0'  # closed
            arrived.notify_all()

    readers = [threading.Thread(target=pump, args=(n, getattr(proc, n)), daemon=True) for n in streams]
    for reader in readers:
        reader.start()
    done: list[Step] = []
    offsets = {'stdout': 0, 'stderr': 0}
    pattern = re.compile(rb'\n' + re.escape(marker.encode()) + rb' (\d+)\n')
    finished = False
    try:
        for command in commands:
            if before and command in before:
                before[command]()
            step = Step(command)
            done.append(step)
            started = time.monotonic()
            os.write(write_fd, command.encode() + b'\n')
            limit = (timeouts or {}).get(command, timeout)
            found: dict[str, re.Match[bytes]] = {}
            with arrived:
                while len(found) < 2:
                    for name, data in streams.items():
                        match = pattern.search(data, offsets[name])
                        if match:
                            found[name] = match
                    closed = all(data.endswith(b'\0') for data in streams.values())
                    left = started + limit - time.monotonic()
                    if len(found) < 2 and (closed or left <= 0):
                        break
                    if len(found) < 2:
                        arrived.wait(min(left, 1.0))
                step.seconds = time.monotonic() - started
                for name, data in streams.items():
                    end = found[name].start() if name in found else len(data)
                    setattr(step, name, data[offsets[name] : end].decode('utf-8', 'replace').rstrip('\0'))
                    if name in found:
                        offsets[name] = found[name].end()
            if len(found) < 2 and closed:  # the command ended the shell itself (`exit 3`)
                step.status = proc.wait(timeout=30)
                raise StepFailed(f'{command!r} exited {step.status} (and the shell with it)\n{_shown(done)}')
            if len(found) < 2:
                raise StepFailed(f'{command!r} did not finish in {limit:.0f}s\n{_shown(done)}')
            step.status = int(found['stderr'].group(1))
            if step.status != 0:
                raise StepFailed(f'{command!r} exited {step.status}\n{_shown(done)}')
        finished = True
    finally:
        os.close(write_fd)  # the shell reads EOF and exits (at once when all went well)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=30 if finished else 0)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)  # a hung step, or what a step left running
        proc.wait(timeout=30)
        for reader in readers:
            reader.join(timeout=10)
    return done


def _shown(steps: list[Step]) -> str:
    """The steps so far, for a failure message: each command, its time and the end of its output."""
    parts = []
    for step in steps:
        parts.append(f'$ {step.command}    ({step.seconds:.1f}s)\n{step.stdout[-3000:]}{step.stderr[-3000:]}')
    return '\n'.join(parts)


ACTIONS_TEMPLATE = """
from pydantic import BaseModel, Field

from synapse_sdk.plugins.decorators import action


class GreetParams(BaseModel):
    name: str = Field(description='Who to greet')
    times: int = Field(default=3, ge=1)


@action(name='greet', description='Greets someone', params=GreetParams)
def greet(params: GreetParams, ctx) -> dict:
    for i in range(params.times):
        ctx.set_progress(i + 1, params.times, 'greeting')
    ctx.log_message({'en': f'Hello {params.name}!', 'ko': f'안녕하세요 {params.name}님!'}, 'info')
    print('a stray print from the action')
    return {'message': f'Hello {params.name}!'}


@action(name='fail', description='Always fails')
def fail(params, ctx) -> dict:
    raise RuntimeError('the disk is full')
"""


@pytest.fixture
def make_plugin(tmp_path):
    """Write a plugin directory (config.yaml + an actions module with a unique name); return its path."""

    def _make(name: str = 'hello', actions_source: str = ACTIONS_TEMPLATE) -> Path:
        module = f'cli_test_actions_{uuid.uuid4().hex[:8]}'
        root = tmp_path / name
        root.mkdir()
        (root / f'{module}.py').write_text(textwrap.dedent(actions_source), encoding='utf-8')
        (root / 'config.yaml').write_text(
            textwrap.dedent(
                f"""\
                name: {name.title()} Plugin
                code: {name}
                version: 0.1.0
                category: custom
                description: A test plugin
                actions:
                  greet:
                    entrypoint: {module}:greet
                    method: task
                    description: Greets someone
                  fail:
                    entrypoint: {module}:fail
                    method: task
                """
            ),
            encoding='utf-8',
        )
        return root

    return _make


@pytest.fixture
def refusing_url():
    """A loopback URL whose port refuses connections: the socket is bound but never listens."""
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        yield f'http://127.0.0.1:{sock.getsockname()[1]}'


class _Unauthorized(BaseHTTPRequestHandler):
    """Answers every request 401 with a DRF-style body, as a backend does for a bad token."""

    def do_GET(self):
        body = b'{"detail": "Invalid token."}'
        self.send_response(401)
        self.send_header('Content-Type', 'application/json')
        self.send_header('Content-Length', str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):  # keep test output clean
        pass


@pytest.fixture
def unauthorized_url():
    """A real loopback HTTP server that rejects every token with 401."""
    server = ThreadingHTTPServer(('127.0.0.1', 0), _Unauthorized)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f'http://127.0.0.1:{server.server_address[1]}'
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


# -- a Ray head node for the tests that run actions on Ray -------------------------------------------

RAY_ENV = {
    'RAY_USAGE_STATS_ENABLED': '0',
    'RAY_AUTH_MODE': 'disabled',
    'RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER': '0',
    'RAY_ENABLE_UV_RUN_RUNTIME_ENV': '0',
}
STRICT = os.environ.get('SYNAPSE_TEST_STRICT') == '1'


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def _unavailable(reason: str):
    if STRICT:
        pytest.fail(f'SYNAPSE_TEST_STRICT=1 and {reason}')
    pytest.skip(reason)


class RayHead:
    """A Ray head node on free loopback ports, started in the background: `wait` blocks until it serves.

    Its addresses are known as soon as it is launched, so a test can do other work while it boots. It runs
    in its own process group with a short temp dir and is stopped by signalling the process started here
    (never ``ray stop``, which would stop other test runs' clusters).
    """

    def __init__(self) -> None:
        ray_bin = Path(sys.executable).parent / 'ray'
        if not ray_bin.exists():
            _unavailable(f'no `ray` command next to {sys.executable}')
        self.temp_dir = tempfile.mkdtemp(prefix='rc', dir='/tmp')  # AF_UNIX paths below it must stay short
        port, dash, client, agent = (_free_port() for _ in range(4))
        env = {**os.environ, **RAY_ENV, 'PATH': f'{ray_bin.parent}{os.pathsep}{os.environ.get("PATH", "")}',
               'TMPDIR': self.temp_dir}  # fmt: skip
        env.pop('RAY_ADDRESS', None)
        cmd = [
            str(ray_bin), 'start', '--head', '--block', '--node-ip-address=127.0.0.1', f'--port={port}',
            '--dashboard-host=127.0.0.1', f'--dashboard-port={dash}', f'--ray-client-server-port={client}',
            f'--dashboard-agent-listen-port={agent}', '--num-cpus=2', '--object-store-memory=200000000',
            f'--temp-dir={self.temp_dir}', '--disable-usage-stats',
        ]  # fmt: skip
        self.log_path = Path(self.temp_dir) / 'ray-start.log'
        with open(self.log_path, 'wb') as log:
            self.proc = subprocess.Popen(
                cmd, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        self.addresses = {'gcs': f'127.0.0.1:{port}', 'dashboard': f'http://127.0.0.1:{dash}'}
        self._ready = False

    def wait(self, timeout: float = 120) -> dict[str, str]:
        """``{'gcs': 'host:port', 'dashboard': 'http://host:port'}`` once its job API answers."""
        deadline = time.monotonic() + timeout
        while not self._ready:
            try:
                with urllib.request.urlopen(f'{self.addresses["dashboard"]}/api/jobs/', timeout=2) as resp:
                    if resp.status == 200:
                        self._ready = True
                        break
            except OSError:
                pass
            if self.proc.poll() is not None or time.monotonic() > deadline:
                tail = self.log_path.read_text(errors='replace')[-2000:]
                self.stop()
                _unavailable(f'the Ray head node did not start:\n{tail}')
            time.sleep(0.5)
        return self.addresses

    def stop(self) -> None:
        _stop(self.proc)
        shutil.rmtree(self.temp_dir, ignore_errors=True)


@pytest.fixture(scope='session')
def ray_head_booting():
    """The session's `RayHead`, launched but perhaps not serving yet (call its ``wait()``)."""
    head = RayHead()
    try:
        yield head
    finally:
        head.stop()


@pytest.fixture(scope='session')
def ray_head(ray_head_booting) -> dict[str, str]:
    """The session's Ray head node, serving: its GCS and dashboard addresses."""
    return ray_head_booting.wait()


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
