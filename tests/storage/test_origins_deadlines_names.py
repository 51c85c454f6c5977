"""HTTP storage and the download helper keep configured headers at their origin and hold their deadlines
(two real loopback servers, one dripping); legal long names work and illegal ones raise typed errors."""

from __future__ import annotations

import time

import pytest
import synapse_tests_misbehaving as misbehaving  # registered by tests/conftest.py

from synapse_sdk.utils.storage import get_storage
from synapse_sdk.utils.storage.errors import StorageConnectionError, StorageError, StoragePathError
from synapse_sdk.utils.storage.upload import download_and_upload

HEADERS = {'X-Api-Key': 'key-0001-secret', 'Authorization': 'Bearer bearer-0002', 'X-Custom': 'custom-0003'}


def _leaked(headers: list[dict[str, str]]) -> list[str]:
    return [v for h in headers for v in h.values() for s in HEADERS.values() if s in v]


@pytest.fixture
def two_origins():
    with misbehaving.http_server() as home, misbehaving.http_server() as elsewhere:
        yield home, elsewhere


def test_http_storage_headers_never_follow_a_redirect_to_another_origin(two_origins, tmp_path):
    home, elsewhere = two_origins
    home.routes['/files/a.bin'] = misbehaving.redirect_to(f'{elsewhere.url}/cdn/a.bin')
    elsewhere.routes['/cdn/a.bin'] = lambda h: misbehaving.send(h, 200, b'payload-a')
    home.routes['/files/b.bin'] = misbehaving.redirect_to('/files/real-b.bin', 307)
    home.routes['/files/real-b.bin'] = lambda h: misbehaving.send(h, 200, b'payload-b')
    storage = get_storage(
        {'provider': 'http', 'configuration': {'base_url': f'{home.url}/files/', 'headers': HEADERS}}
    )

    assert storage.download('a.bin', tmp_path / 'a.bin').read_bytes() == b'payload-a'
    assert _leaked(elsewhere.headers_seen('/cdn/a.bin')) == []
    assert storage.download('b.bin', tmp_path / 'b.bin').read_bytes() == b'payload-b'
    assert len(_leaked(home.headers_seen('/files/real-b.bin'))) == 3  # same origin: all kept


def test_http_storage_stats_a_file_served_from_another_origin(two_origins, tmp_path):
    # exists() and size() follow a file's redirect as download() does (they said "missing" before),
    # without the configured headers; the server's redirect of a directory to ``key/`` stays a directory.
    home, elsewhere = two_origins
    home.routes['/files/a.bin'] = misbehaving.redirect_to(f'{elsewhere.url}/cdn/a.bin')
    elsewhere.routes['/cdn/a.bin'] = lambda h: misbehaving.send(h, 200, b'payload-a')
    home.routes['/files/sub'] = misbehaving.redirect_to('/files/sub/', 301)
    storage = get_storage(
        {'provider': 'http', 'configuration': {'base_url': f'{home.url}/files/', 'headers': HEADERS}}
    )
    assert storage.exists('a.bin')
    assert storage.size('a.bin') == len(b'payload-a')
    assert not storage.exists('sub')
    assert len(elsewhere.headers_seen('/cdn/a.bin')) == 2
    assert _leaked(elsewhere.headers_seen('/cdn/a.bin')) == []


def test_download_helper_headers_never_follow_a_redirect_to_another_origin(two_origins, tmp_path):
    home, elsewhere = two_origins
    home.routes['/release/plugin.zip'] = misbehaving.redirect_to(f'{elsewhere.url}/signed/plugin.zip?sig=abc')
    elsewhere.routes['/signed/plugin.zip'] = lambda h: misbehaving.send(h, 200, b'PK-not-really')
    result = download_and_upload(
        f'{home.url}/release/plugin.zip',
        {'provider': 'local', 'configuration': {'location': str(tmp_path)}},
        headers=HEADERS,
    )
    assert (tmp_path / result.key).read_bytes() == b'PK-not-really'
    assert _leaked(home.headers_seen('/release/plugin.zip'))
    assert _leaked(elsewhere.headers_seen('/signed/plugin.zip')) == []


