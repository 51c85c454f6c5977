"""``StoragePath``: a read-mostly ``pathlib``-like view of a remote storage.

Returned by ``get_pathlib`` for every provider but local (which returns a real ``pathlib.Path``). It is built
only on the provider's public operations, so it also works for custom providers. Paths are confined to the
storage root: joining ``..`` raises :class:`StoragePathError`.
"""

from __future__ import annotations

import io
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any, Protocol, runtime_checkable

from synapse_sdk.utils.storage.keys import dir_prefix, join_key, normalize_key
from synapse_sdk.utils.storage.protocol import StorageProtocol


@runtime_checkable
class _KnowsDirectories(Protocol):
    """A storage that answers ``is_dir`` itself (every built-in one; `StorageProtocol` does not ask for it)."""

    def is_dir(self, key: str) -> bool: ...


class StoragePath:
    """A path inside a storage: ``storage.get_pathlib('data') / 'images' / 'a.jpg'``."""

    __slots__ = ('_key', '_storage')

    def __init__(self, storage: StorageProtocol, key: str = '') -> None:
        self._storage = storage
        self._key = normalize_key(key)

    # --- pure path operations -----------------------------------------------------------------------------
    @property
    def key(self) -> str:
        """The key relative to the storage root (``''`` for the root)."""
        return self._key

    @property
    def storage(self) -> StorageProtocol:
        return self._storage

    def __truediv__(self, other: str | os.PathLike[str]) -> StoragePath:
        return StoragePath(self._storage, join_key(self._key, normalize_key(os.fspath(other))))

    def joinpath(self, *others: str | os.PathLike[str]) -> StoragePath:
        path = self
        for other in others:
            path = path / other
        return path

    @property
    def name(self) -> str:
        return self._key.rsplit('/', 1)[-1]

    @property
    def suffix(self) -> str:
        name = self.name
        index = name.rfind('.')
        return name[index:] if 0 < index < len(name) - 1 else ''

    @property
    def stem(self) -> str:
        return self.name[: len(self.name) - len(self.suffix)] if self.suffix else self.name

    @property
    def parent(self) -> StoragePath:
        return StoragePath(self._storage, self._key.rsplit('/', 1)[0] if '/' in self._key else '')

    @property
    def parts(self) -> tuple[str, ...]:
        return tuple(self._key.split('/')) if self._key else ()

    def relative_to(self, other: StoragePath) -> str:
        if other._key and not self._key.startswith(f'{other._key}/') and self._key != other._key:
            raise ValueError(f'{self._key!r} is not under {other._key!r}')
        return self._key[len(other._key) :].lstrip('/')

    def as_uri(self) -> str:
        return self._storage.get_url(self._key)

    def __str__(self) -> str:
        return f'/{self._key}'

    def __repr__(self) -> str:
        return f'StoragePath({self._storage!r}, {self._key!r})'

    def __eq__(self, other: object) -> bool:
        return isinstance(other, StoragePath) and other._storage is self._storage and other._key == self._key

    def __hash__(self) -> int:
        return hash((id(self._storage), self._key))

    def __lt__(self, other: StoragePath) -> bool:
        return self._key < other._key

    # --- queries ------------------------------------------------------------------------------------------
    def is_file(self) -> bool:
        return bool(self._key) and self._storage.exists(self._key)

    def is_dir(self) -> bool:
        if isinstance(self._storage, _KnowsDirectories):
            return self._storage.is_dir(self._key)
        # Any other `StorageProtocol` storage: a directory is the root, or a key some file lives below.
        prefix = dir_prefix(self._key)
        return not self._key or any(key.startswith(prefix) for key in self._storage.list(self._key))

    def exists(self) -> bool:
        return self.is_file() or self.is_dir()

    def iterdir(self) -> Iterator[StoragePath]:
        for key in self._storage.list(self._key, recursive=False):
            yield StoragePath(self._storage, key.rstrip('/'))

    def glob(self, pattern: str) -> Iterator[StoragePath]:
        """Paths below this one matching ``pattern`` (``*``, ``?``, ``[...]`` within a segment, ``**`` for any
        number of directories), files and the directories implied by them."""
        segments = [segment for segment in pattern.split('/') if segment not in ('', '.')]
        if not segments or '..' in segments:
            raise ValueError(f'Unacceptable glob pattern {pattern!r}')
        recursive = '**' in segments or len(segments) > 1
        candidates = self._candidates(recursive)
        regex = _compile(segments)
        for relative in sorted(candidates):
            if regex.fullmatch(relative):
                yield StoragePath(self._storage, join_key(self._key, relative))

    def rglob(self, pattern: str) -> Iterator[StoragePath]:
        return self.glob(f'**/{pattern}')

    def _candidates(self, recursive: bool) -> set[str]:
        keys = self._storage.list(self._key, recursive=recursive)
        base = len(self._key) + 1 if self._key else 0
        found: set[str] = set()
        for key in keys:
            relative = key[base:].rstrip('/')
            found.add(relative)
            if recursive:
                while '/' in relative:
                    relative = relative.rsplit('/', 1)[0]
                    found.add(relative)
        return found

    def open(self, mode: str = 'rb', encoding: str | None = None) -> IO[Any]:
        """The storage's read-only stream; ``mode='r'`` with an ``encoding`` decodes its binary stream
        (`StorageProtocol.open` takes no encoding)."""
        if mode == 'r' and encoding is not None:
            return io.TextIOWrapper(self._storage.open(self._key, 'rb'), encoding=encoding)
        return self._storage.open(self._key, mode)

    def read_bytes(self) -> bytes:
        with self._storage.open(self._key, 'rb') as stream:
            data: bytes = stream.read()
        return data

    def read_text(self, encoding: str = 'utf-8') -> str:
        return self.read_bytes().decode(encoding)

    def stat(self) -> os.stat_result:
        """Only ``st_size`` (and ``st_mode``: file or directory) are meaningful."""
        import stat as stat_module

        if self.is_file():
            return os.stat_result(
                (stat_module.S_IFREG | 0o644, 0, 0, 1, 0, 0, self._storage.size(self._key), 0, 0, 0)
            )
        if self.is_dir():
            return os.stat_result((stat_module.S_IFDIR | 0o755, 0, 0, 1, 0, 0, 0, 0, 0, 0))
        from synapse_sdk.utils.storage.errors import StorageNotFoundError

        raise StorageNotFoundError(f'{self.as_uri()} does not exist')

    def download(self, destination: str | os.PathLike[str]) -> Path:
        """Copy this file to a local ``destination``; returns the path written."""
        return self._storage.download(self._key, os.fspath(destination))


def _segment(pattern: str) -> str:
    """Translate one glob segment: ``*`` and ``?`` never cross ``/``; ``[!...]`` is a negated class."""
    out: list[str] = []
    index = 0
    while index < len(pattern):
        char = pattern[index]
        if char == '*':
            out.append('[^/]*')
        elif char == '?':
            out.append('[^/]')
        elif char == '[' and ']' in pattern[index + 2 :]:
            end = pattern.index(']', index + 2)
            body = pattern[index + 1 : end]
            if body.startswith('!'):
                body = '^' + body[1:]
            out.append('[' + body.replace('\\', '\\\\') + ']')
            index = end
        else:
            out.append(re.escape(char))
        index += 1
    return ''.join(out)


def _compile(segments: list[str]) -> re.Pattern[str]:
    """A regex for a ``/``-separated glob where ``**`` spans any number of whole segments."""
    pieces: list[str] = []
    for index, segment in enumerate(segments):
        last = index == len(segments) - 1
        if segment == '**':
            pieces.append('.*' if last else '(?:[^/]+/)*')
        else:
            pieces.append(_segment(segment) + ('' if last else '/'))
    return re.compile(''.join(pieces), re.DOTALL)


__all__ = ['StoragePath']
