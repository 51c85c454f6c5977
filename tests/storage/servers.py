"""Start the real servers the storage tests and ``tools/bench/bench_storage.py`` use, on 127.0.0.1.

Plain context managers (no pytest), loaded by path from ``conftest.py`` and the benchmark. Each raises
:class:`Unavailable` when its component is missing, so the caller decides whether to skip or fail.
"""

from __future__ import annotations

import getpass
import http.server
import os
import shutil
import signal
import socket
import subprocess
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

MB = 1024 * 1024


class Unavailable(RuntimeError):
    """A server component is not installed or did not start."""


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


# --- S3 (moto server) --------------------------------------------------------------------------------------
@dataclass
class S3Server:
    endpoint_url: str
    access_key: str = 'AKIAIOSFODNN7EXAMPLE'
    secret_key: str = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY'

    def client(self) -> Any:
        import boto3
        from botocore.config import Config

        return boto3.client(
            's3',
            endpoint_url=self.endpoint_url,
            aws_access_key_id=self.access_key,
            aws_secret_access_key=self.secret_key,
            region_name='us-east-1',
            config=Config(signature_version='s3v4', s3={'addressing_style': 'path'}),
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


@contextmanager
def moto_server() -> Iterator[S3Server]:
    try:
        from moto.server import ThreadedMotoServer
    except ImportError as exc:
        raise Unavailable(f'moto[server] is not installed: {exc}') from exc
    import logging

    logging.getLogger('werkzeug').setLevel(logging.WARNING)  # one line per request otherwise
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


@contextmanager
def gcs_emulator() -> Iterator[GCSServer]:
    try:
        from gcp_storage_emulator.server import create_server
    except ImportError as exc:
        raise Unavailable(f'gcp-storage-emulator is not installed: {exc}') from exc
    port = free_port()
    server = create_server('127.0.0.1', port, in_memory=True)
    server.start()  # its thread is not a daemon: it must be stopped, whatever happens
    try:
        if not wait_for_port(port):
            raise Unavailable('the GCS emulator did not start listening')
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


@contextmanager
def sshd(base: Path) -> Iterator[SFTPServer]:
    """OpenSSH sshd in the foreground (``-D``) on a free port, key authentication only, files in ``base``."""
    binary = shutil.which('sshd') or '/usr/sbin/sshd'
    if not Path(binary).exists() or not shutil.which('ssh-keygen'):
        raise Unavailable('OpenSSH sshd is not installed (apt-get install openssh-server)')
    host_key = base / 'host_ed25519'
    host_public = _keygen(host_key)
    client_key = base / 'client_ed25519'
    (base / 'authorized_keys').write_text(_keygen(client_key) + '\n')
    port = free_port()
    (base / 'known_hosts').write_text(f'[127.0.0.1]:{port} {" ".join(host_public.split()[:2])}\n')
    config = base / 'sshd_config'
    config.write_text(
        '\n'.join(
            [
                f'Port {port}',
                'ListenAddress 127.0.0.1',
                f'HostKey {host_key}',
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
    log_path = base / 'sshd.log'
    with log_path.open('wb') as log:
        process = subprocess.Popen(
            [binary, '-D', '-e', '-f', str(config)], stdout=log, stderr=subprocess.STDOUT
        )
        try:
            if not wait_for_port(port, timeout=10):
                raise Unavailable(f'sshd did not start: {log_path.read_text()[-500:]}')
            root = base / 'files'
            root.mkdir()
            yield SFTPServer(port, getpass.getuser(), root, client_key, host_public, base / 'known_hosts')
        finally:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


# --- HTTP --------------------------------------------------------------------------------------------------
class ReadOnlyHandler(http.server.SimpleHTTPRequestHandler):
    """Python's static file server (GET/HEAD and HTML directory indexes); PUT and DELETE answer 501."""

    def log_message(self, format: str, *args: Any) -> None:
        pass


class WritableHandler(ReadOnlyHandler):
    """The static file server, plus ``PUT`` (streamed to a temporary file, then renamed) and ``DELETE``."""

    def _target(self) -> Path | None:
        path = Path(self.translate_path(self.path))
        if Path(self.directory).resolve() not in path.resolve().parents:
            self.send_error(403)
            return None
        return path

    def do_PUT(self) -> None:
        target = self._target()
        if target is None:
            return
        remaining = int(self.headers.get('Content-Length', '0'))
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f'.{uuid.uuid4().hex}.part')  # short: the target's name may be 255 bytes
        with tmp.open('wb') as out:
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


@dataclass
class HTTPServer:
    base_url: str
    root: Path


@contextmanager
def http_file_server(root: Path, *, writable: bool = True) -> Iterator[HTTPServer]:
    handler = WritableHandler if writable else ReadOnlyHandler
    server = http.server.ThreadingHTTPServer(('127.0.0.1', 0), lambda *a: handler(*a, directory=str(root)))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield HTTPServer(f'http://127.0.0.1:{server.server_address[1]}/', root)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


# --- dead endpoints ----------------------------------------------------------------------------------------
@contextmanager
def silent_server(*, answer_headers: bool = False) -> Iterator[str]:
    """An endpoint that accepts connections and reads each request's head, then stays silent: it never
    answers, or (``answer_headers``) it sends a 200 head promising a 100,000-byte JSON body, one byte of it,
    and nothing more (a ``HEAD`` gets its whole answer, the head, and the connection serves on). Yields its
    ``http://127.0.0.1:<port>`` URL; every connection is closed at exit."""
    listener = socket.create_server(('127.0.0.1', 0))
    held: list[socket.socket] = []
    stop = threading.Event()
    head = (
        b'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n'
        b'ETag: "0123456789abcdef0123456789abcdef"\r\n\r\n{'
    )

    def hold(conn: socket.socket) -> None:
        with suppress(OSError):
            request = b''
            while True:
                while b'\r\n\r\n' not in request:
                    chunk = conn.recv(65536)
                    if not chunk:
                        return
                    request += chunk
                if answer_headers and request.startswith(b'HEAD '):  # a whole answer: the headers alone
                    conn.sendall(head[:-1])
                    request = request.split(b'\r\n\r\n', 1)[1]
                    continue
                if answer_headers:
                    conn.sendall(head)
                break
            while not stop.is_set() and conn.recv(65536):  # drain any body; never answer more
                pass

    def accept() -> None:
        listener.settimeout(0.05)  # to notice `stop`: closing a socket does not wake a blocked accept()
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            conn.settimeout(None)
            held.append(conn)
            threading.Thread(target=hold, args=(conn,), daemon=True).start()

    accepting = threading.Thread(target=accept, daemon=True)
    accepting.start()
    try:
        yield f'http://127.0.0.1:{listener.getsockname()[1]}'
    finally:
        stop.set()
        accepting.join(5)
        listener.close()
        for conn in held:
            with suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
            conn.close()
