"""GCS downloads refuse a body that does not match the digests the server sent in ``x-goog-hash``.

The object lives in the real GCS emulator; a small stdlib proxy in front of it passes every request
through and, for media downloads, may flip the body's first byte and may keep only the ``md5=`` digest
of ``x-goog-hash`` (as an emulator, a proxy or some endpoints answer); in metadata it points the object's
``mediaLink`` back at itself, so reads that follow it (``open``) pass through it too. google-cloud-storage
checks only one digest (CRC32C when its C extension is installed) and skipped the check when that one was
absent, so a corrupted body with an MD5 alone used to be accepted; it checks no ranged read (``open``) at all.
"""

from __future__ import annotations

import base64
import hashlib
import http.client
import http.server
import threading
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from synapse_sdk.utils.storage import get_storage
from synapse_sdk.utils.storage.errors import StorageError

BODY = b'labelled frame\n' * 200


@contextmanager
def tampering_proxy(upstream: str, *, corrupt: bool, md5_only: bool) -> Iterator[str]:
    target = urllib.parse.urlparse(upstream)

    class Proxy(http.server.BaseHTTPRequestHandler):
        protocol_version = 'HTTP/1.1'

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def do_GET(self) -> None:
            conn = http.client.HTTPConnection(target.hostname, target.port, timeout=10)
            headers = {k: v for k, v in self.headers.items() if k.lower() not in ('host', 'accept-encoding')}
            conn.request('GET', self.path, headers=headers)
            answer = conn.getresponse()
            body = answer.read()
            kept = [
                (k, v)
                for k, v in answer.getheaders()
                if k.lower() not in ('content-length', 'transfer-encoding', 'connection')
            ]
            if 'alt=media' not in self.path:  # metadata: its mediaLink must lead back through the proxy
                body = body.replace(
                    target.netloc.encode(), f'127.0.0.1:{self.server.server_address[1]}'.encode()
                )
            if 'alt=media' in self.path:
                if 'range' not in {k.lower() for k in self.headers}:  # (the emulator sends none for a range)
                    assert any(k.lower() == 'x-goog-hash' for k, _ in kept)  # the emulator sends both digests
                if corrupt and body:  # (a range past the end has none)
                    body = bytes([body[0] ^ 0xFF]) + body[1:]
                if md5_only:
                    kept = [
                        (k, ','.join(d for d in v.split(',') if d.startswith('md5=')))
                        if k.lower() == 'x-goog-hash'
                        else (k, v)
                        for k, v in kept
                    ]
            self.send_response(answer.status)
            for k, v in kept:
                self.send_header(k, v)
            self.send_header('Content-Length', str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = http.server.ThreadingHTTPServer(('127.0.0.1', 0), Proxy)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, kwargs={'poll_interval': 0.05}, daemon=True).start()
    try:
        yield f'http://127.0.0.1:{server.server_address[1]}'
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope='module')
def bucket(gcs_server: Any) -> str:
    name = 'checksums-bucket'
    blob = gcs_server.client().create_bucket(name).blob('frames/a.bin')
    blob.upload_from_string(BODY)
    blob.reload()  # the emulator's own MD5 of what it stores: the digest it will send
    assert blob.md5_hash == base64.b64encode(hashlib.md5(BODY).digest()).decode()
    return name


def _storage(endpoint: str, bucket: str) -> Any:
    return get_storage(
        {
            'provider': 'gcs',
            'configuration': {'bucket_name': bucket, 'project': 'test', 'endpoint_url': endpoint},
        }
    )


@pytest.mark.parametrize('md5_only', [False, True], ids=['crc32c_and_md5', 'md5_only'])
def test_a_corrupted_body_is_a_storage_error_naming_the_key_and_leaves_nothing(
    gcs_server, bucket, tmp_path, md5_only
):
    pattern = rf'download of gs://{bucket}/frames/a\.bin failed: .*checksum'
    with (
        tampering_proxy(gcs_server.endpoint_url, corrupt=True, md5_only=md5_only) as endpoint,
        pytest.raises(StorageError, match=pattern),
    ):
        _storage(endpoint, bucket).download('frames/a.bin', tmp_path / 'a.bin')
    assert list(tmp_path.iterdir()) == []  # neither the file nor its partial download


@pytest.mark.parametrize('md5_only', [False, True], ids=['crc32c_and_md5', 'md5_only'])
def test_an_intact_body_is_accepted(gcs_server, bucket, tmp_path, md5_only):
    with tampering_proxy(gcs_server.endpoint_url, corrupt=False, md5_only=md5_only) as endpoint:
        path = _storage(endpoint, bucket).download('frames/a.bin', tmp_path / 'a.bin')
    assert path.read_bytes() == BODY
    assert list(tmp_path.iterdir()) == [path]


# `open()` reads in ranged requests, which google-cloud-storage never checks; the SDK checks the whole
# body against the object's digest when a read reaches its end.
@pytest.mark.parametrize('mode', ['rb', 'r'])
def test_open_read_to_the_end_refuses_a_corrupted_body_naming_the_key(gcs_server, bucket, mode):
    with tampering_proxy(gcs_server.endpoint_url, corrupt=True, md5_only=False) as endpoint:
        stream = _storage(endpoint, bucket).open(
            'frames/a.bin', mode, encoding='latin-1' if mode == 'r' else None
        )
        with (
            stream,
            pytest.raises(StorageError, match=rf'read of gs://{bucket}/frames/a\.bin failed: .*checksum'),
        ):
            stream.read()


def test_open_read_in_pieces_to_the_end_accepts_an_intact_body(gcs_server, bucket):
    with (
        tampering_proxy(gcs_server.endpoint_url, corrupt=False, md5_only=False) as endpoint,
        _storage(endpoint, bucket).open('frames/a.bin') as stream,
    ):
        pieces = iter(lambda: stream.read(777), b'')
        assert b''.join(pieces) == BODY
        assert stream.read() == b''  # past the end: still no error


def test_open_read_stopped_before_the_end_is_not_checked(gcs_server, bucket):
    # What the docs promise and no more: a stream closed before its end was never compared.
    with (
        tampering_proxy(gcs_server.endpoint_url, corrupt=True, md5_only=False) as endpoint,
        _storage(endpoint, bucket).open('frames/a.bin') as stream,
    ):
        assert stream.read(5) == bytes([BODY[0] ^ 0xFF]) + BODY[1:5]
