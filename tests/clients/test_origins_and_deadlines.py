"""Credentials stay with their origin and deadlines hold, against real loopback servers that misbehave.

Two HTTP servers on different ports are two origins: the first redirects (or links) to the second, which
records every header it receives. Dripping servers send one byte at a time.
"""

from __future__ import annotations

import json
import ssl
import threading
import time

import pytest
import synapse_tests_misbehaving as misbehaving  # registered by tests/conftest.py
from websockets.sync.server import serve

from synapse_sdk.clients._http import RetryPolicy, Timeout
from synapse_sdk.clients.agent import AgentClient
from synapse_sdk.clients.backend import BackendClient
from synapse_sdk.clients.backend_v2 import BackendV2Client
from synapse_sdk.clients.exceptions import AuthenticationError, ClientTimeoutError, WebSocketError

SECRETS = (
    'tok-v1-0001',
    'auth-v1-0002',
    'tenant-0003',
    'agent-0004',
    'syn_v2_0005',
    'drf-v2-0006',
    'user-0007',
)


def _clients(base: str) -> dict[str, object]:
    return {
        'v1': BackendClient(
            base,
            'tok-v1-0001',
            authorization_token='auth-v1-0002',
            tenant='tenant-0003',
            agent_token='agent-0004',
        ),
        'v2': BackendV2Client(
            base, access_token='syn_v2_0005', drf_token='drf-v2-0006', tenant='tenant-0003'
        ),
        'agent': AgentClient(base, 'agent-0004', user_token='user-0007', tenant='tenant-0003'),
    }


def _get(kind: str, client: object, path: str) -> object:
    if kind == 'v2':
        return client.request('GET', path)
    return client._get(path)


def _leaked(headers: list[dict[str, str]]) -> list[str]:
    return [secret for h in headers for value in h.values() for secret in SECRETS if secret in value]


@pytest.fixture
def two_origins():
    with misbehaving.http_server() as home, misbehaving.http_server() as elsewhere:
        yield home, elsewhere


@pytest.mark.parametrize('kind', ['v1', 'v2', 'agent'])
def test_credentials_never_follow_a_redirect_to_another_origin(two_origins, kind):
    home, elsewhere = two_origins
    home.routes['/thing/'] = misbehaving.redirect_to(f'{elsewhere.url}/landing/')
    elsewhere.routes['/landing/'] = lambda h: misbehaving.send(h, 200, b'{"data": {"ok": true}}')
    home.routes['/moved/'] = misbehaving.redirect_to('/here/', 307)  # same origin: credentials kept
    home.routes['/here/'] = lambda h: misbehaving.send(h, 200, b'{"data": {"ok": true}}')
    client = _clients(home.url)[kind]

    assert _get(kind, client, 'thing/') is not None
    assert len(elsewhere.headers_seen('/landing/')) == 1
    assert _leaked(elsewhere.headers_seen('/landing/')) == []
    assert _leaked(home.headers_seen('/thing/'))  # the home origin did get them

    _get(kind, client, 'moved/')
    assert _leaked(home.headers_seen('/here/'))


def test_an_error_after_a_cross_origin_redirect_says_credentials_were_withheld(two_origins):
    home, elsewhere = two_origins
    home.routes['/jobs/1/'] = misbehaving.redirect_to(f'{elsewhere.url}/jobs/1/', 301)
    elsewhere.routes['/jobs/1/'] = lambda h: misbehaving.send(h, 401, b'{"detail": "no token"}')
    with pytest.raises(AuthenticationError) as caught:
        _clients(home.url)['v1'].get_job(1)
    text = str(caught.value)
    port_home, port_else = home.url.rsplit(':', 1)[1], elsewhere.url.rsplit(':', 1)[1]
    assert f'from http://127.0.0.1:{port_home} to http://127.0.0.1:{port_else}' in text
    assert 'credentials are never sent to another origin' in text
    assert _leaked(elsewhere.headers_seen('/jobs/1/')) == []


def test_a_page_link_to_another_origin_is_fetched_without_credentials(two_origins):
    home, elsewhere = two_origins
    page1 = {'count': 2, 'next': f'{elsewhere.url}/jobs/?page=2', 'results': [{'id': 1}]}
    home.routes['/jobs/'] = lambda h: misbehaving.send(h, 200, json.dumps(page1).encode())
    elsewhere.routes['/jobs/'] = lambda h: misbehaving.send(
        h, 200, b'{"count": 2, "next": null, "results": [{"id": 2}]}'
    )
    items, count = _clients(home.url)['v1'].list_jobs(list_all=True)
    assert [item['id'] for item in items] == [1, 2] and count == 2
    assert _leaked(elsewhere.headers_seen('/jobs/')) == []


