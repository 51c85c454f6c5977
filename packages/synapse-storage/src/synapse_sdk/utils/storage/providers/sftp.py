"""SFTP servers (``sftp``), through paramiko. The server's host key is verified by default."""

from __future__ import annotations

import base64
import contextlib
import errno
import io
import itertools
import os
import posixpath
import stat
import threading
import warnings
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import IO, Any

from synapse_sdk.security.redaction import scrub
from synapse_sdk.utils.storage.base import ErrorGuard, StorageMixin, partial_name
from synapse_sdk.utils.storage.deps import import_optional
from synapse_sdk.utils.storage.errors import (
    StorageConfigError,
    StorageConnectionError,
    StorageError,
    StorageNotFoundError,
    StoragePathError,
    StoragePermissionError,
)
from synapse_sdk.utils.storage.protocol import StorageEntry

#: Bytes requested at once (as concurrent 32 KiB SFTP reads) by streaming reads and downloads. Two windows are
#: in flight at most, which bounds memory per stream.
READ_WINDOW = 8 * 1024 * 1024
#: Handles (so windows) in flight per stream.
READ_HANDLES = 2
_REQUEST = 32 * 1024


def _read_ahead_threads() -> set[threading.Thread]:
    """The threads paramiko's ``SFTPFile.readv`` starts to send its read requests (named by their target)."""
    return {thread for thread in threading.enumerate() if thread.name.endswith('(_prefetch_thread)')}


class _PipelinedReader(io.RawIOBase):
    """Streams a remote file with many SFTP read requests in flight, holding at most two windows in memory.

    Two handles on the file take turns: while one window is being consumed, the next is already being fetched
    on the other handle (``readv``), so the pipeline never drains at a window boundary. paramiko's own
    ``get()``/``prefetch()`` are not used: they request the whole file at once and buffer whatever the reader
    has not consumed yet, up to the whole file when the reader is slower than the network.
    """

    def __init__(self, handles: list[Any], size: int, guard: ErrorGuard | None = None) -> None:
        self._guard = guard or contextlib.nullcontext
        self._handles = handles
        self._size = size
        self._scheduled = 0  # offset where the next window to request starts
        self._turn = 0
        self._windows: deque[Iterator[bytes]] = deque()
        self._leftover = memoryview(b'')

    def readable(self) -> bool:
        return True

    def _schedule(self) -> None:
        while len(self._windows) < len(self._handles) and self._scheduled < self._size:
            end = min(self._scheduled + READ_WINDOW, self._size)
            chunks = [
                (offset, min(_REQUEST, end - offset)) for offset in range(self._scheduled, end, _REQUEST)
            ]
            handle = self._handles[self._turn]
            self._turn = (self._turn + 1) % len(self._handles)
            if handle.sftp.get_channel().closed:  # not another request thread to die on a closed socket
                raise EOFError('the SFTP channel is closed')
            before = _read_ahead_threads()
            blocks = handle.readv(chunks)
            first = next(blocks)  # starts that handle's request thread; the rest arrives in the background
            # Wait until that thread has sent the window's requests (milliseconds; the data keeps arriving):
            # a connection closed or dropped while it still sends kills it with "Socket is closed", which
            # Python prints as an exception in a thread. (A thread another stream started meanwhile may be
            # waited for too; it only sends as well.)
            for thread in _read_ahead_threads() - before:
                thread.join(timeout=60)
            self._windows.append(itertools.chain((first,), blocks))
            self._scheduled = end

    def readinto(self, buffer: Any) -> int:
        with self._guard():
            return self._readinto(buffer)

    def _readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast('B')
        filled = 0
        while filled < len(view):
            if not self._leftover:
                self._schedule()
                if not self._windows:
                    break
                block = next(self._windows[0], None)
                if block is None:
                    self._windows.popleft()  # that handle is free again for the window after next
                    continue
                self._leftover = memoryview(block)
            take = min(len(self._leftover), len(view) - filled)
            view[filled : filled + take] = self._leftover[:take]
            self._leftover = self._leftover[take:]
            filled += take
        return filled

    def close(self) -> None:
        if not self.closed:
            try:
                for handle in self._handles:
                    handle.close()
            finally:
                super().close()


