"""Key normalisation: the one place that decides whether a key stays inside the storage root.

A key is a ``/``-separated path relative to the provider's root (local ``location``, bucket, SFTP
``root_path``, HTTP ``base_url``). A single leading ``/`` means "from the root" (``get_pathlib(config,
'/uploads')`` in the seed), so it is stripped. Everything that could name a place outside the root is refused
before any provider sees it: ``..`` segments (with ``/`` or ``\\`` separators), drive letters, UNC paths, URLs,
``~`` home references and NUL bytes.
"""

from __future__ import annotations

import os
import re
from pathlib import Path, PurePosixPath

from synapse_sdk.utils.storage.errors import StoragePathError

_DRIVE = re.compile(r'^[A-Za-z]:')
_SCHEME = re.compile(r'^[A-Za-z][A-Za-z0-9+.-]*://')


def normalize_key(key: str | os.PathLike[str], *, allow_root: bool = True) -> str:
    """Return ``key`` as a clean relative POSIX key (``''`` is the root) or raise :class:`StoragePathError`.

    ``allow_root=False`` is used by operations that need an object name (upload, download, delete).
    """
    if isinstance(key, PurePosixPath | Path):
        key = key.as_posix()
    elif isinstance(key, os.PathLike):
        key = os.fspath(key)
    if not isinstance(key, str):
        raise StoragePathError(f'Storage key must be a string, got {type(key).__name__}')
    original = key
    if '\x00' in key:
        raise StoragePathError(f'Storage key {original!r} contains a NUL byte')
    if _SCHEME.match(key):
        raise StoragePathError(f'Storage key {original!r} is a URL; pass a key relative to the storage root')
    if _DRIVE.match(key) or key.startswith(('//', '\\\\', '\\')):
        raise StoragePathError(f'Storage key {original!r} is an absolute path outside the storage root')
    if key.startswith('~'):
        raise StoragePathError(f'Storage key {original!r} refers to a home directory, not the storage root')
    parts = [part for part in re.split(r'[/\\]', key) if part not in ('', '.')]
    if '..' in parts:
        raise StoragePathError(f"Storage key {original!r} contains '..' and would leave the storage root")
    if '\\' in key:
        raise StoragePathError(f'Storage key {original!r} contains a backslash; use / as the separator')
    normalized = '/'.join(parts)
    if not normalized and not allow_root:
        raise StoragePathError(f'Storage key {original!r} names the storage root, not an object')
    return normalized


def join_key(prefix: str, name: str) -> str:
    """Join two already-normalised keys."""
    if not prefix:
        return name
    if not name:
        return prefix
    return f'{prefix}/{name}'


def dir_prefix(key: str) -> str:
    """The listing prefix for a directory key (``''`` stays ``''``, ``a/b`` becomes ``a/b/``)."""
    return f'{key}/' if key else ''


def confine_local(root: Path, key: str) -> Path:
    """Map a normalised ``key`` under the resolved local ``root``, refusing symlinks that point outside it.

    ``root`` must already be resolved. Components that do not exist yet are fine (uploads create them).
    """
    candidate = root.joinpath(*key.split('/')) if key else root
    resolved = candidate.resolve(strict=False)
    if resolved != root and root not in resolved.parents:
        raise StoragePathError(
            f'Storage key {key!r} resolves outside the storage root through a symbolic link'
        )
    return candidate


__all__ = ['confine_local', 'dir_prefix', 'join_key', 'normalize_key']
