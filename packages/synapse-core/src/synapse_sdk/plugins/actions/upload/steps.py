"""The steps of the default upload workflow.

initialize -> validate_files -> organize_files -> upload_files -> create_data_units -> finalize

Everything the workflow creates is recorded in the `UploadContext` as it happens: the storage
keys written by ``upload_files`` and the data units created by ``create_data_units``. Their
`rollback` (after a later step failed) and `abort` (when the step itself failed halfway) delete
exactly those, so a failed upload leaves no files in storage and no data units on the backend.
"""

from __future__ import annotations

import hashlib
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path
from typing import Any

from synapse_sdk.plugins.actions.upload.context import OrganizedUnit, UploadContext, UploadedFile
from synapse_sdk.plugins.context import RuntimeContext
from synapse_sdk.plugins.protocols import UploadStorageProtocol
from synapse_sdk.plugins.steps import BackendUnavailableError, BaseStep, StepResult

__all__ = [
    'CreateDataUnitsStep',
    'FinalizeStep',
    'InitializeStep',
    'OrganizeFilesStep',
    'UploadFilesStep',
    'ValidateFilesStep',
    'delete_data_unit',
    'file_checksum',
    'organize_by_specification',
]

_STORAGE_HINT = 'pip install synapse-storage (or synapse-sdk)'


def file_checksum(path: Path, block: int = 1024 * 1024) -> str:
    """SHA-1 of a file, the checksum the backend identifies data files by."""
    digest = hashlib.sha1(usedforsecurity=False)
    with path.open('rb') as fh:
        while chunk := fh.read(block):
            digest.update(chunk)
    return digest.hexdigest()


def _open_storage(record: dict[str, Any]) -> UploadStorageProtocol:
    try:
        from synapse_sdk.utils.storage import get_storage
    except ImportError as exc:
        raise ImportError(f'Uploading files needs synapse_sdk.utils.storage: {_STORAGE_HINT}') from exc
    storage: UploadStorageProtocol = get_storage(
        {'provider': record['provider'], 'configuration': record.get('configuration') or {}}
    )
    return storage


def delete_data_unit(runtime_ctx: RuntimeContext | Any, unit_id: int) -> None:
    """Delete a data unit through whichever backend client can (v1 ``delete_data_unit`` or v2
    ``data_units.destroy``); `NotImplementedError` if neither client offers it."""
    client = getattr(runtime_ctx, 'client', None)
    if client is not None and hasattr(client, 'delete_data_unit'):
        client.delete_data_unit(unit_id)
        return
    v2 = getattr(runtime_ctx, 'v2_client', None)
    resource = getattr(v2, 'data_units', None) if v2 is not None else None
    if resource is not None and hasattr(resource, 'destroy'):
        resource.destroy(unit_id)
        return
    raise NotImplementedError(
        f'cannot delete data unit {unit_id}: the backend client offers no delete_data_unit() '
        '(v1) nor data_units.destroy() (v2); upgrade synapse-clients'
    )


class InitializeStep(BaseStep[UploadContext]):
    """Check the params and resolve the data collection, the source directory and the storage."""

    name = 'initialize'
    progress_weight = 1.0

    def execute(self, context: UploadContext) -> StepResult:
        client = context.client
        if client is None:
            raise BackendUnavailableError('Uploading to a data collection')
        params = context.params
        source = Path(params.path).expanduser()
        if not source.is_dir():
            raise FileNotFoundError(f'params.path: {source} is not a directory')
        context.source_dir = source
        context.collection = client.get_data_collection(params.data_collection)
        storage_id = getattr(params, 'storage', None)
        record = client.get_storage(storage_id) if storage_id else client.get_default_storage()
        if not record.get('configuration') and record.get('id') is not None:
            record = client.get_storage(record['id'])  # lists omit the configuration
        context.storage = _open_storage(record)
        prefix = getattr(params, 'prefix', None) or (
            f'uploads/collection-{params.data_collection}/{time.strftime("%Y%m%dT%H%M%S")}-{uuid.uuid4().hex[:8]}'
        )
        context.storage_prefix = prefix.strip('/')
        context.log('upload_initialized', {'collection': params.data_collection, 'storage': record.get('id')})
        return StepResult(data={'storage_prefix': context.storage_prefix})


