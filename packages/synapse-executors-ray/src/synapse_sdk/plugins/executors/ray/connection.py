"""Connecting this process to Ray once, for every executor that drives actors (task, pipeline, Serve).

Which cluster, in this order (`plan_connection`):

1. the address given (``ray_address=``, ``--ray-address``);
2. ``RAY_ADDRESS``;
3. a cluster kept running on this machine with ``ray start --head`` (Ray records its address in
   ``/tmp/ray/ray_current_cluster``; ``RAY_TMPDIR`` moves that folder): reused, and the user is told so;
4. otherwise a new local cluster for this process, and the user is told it is being started, that it
   stops with the run, and how to keep one for later runs.

An address is checked before Ray is asked to join it: the host must resolve, accept a connection and
answer the gRPC handshake within the connect timeout (``connect_timeout=``, else
``SYNAPSE_RAY_CONNECT_TIMEOUT``, else 10 s). A wrong address is a `RayConnectionError` naming it, at
once when the port is closed, after the timeout when nothing answers. (Ray Client alone would retry for
about 30 s and then say "ray client connection timeout" without the address.)

Ray's own start-up chatter that a user cannot act on is kept out of the console: the notice that token
authentication was turned on for a local cluster (Ray's default; it stays on), and, when the driver's
stderr is not a terminal, the colour codes Ray puts around the ``(pid=...)`` prefix of forwarded worker
lines (``RAY_COLOR_PREFIX=0`` unless set).
"""

from __future__ import annotations

import atexit
import contextlib
import logging
import os
import socket
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from synapse_sdk.plugins.executors.ray.errors import RayConnectionError

__all__ = [
    'CONNECT_TIMEOUT_ENV',
    'DEFAULT_CONNECT_TIMEOUT',
    'ConnectionPlan',
    'closing_connection',
    'ensure_ray',
    'is_client_address',
    'plan_connection',
    'resolve_connect_timeout',
]

logger = logging.getLogger('synapse_sdk.plugins.executors.ray')

#: Seconds to wait for an address to answer before `RayConnectionError` (see `resolve_connect_timeout`).
DEFAULT_CONNECT_TIMEOUT = 10.0
CONNECT_TIMEOUT_ENV = 'SYNAPSE_RAY_CONNECT_TIMEOUT'
_CONNECT_LOCK = threading.Lock()

Notify = Callable[[str], None]

_NOTICES = {
    'new': {
        'en': 'No Ray cluster given or running on this machine: starting a local one for this run (it stops when '
        'the run ends). To keep one for later runs, start it once with: ray start --head',
        'ko': '지정되었거나 이 컴퓨터에서 실행 중인 Ray 클러스터가 없어 이번 실행을 위한 로컬 클러스터를 시작합니다 '
        '(실행이 끝나면 종료됩니다). 다음 실행에서도 쓰려면 한 번 시작해 두세요: ray start --head',
    },
    'stale': {
        'en': 'The Ray cluster `ray start` recorded at {address} does not answer (stopped, or not reachable from '
        'here). Starting a local one for this run (it stops when the run ends). To keep one for later runs: '
        'ray start --head',
        'ko': '`ray start`가 기록한 {address}의 Ray 클러스터가 응답하지 않습니다 (종료되었거나 여기서 닿지 않음). '
        '이번 실행을 위한 로컬 클러스터를 시작합니다 (실행이 끝나면 종료됩니다). 다음 실행에서도 쓰려면: ray start --head',
    },
    'started': {
        'en': 'Local Ray cluster started in {seconds:.1f}s.',
        'ko': '로컬 Ray 클러스터를 {seconds:.1f}초 만에 시작했습니다.',
    },
    'retry': {
        'en': 'The local Ray cluster did not come up within the 30 s Ray allows (a busy machine?); trying once more.',
        'ko': '로컬 Ray 클러스터가 Ray가 허용하는 30초 안에 시작되지 않았습니다 (컴퓨터가 바쁜가요?). 한 번 더 시도합니다.',
    },
    'kept': {
        'en': 'Using the Ray cluster running on this machine at {address} (started with `ray start`; '
        'stop it with `ray stop`).',
        'ko': '이 컴퓨터에서 실행 중인 {address}의 Ray 클러스터를 사용합니다 (`ray start`로 시작됨; '
        '`ray stop`으로 종료).',
    },
}