def test_http_storage_timeout_holds_against_dripping_response_headers(two_origins, tmp_path):
    home, _ = two_origins
    home.routes['/files/slow.bin'] = misbehaving.drip(
        b'HTTP/1.1 200 OK\r\nContent-Length: 4\r\nX-Padding: ' + b'p' * 40 + b'\r\n\r\nslow', every=0.15
    )
    storage = get_storage(
        {'provider': 'http', 'configuration': {'base_url': f'{home.url}/files/', 'timeout': 1}}
    )
    started = time.monotonic()
    with pytest.raises(StorageConnectionError, match=r'slow\.bin: timed out after 1 s'):
        storage.download('slow.bin', tmp_path / 'slow.bin')
    assert time.monotonic() - started < 6  # the server would have taken ~12 s
    assert list(tmp_path.iterdir()) == []  # no partial file left


def test_http_storage_timeout_is_the_idle_deadline_of_a_download_body(two_origins, tmp_path):
    home, _ = two_origins

    def stall(h):  # headers and a few bytes, then silence
        h.close_connection = True
        h.wfile.write(b'HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nfirst-bytes')
        h.wfile.flush()
        time.sleep(8)

    home.routes['/files/stalled.bin'] = stall
    storage = get_storage(
        {'provider': 'http', 'configuration': {'base_url': f'{home.url}/files/', 'timeout': 1}}
    )
    started = time.monotonic()
    with pytest.raises(StorageConnectionError, match=r'stalled\.bin'):
        storage.download('stalled.bin', tmp_path / 'stalled.bin')
    assert time.monotonic() - started < 6  # the server would have stalled for 8 s
    assert list(tmp_path.iterdir()) == []  # no partial file left


@pytest.mark.parametrize('name', ['n' * 255, 'n' * 233 + '.bin', 'é' * 127])  # 255, 237, 254 bytes
def test_legal_long_names_upload_and_download(tmp_path, name):
    root, out = tmp_path / 'root', tmp_path / 'out'
    source = tmp_path / 'src.bin'
    source.write_bytes(b'long name')
    storage = get_storage({'provider': 'local', 'configuration': {'location': str(root)}})
    storage.upload(source, f'dir/{name}')
    assert storage.exists(f'dir/{name}') and storage.size(f'dir/{name}') == 9
    assert storage.download(f'dir/{name}', out / name).read_bytes() == b'long name'
    assert sorted(p.name for p in out.iterdir()) == [name]  # no temporary file left


def test_an_archive_written_to_a_255_byte_name(tmp_path):
    from synapse_sdk.utils.file import create_archive

    (tmp_path / 'src').mkdir()
    (tmp_path / 'src' / 'a.txt').write_text('a')
    dest = tmp_path / 'out' / ('a' * 251 + '.zip')
    assert create_archive(tmp_path / 'src', dest) == dest.absolute()
    assert [p.name for p in dest.parent.iterdir()] == [dest.name]  # no temporary name left


def test_http_download_to_a_255_character_name(two_origins, tmp_path):
    home, _ = two_origins
    home.routes['/files/x'] = lambda h: misbehaving.send(h, 200, b'xx')
    storage = get_storage({'provider': 'http', 'configuration': {'base_url': f'{home.url}/files/'}})
    assert storage.download('x', tmp_path / ('y' * 255)).read_bytes() == b'xx'


def test_illegal_names_raise_the_typed_error_naming_the_key(tmp_path):
    source = tmp_path / 'src.bin'
    source.write_bytes(b'x')
    storage = get_storage({'provider': 'local', 'configuration': {'location': str(tmp_path / 'root')}})
    key = 'dir/' + 'k' * 300
    calls = {
        'upload': lambda: storage.upload(source, key),
        'download': lambda: storage.download(key, tmp_path / 'out'),
        'download-to-long-name': lambda: storage.download('dir/ok', tmp_path / ('d' * 300)),
        'exists': lambda: storage.exists(key),
        'size': lambda: storage.size(key),
        'open': lambda: storage.open(key),
        'is_dir': lambda: storage.is_dir(key),
        'delete': lambda: storage.delete(key, missing_ok=False),
        'list': lambda: list(storage.list(key)),
        'get_path_file_count': lambda: storage.get_path_file_count(key),
    }
    storage.upload(source, 'dir/ok')
    for what, call in calls.items():
        with pytest.raises(StorageError) as caught:
            call()
        assert isinstance(caught.value, StoragePathError), what
        assert ('k' * 300 in str(caught.value)) or what == 'download-to-long-name', what
