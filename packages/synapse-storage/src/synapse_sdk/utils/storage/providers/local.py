"""Local filesystem provider (``local`` / ``file_system``)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from synapse_sdk.utils.storage.base import StorageMixin, partial_path
from synapse_sdk.utils.storage.errors import StorageConfigError, StorageNotFoundError, StoragePathError
from synapse_sdk.utils.storage.keys import confine_local, normalize_key
from synapse_sdk.utils.storage.protocol import StorageEntry


class LocalStorage(StorageMixin):
    """Files under a local directory ``location``. Every key is confined to it, symlinks included."""

    provider = 'local'

    def __init__(self, location: str | os.PathLike[str]) -> None:
        if not str(location):
            raise StorageConfigError("local storage: 'location' must be a non-empty directory path")
        self.root = Path(location).expanduser().resolve()
        if self.root.exists() and not self.root.is_dir():
            raise StorageConfigError(f"local storage: 'location' {str(self.root)!r} is not a directory")

    def _describe(self) -> str:
        return f'location={str(self.root)!r}'

    def _path(self, key: str) -> Path:
        return confine_local(self.root, key)

    def _upload(self, source: Path, key: str) -> None:
        target = self._path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = partial_path(target)
        try:
            shutil.copyfile(source, tmp)
            os.replace(tmp, target)
        finally:
            tmp.unlink(missing_ok=True)

    def _download_to(self, key: str, destination: Path) -> None:
        source = self._path(key)
        if not source.is_file():
            raise StorageNotFoundError(f'local storage: {key!r} does not exist under {str(self.root)!r}')
        shutil.copyfile(source, destination)

    def _exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def _url(self, key: str) -> str:
        return self._path(key).absolute().as_uri()

    def _entries(self, prefix: str, recursive: bool) -> Iterator[StorageEntry]:
        base = self._path(prefix)
        if not base.is_dir():
            return
        if not recursive:
            with os.scandir(base) as scan:
                for item in scan:
                    entry = self._entry(Path(item.path))
                    if entry is not None:
                        yield entry
            return
        for dirpath, _dirnames, filenames in os.walk(base):
            for filename in filenames:
                entry = self._entry(Path(dirpath, filename))
                if entry is not None:
                    yield entry

    def _entry(self, path: Path) -> StorageEntry | None:
        """A listing entry for ``path``, or ``None`` if it is a link leading outside the root."""
        resolved = path.resolve()
        if resolved != self.root and self.root not in resolved.parents:
            return None
        key = path.relative_to(self.root).as_posix()
        if resolved.is_dir():
            return StorageEntry(key, 0, True)
        if resolved.is_file():
            return StorageEntry(key, resolved.stat().st_size)
        return None

    def _delete(self, key: str) -> None:
        path = self._path(key)
        if path.is_dir() and not path.is_symlink():
            raise StoragePathError(f'local storage: {key!r} is a directory; delete removes files only')
        try:
            path.unlink()
        except FileNotFoundError:
            raise StorageNotFoundError(f'local storage: {key!r} does not exist') from None

    def _open(self, key: str) -> IO[bytes]:
        path = self._path(key)
        try:
            return path.open('rb')
        except FileNotFoundError:
            raise StorageNotFoundError(f'local storage: {key!r} does not exist') from None

    def _size(self, key: str) -> int:
        path = self._path(key)
        if not path.is_file():
            raise StorageNotFoundError(f'local storage: {key!r} does not exist')
        return path.stat().st_size

    def _is_dir(self, key: str) -> bool:
        return self._path(key).is_dir()

    def get_pathlib(self, path: str = '') -> Path:
        """A real :class:`pathlib.Path` under the root (as in v1). The path given is checked for confinement;
        what you build from it afterwards is ordinary ``pathlib``."""
        return self._path(normalize_key(path))


#: v1 name of :class:`LocalStorage`.
FileSystemStorage = LocalStorage

__all__ = ['FileSystemStorage', 'LocalStorage']