def is_client_address(address: str | None) -> bool:
    """True for a Ray Client address (``ray://host:10001``)."""
    return bool(address) and str(address).startswith('ray://')


def resolve_connect_timeout(value: float | None = None) -> float:
    """`value`, else ``SYNAPSE_RAY_CONNECT_TIMEOUT``, else `DEFAULT_CONNECT_TIMEOUT` (seconds, > 0)."""
    if value is None:
        text = os.environ.get(CONNECT_TIMEOUT_ENV, '').strip()
        if not text:
            return DEFAULT_CONNECT_TIMEOUT
        try:
            value = float(text)
        except ValueError:
            raise ValueError(f'{CONNECT_TIMEOUT_ENV}={text!r} is not a number of seconds') from None
    if not value > 0:
        raise ValueError(f'The Ray connect timeout must be a positive number of seconds, got {value!r}')
    return float(value)


@dataclass(frozen=True)
class ConnectionPlan:
    """Where `ensure_ray` will connect and why.

    `how` is ``'given'`` (an address argument), ``'RAY_ADDRESS'``, ``'kept'`` (a ``ray start`` cluster on
    this machine), ``'stale'`` (one was recorded but is gone: a new one is started) or ``'new'``.
    `init_address` is what ``ray.init`` gets; `shown` is the address for messages (None for a new one).
    """

    how: str
    init_address: str | None
    shown: str | None


def plan_connection(address: str | None = None, *, connect_timeout: float | None = None) -> ConnectionPlan:
    """Decide where to connect without connecting (see the module docstring for the order).

    A cluster recorded by ``ray start`` counts as kept only if it answers within the connect timeout.
    """
    if address:
        return ConnectionPlan('given', address, address)
    env_address = os.environ.get('RAY_ADDRESS', '').strip()
    if env_address:
        return ConnectionPlan('RAY_ADDRESS', env_address, env_address)
    recorded = _recorded_cluster()
    if recorded:
        if _is_ray_server(recorded, resolve_connect_timeout(connect_timeout)):
            # ray.init(address=None) finds the same record and, unlike an explicit address, picks up
            # the cluster's token authentication the way `ray start` set it up.
            return ConnectionPlan('kept', None, recorded)
        return ConnectionPlan('stale', 'local', recorded)
    return ConnectionPlan('new', 'local', None)