class ValidateFilesStep(BaseStep[UploadContext]):
    """Find the files to upload and reject the whole run if any has a disallowed extension."""

    name = 'validate_files'
    progress_weight = 1.0

    def execute(self, context: UploadContext) -> StepResult:
        assert context.source_dir is not None
        files = sorted(
            p
            for p in context.source_dir.rglob('*')
            if p.is_file()
            and not any(part.startswith('.') for part in p.relative_to(context.source_dir).parts)
        )
        if not files:
            raise ValueError(f'params.path: no files to upload in {context.source_dir}')
        allowed = context.allowed_extensions
        if allowed is not None:
            accepted = {e.lower() if e.startswith('.') else f'.{e.lower()}' for e in allowed}
            bad = [p for p in files if p.suffix.lower() not in accepted]
            if bad:
                shown = ', '.join(str(p.relative_to(context.source_dir)) for p in bad[:10])
                more = f' and {len(bad) - 10} more' if len(bad) > 10 else ''
                raise ValueError(
                    f'{len(bad)} file(s) have an extension not allowed here ({", ".join(sorted(accepted))}): '
                    f'{shown}{more}'
                )
        context.files = files
        return StepResult(data={'file_count': len(files)})


def _spec_names(collection: dict[str, Any] | None) -> list[str]:
    specs = (collection or {}).get('file_specifications') or []
    ordered = sorted(specs, key=lambda s: (not s.get('is_primary'), not s.get('is_required')))
    return [s['name'] for s in ordered if s.get('name')]


def organize_by_specification(context: UploadContext) -> list[OrganizedUnit]:
    """Default grouping of files into data units.

    If the source directory has sub-directories named after the collection's file
    specifications (``image_1/``, ``label/`` ...), files with the same stem across them form one
    unit. Otherwise every file is a unit of its own under the primary specification.
    """
    assert context.source_dir is not None
    specs = _spec_names(context.collection)
    if not specs:
        raise ValueError(f'data collection {context.params.data_collection} has no file specifications')
    by_dir = {spec: context.source_dir / spec for spec in specs if (context.source_dir / spec).is_dir()}
    if not by_dir:
        return [OrganizedUnit(files={specs[0]: path}) for path in context.files]
    units: dict[str, dict[str, Path]] = {}
    ignored = 0
    for path in context.files:
        rel = path.relative_to(context.source_dir)
        if rel.parts[0] not in by_dir:
            ignored += 1
            continue
        stem = str(Path(*rel.parts[1:]).with_suffix(''))
        units.setdefault(stem, {})[rel.parts[0]] = path
    if ignored:
        context.log_message(
            f'{ignored} file(s) outside the specification directories ({", ".join(sorted(by_dir))}) are not uploaded',
            'warning',
        )
    return [OrganizedUnit(files=files) for _, files in sorted(units.items())]


class OrganizeFilesStep(BaseStep[UploadContext]):
    """Group the validated files into data units (``organize`` is the action's hook)."""

    name = 'organize_files'
    progress_weight = 1.0

    def __init__(self, organize: Callable[[UploadContext], list[OrganizedUnit]] = organize_by_specification):
        self.organize = organize

    def execute(self, context: UploadContext) -> StepResult:
        units = list(self.organize(context))
        if not units:
            raise ValueError('no data units could be formed from the files (check the directory layout)')
        for index, unit in enumerate(units):
            if not unit.files:
                raise ValueError(f'organized unit #{index} has no files')
        context.organized_files = units
        return StepResult(data={'unit_count': len(units)})