class SFTPStorage(StorageMixin):
    """Files below ``root_path`` on an SFTP server.

    Authentication: ``password`` or ``private_key`` (a key file path or the PEM text), with
    ``private_key_passphrase`` if the key is encrypted. The server's host key must match ``host_key`` (an
    OpenSSH public-key line such as ``ssh-ed25519 AAAA...``), an entry of ``known_hosts`` (a file path) or of
    ``~/.ssh/known_hosts``; otherwise the connection is refused. ``verify_host_key=False`` turns the check off
    (with a warning) for throw-away test servers only.
    """

    provider = 'sftp'

    def __init__(
        self,
        host: str,
        username: str,
        password: str | None = None,
        private_key: str | os.PathLike[str] | None = None,
        private_key_passphrase: str | None = None,
        port: int = 22,
        root_path: str = '/',
        known_hosts: str | os.PathLike[str] | None = None,
        host_key: str | None = None,
        verify_host_key: bool = True,
        timeout: float = 30,
    ) -> None:
        if not host or not isinstance(host, str):
            raise StorageConfigError("sftp storage: 'host' must be a non-empty string")
        if not username:
            raise StorageConfigError("sftp storage: 'username' is required")
        if password is None and private_key is None:
            raise StorageConfigError("sftp storage: give 'password' or 'private_key'")
        if not str(root_path).startswith('/'):
            raise StorageConfigError(f"sftp storage: 'root_path' must be absolute, got {root_path!r}")
        self.host = host
        self.port = int(port)
        self.username = username
        self.root_path = posixpath.normpath(str(root_path))
        self.known_hosts = Path(known_hosts).expanduser() if known_hosts else None
        self.host_key = host_key
        self.verify_host_key = verify_host_key
        self.timeout = timeout
        self.__secrets = {'password': password, 'passphrase': private_key_passphrase}
        self.__private_key = private_key
        self._reset_connections()

    _transient = ('_ssh', '_sftp', '_lock')

    def _reset_connections(self) -> None:
        self._ssh: Any = None
        self._sftp: Any = None
        self._root_real = self.root_path
        self._lock = threading.RLock()

    def _describe(self) -> str:
        return (
            f'host={self.host!r}, port={self.port}, username={self.username!r}, root_path={self.root_path!r}'
        )

    # --- connection ---------------------------------------------------------------------------------------
    @property
    def sftp(self) -> Any:
        """The connected ``paramiko.SFTPClient`` (connects, or reconnects, on demand)."""
        with self._lock:
            transport = self._ssh.get_transport() if self._ssh is not None else None
            if self._sftp is None or transport is None or not transport.is_active():
                self._connect()
            return self._sftp

    def _host_key_name(self) -> str:
        return self.host if self.port == 22 else f'[{self.host}]:{self.port}'

    def _load_pkey(self, paramiko: Any) -> Any:
        key = self.__private_key
        if key is None:
            return None
        passphrase = self.__secrets['passphrase']
        text = str(key)
        if '-----BEGIN' in text:
            for cls in (paramiko.Ed25519Key, paramiko.ECDSAKey, paramiko.RSAKey):
                try:
                    return cls.from_private_key(io.StringIO(text), password=passphrase)
                except paramiko.SSHException:
                    continue
            raise StorageConfigError(
                "sftp storage: 'private_key' is not a supported private key (details withheld)"
            )
        path = Path(text).expanduser()
        if not path.is_file():
            raise StorageConfigError(f"sftp storage: 'private_key' file {str(path)!r} does not exist")
        try:
            # Positional: paramiko 3.x/4.x name this argument `passphrase`, 5.x `password`.
            return paramiko.PKey.from_path(path, passphrase)
        except (paramiko.SSHException, ValueError):
            raise StorageConfigError(
                f"sftp storage: cannot load 'private_key' {str(path)!r} (wrong passphrase or unsupported type)"
            ) from None

    def _configure_host_keys(self, paramiko: Any, client: Any) -> None:
        if not self.verify_host_key:
            warnings.warn(
                f'sftp storage: host-key verification is disabled for {self.host}:{self.port}; '
                'the connection can be intercepted',
                UserWarning,
                stacklevel=4,
            )
            client.set_missing_host_key_policy(paramiko.AutoAddPolicy())
            return
        if self.known_hosts is None and not self.host_key:
            # Only without explicit configuration: paramiko consults system keys first, so loading them would
            # let ~/.ssh/known_hosts override the key the configuration names.
            with suppress(OSError):
                client.load_system_host_keys()
        if self.known_hosts is not None:
            if not self.known_hosts.is_file():
                raise StorageConfigError(
                    f"sftp storage: 'known_hosts' file {str(self.known_hosts)!r} does not exist"
                )
            client.load_host_keys(str(self.known_hosts))
        if self.host_key:
            fields = self.host_key.split()
            if fields and not fields[0].startswith(('ssh-', 'ecdsa-', 'sk-')):
                fields = fields[1:]  # a known_hosts line: drop the host pattern
            try:
                key = paramiko.PKey.from_type_string(fields[0], base64.b64decode(fields[1]))
            except (IndexError, ValueError, paramiko.SSHException):
                raise StorageConfigError(
                    "sftp storage: 'host_key' must be an OpenSSH public key line like 'ssh-ed25519 AAAA...'"
                ) from None
            client.get_host_keys().add(self._host_key_name(), key.get_name(), key)
        client.set_missing_host_key_policy(paramiko.RejectPolicy())

    def _connect(self) -> None:
        paramiko = import_optional('paramiko', 'sftp', 'sftp')
        self.close()
        client = paramiko.SSHClient()
        self._configure_host_keys(paramiko, client)
        where = f'{self.host}:{self.port}'
        try:
            client.connect(
                self.host,
                port=self.port,
                username=self.username,
                password=self.__secrets['password'],
                pkey=self._load_pkey(paramiko),
                look_for_keys=False,
                allow_agent=False,
                timeout=self.timeout,
                banner_timeout=self.timeout,
                auth_timeout=self.timeout,
            )
        except paramiko.BadHostKeyException as exc:
            client.close()
            raise StorageConnectionError(
                f'sftp storage: the host key of {where} does not match the expected key '
                f'(expected {exc.expected_key.fingerprint}, server sent {exc.key.fingerprint}); refusing to connect'
            ) from None
        except paramiko.AuthenticationException:
            client.close()
            raise StoragePermissionError(
                f'sftp storage: authentication failed for {self.username!r} at {where}'
            ) from None
        except paramiko.SSHException as exc:
            client.close()
            message = scrub(str(exc), list(self.__secrets.values()))
            if 'known_hosts' in message:
                raise StorageConnectionError(
                    f"sftp storage: the host key of {where} is unknown; add it with 'host_key' or 'known_hosts' "
                    f'in the configuration ({message})'
                ) from None
            raise StorageConnectionError(f'sftp storage: SSH error with {where}: {message}') from None
        except OSError as exc:
            client.close()
            raise StorageConnectionError(
                f'sftp storage: cannot connect to {where}: {exc.strerror or exc}'
            ) from None
        self._ssh = client
        self._sftp = client.open_sftp()
        try:
            self._root_real = self._sftp.normalize(self.root_path)
        except OSError:
            self._root_real = self.root_path

    def close(self) -> None:
        """Close the SSH connection (it is reopened on the next operation)."""
        with self._lock:
            for resource in (self._sftp, self._ssh):
                if resource is not None:
                    with suppress(Exception):
                        resource.close()
            self._sftp = self._ssh = None

    # --- paths --------------------------------------------------------------------------------------------
    def _remote(self, key: str) -> str:
        return posixpath.join(self.root_path, key) if key else self.root_path

    def _inside(self, real: str) -> bool:
        return real == self._root_real or real.startswith(self._root_real.rstrip('/') + '/')

    def _confined(self, key: str) -> str:
        """The remote path of ``key``, refusing server-side symlinks that lead outside ``root_path``."""
        remote = self._remote(key)
        sftp = self.sftp
        probe = remote
        while probe == self.root_path or probe.startswith(self.root_path.rstrip('/') + '/'):
            try:
                real = sftp.normalize(probe)
            except OSError:  # does not exist (yet): check the nearest existing ancestor
                probe = posixpath.dirname(probe)
                continue
            if not self._inside(real):
                raise StoragePathError(
                    f'sftp storage: {key!r} resolves outside root_path through a symbolic link'
                )
            break
        return remote

    @contextmanager
    def _errors(self, key: str, action: str) -> Iterator[None]:
        paramiko = import_optional('paramiko', 'sftp', 'sftp')
        where = f'sftp://{self.host}:{self.port}{self._remote(key)}'
        try:
            yield
        except StorageError:
            raise
        except (paramiko.SSHException, EOFError, TimeoutError) as exc:  # the connection dropped midway
            message = scrub(str(exc), list(self.__secrets.values())) or type(exc).__name__
            raise StorageConnectionError(f'{action} {where}: the SSH connection broke: {message}') from None
        except OSError as exc:
            if exc.errno == errno.ENOENT or isinstance(exc, FileNotFoundError):
                raise StorageNotFoundError(f'{where} does not exist') from None
            if exc.errno == errno.EACCES or isinstance(exc, PermissionError):
                raise StoragePermissionError(f'{action} {where}: permission denied') from None
            raise StorageError(f'{action} {where} failed: {exc}') from None

    def _makedirs(self, remote_dir: str) -> None:
        sftp = self.sftp
        missing: list[str] = []
        current = remote_dir
        while current not in ('/', ''):
            try:
                if stat.S_ISDIR(sftp.stat(current).st_mode or 0):
                    break
                raise StoragePathError(f'sftp storage: {current!r} exists and is not a directory')
            except FileNotFoundError:
                missing.append(current)
                current = posixpath.dirname(current)
        for directory in reversed(missing):
            sftp.mkdir(directory)

    # --- primitives ---------------------------------------------------------------------------------------
    def _upload(self, source: Path, key: str) -> None:
        with self._lock, self._errors(key, 'upload to'):
            remote = self._confined(key)
            directory, name = posixpath.split(remote)
            self._makedirs(directory)
            tmp = posixpath.join(directory, partial_name(name))  # fits the remote's 255-byte limit
            try:
                self.sftp.put(str(source), tmp, confirm=True)
                self.sftp.posix_rename(tmp, remote)
            except BaseException:
                with suppress(OSError):
                    self.sftp.remove(tmp)
                raise

    def _download_to(self, key: str, destination: Path) -> None:
        # Not ``SFTPClient.get``: its prefetch requests the whole file at once and buffers whatever the writer
        # has not consumed yet, which for a slow disk means up to the whole file in memory.
        buffer = bytearray(1024 * 1024)
        view = memoryview(buffer)
        with self._open(key) as stream, destination.open('wb') as out:
            raw = stream.raw  # type: ignore[attr-defined]  # paramiko's buffered file exposes its raw file as .raw
            while filled := raw.readinto(buffer):
                out.write(view[:filled])

    def _stat(self, key: str) -> Any:
        with self._lock, self._errors(key, 'stat of'):
            return self.sftp.stat(self._confined(key))

    def _exists(self, key: str) -> bool:
        try:
            return stat.S_ISREG(self._stat(key).st_mode or 0)
        except StorageNotFoundError:
            return False

    def _url(self, key: str) -> str:
        return f'sftp://{self.host}:{self.port}{self._remote(key)}'

    def _entries(self, prefix: str, recursive: bool) -> Iterator[StorageEntry]:
        with self._lock:
            try:
                if not stat.S_ISDIR(self._stat(prefix).st_mode or 0):
                    return
            except StorageNotFoundError:
                return
            pending = [prefix]
            while pending:
                current = pending.pop()
                with self._errors(current, 'listing of'):
                    items = self.sftp.listdir_attr(self._remote(current))
                for item in items:
                    key = f'{current}/{item.filename}' if current else item.filename
                    mode = item.st_mode or 0
                    if stat.S_ISLNK(mode):
                        try:
                            self._confined(key)
                            mode = self._stat(key).st_mode or 0
                        except (StoragePathError, StorageNotFoundError):
                            continue
                    if stat.S_ISDIR(mode):
                        if recursive:
                            pending.append(key)
                        else:
                            yield StorageEntry(key, 0, True)
                    elif stat.S_ISREG(mode):
                        size = (
                            item.st_size if not stat.S_ISLNK(item.st_mode or 0) else self._stat(key).st_size
                        )
                        yield StorageEntry(key, int(size or 0))

    def _delete(self, key: str) -> None:
        with self._lock, self._errors(key, 'delete of'):
            self.sftp.remove(self._confined(key))

    def _open(self, key: str) -> IO[bytes]:
        with self._lock, self._errors(key, 'read of'):
            remote = self._confined(key)
            handles = [self.sftp.open(remote, 'rb')]
            size = int(handles[0].stat().st_size or 0)
            while size > READ_WINDOW * len(handles) and len(handles) < READ_HANDLES:
                handles.append(self.sftp.open(remote, 'rb'))
        reader = _PipelinedReader(handles, size, guard=lambda: self._errors(key, 'read of'))
        return io.BufferedReader(reader, buffer_size=1024 * 1024)

    def _size(self, key: str) -> int:
        return int(self._stat(key).st_size or 0)

    def _is_dir(self, key: str) -> bool:
        try:
            return stat.S_ISDIR(self._stat(key).st_mode or 0)
        except StorageNotFoundError:
            return False


__all__ = ['SFTPStorage']