def ensure_ray(
    address: str | None = None,
    *,
    runtime_env: dict[str, Any] | None = None,
    connect_timeout: float | None = None,
    notify: Notify | None = None,
    language: str | None = None,
) -> Any:
    """Return the `ray` module, connected.

    Reuses an existing connection (``ray.init`` already called by the caller or another executor).
    Otherwise connects as `plan_connection` decides; `notify` receives the one-line notices (a new local
    cluster, a kept one reused; default: written to stderr) in `language` (``'en'``, ``'ko'``).
    `runtime_env` is a job-level runtime env, used only for Ray Client connections (where actor-level
    local directories cannot be uploaded). Raises `RayConnectionError` when the address does not answer.

    If Ray is not imported yet, its cross-worker log deduplication is turned off for this process
    (``RAY_DEDUP_LOGS=0`` unless set): it holds back lines of different workers that differ only in
    numbers. Ray reads the setting when it is imported.

    Ray's driver replaces ``builtins.print`` of this process with its own function (``tqdm_ray``'s
    ``safe_print``) the first time it shows a line a worker wrote; that is turned off
    (``RAY_TQDM_PATCH_PRINT=0`` unless set; Ray reads it at that moment), so ``print`` stays Python's.
    """
    if 'ray' not in sys.modules:
        os.environ.setdefault('RAY_DEDUP_LOGS', '0')
    os.environ.setdefault('RAY_TQDM_PATCH_PRINT', '0')
    if not _isatty(sys.stderr):
        os.environ.setdefault('RAY_COLOR_PREFIX', '0')  # read by Ray each time it prints a worker line
    import ray

    if ray.is_initialized():
        return ray
    with _CONNECT_LOCK:
        if ray.is_initialized():
            return ray
        plan = plan_connection(address, connect_timeout=connect_timeout)
        say = notify if notify is not None else _to_stderr
        if plan.how in ('given', 'RAY_ADDRESS') and plan.init_address and _checkable(plan.init_address):
            check_reachable(
                plan.init_address,
                resolve_connect_timeout(connect_timeout),
                source=plan.how,
                language=language,
            )
        if plan.how in ('new', 'stale', 'kept'):
            say(_notice(plan.how, language, address=plan.shown))
        kwargs: dict[str, Any] = {'logging_level': logging.WARNING}
        if plan.init_address is not None:
            kwargs['address'] = plan.init_address
        if plan.how in ('new', 'stale'):
            kwargs['include_dashboard'] = (
                False  # a cluster for one run: start what it needs (a kept one has one)
            )
        if runtime_env and is_client_address(plan.init_address):
            kwargs['runtime_env'] = runtime_env
        logger.debug('connecting to Ray: %s', plan)
        started = time.monotonic()
        attempts = 2 if plan.how in ('new', 'stale') else 1
        for attempt in range(1, attempts + 1):
            try:
                with _quiet_ray_start():
                    ray.init(**kwargs)
                break
            except ConnectionError as exc:
                if plan.shown is None or plan.how in ('new', 'stale'):
                    raise
                raise RayConnectionError(
                    plan.shown, str(exc) or type(exc).__name__, source=plan.how, language=language
                ) from exc
            except Exception as exc:
                # Ray gives a new node 30 s to register, hard-coded; a busy machine can need more.
                if attempt == attempts or 'timed out during startup' not in str(exc):
                    raise
                ray.shutdown()
                say(_notice('retry', language))
        if plan.how in ('new', 'stale'):
            say(_notice('started', language, seconds=time.monotonic() - started))
    return ray


@contextlib.contextmanager
def closing_connection() -> Iterator[None]:
    """Close, at the end of the block, the Ray connection made inside it (by `ensure_ray`, an executor).

    For a program that runs once and then reports, like ``synapse plugin run --mode task``: Ray's driver
    prints what reaches it from the cluster for as long as the process is connected, from a thread, on
    this process's ``sys.stdout`` (the stdout of that moment): lines a process the action left running
    writes, and the autoscaler's events (``(autoscaler +2s) Warning: ...``, also other drivers' resource
    requests on a shared cluster). Left connected until the process exits, those lines can come after
    the program's own output. Closed at the end of this block (the local cluster started for it stops),
    everything Ray prints is printed within the block, where the program has chosen the stream.

    Ray's autoscaler module, imported by that thread when the first autoscaler batch arrives (a kept
    cluster sends one every few seconds), calls ``colorama.init()``. Off Windows that wraps no stream
    and only registers an exit handler writing a colour reset (``\\x1b[0m``) to the stdout of that
    moment if it is a terminal: a stray code after the program's output. Once the connection is closed
    that handler is dropped, provided colorama wrapped nothing.

    A connection that already existed when the block began (the caller's own ``ray.init``) is left
    alone, and so is the colorama handler then.
    """
    ray = sys.modules.get('ray')
    connected_before = ray is not None and ray.is_initialized()
    try:
        yield
    finally:
        ray = sys.modules.get('ray')
        if ray is not None and not connected_before and ray.is_initialized():
            ray.shutdown()
            _drop_colorama_exit_reset()


def _drop_colorama_exit_reset() -> None:
    """Unregister colorama's exit-time colour reset if colorama (imported by Ray) wrapped no stream."""
    initialise = sys.modules.get('colorama.initialise')
    reset_all = getattr(initialise, 'reset_all', None)
    if reset_all is None:
        return
    wrapped_nothing = getattr(initialise, 'wrapped_stdout', None) is getattr(
        initialise, 'orig_stdout', None
    ) and getattr(initialise, 'wrapped_stderr', None) is getattr(initialise, 'orig_stderr', None)
    if wrapped_nothing:
        atexit.unregister(reset_all)


