"""HTTP storage against a server that closes a kept-alive connection as the next request arrives.

A server with a short keep-alive timeout (nginx, S3-compatible gateways) may close an idle connection
just as the client sends a request on it; the client's check of the pooled connection came too early to
notice. The loopback server here (``misbehaving.drops_kept_alive``, Python's static file server with
``PUT`` and ``DELETE``) does it every time: it answers the first request of each connection and closes
the connection when the next one arrives, without a byte of answer. A request that may be sent twice
(``GET``, ``HEAD``, ``DELETE``) is then sent again, once, on a new connection; an upload is not.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path
from typing import Any

import pytest
import synapse_storage_test_servers as servers  # registered by conftest.py
import synapse_tests_misbehaving as misbehaving  # registered by tests/conftest.py

from synapse_sdk.utils.storage import get_storage
from synapse_sdk.utils.storage.errors import StorageConnectionError

PLANTED = 'PLANTED-keepalive-secret-5521'
#: The error of a failed ``exists``/``size`` of ``seed.txt``: the action and the URL without credentials.
SEED_STAT_FAILED = r'^stat of http://\*\*\*@127\.0\.0\.1:\d+/seed\.txt: '


def _files(root: Path) -> Any:
    """The static file server (with PUT and DELETE) serving `root`."""
    return functools.partial(servers.WritableHandler, directory=str(root))


def _storage(url: str) -> Any:
    base = url.replace('http://', f'http://user:{PLANTED}@')  # credentials that must not reach an error
    return get_storage(
        {
            'provider': 'http',
            'configuration': {'base_url': f'{base}/', 'timeout': 10, 'headers': {'X-Api-Key': PLANTED}},
        }
    )


def _assert_each_drop_resent_once_on_a_new_connection(events: list[tuple[int, str, str, str]]) -> None:
    for index, (conn, method, path, outcome) in enumerate(events):
        if outcome == 'dropped':
            assert index + 1 < len(events), f'{method} {path} was not sent again after the drop: {events}'
            next_conn, next_method, next_path, next_outcome = events[index + 1]
            assert (next_method, next_path, next_outcome) == (method, path, 'answered'), events
            assert next_conn > conn, events


@pytest.mark.parametrize('how', ['close', 'reset'])
def test_every_idempotent_operation_is_answered_when_the_reused_connection_is_closed(
    tmp_path: Path, how: str
) -> None:
    root = tmp_path / 'served'
    (root / 'dir').mkdir(parents=True)
    data = os.urandom(3 * 1024 * 1024 + 17)  # several 1 MiB chunks
    (root / 'dir' / 'a.bin').write_bytes(data)
    (root / 'dir' / 'b.txt').write_text('hello')
    out = tmp_path / 'out'
    with misbehaving.drops_kept_alive(_files(root), how=how) as server:
        store = _storage(server.url)
        try:
            assert store.exists('dir/a.bin')  # HEAD: the first request of connection 1, answered
            assert store.size('dir/a.bin') == len(data)  # HEAD on connection 1: dropped, resent
            assert store.download('dir/a.bin', out / 'a.bin').read_bytes() == data  # GET
            with store.open('dir/b.txt', 'r') as stream:  # GET, streamed
                assert stream.read() == 'hello'
            assert list(store.list('dir')) == ['dir/a.bin', 'dir/b.txt']  # GET of the index, HEADs
            assert store.is_dir('dir')  # GET of the index
            store.delete('dir/b.txt', missing_ok=False)  # DELETE
        finally:
            store.close()
    assert not (root / 'dir' / 'b.txt').exists()
    assert sorted(p.name for p in out.iterdir()) == ['a.bin']  # no partial file beside it
    dropped = [event for event in server.events if event[3] == 'dropped']
    # every operation after the first met a dropped connection: the race happened each time
    assert {(method, path) for _, method, path, _ in dropped} >= {
        ('HEAD', '/dir/a.bin'),
        ('GET', '/dir/a.bin'),
        ('GET', '/dir/b.txt'),
        ('GET', '/dir/'),
        ('DELETE', '/dir/b.txt'),
    }
    _assert_each_drop_resent_once_on_a_new_connection(server.events)


def test_an_upload_that_meets_a_closed_connection_is_not_sent_again(tmp_path: Path) -> None:
    root = tmp_path / 'served'
    root.mkdir()
    (root / 'seed.txt').write_text('seed')
    source = tmp_path / 'source.bin'
    source.write_bytes(os.urandom(200_000))
    with misbehaving.drops_kept_alive(_files(root)) as server:
        store = _storage(server.url)
        try:
            assert store.exists('seed.txt')  # connection 1 answers it and is kept alive
            with pytest.raises(StorageConnectionError) as caught:
                store.upload(source, 'up/new.bin')  # PUT on connection 1: dropped
            assert server.outcomes('PUT', '/up/new.bin') == [(1, 'dropped')]  # not replayed
            assert not (root / 'up' / 'new.bin').exists()
            store.upload(source, 'up/new.bin')  # the caller may try again: a new connection
        finally:
            store.close()
    message = str(caught.value)
    assert message.startswith('upload to http://***@127.0.0.1:') and '/up/new.bin: ' in message, message
    assert PLANTED not in message and 'user' not in message
    assert caught.value.__cause__ is None and caught.value.__suppress_context__
    assert server.outcomes('PUT', '/up/new.bin') == [(1, 'dropped'), (2, 'answered')]
    assert (root / 'up' / 'new.bin').read_bytes() == source.read_bytes()


def test_a_request_that_fails_on_a_new_connection_is_not_sent_again(tmp_path: Path) -> None:
    (tmp_path / 'seed.txt').write_text('seed')
    with misbehaving.drops_kept_alive(_files(tmp_path), answers=0) as server:
        store = _storage(server.url)
        with pytest.raises(StorageConnectionError, match=SEED_STAT_FAILED):
            store.exists('seed.txt')
        store.close()
    assert server.events == [(1, 'HEAD', '/seed.txt', 'dropped')]


def test_a_resent_request_is_sent_once_only(tmp_path: Path) -> None:
    (tmp_path / 'seed.txt').write_text('seed')
    with misbehaving.drops_kept_alive(_files(tmp_path), answers=(1, 0)) as server:
        store = _storage(server.url)
        assert store.exists('seed.txt')
        with pytest.raises(StorageConnectionError, match=SEED_STAT_FAILED):
            store.size('seed.txt')
        store.close()
    assert server.outcomes('HEAD', '/seed.txt') == [(1, 'answered'), (1, 'dropped'), (2, 'dropped')]


def test_a_reused_connection_left_unanswered_times_out_within_the_timeout(tmp_path: Path) -> None:
    """A request the server received and left unanswered is not a closed connection: it times out once,
    within `timeout` (a resend with a new deadline would be answered on a new connection)."""
    (tmp_path / 'seed.txt').write_text('seed')
    with misbehaving.drops_kept_alive(_files(tmp_path), how='silent') as server:
        store = _storage(server.url)
        assert store.exists('seed.txt')  # under the default timeout: a loaded CI machine may be slow
        store.timeout = 1
        with pytest.raises(StorageConnectionError, match='timed out after 1 s'):
            store.size('seed.txt')
        store.close()
    assert server.outcomes('HEAD', '/seed.txt') == [(1, 'answered'), (1, 'dropped')]


def test_a_body_that_breaks_off_on_a_reused_connection_is_not_resent(tmp_path: Path) -> None:
    """Bytes of the answer arrived: the download fails typed, leaves no file, and is not tried again."""

    def broken_body(h: Any) -> None:
        h.close_connection = True
        h.send_response(200)
        h.send_header('Content-Length', '100000')
        h.end_headers()
        h.wfile.write(b'0123456789')

    with misbehaving.http_server() as server:
        server.routes['/seed.txt'] = lambda h: misbehaving.send(h, 200, b'seed')
        server.routes['/data.bin'] = broken_body
        store = _storage(server.url)
        assert store.exists('seed.txt')  # a kept-alive connection for the GET to reuse
        with pytest.raises(StorageConnectionError, match='broke off in the middle of the body'):
            store.download('data.bin', tmp_path / 'out' / 'data.bin')
        store.close()
    assert [(method, path) for method, path, _ in server.requests] == [
        ('HEAD', '/seed.txt'),
        ('GET', '/data.bin'),
    ]
    assert list((tmp_path / 'out').iterdir()) == []
