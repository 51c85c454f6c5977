"""Streaming checksums of files, file objects and bytes."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

if TYPE_CHECKING:
    from _hashlib import HASH

#: Read size for streaming checksums.
CHUNK_SIZE = 1024 * 1024

#: Algorithms accepted everywhere (``hashlib`` has them on every platform).
ALGORITHMS = ('md5', 'sha1', 'sha224', 'sha256', 'sha384', 'sha512', 'blake2b', 'blake2s')


def _hasher(algorithm: str) -> HASH:
    name = algorithm.lower().replace('-', '')
    if name not in ALGORITHMS:
        raise ValueError(f'Unsupported checksum algorithm {algorithm!r}; use one of {", ".join(ALGORITHMS)}')
    # md5/sha1 here identify content (cache keys, upload names); they are not used for security.
    return hashlib.new(name, usedforsecurity=False) if name in ('md5', 'sha1') else hashlib.new(name)


def calculate_checksum_from_file_object(
    stream: BinaryIO, *, algorithm: str = 'md5', chunk_size: int = CHUNK_SIZE
) -> str:
    """Hex digest of everything ``stream`` yields from its current position (it is not rewound or closed)."""
    digest = _hasher(algorithm)
    for chunk in iter(lambda: stream.read(chunk_size), b''):
        digest.update(chunk)
    return digest.hexdigest()


def calculate_checksum(
    path: str | os.PathLike[str], algorithm: str = 'md5', *, chunk_size: int = CHUNK_SIZE, prefix: str = ''
) -> str:
    """Hex digest of the file at ``path``, read in ``chunk_size`` blocks (never whole), optionally prefixed
    (``prefix='dev-'`` gives the plugin archive names)."""
    file = Path(path)
    if not file.is_file():
        raise FileNotFoundError(f'Cannot checksum {str(file)!r}: not an existing file')
    with file.open('rb') as stream:
        return prefix + calculate_checksum_from_file_object(
            stream, algorithm=algorithm, chunk_size=chunk_size
        )


def calculate_checksum_from_bytes(data: bytes, algorithm: str = 'md5') -> str:
    """Hex digest of ``data``."""
    digest = _hasher(algorithm)
    digest.update(data)
    return digest.hexdigest()


def verify_checksum(path: str | os.PathLike[str], expected: str, algorithm: str = 'md5') -> bool:
    """Whether the file's digest equals ``expected`` (case-insensitive; a ``prefix-`` such as ``dev-`` is
    ignored)."""
    return calculate_checksum(path, algorithm).lower() == expected.rsplit('-', 1)[-1].lower()


__all__ = [
    'ALGORITHMS',
    'calculate_checksum',
    'calculate_checksum_from_bytes',
    'calculate_checksum_from_file_object',
    'verify_checksum',
]
