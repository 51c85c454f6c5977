"""Data collections, data files (incl. resumable chunked upload) and data units (v1)."""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, Literal, overload

from synapse_sdk.clients.backend._models import DataUnitCreateRequest, validate_request
from synapse_sdk.clients.backend._pagination import AllRows, DRFPage, list_pages
from synapse_sdk.clients.backend._transport import MixinBase
from synapse_sdk.clients.exceptions import ClientConnectionError, ClientError, ServerError, ValidationError

logger = logging.getLogger('synapse_sdk.clients')

Params = Mapping[str, Any] | None
ProgressCallback = Callable[[int, int], None]

CHUNK_SIZE = 50 * 1024 * 1024
CHUNKED_UPLOAD_THRESHOLD = 50 * 1024 * 1024
RESUME_ATTEMPTS = 5


def _md5_of(path: Path, block: int = 1024 * 1024) -> str:
    digest = hashlib.md5(usedforsecurity=False)
    with path.open('rb') as fh:
        while chunk := fh.read(block):
            digest.update(chunk)
    return digest.hexdigest()


class DataMixin(MixinBase):
    chunk_size: int = CHUNK_SIZE
    chunked_upload_threshold: int = CHUNKED_UPLOAD_THRESHOLD

    # -- data collections ------------------------------------------------------------------
    @overload
    def list_data_collections(
        self, params: Params = None, *, list_all: Literal[False] = False
    ) -> DRFPage: ...
    @overload
    def list_data_collections(self, params: Params = None, *, list_all: Literal[True]) -> AllRows: ...
    @overload
    def list_data_collections(
        self, params: Params = None, *, list_all: bool = False
    ) -> DRFPage | AllRows: ...
    def list_data_collections(self, params: Params = None, *, list_all: bool = False) -> DRFPage | AllRows:
        return list_pages(self, 'data_collections/', params, list_all=list_all)

    def get_data_collection(self, collection_id: int) -> dict[str, Any]:
        """The collection with its ``file_specifications`` expanded."""
        return self._get(f'data_collections/{int(collection_id)}/', params={'expand': 'file_specifications'})

    # -- chunked upload --------------------------------------------------------------------
    def get_chunked_upload(self, upload_id: int | str) -> dict[str, Any]:
        return self._get(f'chunked_upload/{upload_id}/')

    def create_chunked_upload(
        self,
        file_path: str | Path,
        *,
        chunk_size: int | None = None,
        on_progress: ProgressCallback | None = None,
        upload_id: int | str | None = None,
    ) -> dict[str, Any]:
        """Upload a file in ``Content-Range`` chunks and finalize it with its MD5; returns ``{id, ...}``.

        Resumes instead of restarting: when a chunk fails (broken connection, 5xx, offset mismatch)
        the server's offset is read back from ``GET chunked_upload/{id}/`` and the upload continues
        from there. Pass ``upload_id`` to resume an upload begun by an earlier process.
        """
        path = Path(file_path)
        if not path.is_file():
            raise FileNotFoundError(f'cannot upload {path}: no such file')
        size = path.stat().st_size
        chunk_size = chunk_size or self.chunk_size
        if chunk_size <= 0:
            raise ValueError(f'chunk_size must be positive, got {chunk_size}')
        md5 = _md5_of(path)
        url = 'chunked_upload/'
        offset = 0
        current_id: int | str | None = upload_id
        if upload_id is not None:
            state = self.get_chunked_upload(upload_id)
            if state.get('completed_at'):
                return state
            offset = int(state.get('offset') or 0)
            url = state.get('url') or f'chunked_upload/{upload_id}/'
        resumes = 0
        with path.open('rb') as fh:
            while offset < size:
                fh.seek(offset)
                chunk = fh.read(chunk_size)
                end = offset + len(chunk) - 1
                try:
                    state = self._put(
                        url,
                        None,
                        data={'filename': path.name},
                        files={'file': ('file', chunk, 'application/octet-stream')},
                        headers={'Content-Range': f'bytes {offset}-{end}/{size}'},
                    )
                except (ClientConnectionError, ServerError, ValidationError) as exc:
                    if current_id is None or resumes >= RESUME_ATTEMPTS:
                        raise
                    resumes += 1
                    state = self.get_chunked_upload(current_id)
                    logger.info(
                        'resuming chunked upload %s at byte %s after %s', current_id, state.get('offset'), exc
                    )
                    offset = int(state.get('offset') or 0)
                    url = state.get('url') or url
                    continue
                current_id, url = state['id'], state.get('url') or f'chunked_upload/{state["id"]}/'
                offset = int(state.get('offset', end + 1))
                if on_progress:
                    on_progress(offset, size)
        return self._finalize_chunked_upload(url, md5, current_id)

    def _finalize_chunked_upload(self, url: str, md5: str, upload_id: int | str | None) -> dict[str, Any]:
        try:
            return self._post(url, {'md5': md5})
        except ClientConnectionError:
            if upload_id is None:
                raise
            # The finalize may have been applied even though its response was lost: ask the server.
            for attempt in range(RESUME_ATTEMPTS):
                try:
                    state = self.get_chunked_upload(upload_id)
                except ClientError:
                    state = {}
                if state.get('completed_at'):
                    return state
                time.sleep(min(2.0 * 2**attempt, 10.0))
            raise

    # -- data files ------------------------------------------------------------------------
    def create_data_file(
        self, file_path: str | Path, *, use_chunked_upload: bool | None = None
    ) -> dict[str, Any]:
        """Register a file as a data file; returns ``{id, checksum, ...}``.

        Files above ``chunked_upload_threshold`` (or with ``use_chunked_upload=True``) go through
        the resumable chunked upload first.
        """
        path = Path(file_path)
        if not path.is_file():
            raise FileNotFoundError(f'cannot upload {path}: no such file')
        chunked = use_chunked_upload
        if chunked is None:
            chunked = path.stat().st_size > self.chunked_upload_threshold
        if chunked:
            upload = self.create_chunked_upload(path)
            return self._post('data_files/', {'chunked_upload': upload['id']})
        with path.open('rb') as fh:
            return self._post('data_files/', None, files={'file': (path.name, fh)})

    def verify_data_files_checksums(self, checksums: Sequence[str]) -> Any:
        return self._post('data_files/verify_checksums/', {'checksums': list(checksums)})

    # -- data units ------------------------------------------------------------------------
    def get_data_unit(self, unit_id: int, *, params: Params = None) -> dict[str, Any]:
        return self._get(f'data_units/{int(unit_id)}/', params=params)

    @overload
    def list_data_units(
        self, params: Params = None, *, list_all: Literal[False] = False, page_size: int | None = None
    ) -> DRFPage: ...
    @overload
    def list_data_units(
        self, params: Params = None, *, list_all: Literal[True], page_size: int | None = None
    ) -> AllRows: ...
    @overload
    def list_data_units(
        self, params: Params = None, *, list_all: bool = False, page_size: int | None = None
    ) -> DRFPage | AllRows: ...
    def list_data_units(
        self, params: Params = None, *, list_all: bool = False, page_size: int | None = None
    ) -> DRFPage | AllRows:
        return list_pages(self, 'data_units/', params, list_all=list_all, page_size=page_size)

    def delete_data_unit(self, unit_id: int) -> None:
        """DELETE ``data_units/{id}/`` (an upload's rollback removes the units it created)."""
        self._delete(f'data_units/{int(unit_id)}/')

    def create_data_units(self, data: Mapping[str, Any] | Sequence[Mapping[str, Any]]) -> Any:
        """POST ``data_units/`` with one unit or a list of ``{data_collection, files, meta?, groups?}``."""
        if isinstance(data, Mapping):
            return self._post('data_units/', validate_request(DataUnitCreateRequest, data, what='data unit'))
        items = [
            validate_request(DataUnitCreateRequest, item, what=f'data unit #{i}')
            for i, item in enumerate(data)
        ]
        return self._post('data_units/', items)

    def upload_data_file(
        self, data: Mapping[str, Any], collection_id: int, *, use_chunked_upload: bool | None = None
    ) -> dict[str, Any]:
        """Upload every file of one unit (``{'files': {spec: path}, 'meta'?, 'groups'?}``).

        Returns the data-unit payload for ``create_data_units``.
        """
        files = data.get('files')
        if not isinstance(files, Mapping) or not files:
            raise ValueError("upload_data_file needs data['files'] = {spec_name: path, ...}")
        uploaded = {}
        for spec, file_path in files.items():
            created = self.create_data_file(file_path, use_chunked_upload=use_chunked_upload)
            uploaded[spec] = {'checksum': created['checksum'], 'path': str(file_path)}
        unit: dict[str, Any] = {
            'data_collection': int(collection_id),
            'files': uploaded,
            'meta': dict(data.get('meta') or {}),
        }
        groups = data.get('groups')
        if groups:
            unit['groups'] = [groups] if isinstance(groups, str) else list(groups)
        return unit
