"""The structural interface every storage provider satisfies.

Custom providers do not subclass anything: any object with these methods is a storage (``isinstance(obj,
StorageProtocol)`` checks the method names at runtime). The helpers in this package that only need to store
files (``archive_and_upload`` and friends) use just ``upload``, ``exists`` and ``get_url``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Protocol, runtime_checkable


@dataclass(frozen=True)
class StorageEntry:
    """One listing result: a file (object) or, in non-recursive listings, a sub-directory."""

    key: str
    size: int = 0
    is_dir: bool = False

    @property
    def name(self) -> str:
        return self.key.rsplit('/', 1)[-1]


@runtime_checkable
class StorageProtocol(Protocol):
    """Operations shared by every provider. Keys are relative to the configured root (see ``keys``)."""

    def upload(self, source: str | Path, target: str) -> str:
        """Copy the local file ``source`` to ``target`` (streamed) and return its URL."""
        ...

    def download(self, key: str, destination: str | Path) -> Path:
        """Copy ``key`` to the local path ``destination`` (written atomically) and return that path."""
        ...

    def exists(self, key: str) -> bool:
        """Whether a file (object) exists at ``key``."""
        ...

    def get_url(self, key: str) -> str:
        """The provider URL of ``key`` (``file://``, ``s3://``, ``gs://``, ``sftp://``, ``http(s)://``)."""
        ...

    def list(self, prefix: str = '', *, recursive: bool = True) -> Iterator[str]:
        """Keys of the files under ``prefix`` (a directory key), sorted."""
        ...

    def delete(self, key: str, *, missing_ok: bool = True) -> None:
        """Delete the file at ``key``."""
        ...

    def open(self, key: str, mode: str = 'rb') -> IO[Any]:
        """A streaming, read-only file object for ``key`` (``'rb'`` or ``'r'``)."""
        ...

    def size(self, key: str) -> int:
        """Size of ``key`` in bytes."""
        ...

    def get_pathlib(self, path: str = '') -> Any:
        """A path-like object for ``path`` (``pathlib.Path`` for local storage, ``StoragePath`` otherwise)."""
        ...

    def get_path_file_count(self, path: str = '') -> int:
        """Number of files under ``path`` (1 if it is a file, 0 if it does not exist)."""
        ...

    def get_path_total_size(self, path: str = '') -> int:
        """Total size in bytes of the files under ``path``."""
        ...


__all__ = ['StorageEntry', 'StorageProtocol']
