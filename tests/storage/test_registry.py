"""Provider registry, custom providers and missing-bucket errors."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from synapse_sdk.utils.storage import (
    StorageConfigError,
    StorageNotFoundError,
    StorageProtocol,
    get_registered_providers,
    get_storage,
    register_provider,
)


class MemoryStorage:
    """A complete user-defined storage, with no base class."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.files: dict[str, bytes] = {}

    def upload(self, source: Path, target: str) -> str:
        self.files[target] = Path(source).read_bytes()
        return self.get_url(target)

    def download(self, key: str, destination: Path) -> Path:
        Path(destination).write_bytes(self.files[key])
        return Path(destination)

    def exists(self, key: str) -> bool:
        return key in self.files

    def get_url(self, key: str) -> str:
        return f'memory://{self.name}/{key}'

    def list(self, prefix: str = '', *, recursive: bool = True) -> Any:
        return iter(sorted(k for k in self.files if k.startswith(prefix)))

    def delete(self, key: str, *, missing_ok: bool = True) -> None:
        self.files.pop(key, None)

    def open(self, key: str, mode: str = 'rb') -> Any:
        import io

        return io.BytesIO(self.files[key])

    def size(self, key: str) -> int:
        return len(self.files[key])

    def get_pathlib(self, path: str = '') -> Any:
        from synapse_sdk.utils.storage import StoragePath

        return StoragePath(self, path)

    def get_path_file_count(self, path: str = '') -> int:
        return sum(1 for _ in self.list(path))

    def get_path_total_size(self, path: str = '') -> int:
        return sum(self.size(k) for k in self.list(path))


def test_custom_provider_registration(tmp_path: Path) -> None:
    register_provider('memory-test', MemoryStorage)
    assert 'memory-test' in get_registered_providers()
    storage = get_storage({'provider': 'memory-test', 'configuration': {'name': 'm'}})
    assert isinstance(storage, MemoryStorage)
    assert isinstance(storage, StorageProtocol)
    assert get_storage(storage) is storage  # a storage object passes through
    source = tmp_path / 'a.txt'
    source.write_text('abc')
    assert storage.upload(source, 'x/a.txt') == 'memory://m/x/a.txt'
    with pytest.raises(StorageConfigError, match="missing 'name'"):
        get_storage({'provider': 'memory-test', 'configuration': {}})
    with pytest.raises(StorageConfigError, match='built in'):
        register_provider('s3', MemoryStorage)


def test_partial_storage_is_not_protocol_but_accepted_by_get_storage() -> None:
    class UploadOnly:
        def upload(self, source: Path, target: str) -> str:
            return target

    assert not isinstance(UploadOnly(), StorageProtocol)
    only = UploadOnly()
    assert get_storage(only) is only


@pytest.mark.integration
def test_missing_bucket_is_reported_as_such(s3_server: Any, gcs_server: Any, tmp_path: Path) -> None:
    source = tmp_path / 'a.txt'
    source.write_text('abc')
    for config in (s3_server.config('no-such-bucket'), gcs_server.config('no-such-bucket')):
        storage = get_storage(config)
        with pytest.raises(StorageNotFoundError, match="bucket 'no-such-bucket' does not exist"):
            storage.upload(source, 'a.txt')


def test_storage_path_over_a_custom_provider_without_is_dir(tmp_path: Path) -> None:
    """`StoragePath` needs only `StorageProtocol`: directories come from listings, text from binary reads."""
    storage = MemoryStorage('m')
    storage.files = {'data/a.txt': 'é'.encode('latin-1'), 'data/sub/b.txt': b'b', 'database.txt': b'x'}
    assert not hasattr(storage, 'is_dir')
    root = storage.get_pathlib('')
    assert root.is_dir() and root.exists()
    data = root / 'data'
    assert data.is_dir() and data.exists() and not data.is_file()
    assert (data / 'sub').is_dir()
    assert not (root / 'nothing').exists() and not (root / 'nothing').is_dir()
    assert not (root / 'dat').is_dir()  # a key prefix is not a directory
    text = data / 'a.txt'
    assert text.is_file() and text.exists() and not text.is_dir()
    assert text.stat().st_size == 1
    import stat

    assert stat.S_ISDIR(data.stat().st_mode)
    with pytest.raises(StorageNotFoundError):
        (root / 'nothing').stat()
    with text.open('r', encoding='latin-1') as fh:
        assert fh.read() == 'é'