@pytest.mark.parametrize('kind', ['v1', 'v2', 'agent'])
def test_a_cookie_the_backend_set_never_reaches_another_port_of_its_host(two_origins, kind):
    # Cookie jars match hosts, not ports or schemes: without the origin rule, a cookie set by
    # 127.0.0.1:<home> went with an absolute link to 127.0.0.1:<elsewhere>.
    home, elsewhere = two_origins
    home.routes['/login/'] = lambda h: misbehaving.send(
        h, 200, b'{"data": {"ok": true}}', Set_Cookie='sessionid=cookie-0008; Path=/'
    )
    home.routes['/again/'] = lambda h: misbehaving.send(h, 200, b'{"data": {"ok": true}}')
    elsewhere.routes['/page/'] = lambda h: misbehaving.send(h, 200, b'{"data": {"ok": true}}')
    client = _clients(home.url)[kind]
    _get(kind, client, 'login/')
    _get(kind, client, 'again/')
    assert [h.get('cookie') for h in home.headers_seen('/again/')] == [
        'sessionid=cookie-0008'
    ]  # kept at home
    _get(kind, client, f'{elsewhere.url}/page/')
    seen = elsewhere.headers_seen('/page/')
    assert len(seen) == 1 and 'cookie' not in seen[0]
    assert _leaked(seen) == []


def test_file_downloader_deadline_and_its_error_says_why(two_origins, tmp_path):
    from synapse_sdk.clients.downloads import FileDownloader, FileDownloadError

    home, _ = two_origins
    response = b'HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nfile'
    home.routes['/slow.bin'] = misbehaving.drip(response, every=0.15)
    downloader = FileDownloader(retry=RetryPolicy(max_attempts=1, total_timeout=1.0), timeout=Timeout(2, 2))
    started = time.monotonic()
    with pytest.raises(FileDownloadError, match=r'download failed: .*total time budget of 1 s'):
        downloader.download(f'{home.url}/slow.bin', tmp_path / 'slow.bin')
    assert time.monotonic() - started < 6
    assert list(tmp_path.iterdir()) == []


def test_total_timeout_cuts_off_a_server_that_drips_its_response(two_origins):
    home, _ = two_origins
    response = b'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}'
    home.routes['/slow/'] = misbehaving.drip(response, every=0.15)  # ~12 s in all, 0.15 s per byte
    client = BackendClient(
        home.url, 'tok-v1-0001', timeout=Timeout(2, 2), retry=RetryPolicy(total_timeout=1.0)
    )
    started = time.monotonic()
    with pytest.raises(ClientTimeoutError, match='total time budget of 1 s'):
        client._get('slow/')
    assert time.monotonic() - started < 6  # the budget, not the ~12 s the server wanted
    # the same server within budget: the call succeeds (the deadline is not a blanket failure)
    home.routes['/quick/'] = misbehaving.drip(response, every=0.01)
    assert BackendClient(home.url, 'x', retry=RetryPolicy(total_timeout=5.0))._get('quick/') == {}


def _sse_head(h):
    h.close_connection = True
    # One complete frame (also JSON, for the v2 progress stream), then bytes that never end a line.
    h.wfile.write(b'HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n\r\ndata: {"data": "first"}\n\n')
    h.wfile.flush()


def _drip_without_newline(h):
    _sse_head(h)
    for _ in range(100):
        try:
            h.wfile.write(b'x')
            h.wfile.flush()
        except OSError:
            return
        time.sleep(0.1)


@pytest.mark.parametrize('tail', ['agent_http', 'v1_console', 'v2_async_job_progress'])
def test_log_tails_have_an_idle_deadline_even_against_dripping_bytes(two_origins, tail):
    home, _ = two_origins
    home.routes['/jobs/j1/logs/stream/'] = _drip_without_newline
    home.routes['/jobs/7/tail_console_logs/'] = _drip_without_newline
    home.routes['/v2/async_jobs/a1/progress/'] = _drip_without_newline
    if tail == 'agent_http':
        lines = AgentClient(home.url, 'agent-0004').stream_tail_job_logs('j1', timeout=1.0)
    elif tail == 'v1_console':
        lines = BackendClient(home.url, 'tok').tail_job_console_logs(7, idle_timeout=1.0)
    else:
        events = BackendV2Client(home.url, access_token='syn').async_jobs.stream_progress('a1', timeout=1.0)
        lines = (json.dumps(event.data) for event in events)
    seen = []
    started = time.monotonic()
    with pytest.raises(ClientTimeoutError, match='idle timeout of 1 s'):
        for line in lines:
            seen.append(line)
    assert any('first' in line for line in seen)
    assert time.monotonic() - started < 8  # the dripping would have lasted 10 s


