"""Small stdlib servers on 127.0.0.1 that misbehave on purpose (redirect elsewhere, drip bytes, tunnel,
refuse bodies over a size limit, close kept-alive connections as a request arrives).

Loaded by path from the client and storage tests (registered as ``synapse_tests_misbehaving``); plain
context managers, no pytest.
"""

from __future__ import annotations

import functools
import http.server
import itertools
import json
import select
import socket
import socketserver
import struct
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

Handler = Callable[[http.server.BaseHTTPRequestHandler], None]


@dataclass
class Server:
    """A running server: ``url``, the ``routes`` it answers and the ``requests`` it saw."""

    url: str
    routes: dict[str, Handler] = field(default_factory=dict)
    requests: list[tuple[str, str, dict[str, str]]] = field(default_factory=list)

    def headers_seen(self, path: str) -> list[dict[str, str]]:
        return [headers for _, p, headers in self.requests if p.split('?')[0] == path]


@contextmanager
def http_server() -> Iterator[Server]:
    """A threading HTTP/1.1 server whose ``routes`` map a path to a handler function."""
    state: dict[str, Server] = {}

    class RequestHandler(http.server.BaseHTTPRequestHandler):
        protocol_version = 'HTTP/1.1'

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def _dispatch(self) -> None:
            server = state['server']
            path = self.path.split('?')[0]
            server.requests.append((self.command, self.path, {k.lower(): v for k, v in self.headers.items()}))
            length = int(self.headers.get('Content-Length') or 0)
            self.body = self.rfile.read(length) if length else b''
            handler = server.routes.get(path)
            if handler is None:
                send(self, 404, b'no such route')
                return
            with suppress(BrokenPipeError, ConnectionResetError):
                handler(self)

        do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = do_PATCH = _dispatch

    with serving(http.server.ThreadingHTTPServer, RequestHandler) as url:
        state['server'] = Server(url)
        yield state['server']


@contextmanager
def serving(server_class: type[socketserver.TCPServer], handler: type) -> Iterator[str]:
    """Run a stdlib server on a free loopback port in a thread; yields its ``http://`` URL."""
    server = server_class(('127.0.0.1', 0), handler)
    server.daemon_threads = True  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, kwargs={'poll_interval': 0.05}, daemon=True)
    thread.start()
    try:
        yield f'http://127.0.0.1:{server.server_address[1]}'
    finally:
        server.shutdown()
        server.server_close()


def send(h: http.server.BaseHTTPRequestHandler, status: int, body: bytes = b'', **headers: str) -> None:
    h.send_response(status)
    headers.setdefault('Content-Type', 'application/json' if body[:1] in (b'{', b'[') else 'text/plain')
    for name, value in headers.items():
        h.send_header(name.replace('_', '-'), value)
    h.send_header('Content-Length', str(len(body)))
    h.end_headers()
    if h.command != 'HEAD':
        h.wfile.write(body)


def redirect_to(location: str, status: int = 302) -> Handler:
    return lambda h: send(h, status, b'', Location=location)


def drip(data: bytes, every: float = 0.2, limit: float = 20.0) -> Handler:
    """Write `data` (status line and headers included) one byte at a time, then keep dripping spaces
    until the client goes away or `limit` seconds pass."""

    def handler(h: http.server.BaseHTTPRequestHandler) -> None:
        h.close_connection = True
        start = time.monotonic()
        payload = iter(data)
        while time.monotonic() - start < limit:
            byte = next(payload, 0x20)
            try:
                h.wfile.write(bytes([byte]))
                h.wfile.flush()
            except OSError:
                return
            time.sleep(every)

    return handler


@dataclass
class LimitedLogs:
    """A log sink behind a body limit: ``accepted`` entries, ``bodies`` as ``(size, status)``."""

    url: str
    limit: int
    accepted: list[dict[str, Any]] = field(default_factory=list)
    bodies: list[tuple[int, int]] = field(default_factory=list)


@contextmanager
def body_limit_server(limit: int) -> Iterator[LimitedLogs]:
    """``POST /logs/`` storing a JSON entry or list of entries, behind a reverse-proxy-like body limit.

    As nginx does with ``client_max_body_size``, a request whose ``Content-Length`` is over `limit` is
    answered 413 from its headers alone, before any of the body is read; the body is then read and
    thrown away (a lingering close, so the client can read the answer) and the connection closed.
    """
    sink = LimitedLogs('', limit)

    class RequestHandler(http.server.BaseHTTPRequestHandler):
        protocol_version = 'HTTP/1.1'

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def do_POST(self) -> None:
            length = int(self.headers.get('Content-Length') or 0)
            if length > limit:
                sink.bodies.append((length, 413))
                self.close_connection = True
                send(
                    self,
                    413,
                    b'<html><body><h1>413 Request Entity Too Large</h1></body></html>',
                    Content_Type='text/html',
                    Connection='close',
                )
                with suppress(OSError):
                    self.wfile.flush()
                    remaining = length
                    while remaining > 0:
                        chunk = self.rfile.read(min(remaining, 65536))
                        if not chunk:
                            break
                        remaining -= len(chunk)
                return
            body = json.loads(self.rfile.read(length))
            sink.bodies.append((length, 201))
            sink.accepted.extend(body if isinstance(body, list) else [body])
            send(self, 201, b'{"created": true}')

    with serving(http.server.ThreadingHTTPServer, RequestHandler) as url:
        sink.url = url
        yield sink


