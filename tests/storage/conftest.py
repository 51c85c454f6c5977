"""Real servers for the storage tests: moto (S3), the GCS emulator, OpenSSH sshd and HTTP servers.

Each is started once per session on a free 127.0.0.1 port. When a component cannot be had, the tests that need
it skip with the reason, unless ``SYNAPSE_TEST_STRICT=1`` (set on CI), in which case they fail.
"""

from __future__ import annotations

import hashlib
import http.server
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

STRICT = os.environ.get('SYNAPSE_TEST_STRICT') == '1'
PROVIDERS = ['local', 's3', 'gcs', 'sftp', 'http']
MB = 1024 * 1024


def unavailable(reason: str) -> None:
    """Skip (or, on CI, fail) because a test component is missing."""
    if STRICT:
        pytest.fail(f'{reason} (SYNAPSE_TEST_STRICT=1 forbids skipping)', pytrace=False)
    pytest.skip(reason)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def wait_for_port(port: int, timeout: float = 10) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(('127.0.0.1', port), timeout=0.5):
                return True
        except OSError:
            time.sleep(0.02)
    return False


def md5_of(path: Path) -> str:
    digest = hashlib.md5()
    with path.open('rb') as stream:
        for chunk in iter(lambda: stream.read(MB), b''):
            digest.update(chunk)
    return digest.hexdigest()


def write_random(path: Path, size: int) -> Path:
    """A file of ``size`` pseudo-random bytes, written in 1 MiB blocks."""
    block = os.urandom(MB)
    with path.open('wb') as out:
        remaining = size
        counter = 0
        while remaining > 0:
            chunk = hashlib.sha256(counter.to_bytes(8, 'little')).digest() + block
            out.write(chunk[: min(remaining, MB)])
            remaining -= min(remaining, MB)
            counter += 1
    return path


# --- S3 (moto server) --------------------------------------------------------------------------------------
@dataclass
class S3Server:
    endpoint_url: str
    access_key: str = 'AKIAIOSFODNN7EXAMPLE'
    secret_key: str = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY'

    def client(self) -> Any:
        import boto3

        return boto3.client(
            's3',
            endpoint_url=self.endpoint_url,
            aws_access_key_id=self.access_key,
            aws_secret_access_key=self.secret_key,
            region_name='us-east-1',
        )

    def config(self, bucket: str) -> dict[str, Any]:
        return {
            'provider': 's3',
            'configuration': {
                'bucket_name': bucket,
                'access_key': self.access_key,
                'secret_key': self.secret_key,
                'region_name': 'us-east-1',
                'endpoint_url': self.endpoint_url,
            },
        }