# -- WebSocket ---------------------------------------------------------------------------------------------
class WsServer:
    """A real WebSocket server (the ``websockets`` library) answering the agent's log route."""

    def __init__(
        self, behaviour: str = 'lines', ssl_context: ssl.SSLContext | None = None, redirect: str = ''
    ):
        self.headers: list[dict[str, str]] = []
        self.behaviour = behaviour
        self.redirect = redirect
        self._server = serve(self._handle, '127.0.0.1', 0, ssl=ssl_context, process_request=self._process)
        self.port = self._server.socket.getsockname()[1]
        self.url = f'{"https" if ssl_context else "http"}://127.0.0.1:{self.port}'
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def _process(self, connection, request):
        self.headers.append({k.lower(): v for k, v in request.headers.raw_items()})
        if self.redirect:
            response = connection.respond(302, '')
            response.headers['Location'] = self.redirect + request.path
            return response
        return None

    def _handle(self, ws):
        if self.behaviour == 'drip':
            ws.socket.sendall(b'\x81\x7d')  # a text frame of 125 bytes, sent one byte at a time
            for _ in range(125):
                time.sleep(0.1)
                ws.socket.sendall(b'a')
            return
        ws.send('line one')
        ws.send(json.dumps({'type': 'log', 'message': 'line two'}))
        ws.send(json.dumps({'type': 'complete'}))

    def close(self):
        self._server.shutdown()


@pytest.fixture
def ws_servers():
    servers: list[WsServer] = []

    def make(**kwargs):
        servers.append(WsServer(**kwargs))
        return servers[-1]

    yield make
    for server in servers:
        server.close()


def test_websocket_redirect_to_another_origin_carries_no_credentials(ws_servers):
    elsewhere = ws_servers()
    home = ws_servers(redirect=elsewhere.url.replace('http', 'ws'))
    client = AgentClient(home.url, 'agent-0004', user_token='user-0007', tenant='tenant-0003')
    assert list(client.websocket_tail_job_logs('j1')) == ['line one', 'line two']
    assert _leaked(home.headers) and _leaked(elsewhere.headers) == []


def test_websocket_idle_deadline_holds_against_a_dripping_frame(ws_servers):
    server = ws_servers(behaviour='drip')
    started = time.monotonic()
    with pytest.raises(ClientTimeoutError, match='idle timeout of 1 s'):
        list(AgentClient(server.url, 'agent-0004').websocket_tail_job_logs('j1', timeout=1.0))
    assert time.monotonic() - started < 8  # the frame would have taken 12.5 s


def test_websocket_goes_through_the_https_proxy_from_the_environment(ws_servers, monkeypatch):
    server = ws_servers()
    for name in ('NO_PROXY', 'no_proxy', 'ALL_PROXY', 'all_proxy'):
        monkeypatch.delenv(name, raising=False)
    with misbehaving.connect_proxy() as proxy:
        monkeypatch.setenv('HTTP_PROXY', proxy.url)
        monkeypatch.setenv('HTTPS_PROXY', proxy.url)
        lines = list(AgentClient(server.url, 'agent-0004').websocket_tail_job_logs('j1'))
    assert lines == ['line one', 'line two']
    assert proxy.tunnels == [f'127.0.0.1:{server.port}']


def test_websocket_trusts_the_requests_ca_bundle(ws_servers, monkeypatch, tmp_path):
    ca, cert, key = misbehaving.self_signed_ca(tmp_path)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server = ws_servers(ssl_context=context)
    for name in ('REQUESTS_CA_BUNDLE', 'CURL_CA_BUNDLE', 'HTTPS_PROXY', 'https_proxy'):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(WebSocketError, match=r'CERTIFICATE_VERIFY_FAILED|certificate verify failed'):
        list(AgentClient(server.url, 'agent-0004').websocket_tail_job_logs('j1'))
    monkeypatch.setenv('REQUESTS_CA_BUNDLE', str(ca))
    assert list(AgentClient(server.url, 'agent-0004').websocket_tail_job_logs('j1')) == [
        'line one',
        'line two',
    ]


def test_websocket_redirect_from_wss_to_ws_is_refused(ws_servers, monkeypatch, tmp_path):
    ca, cert, key = misbehaving.self_signed_ca(tmp_path)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    plain = ws_servers()
    secure = ws_servers(ssl_context=context, redirect=plain.url.replace('http', 'ws'))
    for name in ('HTTPS_PROXY', 'https_proxy', 'HTTP_PROXY', 'http_proxy'):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv('REQUESTS_CA_BUNDLE', str(ca))
    client = AgentClient(secure.url, 'agent-0004', user_token='user-0007', tenant='tenant-0003')
    with pytest.raises(WebSocketError):
        list(client.websocket_tail_job_logs('j1', timeout=5))
    assert _leaked(secure.headers)  # the secure origin got them
    assert plain.headers == []  # the downgrade was never followed
