"""Behaviour shared by the built-in providers.

Providers implement a handful of primitives on normalised keys (``_upload``, ``_download_to``, ``_exists``,
``_url``, ``_entries``, ``_delete``, ``_open``, ``_size``, ``_is_dir``); this mixin turns them into the public
``StorageProtocol`` methods, so key confinement, atomic downloads, text mode and the path helpers are written
once. It is an implementation detail: custom providers implement ``StorageProtocol`` directly.
"""

from __future__ import annotations

import contextlib
import errno
import io
import os
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import IO, Any

from synapse_sdk.utils.storage.errors import (
    StorageConfigError,
    StorageError,
    StorageNotFoundError,
    StoragePathError,
    StoragePermissionError,
)
from synapse_sdk.utils.storage.keys import normalize_key
from synapse_sdk.utils.storage.protocol import StorageEntry

#: Chunk size used when a provider copies streams itself.
CHUNK_SIZE = 1024 * 1024


def partial_path(target: Path) -> Path:
    """An unused, unpredictable name next to ``target`` for writing it before an atomic rename.

    ``.<name>.<16 hex>.part`` (`partial_name`), fitting the name limit of the directory's file system.
    The file is *not* created here: writers create it. Pre-creating it (``mkstemp``) and then reopening
    it with truncation, or renaming over it, makes ext4 (``auto_da_alloc``) flush the data on close,
    which halved large-file throughput.
    """
    return target.with_name(partial_name(target.name, _name_max(target.parent)))


def partial_name(name: str, name_max: int = 255) -> str:
    """``.<name>.<16 hex>.part``, with ``<name>`` shortened (on a character boundary) so that the whole
    is at most `name_max` bytes: a 255-byte name is legal on ext4, and its temporary name must be too
    (local files, and remote ones such as an SFTP upload's)."""
    suffix = f'.{uuid.uuid4().hex[:16]}.part'
    room = name_max - len(suffix.encode()) - 1
    encoded = os.fsencode(name)
    if len(encoded) > room:
        name = encoded[: max(room, 0)].decode('utf-8', 'ignore') if os.name != 'nt' else name[:room]
    return f'.{name}{suffix}'


def _name_max(directory: Path) -> int:
    """The longest file name (bytes) the file system at `directory` accepts (255 when unknown)."""
    try:
        return os.pathconf(directory, 'PC_NAME_MAX')
    except (OSError, ValueError, AttributeError):
        return 255


@contextmanager
def os_errors(provider: str, action: str, key: str) -> Iterator[None]:
    """Turn a raw ``OSError`` from the local file system into the storage's typed error naming `key`.

    Storage errors pass through unchanged (some of them are ``OSError`` subclasses themselves).
    """
    try:
        yield
    except StorageError:
        raise
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        message = f'{provider} storage: {action} {key!r} failed: {reason}'
        if exc.errno == errno.ENAMETOOLONG:
            raise StoragePathError(
                f'{provider} storage: {action} {key!r}: a name in it is too long'
            ) from None
        if exc.errno in (errno.ENOENT, errno.ENOTDIR):
            raise StorageNotFoundError(message) from None
        if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
            raise StoragePermissionError(message) from None
        raise StorageError(message) from None


