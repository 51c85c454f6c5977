"""File utilities: streaming checksums, plugin archives (honouring ``.gitignore``/``.synapseignore``) and safe
extraction."""

from synapse_sdk.utils.file.archive import (
    ArchiveError,
    UnsafeArchiveError,
    create_archive,
    create_archive_from_git,
    extract_archive,
    iter_archive_files,
)
from synapse_sdk.utils.file.checksum import (
    calculate_checksum,
    calculate_checksum_from_bytes,
    calculate_checksum_from_file_object,
    verify_checksum,
)
from synapse_sdk.utils.file.ignore import DEFAULT_IGNORE, IgnoreMatcher, parse_patterns

__all__ = [
    'DEFAULT_IGNORE',
    'ArchiveError',
    'IgnoreMatcher',
    'UnsafeArchiveError',
    'calculate_checksum',
    'calculate_checksum_from_bytes',
    'calculate_checksum_from_file_object',
    'create_archive',
    'create_archive_from_git',
    'extract_archive',
    'iter_archive_files',
    'parse_patterns',
    'verify_checksum',
]
