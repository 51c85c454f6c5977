"""Storage providers behind one protocol: local, S3, GCS, SFTP and HTTP.

```python
from synapse_sdk.utils.storage import get_storage

storage = get_storage({'provider': 'local', 'configuration': {'location': '/data'}})
url = storage.upload(Path('/tmp/file.txt'), 'uploads/file.txt')
```

Provider classes and the plugin upload helpers are imported on first access, so importing this package stays
cheap; client libraries (boto3, google-cloud-storage, paramiko) are imported only when a provider first talks
to its server.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from synapse_sdk.utils.storage.errors import (
    StorageCapabilityError,
    StorageConfigError,
    StorageConnectionError,
    StorageError,
    StorageNotFoundError,
    StoragePathError,
    StoragePermissionError,
    StorageProviderNotFoundError,
    StorageUploadError,
)
from synapse_sdk.utils.storage.protocol import StorageEntry, StorageProtocol
from synapse_sdk.utils.storage.registry import (
    PROVIDER_ALIASES,
    get_registered_providers,
    get_storage,
    register_provider,
)

if TYPE_CHECKING:
    from synapse_sdk.utils.storage.path import StoragePath
    from synapse_sdk.utils.storage.providers.gcs import GCPStorage, GCSStorage
    from synapse_sdk.utils.storage.providers.http import HTTPStorage
    from synapse_sdk.utils.storage.providers.local import FileSystemStorage, LocalStorage
    from synapse_sdk.utils.storage.providers.s3 import S3Storage
    from synapse_sdk.utils.storage.providers.sftp import SFTPStorage
    from synapse_sdk.utils.storage.upload import (
        PluginBuildError,
        UploadResult,
        archive_and_upload,
        build_and_upload,
        download_and_upload,
    )

_LAZY = {
    'LocalStorage': 'providers.local',
    'FileSystemStorage': 'providers.local',
    'S3Storage': 'providers.s3',
    'GCSStorage': 'providers.gcs',
    'GCPStorage': 'providers.gcs',
    'SFTPStorage': 'providers.sftp',
    'HTTPStorage': 'providers.http',
    'StoragePath': 'path',
    'UploadResult': 'upload',
    'PluginBuildError': 'upload',
    'archive_and_upload': 'upload',
    'build_and_upload': 'upload',
    'download_and_upload': 'upload',
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f'module {__name__!r} has no attribute {name!r}')
    import importlib

    value = getattr(importlib.import_module(f'{__name__}.{module}'), name)
    globals()[name] = value
    return value


def get_pathlib(config: Any, path_root: str = '') -> Any:
    """A path-like object for ``path_root`` in the storage described by ``config`` (a config dict or a
    storage). Local storage gives a ``pathlib.Path``; the others a :class:`StoragePath`."""
    return get_storage(config).get_pathlib(path_root)


def get_path_file_count(config: Any, path_root: str = '') -> int:
    """Number of files below ``path_root`` (1 for a file, 0 if it does not exist)."""
    storage: StorageProtocol = get_storage(config)
    return storage.get_path_file_count(path_root)


def get_path_total_size(config: Any, path_root: str = '') -> int:
    """Total size in bytes of the files below ``path_root``."""
    storage: StorageProtocol = get_storage(config)
    return storage.get_path_total_size(path_root)


__all__ = [
    'PROVIDER_ALIASES',
    'FileSystemStorage',
    'GCPStorage',
    'GCSStorage',
    'HTTPStorage',
    'LocalStorage',
    'PluginBuildError',
    'S3Storage',
    'SFTPStorage',
    'StorageCapabilityError',
    'StorageConfigError',
    'StorageConnectionError',
    'StorageEntry',
    'StorageError',
    'StorageNotFoundError',
    'StoragePath',
    'StoragePathError',
    'StoragePermissionError',
    'StorageProtocol',
    'StorageProviderNotFoundError',
    'StorageUploadError',
    'UploadResult',
    'archive_and_upload',
    'build_and_upload',
    'download_and_upload',
    'get_path_file_count',
    'get_path_total_size',
    'get_pathlib',
    'get_registered_providers',
    'get_storage',
    'register_provider',
]