def check_reachable(
    address: str, timeout: float, *, source: str = 'given', language: str | None = None
) -> None:
    """Raise `RayConnectionError` unless a Ray server (a Ray Client server or a GCS) answers at `address`.

    Three steps within `timeout` seconds in all: the host name resolves, the port accepts a TCP
    connection, and one gRPC call of that kind of server is answered. With ``RAY_USE_TLS`` set only the
    first two are checked (the call would need the cluster's certificates). The error is in `language`.
    """

    def fail(kind: str, **values: Any) -> RayConnectionError:
        reason = _reason(kind, language, **values)
        if dialed != address:
            reason += _reason('dialed', language, dialed=dialed)
        ran_out = timeout if kind in ('no_answer', 'silent') else None
        return RayConnectionError(address, reason, source=source, timeout=ran_out, language=language)

    dialed = _as_ray_connects(address)
    host, port = _host_port(dialed, language)
    deadline = time.monotonic() + timeout
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError as exc:
        raise fail('unresolved', host=host, error=exc) from None
    failure: OSError = TimeoutError()
    connected = False
    for family, kind, proto, _, sockaddr in infos:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            break
        try:
            with socket.socket(family, kind, proto) as sock:
                sock.settimeout(remaining)
                sock.connect(sockaddr)
        except OSError as exc:
            failure = exc
            continue
        connected = True
        break
    if not connected:
        if isinstance(failure, TimeoutError):
            raise fail('no_answer', timeout=timeout) from None
        if isinstance(failure, ConnectionRefusedError):
            raise fail('refused', port=port) from None
        raise fail('os_error', error=f'{type(failure).__name__}: {failure}') from None
    if os.environ.get('RAY_USE_TLS', '').lower() in ('1', 'true'):
        return
    problem = _ask_ray_server(address, host, port, deadline)
    if problem is not None:
        what, values = problem
        raise fail(what, port=port, timeout=timeout, **values)


# One cheap call per kind of Ray server, by method path (its request may be empty): any answer but
# "no such method" proves the server is Ray; an error status (e.g. unauthenticated) is Ray's to report.
_PROBE_METHODS = {
    'client': '/ray.rpc.RayletDriver/ClusterInfo',
    'gcs': '/ray.rpc.NodeInfoGcsService/GetClusterId',
}


def _ask_ray_server(address: str, host: str, port: int, deadline: float) -> tuple[str, dict[str, str]] | None:
    """None when a Ray server of the address's kind answered; else what went wrong (a `_REASONS` key and
    its values)."""
    import grpc  # type: ignore[import-untyped]  # grpcio (a Ray dependency) ships no type information

    kind = 'client' if is_client_address(address) else 'gcs'
    target = f'[{host}]:{port}' if ':' in host else f'{host}:{port}'
    channel = grpc.insecure_channel(target)
    try:
        call = channel.unary_unary(
            _PROBE_METHODS[kind], request_serializer=lambda _: b'', response_deserializer=lambda data: data
        )
        try:
            call(None, timeout=max(deadline - time.monotonic(), 0.01))
        except grpc.RpcError as exc:
            code = exc.code() if callable(getattr(exc, 'code', None)) else None
            if code == grpc.StatusCode.DEADLINE_EXCEEDED:
                return 'silent', {}
            if code in (grpc.StatusCode.UNIMPLEMENTED, grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.INTERNAL):
                return 'not_client' if kind == 'client' else 'not_gcs', {}
            # A Ray server answered with an error of its own (auth ...): ray.init reports it.
        return None
    finally:
        channel.close()


def _as_ray_connects(address: str) -> str:
    """`address` as ``ray.init`` will dial it. Ray replaces a loopback host of a cluster address by this
    machine's address (unless ``RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER=0``); checking the loopback address
    instead would pass while Ray then waits forever on the other one."""
    if is_client_address(address):
        return address
    try:
        from ray._private.services import canonicalize_bootstrap_address
    except ImportError:  # pragma: no cover - Ray moved it
        return address
    try:
        return canonicalize_bootstrap_address(address) or address
    except Exception:
        return address


