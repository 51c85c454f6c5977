"""One suite, every provider: local, S3 (moto server), GCS (emulator), SFTP (OpenSSH) and HTTP (a real server)."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest

from synapse_sdk.utils.storage import (
    StorageNotFoundError,
    StoragePath,
    StoragePathError,
    StorageProtocol,
    get_path_file_count,
    get_path_total_size,
    get_pathlib,
    get_storage,
)

pytestmark = pytest.mark.integration

URL_SCHEMES = {'local': 'file://', 's3': 's3://', 'gcs': 'gs://', 'sftp': 'sftp://', 'http': 'http://'}


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open('rb') as stream:
        for chunk in iter(lambda: stream.read(1 << 20), b''):
            digest.update(chunk)
    return digest.hexdigest()


def populate(case: Any) -> None:
    case.seed('data/a.txt', b'alpha')
    case.seed('data/b.json', b'{"b": 2}')
    case.seed('data/sub/c.txt', b'gamma!')
    case.seed('data/sub/deep/d.bin', b'\x00\x01\x02')
    case.seed('other.txt', b'x')


def test_satisfies_protocol(storage: Any) -> None:
    assert isinstance(storage, StorageProtocol)


def test_upload_returns_url_and_object_exists(case: Any, storage: Any, tmp_path: Path) -> None:
    source = tmp_path / 'file.txt'
    source.write_text('hello storage')
    url = storage.upload(source, 'uploads/file.txt')
    assert url.startswith(URL_SCHEMES[case.name])
    assert url.endswith('uploads/file.txt')
    assert url == storage.get_url('uploads/file.txt')
    assert storage.exists('uploads/file.txt')
    assert not storage.exists('uploads/missing.txt')
    assert not storage.exists('uploads')  # a directory is not a file
    assert storage.size('uploads/file.txt') == len('hello storage')


def test_upload_overwrites(storage: Any, tmp_path: Path) -> None:
    source = tmp_path / 'v.txt'
    source.write_text('one')
    storage.upload(source, 'v.txt')
    source.write_text('second version')
    storage.upload(source, 'v.txt')
    with storage.open('v.txt') as stream:
        assert stream.read() == b'second version'


def test_download_atomic_and_into_directory(case: Any, storage: Any, tmp_path: Path) -> None:
    case.seed('dir/report.csv', b'a,b\n1,2\n')
    target = storage.download('dir/report.csv', tmp_path / 'out' / 'r.csv')
    assert target == tmp_path / 'out' / 'r.csv'
    assert target.read_bytes() == b'a,b\n1,2\n'
    into_dir = storage.download('dir/report.csv', tmp_path)
    assert into_dir == tmp_path / 'report.csv'
    with pytest.raises(StorageNotFoundError):
        storage.download('dir/missing.csv', tmp_path / 'missing.csv')
    assert not (tmp_path / 'missing.csv').exists()
    assert not [p for p in tmp_path.rglob('*.part')]  # no partial file left behind


def test_list_and_iteration(case: Any, storage: Any) -> None:
    populate(case)
    assert list(storage.list('data')) == [
        'data/a.txt',
        'data/b.json',
        'data/sub/c.txt',
        'data/sub/deep/d.bin',
    ]
    assert list(storage.list('/data/sub/')) == ['data/sub/c.txt', 'data/sub/deep/d.bin']
    assert list(storage.list('data', recursive=False)) == ['data/a.txt', 'data/b.json', 'data/sub/']
    assert sorted(storage) == [
        'data/a.txt',
        'data/b.json',
        'data/sub/c.txt',
        'data/sub/deep/d.bin',
        'other.txt',
    ]
    assert list(storage.list('nothing-here')) == []
    sizes = {entry.key: entry.size for entry in storage.entries('data/sub')}
    assert sizes == {'data/sub/c.txt': 6, 'data/sub/deep/d.bin': 3}


def test_delete(case: Any, storage: Any) -> None:
    case.seed('trash/x.bin', b'123')
    storage.delete('trash/x.bin')
    assert not storage.exists('trash/x.bin')
    storage.delete('trash/x.bin')  # missing is fine by default (rollback-friendly)
    with pytest.raises(StorageNotFoundError):
        storage.delete('trash/x.bin', missing_ok=False)


def test_open_streams_binary_and_text(case: Any, storage: Any) -> None:
    case.seed('t/lines.txt', 'first\nsecond ü\n'.encode())
    with storage.open('t/lines.txt') as stream:
        assert stream.read(5) == b'first'
        assert stream.read() == '\nsecond ü\n'.encode()
    with storage.open('t/lines.txt', 'r') as text:
        assert text.readlines() == ['first\n', 'second ü\n']
    with pytest.raises(StorageNotFoundError):
        storage.open('t/none.txt')
    with pytest.raises(ValueError, match='read-only'):
        storage.open('t/lines.txt', 'wb')


def test_size_of_missing_key(storage: Any) -> None:
    with pytest.raises(StorageNotFoundError):
        storage.size('nope.bin')


def test_pathlib_operations(case: Any) -> None:
    populate(case)
    root = get_pathlib(case.config, '/data')
    assert root.is_dir() and root.exists() and not root.is_file()
    assert (root / 'a.txt').is_file()
    assert (root / 'a.txt').read_bytes() == b'alpha'
    assert (root / 'sub' / 'c.txt').stat().st_size == 6
    assert (root / 'missing').exists() is False
    with (root / 'b.json').open('rb') as stream:
        assert stream.read() == b'{"b": 2}'

    def rel(paths: Any) -> list[str]:
        return sorted(Path(str(p)).relative_to(Path(str(root))).as_posix() for p in paths)

    assert rel(root.iterdir()) == ['a.txt', 'b.json', 'sub']
    assert rel(root.glob('*.txt')) == ['a.txt']
    assert rel(root.rglob('*.txt')) == ['a.txt', 'sub/c.txt']
    assert rel(root.glob('sub/**/*.bin')) == ['sub/deep/d.bin']
    assert rel(p for p in root.rglob('*') if p.is_file()) == [
        'a.txt',
        'b.json',
        'sub/c.txt',
        'sub/deep/d.bin',
    ]
    if case.name != 'local':
        assert isinstance(root, StoragePath)


def test_file_count_and_total_size(case: Any) -> None:
    populate(case)
    assert get_path_file_count(case.config, '/data') == 4
    assert get_path_total_size(case.config, '/data') == 5 + 8 + 6 + 3
    assert get_path_file_count(case.config, 'data/a.txt') == 1
    assert get_path_total_size(case.config, 'data/a.txt') == 5
    assert get_path_file_count(case.config, '/missing') == 0
    assert get_path_total_size(case.config, '') == 5 + 8 + 6 + 3 + 1


def test_large_file_round_trip(case: Any, storage: Any, big_file: Path, tmp_path: Path) -> None:
    """50 MB through upload and download, streamed (multipart / resumable / chunked), checksums equal."""
    storage.upload(big_file, 'big/blob.bin')
    assert storage.size('big/blob.bin') == big_file.stat().st_size
    back = storage.download('big/blob.bin', tmp_path / 'back.bin')
    assert sha256(back) == sha256(big_file)
    digest = hashlib.sha256()
    with storage.open('big/blob.bin') as stream:
        for chunk in iter(lambda: stream.read(4 << 20), b''):
            digest.update(chunk)
    assert digest.hexdigest() == sha256(big_file)


def test_get_storage_aliases_map_to_same_class(case: Any) -> None:
    aliases = {
        'local': ['file_system'],
        's3': ['amazon_s3', 'minio'],
        'gcs': ['gs', 'gcp'],
        'sftp': [],
        'http': ['https'],
    }[case.name]
    base = get_storage(case.config)
    for alias in aliases:
        assert type(get_storage({**case.config, 'provider': alias})) is type(base)


@pytest.mark.parametrize('provider', ['local', 'sftp', 'http'])
def test_streaming_keeps_memory_bounded(
    provider_factory: Any, provider: str, big_file: Path, tmp_path: Path
) -> None:
    """Upload, download and open never hold the 50 MB file in memory (S3 and GCS hold at most their client
    library's chunks in flight, which those libraries bound). Typical peaks are 1-14 MB; the bound leaves room
    for a loaded machine, where paramiko's threads lag behind, while still catching a whole-file read."""
    import tracemalloc

    storage = get_storage(provider_factory(provider).config)
    storage.exists('warm-up')  # connect before measuring
    tracemalloc.start()
    try:
        storage.upload(big_file, 'mem/blob.bin')
        storage.download('mem/blob.bin', tmp_path / 'back.bin')
        with storage.open('mem/blob.bin') as stream:
            while stream.read(1 << 20):
                pass
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
        storage.close()
    assert peak < 32 * 1024 * 1024, f'{provider}: peak {peak / 1e6:.1f} MB of Python allocations'


def test_upload_of_missing_source(storage: Any, tmp_path: Path) -> None:
    with pytest.raises(StorageNotFoundError, match='not an existing file'):
        storage.upload(tmp_path / 'missing.bin', 'k.bin')
    assert not storage.exists('k.bin')


def test_s3_presigned_url_serves_the_object(provider_factory: Any, tmp_path: Path) -> None:
    import requests

    case = provider_factory('s3')
    case.seed('shared/report.txt', b'presigned content')
    storage = get_storage(case.config)
    url = storage.get_presigned_url('shared/report.txt', expires_in=600)
    assert url.startswith('http://127.0.0.1') and 'X-Amz-Signature' in url
    assert requests.get(url, timeout=10).content == b'presigned content'
    source = tmp_path / 'up.txt'
    source.write_text('via presigned PUT')
    put_url = storage.get_presigned_url('shared/up.txt', method='put_object')
    assert requests.put(put_url, data=source.read_bytes(), timeout=10).status_code == 200
    assert storage.open('shared/up.txt').read() == b'via presigned PUT'


def test_storage_survives_pickling(case: Any, storage: Any) -> None:
    """A storage can be sent to another process (a Ray task): connections are rebuilt on arrival."""
    import pickle

    case.seed('p/a.txt', b'pickled')
    assert storage.exists('p/a.txt')  # connected before pickling
    clone = pickle.loads(pickle.dumps(storage))
    assert repr(clone) == repr(storage)
    assert clone.exists('p/a.txt')
    with clone.open('p/a.txt') as stream:
        assert stream.read() == b'pickled'
    clone.close()


def test_empty_file_round_trip(storage: Any, tmp_path: Path) -> None:
    empty = tmp_path / 'empty.bin'
    empty.write_bytes(b'')
    storage.upload(empty, 'e/empty.bin')
    assert storage.exists('e/empty.bin') and storage.size('e/empty.bin') == 0
    assert storage.download('e/empty.bin', tmp_path / 'back.bin').read_bytes() == b''
    with storage.open('e/empty.bin') as stream:
        assert stream.read() == b''


def test_keys_with_spaces_and_unicode(storage: Any, tmp_path: Path) -> None:
    source = tmp_path / 'src.txt'
    source.write_text('ünïcode')
    key = 'dir with space/naïve file (1).txt'  # no '#': the GCS emulator's mediaLink leaves it unescaped
    storage.upload(source, key)
    assert storage.exists(key)
    assert list(storage.list('dir with space')) == [key]
    with storage.open(key, 'r') as text:
        assert text.read() == 'ünïcode'
    storage.delete(key)
    assert not storage.exists(key)


@pytest.mark.parametrize('name', ['n' * 255, 'é' * 127], ids=['255-ascii', '254-bytes-utf8'])
def test_legal_long_names_round_trip(storage: Any, tmp_path: Path, name: str) -> None:
    """A name of 255 bytes (the ext4 limit) uploads and downloads; no temporary name is left behind."""
    source = tmp_path / 'src.bin'
    source.write_bytes(b'long name')
    key = f'long/{name}'
    storage.upload(source, key)
    assert storage.exists(key) and list(storage.list('long')) == [key]
    out = tmp_path / 'out'
    assert storage.download(key, out / name).read_bytes() == b'long name'
    assert [p.name for p in out.iterdir()] == [name]


def test_a_local_name_too_long_is_a_typed_error_naming_the_key(
    case: Any, storage: Any, tmp_path: Path
) -> None:
    case.seed('short.txt', b'x')
    with pytest.raises(StoragePathError) as caught:
        storage.download('short.txt', tmp_path / ('d' * 300))
    assert 'short.txt' in str(caught.value) and 'too long' in str(caught.value)
    assert list(tmp_path.iterdir()) == []
