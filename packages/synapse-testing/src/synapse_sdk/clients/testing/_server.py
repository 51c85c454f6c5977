"""The fake backend's HTTP machinery: a threaded stdlib server, routing, auth, faults, idempotency."""

from __future__ import annotations

import base64
import contextlib
import email.parser
import email.policy
import email.utils
import hashlib
import json
import re
import socket
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from synapse_sdk.clients.testing._state import FakeState, RecordedRequest

WS_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11'


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: Any
    body: bytes
    request_id: str
    base_url: str
    params: dict[str, str] = field(default_factory=dict)
    _json: Any = None
    _form: tuple[dict[str, str], dict[str, tuple[str, bytes]]] | None = None

    def q(self, name: str, default: str | None = None) -> str | None:
        values = self.query.get(name)
        return values[-1] if values else default

    def json(self) -> Any:
        if self._json is None and self.body:
            content_type = self.headers.get('Content-Type', '')
            if 'multipart/form-data' in content_type:
                return None
            try:
                self._json = json.loads(self.body)
            except ValueError:
                raise HTTPFailure(400, {'detail': 'body is not valid JSON'}) from None
        return self._json

    def form(self) -> tuple[dict[str, str], dict[str, tuple[str, bytes]]]:
        """Multipart fields and files (``{name: (filename, bytes)}``)."""
        if self._form is None:
            fields: dict[str, str] = {}
            files: dict[str, tuple[str, bytes]] = {}
            content_type = self.headers.get('Content-Type', '')
            if 'multipart/form-data' in content_type:
                raw = f'Content-Type: {content_type}\r\n\r\n'.encode() + self.body
                message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(raw)
                for part in message.iter_parts():
                    name = _disposition_param(part, 'name')
                    if name is None:  # not a form field
                        continue
                    filename = _disposition_param(part, 'filename')
                    payload = part.get_payload(decode=True)  # None for a nested multipart
                    content = payload if isinstance(payload, bytes) else b''
                    if filename is not None:
                        files[name] = (filename, content)
                    else:
                        fields[name] = content.decode()
            self._form = (fields, files)
        return self._form

    def data(self) -> dict[str, Any]:
        """JSON object body, or multipart fields (JSON-looking values decoded)."""
        body = self.json()
        if isinstance(body, dict):
            return body
        fields, _ = self.form()
        out: dict[str, Any] = {}
        for key, value in fields.items():
            try:
                out[key] = json.loads(value) if value[:1] in '[{' else value
            except ValueError:
                out[key] = value
        return out


@dataclass
class Response:
    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = 'application/json'


@dataclass
class StreamResponse:
    """A streamed body (SSE): ``chunks`` are written and flushed one by one."""

    chunks: Iterable[bytes]
    content_type: str = 'text/event-stream'
    status: int = 200


@dataclass
class WebSocketResponse:
    """Upgrade to a WebSocket and send ``messages`` (text frames), then close."""

    messages: Iterable[str]


