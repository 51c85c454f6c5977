"""Google Cloud Storage (``gcs`` / ``gs`` / ``gcp``), through google-cloud-storage."""

from __future__ import annotations

import base64
import functools
import importlib
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

from synapse_sdk.security.redaction import redact_url
from synapse_sdk.utils.file.checksum import calculate_checksum
from synapse_sdk.utils.storage.base import LazyClientMixin, StorageMixin, buffered
from synapse_sdk.utils.storage.deps import import_optional
from synapse_sdk.utils.storage.errors import (
    StorageConfigError,
    StorageConnectionError,
    StorageError,
    StorageNotFoundError,
    StoragePermissionError,
)
from synapse_sdk.utils.storage.keys import dir_prefix
from synapse_sdk.utils.storage.protocol import StorageEntry


@functools.cache
def _media_errors() -> tuple[type[Exception], ...]:
    """The download exceptions of google-cloud-storage: its own module from 3.0, google-resumable-media's
    before (3.x raises subclasses of both when both are installed)."""
    found: list[type[Exception]] = []
    for module in ('google.cloud.storage.exceptions', 'google.resumable_media.common'):
        try:
            imported = importlib.import_module(module)
        except ImportError:
            continue
        found += [
            getattr(imported, name)
            for name in ('InvalidResponse', 'DataCorruption')
            if hasattr(imported, name)
        ]
    return tuple(found)