class UploadFilesStep(BaseStep[UploadContext]):
    """Copy every organized file into storage, recording each key as soon as it is written.

    A key that already exists is never overwritten (the run fails instead), so rolling back only
    ever deletes objects this run created. ``params.max_workers`` files are uploaded at once; on the
    first failure the queued ones are dropped and the running ones finish before the cleanup.
    """

    name = 'upload_files'
    progress_weight = 40.0

    def execute(self, context: UploadContext) -> StepResult:
        assert context.source_dir is not None
        paths = list(dict.fromkeys(path for unit in context.organized_files for path in unit.files.values()))
        total = len(paths)
        workers = max(1, int(getattr(context.params, 'max_workers', 1) or 1))
        lock = threading.Lock()
        if workers == 1 or total < 2:
            for done, path in enumerate(paths, 1):
                self._upload_one(context, path, lock)
                context.set_progress(done, total)
        else:
            pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix='synapse-upload')
            try:
                futures = [pool.submit(self._upload_one, context, path, lock) for path in paths]
                for done, future in enumerate(as_completed(futures), 1):
                    future.result()  # the first failure stops the step
                    context.set_progress(done, total)
            finally:
                # Queued uploads are dropped; running ones finish (and are recorded) before abort() runs.
                pool.shutdown(wait=True, cancel_futures=True)
        return StepResult(data={'uploaded': len(context.uploaded_files)})

    @staticmethod
    def _upload_one(context: UploadContext, path: Path, lock: threading.Lock) -> None:
        assert context.source_dir is not None
        assert context.storage is not None  # set by InitializeStep
        key = f'{context.storage_prefix}/{path.relative_to(context.source_dir).as_posix()}'
        if context.storage.exists(key):
            # Never overwrite: the rollback deletes what this run wrote, which must not be someone's data.
            raise FileExistsError(f'storage key {key!r} already exists; choose another params.prefix')
        checksum = file_checksum(path)
        size = path.stat().st_size
        # Record before writing: if the write fails midway, abort() still removes any partial object.
        with lock:
            context.uploaded_files[str(path)] = UploadedFile(path, key, checksum, size)
        context.storage.upload(path, key)

    def _delete_all(self, context: UploadContext) -> None:
        errors: list[str] = []
        for record in list(context.uploaded_files.values()):
            try:
                assert context.storage is not None  # a file was uploaded, so InitializeStep set it
                context.storage.delete(record.key, missing_ok=True)
            except Exception as exc:
                errors.append(f'{record.key}: {type(exc).__name__}: {exc}')
                continue
            context.uploaded_files.pop(str(record.source), None)
        context.log('upload_files_rolled_back', {'remaining': len(context.uploaded_files)})
        if errors:
            raise RuntimeError(f'could not delete {len(errors)} uploaded file(s): ' + '; '.join(errors[:5]))

    def rollback(self, context: UploadContext, result: StepResult) -> None:
        self._delete_all(context)

    def abort(self, context: UploadContext, error: BaseException | None) -> None:
        self._delete_all(context)


def _batches(items: list[OrganizedUnit], size: int) -> Iterator[list[OrganizedUnit]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


class CreateDataUnitsStep(BaseStep[UploadContext]):
    """Register one data unit per organized unit, in batches, recording every created id."""

    name = 'create_data_units'
    progress_weight = 50.0

    def execute(self, context: UploadContext) -> StepResult:
        client = context.client
        collection_id = context.params.data_collection
        batch_size = int(getattr(context.params, 'batch_size', 100) or 100)
        units = context.organized_files
        base_meta = dict(getattr(context.params, 'meta', None) or {})
        done = 0
        for batch in _batches(units, batch_size):
            payload = []
            for unit in batch:
                files = {}
                for spec, path in unit.files.items():
                    record = context.uploaded_files[str(path)]
                    files[spec] = {'checksum': record.checksum, 'path': record.key}
                item: dict[str, Any] = {
                    'data_collection': collection_id,
                    'files': files,
                    'meta': {**base_meta, **unit.meta},
                }
                if unit.groups:
                    item['groups'] = list(unit.groups)
                payload.append(item)
            assert client is not None  # InitializeStep refused to start without one
            response = client.create_data_units(payload)
            created = (
                response.get('results', [response]) if isinstance(response, dict) else list(response or [])
            )
            context.data_units.extend(created)
            done += len(batch)
            context.set_progress(done, len(units))
        return StepResult(data={'data_unit_ids': [u.get('id') for u in context.data_units]})

    def _delete_all(self, context: UploadContext) -> None:
        errors: list[str] = []
        for unit in list(reversed(context.data_units)):
            try:
                delete_data_unit(context.runtime_ctx, unit['id'])
            except Exception as exc:
                errors.append(f'{unit.get("id")}: {type(exc).__name__}: {exc}')
                continue
            context.data_units.remove(unit)
        context.log('data_units_rolled_back', {'remaining': len(context.data_units)})
        if errors:
            raise RuntimeError(f'could not delete {len(errors)} data unit(s): ' + '; '.join(errors[:5]))

    def rollback(self, context: UploadContext, result: StepResult) -> None:
        self._delete_all(context)

    def abort(self, context: UploadContext, error: BaseException | None) -> None:
        self._delete_all(context)


class FinalizeStep(BaseStep[UploadContext]):
    """Report what was uploaded."""

    name = 'finalize'
    progress_weight = 1.0

    def execute(self, context: UploadContext) -> StepResult:
        summary = {'files': len(context.uploaded_files), 'data_units': len(context.data_units)}
        context.log('upload_completed', summary)
        context.log_message(
            f'Uploaded {summary["files"]} file(s) as {summary["data_units"]} data unit(s)', 'success'
        )
        return StepResult(data=summary)