class HTTPFailure(Exception):
    def __init__(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        super().__init__(status)
        self.status = status
        self.body = body
        self.headers = headers or {}


@dataclass
class Fault:
    """A scripted failure for requests whose path matches ``path`` (regex, searched) and ``method``.

    ``status`` answers with that status (``body`` or a default error body, ``Retry-After`` when
    ``retry_after`` is set) without running the route; ``delay`` sleeps first; ``drop='before'``
    closes the connection without running the route, ``drop='after'`` runs it and then closes
    without answering (the response is lost), ``drop='partial'`` runs it and sends the headers and half
    the body, then closes (a download cut short); ``cut_stream_after=n`` ends an SSE stream after n
    frames. A ``str`` body is sent as ``text/plain`` unless ``content_type`` says otherwise.
    ``times`` is how many requests it applies to (``None``: all). ``hits`` counts them.
    """

    path: str
    method: str | None = None
    status: int | None = None
    body: Any = None
    retry_after: float | str | None = None
    delay: float = 0.0
    drop: str | None = None
    cut_stream_after: int | None = None
    content_type: str | None = None
    times: int | None = 1
    hits: int = 0

    def matches(self, method: str, path: str) -> bool:
        if self.times is not None and self.hits >= self.times:
            return False
        if self.method and self.method.upper() != method:
            return False
        return re.search(self.path, path) is not None


Handler = Callable[[Request], Any]


class Router:
    def __init__(self) -> None:
        self.routes: list[tuple[str, re.Pattern[str], Handler, bool]] = []

    def add(self, method: str, pattern: str, handler: Handler, *, public: bool = False) -> None:
        regex = re.compile('^' + re.sub(r'\{(\w+)\}', r'(?P<\1>[^/]+)', pattern) + '$')
        self.routes.append((method, regex, handler, public))

    def match(self, method: str, path: str) -> tuple[Handler, dict[str, str], bool] | None:
        path_found = False
        for route_method, regex, handler, public in self.routes:
            found = regex.match(path)
            if found:
                path_found = True
                if route_method == method:
                    return handler, found.groupdict(), public
        if path_found:
            raise HTTPFailure(405, {'detail': f'Method "{method}" not allowed.'})
        return None


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128
    backend: Any


class _Handler(BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'
    server: _Server

    def setup(self) -> None:
        super().setup()
        # Headers and body go out in separate writes: without this, Nagle + delayed ACK add ~40 ms.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def handle_one_request(self) -> None:
        try:
            super().handle_one_request()
        except (ConnectionError, TimeoutError):
            self.close_connection = True

    def _dispatch(self) -> None:
        self.server.backend._handle(self)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = _dispatch


class IdempotencyStore:
    """The stored answers to requests that carried an ``Idempotency-Key``, for replay on a resend.

    Kept forever they grew without end (a 100,000-item export's bulk fetches alone were ~120 MB). The
    window: the last ``max_entries`` answers (default 1,000), fewer when their bodies together exceed
    ``max_bytes`` (default 32 MiB; the newest is always kept). A client resends within seconds, far
    inside that window; a key replayed after it was evicted runs the route again, as a real server's
    would once its key expiry passed.
    """

    def __init__(self, max_entries: int = 1_000, max_bytes: int = 32 * 1024 * 1024) -> None:
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self.evicted = 0
        self._entries: OrderedDict[tuple[str, str, str], tuple[int, bytes, dict[str, str], str]] = (
            OrderedDict()
        )
        self._bytes = 0

    def get(self, key: tuple[str, str, str]) -> tuple[int, bytes, dict[str, str], str] | None:
        return self._entries.get(key)

    def put(self, key: tuple[str, str, str], answer: tuple[int, bytes, dict[str, str], str]) -> None:
        old = self._entries.pop(key, None)
        if old is not None:
            self._bytes -= len(old[1])
        self._entries[key] = answer
        self._bytes += len(answer[1])
        while len(self._entries) > self.max_entries or (
            self._bytes > self.max_bytes and len(self._entries) > 1
        ):
            _, dropped = self._entries.popitem(last=False)
            self._bytes -= len(dropped[1])
            self.evicted += 1

    def __len__(self) -> int:
        return len(self._entries)


class ServerCore:
    """Accepts connections, applies faults, checks auth, dispatches to routes, renders answers."""

    def __init__(
        self,
        state: FakeState | None = None,
        *,
        host: str = '127.0.0.1',
        port: int = 0,
        max_request_bytes: int | None = None,
    ) -> None:
        self.state = state or FakeState()
        self.router = Router()
        self.faults: list[Fault] = []
        #: Bodies over this many bytes are refused with 413, as a reverse proxy's body limit does.
        self.max_request_bytes = max_request_bytes
        self._host = host
        self._port = port
        self._httpd: _Server | None = None
        self._thread: threading.Thread | None = None
        self.idempotency = IdempotencyStore()

    # -- lifecycle -----------------------------------------------------------------------------
    def start(self) -> Any:
        if self._httpd is not None:
            return self
        self._httpd = _Server((self._host, self._port), _Handler)
        self._httpd.backend = self
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={'poll_interval': 0.05},
            name='synapse-fake-backend',
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is None:
            return
        self._httpd.shutdown()
        self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._httpd = None
        self._thread = None

    def __enter__(self) -> Any:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        if self._httpd is None:
            raise RuntimeError('the fake backend is not running; call start() or use it as a context manager')
        host, port = self._httpd.server_address[:2]
        if not isinstance(host, str):  # bytes only for AF_UNIX addresses; this server is TCP
            host = bytes(host).decode()
        return f'http://{host}:{port}'

    # -- faults --------------------------------------------------------------------------------
    def inject(self, path: str, **kwargs: Any) -> Fault:
        """Add a ``Fault`` (see its fields) and return it; faults are tried in insertion order."""
        fault = Fault(path=path, **kwargs)
        with self.state.lock:
            self.faults.append(fault)
        return fault

    def clear_faults(self) -> None:
        with self.state.lock:
            self.faults.clear()

    def _take_fault(self, method: str, path: str) -> Fault | None:
        with self.state.lock:
            for fault in self.faults:
                if fault.matches(method, path):
                    fault.hits += 1
                    return fault
        return None

    # -- inspection ----------------------------------------------------------------------------
    def requests_to(self, path: str, method: str | None = None) -> list[RecordedRequest]:
        """Recorded requests whose path matches the regex ``path`` (and ``method`` if given)."""
        with self.state.lock:
            return [
                r
                for r in self.state.requests
                if re.search(path, r.path) and (method is None or r.method == method.upper())
            ]

    # -- handling ------------------------------------------------------------------------------
    def _handle(self, h: _Handler) -> None:
        split = urlsplit(h.path)
        path = split.path
        method = h.command
        body = _read_body(h)
        request_id = f'req_{uuid.uuid4().hex[:12]}'
        headers = dict(h.headers.items())
        record = RecordedRequest(
            method, path, parse_qs(split.query, keep_blank_values=True), headers, body, request_id
        )
        with self.state.lock:
            self.state.requests.append(record)
        limit = self.max_request_bytes
        if limit is not None and len(body) > limit:
            self._refuse_too_large(h, len(body), limit, request_id)
            return
        request = Request(method, path, record.query, h.headers, body, request_id, self.url)
        fault = self._take_fault(method, path)
        if fault and fault.delay:
            time.sleep(fault.delay)
        if fault and fault.drop == 'before':
            self._drop(h)
            return
        if fault and fault.status:
            payload = (
                fault.body
                if fault.body is not None
                else self._error_body(path, fault.status, 'injected fault', request_id)
            )
            extra = {'Retry-After': str(fault.retry_after)} if fault.retry_after is not None else {}
            content_type = fault.content_type or (
                'text/plain; charset=utf-8' if isinstance(payload, str) else 'application/json'
            )
            self._write(h, Response(fault.status, payload, extra, content_type), request_id)
            return
        key = h.headers.get('Idempotency-Key')
        if key:
            with self.state.lock:
                cached = self.idempotency.get((method, path, key))
            if cached:
                status, raw, extra, content_type = cached
                self._write_raw(
                    h, status, raw, {**extra, 'Idempotent-Replayed': 'true'}, content_type, request_id
                )
                return
        try:
            result = self._route(request)
        except HTTPFailure as failure:
            result = Response(failure.status, failure.body, failure.headers)
        except Exception as exc:  # a bug in a fake route must surface as a 500, not a hung client
            result = Response(500, self._error_body(path, 500, f'fake backend error: {exc!r}', request_id))
        if isinstance(result, WebSocketResponse):
            self._websocket(h, result)
            return
        if isinstance(result, StreamResponse):
            self._stream(h, result, request_id, fault)
            return
        raw, content_type = self._encode(result)  # once: for the answer and, keyed, for replays
        if key and result.status < 400:
            with self.state.lock:
                self.idempotency.put((method, path, key), (result.status, raw, result.headers, content_type))
        if fault and fault.drop == 'after':
            self._drop(h)
            return
        if fault and fault.drop == 'partial':
            # The headers promise the whole body; half of it arrives, then the connection closes.
            self._write_raw(
                h, result.status, raw, result.headers, content_type, request_id, send=len(raw) // 2
            )
            self._drop(h)
            return
        self._write_raw(h, result.status, raw, result.headers, content_type, request_id)

    def _refuse_too_large(self, h: _Handler, size: int, limit: int, request_id: str) -> None:
        """Answer like a reverse proxy over its body limit: 413, an HTML page, connection closed."""
        title = '413 Request Entity Too Large'
        page = (
            f'<html><head><title>{title}</title></head><body><h1>{title}</h1>'
            f'<p>{size} bytes; this server accepts at most {limit}.</p></body></html>'
        )
        h.close_connection = True
        self._write_raw(h, 413, page.encode(), {'Connection': 'close'}, 'text/html', request_id)

    def _route(self, request: Request) -> Any:
        found = self.router.match(request.method, request.path)
        if found is None:
            raise HTTPFailure(404, self._error_body(request.path, 404, 'Not found.', request.request_id))
        handler, params, public = found
        request.params = params
        if not public:
            self._authenticate(request)
        result = handler(request)
        if not isinstance(result, Response | StreamResponse | WebSocketResponse):
            result = Response(200, result)
        return result

    def _authenticate(self, request: Request) -> None:
        if not self.state.require_auth:
            return
        if request.path.startswith('/agent/'):
            token = request.headers.get('Authorization')
            if token in self.state.agent_tokens:
                return
        else:
            access = request.headers.get('Synapse-Access-Token') or ''
            access = access.removeprefix('Token ').strip()
            authorization = (request.headers.get('Authorization') or '').removeprefix('Token ').strip()
            if (access and access in self.state.access_tokens) or (
                authorization and authorization in self.state.user_tokens
            ):
                return
        raise HTTPFailure(
            401,
            self._error_body(
                request.path, 401, 'Invalid token.', request.request_id, code='authentication_failed'
            ),
        )

    @staticmethod
    def _error_body(path: str, status: int, message: str, request_id: str, *, code: str | None = None) -> Any:
        if path.startswith('/v2/'):
            return {
                'error': {'code': code or f'HTTP_{status}', 'message': message, 'details': None},
                'meta': {'request_id': request_id},
            }
        return {'detail': message}

    # -- writing -------------------------------------------------------------------------------
    @staticmethod
    def _encode(response: Response) -> tuple[bytes, str]:
        if response.body is None:
            return b'', response.content_type
        if isinstance(response.body, bytes):
            return response.body, response.content_type
        if isinstance(response.body, str) and not response.content_type.startswith('application/json'):
            return response.body.encode(), response.content_type
        return json.dumps(response.body, default=str).encode(), response.content_type

    def _write(self, h: _Handler, response: Response, request_id: str) -> None:
        raw, content_type = self._encode(response)
        self._write_raw(h, response.status, raw, response.headers, content_type, request_id)

    @staticmethod
    def _write_raw(
        h: _Handler,
        status: int,
        raw: bytes,
        headers: dict[str, str],
        content_type: str,
        request_id: str,
        send: int | None = None,
    ) -> None:
        h.send_response(status)
        h.send_header('Content-Type', content_type)
        h.send_header('Content-Length', str(len(raw)))
        h.send_header('X-Request-ID', request_id)
        for name, value in headers.items():
            h.send_header(name, value)
        h.end_headers()
        if h.command != 'HEAD' and status != 204:
            h.wfile.write(raw if send is None else raw[:send])

    @staticmethod
    def _drop(h: _Handler) -> None:
        h.close_connection = True
        with contextlib.suppress(OSError):
            h.connection.shutdown(socket.SHUT_RDWR)

    def _stream(self, h: _Handler, response: StreamResponse, request_id: str, fault: Fault | None) -> None:
        h.close_connection = True
        h.send_response(response.status)
        h.send_header('Content-Type', response.content_type)
        h.send_header('Cache-Control', 'no-cache')
        h.send_header('Connection', 'close')
        h.send_header('X-Request-ID', request_id)
        h.end_headers()
        limit = fault.cut_stream_after if fault else None
        sent = 0
        try:
            for chunk in response.chunks:
                if limit is not None and sent >= limit:
                    break
                h.wfile.write(chunk)
                h.wfile.flush()
                sent += 1
        except (ConnectionError, OSError):
            pass
        finally:
            close = getattr(response.chunks, 'close', None)
            if close:
                close()

    def _websocket(self, h: _Handler, response: WebSocketResponse) -> None:
        key = h.headers.get('Sec-WebSocket-Key')
        if not key or (h.headers.get('Upgrade') or '').lower() != 'websocket':
            self._write(h, Response(400, {'detail': 'expected a WebSocket upgrade'}), 'ws')
            return
        accept = base64.b64encode(hashlib.sha1((key + WS_GUID).encode()).digest()).decode()
        h.close_connection = True
        h.send_response(101, 'Switching Protocols')
        h.send_header('Upgrade', 'websocket')
        h.send_header('Connection', 'Upgrade')
        h.send_header('Sec-WebSocket-Accept', accept)
        h.end_headers()
        try:
            for message in response.messages:
                h.wfile.write(ws_frame(0x1, message.encode()))
                h.wfile.flush()
            h.wfile.write(ws_frame(0x8, (1000).to_bytes(2, 'big')))
            h.wfile.flush()
        except OSError:
            pass


def _disposition_param(part: Message, key: str) -> str | None:
    """A ``Content-Disposition`` parameter of a multipart part (an RFC 2231 encoded one decoded)."""
    value = part.get_param(key, header='content-disposition')
    if isinstance(value, tuple):
        return email.utils.collapse_rfc2231_value(value)
    return value


def _read_body(h: BaseHTTPRequestHandler) -> bytes:
    """The request body, by ``Content-Length`` or ``Transfer-Encoding: chunked``."""
    if 'chunked' in (h.headers.get('Transfer-Encoding') or '').lower():
        parts: list[bytes] = []
        while True:
            size = int(h.rfile.readline().split(b';', 1)[0].strip() or b'0', 16)
            if size == 0:
                while h.rfile.readline() not in (b'\r\n', b'\n', b''):
                    pass
                return b''.join(parts)
            parts.append(h.rfile.read(size))
            h.rfile.readline()
    length = int(h.headers.get('Content-Length') or 0)
    return h.rfile.read(length) if length else b''


def ws_frame(opcode: int, payload: bytes) -> bytes:
    """An unmasked server-to-client WebSocket frame (FIN set)."""
    head = bytes([0x80 | opcode])
    n = len(payload)
    if n < 126:
        head += bytes([n])
    elif n < 1 << 16:
        head += bytes([126]) + n.to_bytes(2, 'big')
    else:
        head += bytes([127]) + n.to_bytes(8, 'big')
    return head + payload


def page_url(request: Request, **overrides: Any) -> str:
    """The current URL with query params replaced (filters preserved) — for ``next`` links."""
    query = {k: v[-1] for k, v in request.query.items()}
    query.update({k: str(v) for k, v in overrides.items()})
    return f'{request.base_url}{request.path}?{urlencode(query)}'
