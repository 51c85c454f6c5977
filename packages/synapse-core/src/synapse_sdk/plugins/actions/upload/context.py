"""`UploadContext` and the records the upload workflow keeps (what to undo on failure)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from synapse_sdk.plugins.protocols import BackendClientProtocol, UploadStorageProtocol
from synapse_sdk.plugins.steps import BaseStepContext

__all__ = ['OrganizedUnit', 'UploadContext', 'UploadedFile']


@dataclass
class OrganizedUnit:
    """The files of one future data unit: ``{file specification name: local path}`` plus meta."""

    files: dict[str, Path]
    meta: dict[str, Any] = field(default_factory=dict)
    groups: list[str] = field(default_factory=list)


@dataclass
class UploadedFile:
    """A file copied into storage by this run (so rollback can delete exactly these keys)."""

    source: Path
    key: str
    checksum: str
    size: int


@dataclass
class UploadContext(BaseStepContext):
    """State of one upload run.

    Attributes:
        params: the validated params of the action.
        allowed_extensions: lower-case extensions (``'.jpg'``) accepted by validation; None: any.
        collection: the data collection record (with its ``file_specifications``).
        source_dir: the local directory being uploaded.
        storage: the storage provider the files are copied into; ``storage_prefix`` its key prefix.
        files: the files found and validated, sorted.
        organized_files: the files grouped into data units.
        uploaded_files: files this run copied into storage, by local path.
        data_units: data units this run created on the backend (records with their ``id``).
    """

    params: Any = None
    allowed_extensions: list[str] | None = None
    collection: dict[str, Any] | None = None
    source_dir: Path | None = None
    storage: UploadStorageProtocol | None = None
    storage_prefix: str = ''
    files: list[Path] = field(default_factory=list)
    organized_files: list[OrganizedUnit] = field(default_factory=list)
    uploaded_files: dict[str, UploadedFile] = field(default_factory=dict)
    data_units: list[dict[str, Any]] = field(default_factory=list)

    @property
    def client(self) -> BackendClientProtocol | None:
        return getattr(self.runtime_ctx, 'client', None)