class GCSStorage(LazyClientMixin, StorageMixin):
    """Objects in one Google Cloud Storage bucket.

    ``credentials`` is a service-account JSON file path, its parsed ``dict`` or its JSON text; without it the
    client uses Application Default Credentials, or anonymous access when ``endpoint_url`` (an emulator or a
    private endpoint) is given. Files over 8 MiB use resumable uploads; reads and downloads are chunked. Chunk
    sizes are the library's own (100 MiB per upload request, 40 MiB per streamed read): at most one chunk is
    held in memory.
    """

    provider = 'gcs'

    def __init__(
        self,
        bucket_name: str,
        credentials: str | os.PathLike[str] | dict[str, Any] | None = None,
        project: str | None = None,
        endpoint_url: str | None = None,
    ) -> None:
        if not bucket_name or not isinstance(bucket_name, str):
            raise StorageConfigError("gcs storage: 'bucket_name' must be a non-empty string")
        self.bucket_name = bucket_name
        self.project = project
        self.endpoint_url = endpoint_url
        self.__credentials = credentials
        self._reset_connections()

    def _describe(self) -> str:
        endpoint = f', endpoint_url={redact_url(self.endpoint_url)!r}' if self.endpoint_url else ''
        return f'bucket_name={self.bucket_name!r}, project={self.project!r}{endpoint}'

    def _load_credentials(self) -> Any:
        raw = self.__credentials
        if raw is None:
            if self.endpoint_url:
                from google.auth.credentials import AnonymousCredentials

                return AnonymousCredentials()  # type: ignore[no-untyped-call]  # google-auth leaves its __init__ unannotated
            return None
        from google.oauth2 import service_account

        info: dict[str, Any]
        if isinstance(raw, dict):
            info = raw
        elif isinstance(raw, str) and raw.lstrip().startswith('{'):
            try:
                info = json.loads(raw)
            except json.JSONDecodeError:
                raise StorageConfigError("gcs storage: 'credentials' is not valid JSON") from None
        else:
            path = Path(raw).expanduser()
            if not path.is_file():
                raise StorageConfigError(f"gcs storage: 'credentials' file {str(path)!r} does not exist")
            try:
                info = json.loads(path.read_text())
            except (OSError, json.JSONDecodeError):
                raise StorageConfigError(
                    f"gcs storage: 'credentials' file {str(path)!r} is not JSON"
                ) from None
        try:
            return service_account.Credentials.from_service_account_info(info)  # type: ignore[no-untyped-call]  # unannotated in google-auth
        except (ValueError, KeyError):
            raise StorageConfigError(
                "gcs storage: 'credentials' is not a valid service-account key (details withheld)"
            ) from None

    def _make_client(self) -> Any:
        gcs = import_optional('google.cloud.storage', 'gcs', 'gcs')
        from google.auth import exceptions as auth_exceptions

        options = {'api_endpoint': self.endpoint_url} if self.endpoint_url else None
        credentials = self._load_credentials()
        project = self.project or (getattr(credentials, 'project_id', None)) or ('local' if options else None)
        try:
            return gcs.Client(project=project, credentials=credentials, client_options=options)
        except auth_exceptions.DefaultCredentialsError:
            raise StorageConfigError(
                "gcs storage: no 'credentials' configured and no Application Default Credentials found"
            ) from None

    @contextmanager
    def _errors(self, key: str, action: str) -> Iterator[None]:
        import_optional('google.cloud.storage', 'gcs', 'gcs')  # a missing library names the extra
        from google.api_core import exceptions as gexc
        from google.auth import exceptions as auth_exc
        from requests import exceptions as rexc

        where = f'gs://{self.bucket_name}/{key}'
        media_errors = _media_errors()
        try:
            yield
        except StorageError:
            raise
        except gexc.NotFound:
            if action == 'upload to':
                raise StorageNotFoundError(f'gcs bucket {self.bucket_name!r} does not exist') from None
            raise StorageNotFoundError(f'{where} does not exist') from None
        except (gexc.Forbidden, gexc.Unauthorized) as exc:
            raise StoragePermissionError(f'{action} {where} refused: {exc.code} {exc.message}') from None
        except gexc.GoogleAPICallError as exc:
            raise StorageError(f'{action} {where} failed: {exc.code} {exc.message}') from None
        except gexc.RetryError:
            raise StorageConnectionError(
                f'{action} {where}: no answer from the GCS endpoint within the retry deadline'
            ) from None
        except auth_exc.RefreshError:  # its text may quote the token endpoint's answer: withheld
            raise StoragePermissionError(
                f'{action} {where}: the credentials were refused (details withheld)'
            ) from None
        except (auth_exc.TransportError, rexc.ConnectionError):
            raise StorageConnectionError(f'{action} {where}: cannot reach the GCS endpoint') from None
        except rexc.Timeout:
            raise StorageConnectionError(f'{action} {where}: the GCS endpoint timed out') from None
        except media_errors as exc:  # a download that does not match its checksum or status
            why = (
                'the body does not match the checksum the server sent'
                if 'Corruption' in type(exc).__name__
                else ''
            )
            raise StorageError(f'{action} {where} failed: {why or type(exc).__name__}') from None
        except (rexc.RequestException, auth_exc.GoogleAuthError) as exc:
            raise StorageError(f'{action} {where} failed: {type(exc).__name__}') from None

    def _bucket(self) -> Any:
        return self.client.bucket(self.bucket_name)

    def _upload(self, source: Path, key: str) -> None:
        with self._errors(key, 'upload to'):
            self._bucket().blob(key).upload_from_filename(str(source))

    def _download_to(self, key: str, destination: Path) -> None:
        with self._errors(key, 'download of'):
            blob = self._bucket().blob(key)
            blob.download_to_filename(str(destination))
        # google-cloud-storage checks one digest of the answer's `x-goog-hash`, CRC32C when its C
        # extension is installed (as here), and skips the check when that one is absent: an answer
        # carrying only an MD5 (an emulator, a proxy, some endpoints) was accepted whatever its body.
        # Then the MD5 is checked here (one more read of the file, only for such answers). A gzip-encoded
        # answer's digests are of the stored bytes, not of the decoded file, so it cannot be checked here.
        if blob.md5_hash and not blob.crc32c and (blob.content_encoding or '').lower() != 'gzip':
            expected = base64.b64decode(blob.md5_hash).hex()
            if calculate_checksum(destination, 'md5') != expected:
                raise StorageError(
                    f'download of gs://{self.bucket_name}/{key} failed: the body does not match the MD5 '
                    'checksum the server sent (x-goog-hash)'
                )

    def _exists(self, key: str) -> bool:
        with self._errors(key, 'stat of'):
            return bool(self._bucket().blob(key).exists())

    def _url(self, key: str) -> str:
        return f'gs://{self.bucket_name}/{key}'

    def _entries(self, prefix: str, recursive: bool) -> Iterator[StorageEntry]:
        with self._errors(prefix, 'listing of'):
            blobs = self.client.list_blobs(
                self.bucket_name, prefix=dir_prefix(prefix), delimiter=None if recursive else '/'
            )
            for blob in blobs:
                if not blob.name.endswith('/'):
                    yield StorageEntry(blob.name, int(blob.size or 0))
            for common in sorted(blobs.prefixes):
                yield StorageEntry(common.rstrip('/'), 0, True)

    def _delete(self, key: str) -> None:
        with self._errors(key, 'delete of'):
            self._bucket().blob(key).delete()

    def _open(self, key: str) -> IO[bytes]:
        with self._errors(key, 'read of'):
            blob = self._bucket().get_blob(key)
            if blob is None:
                raise StorageNotFoundError(f'gs://{self.bucket_name}/{key} does not exist')
            stream = blob.open('rb')  # google-cloud-storage is untyped (its BlobReader)
        return buffered(stream, guard=lambda: self._errors(key, 'read of'))

    def _size(self, key: str) -> int:
        with self._errors(key, 'stat of'):
            blob = self._bucket().get_blob(key)
        if blob is None:
            raise StorageNotFoundError(f'gs://{self.bucket_name}/{key} does not exist')
        return int(blob.size or 0)

    def _is_dir(self, key: str) -> bool:
        with self._errors(key, 'listing of'):
            blobs = self.client.list_blobs(self.bucket_name, prefix=dir_prefix(key), max_results=1)
            return any(True for _ in blobs)


#: v1 name of :class:`GCSStorage`.
GCPStorage = GCSStorage

__all__ = ['GCPStorage', 'GCSStorage']