def _checkable(address: str) -> bool:
    """Addresses of a Ray server: not the keywords ``auto``/``local``, not a dashboard (``http://``)."""
    return address not in ('auto', 'local') and not address.startswith(('http://', 'https://'))


def _host_port(address: str, language: str | None = None) -> tuple[str, int]:
    default_port = 10001 if is_client_address(address) else 6379
    parts = urlsplit(address if '://' in address else f'gcs://{address}')
    try:
        port = parts.port or default_port
    except ValueError:
        raise RayConnectionError(address, _reason('bad_port', language), language=language) from None
    if not parts.hostname:
        raise RayConnectionError(address, _reason('no_host', language), language=language)
    return parts.hostname, port


def _recorded_cluster() -> str | None:
    """The address ``ray start --head`` recorded on this machine, if any (Ray's own record)."""
    try:
        from ray._private.utils import read_ray_address
    except ImportError:  # pragma: no cover - Ray moved it
        return None
    try:
        return read_ray_address() or None
    except OSError:
        return None


def _is_ray_server(address: str, timeout: float) -> bool:
    try:
        check_reachable(address, timeout)
    except RayConnectionError:
        return False
    return True


class _DropRayStartupNotices(logging.Filter):
    """Ray's notices about its own start-up that ask nothing of the user (see the module docstring)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        return not (
            message.startswith('Token authentication is enabled for this Ray cluster')
            or message.startswith('Found multiple active Ray instances')
        )


@contextlib.contextmanager
def _quiet_ray_start() -> Iterator[None]:
    noisy = [
        logging.getLogger('ray._private.authentication.authentication_token_setup'),
        logging.getLogger('ray._private.services'),
    ]
    drop = _DropRayStartupNotices()
    for item in noisy:
        item.addFilter(drop)
    try:
        yield
    finally:
        for item in noisy:
            item.removeFilter(drop)


# What `check_reachable` found at an address (`RayConnectionError.reason`), by kind.
_REASONS = {
    'unresolved': {
        'en': 'the host name {host!r} does not resolve ({error})',
        'ko': '호스트 이름 {host!r}을(를) 찾을 수 없습니다 ({error})',
    },
    'no_answer': {'en': 'no answer within {timeout:g}s', 'ko': '{timeout:g}초 안에 응답이 없습니다'},
    'refused': {
        'en': 'connection refused: nothing listens on port {port}',
        'ko': '연결이 거부되었습니다: 포트 {port}에서 기다리는 서버가 없습니다',
    },
    'os_error': {'en': '{error}', 'ko': '{error}'},
    'silent': {
        'en': 'port {port} accepts connections but no Ray server answered within {timeout:g}s',
        'ko': '포트 {port}은(는) 연결을 받지만 {timeout:g}초 안에 Ray 서버가 응답하지 않았습니다',
    },
    'not_client': {
        'en': 'the server on port {port} is not a Ray Client server (ray://, port 10001 by default)',
        'ko': '포트 {port}의 서버는 Ray Client 서버(ray://, 기본 포트 10001)가 아닙니다',
    },
    'not_gcs': {
        'en': 'the server on port {port} is not a Ray GCS',
        'ko': '포트 {port}의 서버는 Ray GCS가 아닙니다',
    },
    'bad_port': {'en': 'the port is not a number', 'ko': '포트가 숫자가 아닙니다'},
    'no_host': {'en': 'no host in the address', 'ko': '주소에 호스트가 없습니다'},
    'dialed': {'en': ' (Ray dials it as {dialed})', 'ko': ' (Ray는 {dialed}(으)로 연결합니다)'},
}


def _reason(kind: str, language: str | None, **values: Any) -> str:
    from synapse_sdk.i18n import LocalizedMessage, resolve_language

    return LocalizedMessage(_REASONS[kind]).format(resolve_language(language), **values)


def _notice(kind: str, language: str | None, **values: Any) -> str:
    from synapse_sdk.i18n import LocalizedMessage, resolve_language

    return LocalizedMessage(_NOTICES[kind]).format(resolve_language(language), **values)


def _to_stderr(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def _isatty(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False
