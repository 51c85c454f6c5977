"""Every public operation of every provider raises the storage's typed error, also after `open` returned:
a body that breaks off midway, a transfer that fails on every attempt, a connection that drops while a
stream is read, a nonsensical ``Content-Length``, an archive whose members cannot all be written.

The servers are real: loopback HTTP servers that misbehave on purpose (one of them answering as an S3
endpoint), OpenSSH sshd, real files.
"""

from __future__ import annotations

import io
import os
import tarfile
import threading
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import pytest
import synapse_storage_test_servers as servers  # registered by conftest.py
import synapse_tests_misbehaving as misbehaving  # registered by tests/conftest.py

from synapse_sdk.utils.file.archive import ArchiveError, extract_archive
from synapse_sdk.utils.storage import get_storage
from synapse_sdk.utils.storage.errors import StorageCapabilityError, StorageConnectionError, StorageError

KEY = 'data/file.bin'


def _broken_body(h: BaseHTTPRequestHandler) -> None:
    """Promise 100,000 bytes, send 10 and close: what a reset connection or a dying server looks like."""
    h.close_connection = True
    h.send_response(200)
    h.send_header('Content-Length', '100000')
    h.send_header('Content-Type', 'application/octet-stream')
    h.send_header('ETag', '"0123456789abcdef0123456789abcdef"')
    h.end_headers()
    if h.command != 'HEAD':
        h.wfile.write(b'0123456789')
        h.wfile.flush()


def _config(provider: str, url: str) -> dict[str, Any]:
    if provider == 'http':
        return {'provider': 'http', 'configuration': {'base_url': f'{url}/', 'timeout': 10}}
    pytest.importorskip('boto3')
    server = servers.S3Server(url, access_key='AKIDEXAMPLE', secret_key='PLANTED-s3-secret-8812')
    return server.config('bucket')


@pytest.mark.parametrize('provider', ['http', 's3'])
@pytest.mark.parametrize('operation', ['open', 'open-text', 'download', 'pathlib'])
def test_a_body_that_breaks_off_raises_the_typed_error(provider: str, operation: str, tmp_path: Path) -> None:
    with misbehaving.http_server() as server:
        path = '/' + KEY if provider == 'http' else f'/bucket/{KEY}'
        server.routes[path] = _broken_body
        store = get_storage(_config(provider, server.url))
        with pytest.raises(StorageError) as caught:
            if operation == 'open':
                with store.open(KEY) as stream:
                    stream.read()
            elif operation == 'open-text':
                with store.open(KEY, 'r') as stream:
                    stream.read()
            elif operation == 'download':
                store.download(KEY, tmp_path / 'out.bin')
            else:
                store.get_pathlib(KEY).read_bytes()
        store.close()
    assert isinstance(caught.value, StorageConnectionError), repr(caught.value)
    assert KEY in str(caught.value)
    assert 'PLANTED' not in str(caught.value)
    assert not (tmp_path / 'out.bin').exists()
    assert [p.name for p in tmp_path.iterdir()] == []  # no partial file left behind


def test_http_storage_reads_a_nonsensical_content_length_as_absent(tmp_path: Path) -> None:
    def bad_length(h: BaseHTTPRequestHandler) -> None:
        h.close_connection = True  # the body ends where the connection does: say so, or the client may
        h.send_response(200)  # send its next request on this connection as the server closes it (a race)
        h.send_header('Content-Length', 'twelve')
        h.send_header('Connection', 'close')
        h.end_headers()
        if h.command != 'HEAD':
            h.wfile.write(b'twelve bytes')

    with misbehaving.http_server() as server:
        server.routes['/' + KEY] = bad_length
        store = get_storage(_config('http', server.url))
        with pytest.raises(StorageCapabilityError, match='no valid Content-Length'):
            store.size(KEY)
        assert store.download(KEY, tmp_path / 'out.bin').read_bytes() == b'twelve bytes'


def _prefetch_threads() -> list[threading.Thread]:
    """paramiko's read-ahead threads (``SFTPFile.readv`` starts one per call to send its read requests)."""
    return [t for t in threading.enumerate() if t.name.endswith('(_prefetch_thread)')]


def _big_sftp_file(sftp_server: Any, name: str) -> Any:
    from synapse_sdk.utils.storage.providers import sftp as sftp_module

    root = sftp_server.root / name
    root.mkdir()
    size = 2 * sftp_module.READ_WINDOW + 1024  # more than the windows the first read requests
    (root / 'big.bin').write_bytes(os.urandom(size))
    return get_storage(sftp_server.config(root))


# A read-ahead thread still sending requests when the connection goes died with "OSError: Socket is
# closed", printed as an exception in a thread (pytest's warning, made an error here).
@pytest.mark.filterwarnings('error::pytest.PytestUnhandledThreadExceptionWarning')
def test_sftp_stream_raises_the_typed_error_when_the_connection_drops(sftp_server: Any) -> None:
    store = _big_sftp_file(sftp_server, 'drop')
    stream = store.open('big.bin')
    assert len(stream.read(1024)) == 1024
    assert _prefetch_threads() == []  # every read request of the windows in flight was sent
    store._ssh.get_transport().close()  # the connection goes away while the stream is being read
    with pytest.raises(StorageError) as caught:
        stream.read()
    assert 'big.bin' in str(caught.value)
    store.close()
    for thread in _prefetch_threads():  # (none) a crash of theirs would be reported in this test
        thread.join(timeout=30)


@pytest.mark.filterwarnings('error::pytest.PytestUnhandledThreadExceptionWarning')
def test_sftp_stream_closed_early_then_the_storage_leaves_no_read_ahead_running(sftp_server: Any) -> None:
    store = _big_sftp_file(sftp_server, 'early')
    for _ in range(5):  # each round: two windows requested, 1 KiB read, stream and connection closed
        with store.open('big.bin') as stream:
            assert len(stream.read(1024)) == 1024
        store.close()
        assert _prefetch_threads() == []
    assert store.size('big.bin') > 0  # the storage reconnects after close()


def test_an_archive_whose_members_cannot_all_be_written_raises_archive_error(tmp_path: Path) -> None:
    # A symlink and a file below the same name: the file makes 'x' a directory, the link cannot take its place.
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode='w') as tf:
        link = tarfile.TarInfo('x')
        link.type, link.linkname = tarfile.SYMTYPE, 'elsewhere'
        tf.addfile(link)
        member = tarfile.TarInfo('x/file')
        member.size = 4
        tf.addfile(member, io.BytesIO(b'data'))
    archive = tmp_path / 'conflict.tar'
    archive.write_bytes(buffer.getvalue())
    dest = tmp_path / 'dest'
    dest.mkdir()
    (dest / 'keep.txt').write_text('kept')
    with pytest.raises(ArchiveError, match=r"conflict\.tar.*'x'"):
        extract_archive(archive, dest)
    assert sorted(p.name for p in dest.iterdir()) == ['keep.txt']