@pytest.fixture(scope='session')
def s3_server() -> Iterator[S3Server]:
    try:
        from moto.server import ThreadedMotoServer
    except ImportError as exc:
        unavailable(f'moto[server] is not installed: {exc}')
    server = ThreadedMotoServer(ip_address='127.0.0.1', port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield S3Server(f'http://{host}:{port}')
    finally:
        server.stop()


# --- GCS (emulator) ----------------------------------------------------------------------------------------
@dataclass
class GCSServer:
    endpoint_url: str

    def client(self) -> Any:
        from google.auth.credentials import AnonymousCredentials
        from google.cloud import storage

        return storage.Client(
            project='test',
            credentials=AnonymousCredentials(),
            client_options={'api_endpoint': self.endpoint_url},
        )

    def config(self, bucket: str) -> dict[str, Any]:
        return {
            'provider': 'gcs',
            'configuration': {'bucket_name': bucket, 'project': 'test', 'endpoint_url': self.endpoint_url},
        }


@pytest.fixture(scope='session')
def gcs_server() -> Iterator[GCSServer]:
    try:
        from gcp_storage_emulator.server import create_server
    except ImportError as exc:
        unavailable(f'gcp-storage-emulator is not installed: {exc}')
    port = free_port()
    server = create_server('127.0.0.1', port, in_memory=True)
    server.start()  # its thread is not a daemon: always stop it below
    try:
        if not wait_for_port(port):
            unavailable('the GCS emulator did not start listening')
        yield GCSServer(f'http://127.0.0.1:{port}')
    finally:
        server.stop()


# --- SFTP (OpenSSH sshd) -----------------------------------------------------------------------------------
@dataclass
class SFTPServer:
    port: int
    username: str
    root: Path
    client_key: Path
    host_public_key: str
    known_hosts: Path

    def config(self, root_path: Path, **extra: Any) -> dict[str, Any]:
        return {
            'provider': 'sftp',
            'configuration': {
                'host': '127.0.0.1',
                'port': self.port,
                'username': self.username,
                'private_key': str(self.client_key),
                'root_path': str(root_path),
                'known_hosts': str(self.known_hosts),
                **extra,
            },
        }


def _keygen(path: Path) -> str:
    subprocess.run(
        ['ssh-keygen', '-q', '-t', 'ed25519', '-N', '', '-C', 'synapse-test', '-f', str(path)],
        check=True,
        capture_output=True,
    )
    return path.with_suffix('.pub').read_text().strip()


@pytest.fixture(scope='session')
def sftp_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SFTPServer]:
    sshd = shutil.which('sshd') or '/usr/sbin/sshd'
    if not Path(sshd).exists() or not shutil.which('ssh-keygen'):
        unavailable('OpenSSH sshd is not installed (apt-get install openssh-server)')
    import getpass

    base = tmp_path_factory.mktemp('sshd')
    host_key_path = base / 'host_ed25519'
    host_public = _keygen(host_key_path)
    client_key = base / 'client_ed25519'
    client_public = _keygen(client_key)
    (base / 'authorized_keys').write_text(client_public + '\n')
    port = free_port()
    (base / 'known_hosts').write_text(f'[127.0.0.1]:{port} {" ".join(host_public.split()[:2])}\n')
    config = base / 'sshd_config'
    config.write_text(
        '\n'.join(
            [
                f'Port {port}',
                'ListenAddress 127.0.0.1',
                f'HostKey {host_key_path}',
                f'PidFile {base / "sshd.pid"}',
                f'AuthorizedKeysFile {base / "authorized_keys"}',
                'PubkeyAuthentication yes',
                'PasswordAuthentication no',
                'KbdInteractiveAuthentication no',
                'PermitRootLogin prohibit-password',
                'UsePAM no',
                'StrictModes no',
                'Subsystem sftp internal-sftp',
                '',
            ]
        )
    )
    if os.geteuid() == 0:
        Path('/run/sshd').mkdir(parents=True, exist_ok=True)
    log = (base / 'sshd.log').open('wb')
    process = subprocess.Popen([sshd, '-D', '-e', '-f', str(config)], stdout=log, stderr=subprocess.STDOUT)
    try:
        if not wait_for_port(port, timeout=10):
            process.terminate()
            unavailable(f'sshd did not start: {(base / "sshd.log").read_text()[-500:]}')
        root = base / 'files'
        root.mkdir()
        yield SFTPServer(port, getpass.getuser(), root, client_key, host_public, base / 'known_hosts')
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


# --- HTTP --------------------------------------------------------------------------------------------------
class WritableHandler(http.server.SimpleHTTPRequestHandler):
    """A static file server that also accepts ``PUT`` (streamed, atomic) and ``DELETE``."""

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _target(self) -> Path | None:
        path = Path(self.translate_path(self.path))
        root = Path(self.directory).resolve()
        if root not in path.resolve().parents:
            self.send_error(403)
            return None
        return path

    def do_PUT(self) -> None:
        target = self._target()
        if target is None:
            return
        length = int(self.headers.get('Content-Length', '0'))
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f'.{target.name}.{uuid.uuid4().hex}.part')
        with tmp.open('wb') as out:
            remaining = length
            while remaining:
                chunk = self.rfile.read(min(remaining, MB))
                if not chunk:
                    break
                out.write(chunk)
                remaining -= len(chunk)
        if remaining:
            tmp.unlink()
            self.send_error(400, 'truncated body')
            return
        os.replace(tmp, target)
        self.send_response(201)
        self.send_header('Content-Length', '0')
        self.end_headers()

    def do_DELETE(self) -> None:
        target = self._target()
        if target is None:
            return
        if not target.is_file():
            self.send_error(404)
            return
        target.unlink()
        self.send_response(204)
        self.end_headers()


class ReadOnlyHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@dataclass
class HTTPServer:
    base_url: str
    root: Path


def _serve(handler: type, root: Path) -> tuple[http.server.ThreadingHTTPServer, threading.Thread]:
    server = http.server.ThreadingHTTPServer(('127.0.0.1', 0), lambda *a: handler(*a, directory=str(root)))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return server, thread


@pytest.fixture(scope='session')
def http_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HTTPServer]:
    root = tmp_path_factory.mktemp('http-rw')
    server, thread = _serve(WritableHandler, root)
    try:
        yield HTTPServer(f'http://127.0.0.1:{server.server_address[1]}/', root)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


@pytest.fixture(scope='session')
def readonly_http_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HTTPServer]:
    root = tmp_path_factory.mktemp('http-ro')
    server, thread = _serve(ReadOnlyHandler, root)
    try:
        yield HTTPServer(f'http://127.0.0.1:{server.server_address[1]}/', root)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


# --- one storage per test, per provider --------------------------------------------------------------------
@dataclass
class ProviderCase:
    """A fresh, empty storage of one provider and the means to reach it from outside the SDK."""

    name: str
    config: dict[str, Any]
    #: Put a file at a key bypassing the SDK (``seed(key, data)``).
    seed: Callable[[str, bytes], None]


@pytest.fixture(scope='session')
def provider_factory(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Callable[[str], ProviderCase]:
    """``provider_factory(name)`` builds an isolated, empty storage of that provider."""

    def build(name: str) -> ProviderCase:
        unique = uuid.uuid4().hex[:12]
        if name == 'local':
            root = tmp_path_factory.mktemp('local')
            return ProviderCase(
                name, {'provider': 'local', 'configuration': {'location': str(root)}}, _file_seeder(root)
            )
        if name == 's3':
            server: S3Server = request.getfixturevalue('s3_server')
            bucket = f'bucket-{unique}'
            client = server.client()
            client.create_bucket(Bucket=bucket)
            return ProviderCase(
                name,
                server.config(bucket),
                lambda key, data: client.put_object(Bucket=bucket, Key=key, Body=data),
            )
        if name == 'gcs':
            gserver: GCSServer = request.getfixturevalue('gcs_server')
            bucket = f'bucket-{unique}'
            gclient = gserver.client()
            gbucket = gclient.create_bucket(bucket)
            return ProviderCase(
                name, gserver.config(bucket), lambda key, data: gbucket.blob(key).upload_from_string(data)
            )
        if name == 'sftp':
            sserver: SFTPServer = request.getfixturevalue('sftp_server')
            root = sserver.root / unique
            root.mkdir()
            return ProviderCase(name, sserver.config(root), _file_seeder(root))
        if name == 'http':
            hserver: HTTPServer = request.getfixturevalue('http_server')
            root = hserver.root / unique
            root.mkdir()
            config = {
                'provider': 'http',
                'configuration': {'base_url': f'{hserver.base_url}{unique}/', 'timeout': 30},
            }
            return ProviderCase(name, config, _file_seeder(root))
        raise ValueError(name)

    return build


def _file_seeder(root: Path) -> Callable[[str, bytes], None]:
    def seed(key: str, data: bytes) -> None:
        path = root / key
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)

    return seed


@pytest.fixture(params=PROVIDERS)
def case(request: pytest.FixtureRequest, provider_factory: Callable[[str], ProviderCase]) -> ProviderCase:
    return provider_factory(request.param)


@pytest.fixture
def storage(case: ProviderCase) -> Iterator[Any]:
    from synapse_sdk.utils.storage import get_storage

    store = get_storage(case.config)
    yield store
    store.close()


@pytest.fixture(scope='session')
def big_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 50 MB file of random bytes, shared by the round-trip tests."""
    return write_random(tmp_path_factory.mktemp('big') / 'big.bin', 50 * MB)


@pytest.fixture
def scratch() -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix='synapse-storage-'))
    yield path
    shutil.rmtree(path, ignore_errors=True)