class StorageMixin:
    """Public operations built on provider primitives."""

    #: Name used in ``repr`` and error messages (``'s3'``, ``'sftp'`` ...).
    provider: str = ''

    def _reset_connections(self) -> None:
        """(Re)create per-process state: clients, sessions, locks. Called by ``__init__`` and after unpickling,
        so a storage can be sent to another process (a Ray task) and reconnect there."""

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        for name in self._transient:
            state.pop(name, None)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._reset_connections()

    #: Attributes dropped when pickling (rebuilt by ``_reset_connections``).
    _transient: tuple[str, ...] = ()

    # --- primitives (overridden by providers) -------------------------------------------------------------
    def _upload(self, source: Path, key: str) -> None:
        raise NotImplementedError

    def _download_to(self, key: str, destination: Path) -> None:
        raise NotImplementedError

    def _exists(self, key: str) -> bool:
        raise NotImplementedError

    def _url(self, key: str) -> str:
        raise NotImplementedError

    def _entries(self, prefix: str, recursive: bool) -> Iterator[StorageEntry]:
        raise NotImplementedError

    def _delete(self, key: str) -> None:
        """Delete ``key``; raise :class:`StorageNotFoundError` if it does not exist."""
        raise NotImplementedError

    def _open(self, key: str) -> IO[bytes]:
        raise NotImplementedError

    def _size(self, key: str) -> int:
        raise NotImplementedError

    def _is_dir(self, key: str) -> bool:
        raise NotImplementedError

    def _describe(self) -> str:
        """Non-secret identification of the storage for ``repr`` and messages."""
        raise NotImplementedError

    # --- public API ---------------------------------------------------------------------------------------
    def upload(self, source: str | os.PathLike[str], target: str) -> str:
        """Copy the local file ``source`` to ``target`` (streamed, never read whole) and return its URL."""
        key = normalize_key(target, allow_root=False)
        path = Path(source)
        with os_errors(self.provider, 'upload to', key):
            if not path.is_file():
                raise StorageNotFoundError(f'Upload source {str(path)!r} is not an existing file')
            self._upload(path, key)
            return self._url(key)

    def download(self, key: str, destination: str | os.PathLike[str]) -> Path:
        """Copy ``key`` to ``destination``; the file appears complete or not at all. Returns the path."""
        key = normalize_key(key, allow_root=False)
        dest = Path(destination)
        with os_errors(self.provider, 'download of', key):
            if dest.is_dir():
                dest = dest / key.rsplit('/', 1)[-1]
            dest.parent.mkdir(parents=True, exist_ok=True)
            tmp = partial_path(dest)
            try:
                self._download_to(key, tmp)
                os.replace(tmp, dest)
            finally:
                tmp.unlink(missing_ok=True)
        return dest

    def exists(self, key: str) -> bool:
        """Whether a file (object) exists at ``key``."""
        key = normalize_key(key)
        with os_errors(self.provider, 'stat of', key):
            return bool(key) and self._exists(key)

    def get_url(self, key: str) -> str:
        """The provider URL of ``key``."""
        key = normalize_key(key)
        with os_errors(self.provider, 'URL of', key):
            return self._url(key)

    def list(self, prefix: str = '', *, recursive: bool = True) -> Iterator[str]:
        """Keys of the files under the directory ``prefix``, sorted. Non-recursive listings also yield
        sub-directories, with a trailing ``/``."""
        for entry in self.entries(prefix, recursive=recursive):
            yield f'{entry.key}/' if entry.is_dir else entry.key

    def entries(self, prefix: str = '', *, recursive: bool = True) -> Iterator[StorageEntry]:
        """Like :meth:`list` but yields :class:`StorageEntry` objects carrying sizes."""
        key = normalize_key(prefix)
        with os_errors(self.provider, 'listing of', key):
            found = sorted(self._entries(key, recursive), key=lambda entry: entry.key)
        yield from found

    def __iter__(self) -> Iterator[str]:
        return self.list()

    def delete(self, key: str, *, missing_ok: bool = True) -> None:
        """Delete the file at ``key``. A missing key is ignored unless ``missing_ok=False``."""
        key = normalize_key(key, allow_root=False)
        try:
            with os_errors(self.provider, 'delete of', key):
                self._delete(key)
        except StorageNotFoundError:
            if not missing_ok:
                raise

    def open(self, key: str, mode: str = 'rb', *, encoding: str | None = None) -> IO[Any]:
        """A streaming, read-only file object for ``key``; ``mode`` is ``'rb'`` or ``'r'``."""
        if mode not in ('r', 'rb'):
            raise ValueError(
                f"{self.provider} storage opens files read-only: mode must be 'r' or 'rb', not {mode!r}"
            )
        key = normalize_key(key, allow_root=False)
        with os_errors(self.provider, 'read of', key):
            stream = self._open(key)
        if mode == 'r':
            return io.TextIOWrapper(stream, encoding=encoding or 'utf-8')
        return stream

    def size(self, key: str) -> int:
        """Size of ``key`` in bytes."""
        key = normalize_key(key, allow_root=False)
        with os_errors(self.provider, 'size of', key):
            return self._size(key)

    def is_dir(self, key: str) -> bool:
        """Whether ``key`` is a directory (for object stores: whether any object lives below it)."""
        key = normalize_key(key)
        with os_errors(self.provider, 'stat of', key):
            return True if not key else self._is_dir(key)

    def get_pathlib(self, path: str = '') -> Any:
        """A path-like object for ``path`` (see :class:`~synapse_sdk.utils.storage.path.StoragePath`)."""
        from synapse_sdk.utils.storage.path import StoragePath

        return StoragePath(self, normalize_key(path))

    def get_path_file_count(self, path: str = '') -> int:
        """Number of files under ``path`` (1 if ``path`` is a file, 0 if it does not exist)."""
        key = normalize_key(path)
        with os_errors(self.provider, 'count of', key):
            if key and self._exists(key):
                return 1
            return sum(1 for _ in self._entries(key, True))

    def get_path_total_size(self, path: str = '') -> int:
        """Total size in bytes of the files under ``path``."""
        key = normalize_key(path)
        with os_errors(self.provider, 'size of', key):
            if key and self._exists(key):
                return self._size(key)
            return sum(entry.size for entry in self._entries(key, True))

    def close(self) -> None:
        """Release connections held by the provider (a no-op for stateless ones)."""

    def __enter__(self) -> StorageMixin:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f'{type(self).__name__}({self._describe()})'


