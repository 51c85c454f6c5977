"""A minimal RFC 6455 WebSocket client (stdlib only) for reading the agent's job-log stream.

It supports what log tailing needs: the opening handshake with custom headers, ``ws``/``wss``, text
and binary messages (fragmented or not), ping/pong and close. No extensions, no subprotocols.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import os
import socket
import ssl
import struct
from collections.abc import Mapping
from urllib.parse import urlsplit

from synapse_sdk.clients.exceptions import ClientTimeoutError, WebSocketError

GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11'
MAX_MESSAGE_BYTES = 10 * 1024 * 1024
MAX_HEADER_BYTES = 64 * 1024


def to_ws_url(url: str) -> str:
    if url.startswith('https://'):
        return 'wss://' + url[len('https://') :]
    if url.startswith('http://'):
        return 'ws://' + url[len('http://') :]
    return url


class WebSocketConnection:
    """An open client connection; ``recv()`` returns the next message, ``None`` once closed."""

    def __init__(self, sock: socket.socket, buffered: bytes = b'') -> None:
        self._sock = sock
        self._buffer = buffered
        self.closed = False

    # -- reading -------------------------------------------------------------------------------
    def _read_exact(self, n: int) -> bytes:
        while len(self._buffer) < n:
            try:
                chunk = self._sock.recv(max(65536, n - len(self._buffer)))
            except TimeoutError:
                raise ClientTimeoutError('no WebSocket message within the timeout') from None
            except OSError as exc:
                raise WebSocketError(f'WebSocket connection broke: {exc}') from exc
            if not chunk:
                raise WebSocketError('WebSocket connection closed without a close frame')
            self._buffer += chunk
        data, self._buffer = self._buffer[:n], self._buffer[n:]
        return data

    def _read_frame(self) -> tuple[bool, int, bytes]:
        b1, b2 = self._read_exact(2)
        fin, opcode = bool(b1 & 0x80), b1 & 0x0F
        if b1 & 0x70:
            raise WebSocketError('WebSocket frame uses an extension that was not negotiated')
        masked, length = bool(b2 & 0x80), b2 & 0x7F
        if length == 126:
            (length,) = struct.unpack('!H', self._read_exact(2))
        elif length == 127:
            (length,) = struct.unpack('!Q', self._read_exact(8))
        if length > MAX_MESSAGE_BYTES:
            raise WebSocketError(
                f'WebSocket frame of {length} bytes exceeds the {MAX_MESSAGE_BYTES}-byte limit'
            )
        mask = self._read_exact(4) if masked else b''
        payload = self._read_exact(length)
        if masked:
            payload = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        return fin, opcode, payload

    def recv(self) -> str | bytes | None:
        if self.closed:
            return None
        parts: list[bytes] = []
        message_opcode = None
        while True:
            fin, opcode, payload = self._read_frame()
            if opcode == 0x8:
                self._send_frame(0x8, payload[:2])
                self.close()
                return None
            if opcode == 0x9:
                self._send_frame(0xA, payload)
                continue
            if opcode == 0xA:
                continue
            if opcode in (0x1, 0x2):
                message_opcode = opcode
                parts = [payload]
            elif opcode == 0x0 and message_opcode is not None:
                parts.append(payload)
            else:
                raise WebSocketError(f'unexpected WebSocket opcode {opcode:#x}')
            if sum(map(len, parts)) > MAX_MESSAGE_BYTES:
                raise WebSocketError(f'WebSocket message exceeds the {MAX_MESSAGE_BYTES}-byte limit')
            if fin:
                data = b''.join(parts)
                return data.decode('utf-8', 'replace') if message_opcode == 0x1 else data

    # -- writing -------------------------------------------------------------------------------
    def _send_frame(self, opcode: int, payload: bytes) -> None:
        mask = os.urandom(4)
        head = bytes([0x80 | opcode])
        n = len(payload)
        if n < 126:
            head += bytes([0x80 | n])
        elif n < 1 << 16:
            head += bytes([0x80 | 126]) + struct.pack('!H', n)
        else:
            head += bytes([0x80 | 127]) + struct.pack('!Q', n)
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        with contextlib.suppress(OSError):
            self._sock.sendall(head + mask + masked)

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            with contextlib.suppress(OSError):
                self._sock.close()

    def __enter__(self) -> WebSocketConnection:
        return self

    def __exit__(self, *exc: object) -> None:
        if not self.closed:
            self._send_frame(0x8, struct.pack('!H', 1000))
        self.close()


def connect(
    url: str, *, headers: Mapping[str, str] | None = None, timeout: float = 30.0
) -> WebSocketConnection:
    """Open a WebSocket to ``ws(s)://`` (or ``http(s)://``) ``url``; raise ``WebSocketError`` on refusal.

    ``timeout`` applies to connecting and to each later read.
    """
    parts = urlsplit(to_ws_url(url))
    if parts.scheme not in ('ws', 'wss'):
        raise WebSocketError(f'not a WebSocket URL: {parts.scheme}://')
    secure = parts.scheme == 'wss'
    host = parts.hostname or ''
    port = parts.port or (443 if secure else 80)
    try:
        sock = socket.create_connection((host, port), timeout=timeout)
    except TimeoutError:
        raise ClientTimeoutError(f'timed out connecting to {host}:{port}') from None
    except OSError as exc:
        raise WebSocketError(f'cannot connect to {host}:{port}: {exc.strerror or exc}') from exc
    try:
        if secure:
            sock = ssl.create_default_context().wrap_socket(sock, server_hostname=host)
        key = base64.b64encode(os.urandom(16)).decode()
        target = parts.path or '/'
        if parts.query:
            target += '?' + parts.query
        lines = [
            f'GET {target} HTTP/1.1',
            f'Host: {parts.netloc}',
            'Upgrade: websocket',
            'Connection: Upgrade',
            f'Sec-WebSocket-Key: {key}',
            'Sec-WebSocket-Version: 13',
            *(f'{name}: {value}' for name, value in (headers or {}).items()),
        ]
        sock.sendall(('\r\n'.join(lines) + '\r\n\r\n').encode())
        raw = b''
        while b'\r\n\r\n' not in raw:
            chunk = sock.recv(4096)
            if not chunk:
                raise WebSocketError('connection closed during the WebSocket handshake')
            raw += chunk
            if len(raw) > MAX_HEADER_BYTES:
                raise WebSocketError('WebSocket handshake response headers too large')
        head, rest = raw.split(b'\r\n\r\n', 1)
        status_line, *header_lines = head.decode('latin-1').split('\r\n')
        fields = status_line.split(' ', 2)
        status = int(fields[1]) if len(fields) > 1 and fields[1].isdigit() else 0
        if status != 101:
            raise WebSocketError(f'WebSocket upgrade refused (HTTP {status})', status_code=status or None)
        response_headers = {}
        for line in header_lines:
            name, _, value = line.partition(':')
            response_headers[name.strip().lower()] = value.strip()
        expected = base64.b64encode(hashlib.sha1((key + GUID).encode()).digest()).decode()
        if response_headers.get('sec-websocket-accept') != expected:
            raise WebSocketError('WebSocket handshake failed: bad Sec-WebSocket-Accept')
    except BaseException:
        sock.close()
        raise
    return WebSocketConnection(sock, rest)
