"""Exceptions raised by storage providers.

Every error derives from :class:`StorageError`, and each also derives from the builtin exception a caller
would naturally catch (``FileNotFoundError``, ``ValueError``, ``PermissionError``, ``ConnectionError``), so code
written against ``pathlib`` keeps working. Messages name the provider and the key but never a credential.
"""

from __future__ import annotations


class StorageError(Exception):
    """Base class of every storage error."""


class StorageConfigError(StorageError, ValueError):
    """The storage configuration is invalid (missing key, wrong type, unknown provider)."""


class StorageProviderNotFoundError(StorageConfigError):
    """The ``provider`` named in the configuration is not registered."""


class StoragePathError(StorageError, ValueError):
    """A key or path would leave the configured root (``..``, absolute path, symlink escape)."""


class StorageNotFoundError(StorageError, FileNotFoundError):
    """The key (or local source file) does not exist."""


class StoragePermissionError(StorageError, PermissionError):
    """The server refused the operation for lack of permission."""


class StorageConnectionError(StorageError, ConnectionError):
    """The storage server could not be reached or refused the connection (including host-key mismatch)."""


class StorageCapabilityError(StorageError, NotImplementedError):
    """The provider (or this particular server) cannot perform the operation, e.g. upload to a read-only HTTP
    server."""


class StorageUploadError(StorageError):
    """An upload (or a plugin archive/build upload) failed."""


__all__ = [
    'StorageCapabilityError',
    'StorageConfigError',
    'StorageConnectionError',
    'StorageError',
    'StorageNotFoundError',
    'StoragePathError',
    'StoragePermissionError',
    'StorageProviderNotFoundError',
    'StorageUploadError',
]