#: A context manager factory that turns a provider library's exceptions into storage errors.
ErrorGuard = Callable[[], AbstractContextManager[None]]


class ChunkedReader(io.RawIOBase):
    """Adapts an object with ``read(n)`` (a boto3 or requests body) to a buffered binary file object.

    `guard` wraps every read: a body that breaks off midway (a connection reset, a read timeout, a
    truncated response) raises the storage's typed error, not the HTTP library's, even after `open`
    returned."""

    def __init__(self, body: Any, close: Any = None, guard: ErrorGuard | None = None) -> None:
        self._body = body
        self._close = close
        self._guard = guard or contextlib.nullcontext

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        with self._guard():
            data = self._body.read(len(buffer))
        if not data:
            return 0
        buffer[: len(data)] = data
        return len(data)

    def close(self) -> None:
        if not self.closed:
            try:
                (self._close or self._body.close)()
            finally:
                super().close()


def buffered(body: Any, close: Any = None, guard: ErrorGuard | None = None) -> IO[bytes]:
    """Wrap a raw streaming body as a buffered binary file (reads under `guard`, see `ChunkedReader`)."""
    return io.BufferedReader(ChunkedReader(body, close, guard), buffer_size=1024 * 1024)


def check_timeout(provider: str, value: object) -> float:
    """`value` as the positive number of seconds a provider's ``timeout`` option must be."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value < float('inf'):
        raise StorageConfigError(
            f"{provider} storage: 'timeout' must be a positive number of seconds, got {value!r}"
        )
    return float(value)


__all__ = ['CHUNK_SIZE', 'ChunkedReader', 'ErrorGuard', 'StorageMixin', 'buffered', 'check_timeout']


class LazyClientMixin:
    """A provider whose client library object is built on first use, once, even when threads race for it.

    Building it lazily keeps ``get_storage`` cheap and free of network calls, and lets a pickled storage
    rebuild its client in the process it lands in. Providers implement ``_make_client``.
    """

    _transient: tuple[str, ...] = ('_client_obj', '_lock')

    def _reset_connections(self) -> None:
        self._client_obj: Any = None
        self._lock = threading.Lock()

    @property
    def client(self) -> Any:
        """The provider's client library object (a boto3 S3 client, a ``google.cloud.storage.Client``)."""
        if self._client_obj is None:
            with self._lock:
                if self._client_obj is None:
                    self._client_obj = self._make_client()
        return self._client_obj

    def _make_client(self) -> Any:
        raise NotImplementedError