@dataclass
class KeepAliveDrops:
    """A running `drops_kept_alive` server: its ``url`` and what it did with each request, in order, as
    ``(connection number, method, path, 'answered' | 'dropped')``."""

    url: str
    events: list[tuple[int, str, str, str]] = field(default_factory=list)

    def outcomes(self, method: str, path: str) -> list[tuple[int, str]]:
        """``(connection number, outcome)`` of every request `method` `path` received, in order."""
        return [(conn, outcome) for conn, m, p, outcome in self.events if (m, p) == (method, path)]


@contextmanager
def drops_kept_alive(
    handler: Callable[..., http.server.BaseHTTPRequestHandler],
    *,
    answers: int | tuple[int, ...] = 1,
    how: str = 'close',
) -> Iterator[KeepAliveDrops]:
    """Serve `handler` (a request handler class, or a ``functools.partial`` of one) over HTTP/1.1 with
    keep-alive, answering the first `answers` requests of each connection; at the next request on the
    connection, once its head has arrived, close the socket without a byte of answer: with a FIN
    (`how` ``'close'``: the client reads end-of-file, ``http.client.RemoteDisconnected``) or a RST
    (``'reset'``: ``ConnectionResetError``), or keep it open and silent until the client goes away
    (``'silent'``: the client times out).

    It is the race a server with a short keep-alive timeout (nginx, S3-compatible gateways) loses now and
    then: it closes an idle connection just as the client sends a request on it, and the client's
    check of the pooled connection came a moment too early to notice. Here it happens every time.
    ``answers=0`` drops every connection's first request: a server that fails on a fresh connection. A
    tuple gives the number for the first, second ... connection (the last one for the rest).
    """
    if how not in ('close', 'reset', 'silent'):
        raise ValueError(f"how must be 'close', 'reset' or 'silent', not {how!r}")
    quota = answers if isinstance(answers, tuple) else (answers,)
    base = handler.func if isinstance(handler, functools.partial) else handler
    drops = KeepAliveDrops('')
    numbers = itertools.count(1)

    class Dropping(base):  # type: ignore[misc, valid-type]  # a handler class chosen by the caller
        protocol_version = 'HTTP/1.1'

        def setup(self) -> None:
            super().setup()
            self.number = next(numbers)
            self.quota = quota[min(self.number, len(quota)) - 1]
            self.answered = 0

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def parse_request(self) -> bool:
            if not super().parse_request():
                return False
            if self.answered < self.quota:
                self.answered += 1
                drops.events.append((self.number, self.command, self.path, 'answered'))
                return True
            drops.events.append((self.number, self.command, self.path, 'dropped'))
            self.close_connection = True
            if how == 'reset':  # close at once with SO_LINGER 0: a RST, no FIN first
                self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack('ii', 1, 0))
                self.rfile.close()
                self.connection.close()
            elif how == 'silent':
                with suppress(OSError):
                    self.connection.settimeout(60)
                    while self.rfile.read1(65536):  # until the client closes (or 60 s pass)
                        pass
            return False  # handle_one_request answers nothing more; the server then closes the socket

    factory: Any = (
        functools.partial(Dropping, *handler.args, **handler.keywords)
        if isinstance(handler, functools.partial)
        else Dropping
    )
    with serving(http.server.ThreadingHTTPServer, factory) as url:
        drops.url = url
        yield drops


@dataclass
class Proxy:
    url: str
    tunnels: list[str] = field(default_factory=list)


@contextmanager
def connect_proxy() -> Iterator[Proxy]:
    """An HTTP proxy that only tunnels (``CONNECT host:port``) and records each tunnel's target."""
    proxy = Proxy('')

    class TunnelHandler(socketserver.BaseRequestHandler):
        def handle(self) -> None:
            client = self.request
            head = b''
            while b'\r\n\r\n' not in head:
                chunk = client.recv(4096)
                if not chunk:
                    return
                head += chunk
            line = head.split(b'\r\n', 1)[0].decode()
            method, target, _ = line.split(' ', 2)
            if method != 'CONNECT':
                client.sendall(b'HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\n\r\n')
                return
            proxy.tunnels.append(target)
            host, port = target.rsplit(':', 1)
            upstream = socket.create_connection((host, int(port)), timeout=10)
            client.sendall(b'HTTP/1.1 200 Connection established\r\n\r\n')
            sockets = [client, upstream]
            try:
                while True:
                    readable, _, _ = select.select(sockets, [], [], 10)
                    if not readable:
                        return
                    for sock in readable:
                        data = sock.recv(65536)
                        if not data:
                            return
                        (upstream if sock is client else client).sendall(data)
            finally:
                upstream.close()

    with serving(socketserver.ThreadingTCPServer, TunnelHandler) as url:
        proxy.url = url
        yield proxy


def self_signed_ca(directory: Path, host: str = '127.0.0.1') -> tuple[Path, Path, Path]:
    """``(ca_cert, server_cert, server_key)`` PEM files: a throwaway CA and a certificate it signed
    for `host` (an IP address), written with the ``cryptography`` package."""
    import datetime
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = datetime.datetime.now(datetime.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, 'synapse test CA')])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=2))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host)]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=2))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(host))]), critical=False
        )
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False
        )
        .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    ca_path, cert_path, key_path = directory / 'ca.pem', directory / 'server.pem', directory / 'server.key'
    ca_path.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return ca_path, cert_path, key_path
