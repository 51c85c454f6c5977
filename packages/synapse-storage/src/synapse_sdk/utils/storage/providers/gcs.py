"""Google Cloud Storage (``gcs`` / ``gs`` / ``gcp``), through google-cloud-storage."""

from __future__ import annotations

import base64
import functools
import hashlib
import importlib
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

from synapse_sdk.security.redaction import redact_url
from synapse_sdk.utils.file.checksum import calculate_checksum
from synapse_sdk.utils.storage.base import LazyClientMixin, StorageMixin, buffered, check_timeout
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


class _VerifiedBody:
    """A GCS object's stream checked, when read to its end, against the object's own digest.

    google-cloud-storage reads `Blob.open` streams in ranged requests and checks none of them (a range
    has no digest of its own). Every byte read here is hashed, in order from the first, and the first
    read that finds the end compares the whole with the CRC32C (or MD5) of the object's metadata, the
    digests GCS also sends in ``x-goog-hash``, fetched with the object's generation, so the bytes and the
    digest are of the same version. A mismatch or a short body raises `StorageError` from that read.
    """

    def __init__(self, stream: Any, blob: Any, where: str) -> None:
        self._stream = stream
        self._where = where
        self._size = int(blob.size or 0)
        self._seen = 0
        self._checked = False
        self._expected, self._digest, self._name = _object_digest(blob)

    def read(self, size: int = -1) -> bytes:
        data: bytes = self._stream.read(size)
        self._seen += len(data)
        if self._digest is not None:
            self._digest.update(data)
        if not data and size != 0 and not self._checked:
            self._checked = True
            self._check()
        return data

    def _check(self) -> None:
        if self._seen != self._size:
            raise StorageError(
                f'read of {self._where} failed: the body ended after {self._seen} of {self._size} bytes'
            )
        if self._digest is not None and self._digest.digest() != self._expected:
            raise StorageError(
                f'read of {self._where} failed: the body does not match the {self._name} checksum of '
                'the object (x-goog-hash)'
            )

    def close(self) -> None:
        self._stream.close()


def _object_digest(blob: Any) -> tuple[bytes, Any, str]:
    """``(expected digest, hasher, name)`` for `blob`'s bytes as read, or a ``None`` hasher when they cannot
    be checked: no digest in the metadata, or a gzip-encoded object (read decoded, its digests are of the
    stored bytes). CRC32C when google-crc32c has its C extension (fast), else MD5 when the object has one
    (composite objects have none), else CRC32C in pure Python."""
    if (blob.content_encoding or '').lower() == 'gzip':
        return b'', None, ''
    fast_crc = False
    crc32c_module: Any = None
    if blob.crc32c:
        try:
            crc32c_module = importlib.import_module('google_crc32c')
        except ImportError:
            crc32c_module = None
        fast_crc = crc32c_module is not None and getattr(crc32c_module, 'implementation', '') == 'c'
    if blob.md5_hash and not fast_crc:
        return base64.b64decode(blob.md5_hash), hashlib.md5(usedforsecurity=False), 'MD5'
    if crc32c_module is not None:
        return base64.b64decode(blob.crc32c), crc32c_module.Checksum(), 'CRC32C'
    return b'', None, ''


class GCSStorage(LazyClientMixin, StorageMixin):
    """Objects in one Google Cloud Storage bucket.

    ``credentials`` is a service-account JSON file path, its parsed ``dict`` or its JSON text; without it the
    client uses Application Default Credentials, or anonymous access when ``endpoint_url`` (an emulator or a
    private endpoint) is given. Files over 8 MiB use resumable uploads; reads and downloads are chunked. Chunk
    sizes are the library's own (100 MiB per upload request, 40 MiB per streamed read): at most one chunk is
    held in memory.

    ``timeout`` (seconds, default 30) bounds each request's attempt (connecting, and each wait for data) and
    is also the deadline of the library's retries of a failed request (its default is 120 s): retrying stops
    once the next attempt would start past ``timeout`` since the first. An endpoint that is down or silent
    fails with :class:`StorageConnectionError` after about ``timeout``, 2 x ``timeout`` at most (an attempt
    under way when the deadline passes is not cut short), naming the action, the object and the endpoint.
    """

    provider = 'gcs'

    def __init__(
        self,
        bucket_name: str,
        credentials: str | os.PathLike[str] | dict[str, Any] | None = None,
        project: str | None = None,
        endpoint_url: str | None = None,
        timeout: float = 30,
    ) -> None:
        if not bucket_name or not isinstance(bucket_name, str):
            raise StorageConfigError("gcs storage: 'bucket_name' must be a non-empty string")
        self.bucket_name = bucket_name
        self.project = project
        self.endpoint_url = endpoint_url
        self.timeout = check_timeout('gcs', timeout)
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

    def _limits(self) -> dict[str, Any]:
        """``timeout`` and ``retry`` for every call of the library: each attempt bounded by `timeout`, the
        library's own retry policy (which errors, what backoff) kept, its deadline cut to `timeout`."""
        from google.cloud.storage.retry import DEFAULT_RETRY

        return {'timeout': self.timeout, 'retry': DEFAULT_RETRY.with_timeout(self.timeout)}

    def _endpoint(self) -> str:
        """The endpoint's URL, fit to show (no user info, no credential query parameters)."""
        url = self.endpoint_url or str(getattr(self._client_obj, 'api_endpoint', '') or '')
        return redact_url(url) if url else 'the GCS endpoint'

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
        except gexc.RetryError as exc:
            last = f' (last: {type(exc.cause).__name__})' if exc.cause is not None else ''
            raise StorageConnectionError(
                f'{action} {where}: no answer from {self._endpoint()}; retries stop after {self.timeout:g} s{last}'
            ) from None
        except auth_exc.RefreshError:  # its text may quote the token endpoint's answer: withheld
            raise StoragePermissionError(
                f'{action} {where}: the credentials were refused (details withheld)'
            ) from None
        except rexc.Timeout:  # before ConnectionError: requests' ConnectTimeout is both
            raise StorageConnectionError(
                f'{action} {where}: no answer from {self._endpoint()} within the timeout of {self.timeout:g} s'
            ) from None
        except (auth_exc.TransportError, rexc.ConnectionError):
            raise StorageConnectionError(f'{action} {where}: cannot reach {self._endpoint()}') from None
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
            self._bucket().blob(key).upload_from_filename(str(source), **self._limits())

    def _download_to(self, key: str, destination: Path) -> None:
        with self._errors(key, 'download of'):
            blob = self._bucket().blob(key)
            blob.download_to_filename(str(destination), **self._limits())
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
            return bool(self._bucket().blob(key).exists(**self._limits()))

    def _url(self, key: str) -> str:
        return f'gs://{self.bucket_name}/{key}'

    def _entries(self, prefix: str, recursive: bool) -> Iterator[StorageEntry]:
        with self._errors(prefix, 'listing of'):
            blobs = self.client.list_blobs(
                self.bucket_name,
                prefix=dir_prefix(prefix),
                delimiter=None if recursive else '/',
                **self._limits(),
            )
            for blob in blobs:
                if not blob.name.endswith('/'):
                    yield StorageEntry(blob.name, int(blob.size or 0))
            for common in sorted(blobs.prefixes):
                yield StorageEntry(common.rstrip('/'), 0, True)

    def _delete(self, key: str) -> None:
        with self._errors(key, 'delete of'):
            self._bucket().blob(key).delete(**self._limits())

    def _open(self, key: str) -> IO[bytes]:
        with self._errors(key, 'read of'):
            blob = self._bucket().get_blob(key, **self._limits())
            if blob is None:
                raise StorageNotFoundError(f'gs://{self.bucket_name}/{key} does not exist')
            stream = blob.open('rb', **self._limits())  # google-cloud-storage is untyped (its BlobReader)
        body = _VerifiedBody(stream, blob, f'gs://{self.bucket_name}/{key}')
        return buffered(body, guard=lambda: self._errors(key, 'read of'))

    def _size(self, key: str) -> int:
        with self._errors(key, 'stat of'):
            blob = self._bucket().get_blob(key, **self._limits())
        if blob is None:
            raise StorageNotFoundError(f'gs://{self.bucket_name}/{key} does not exist')
        return int(blob.size or 0)

    def _is_dir(self, key: str) -> bool:
        with self._errors(key, 'listing of'):
            blobs = self.client.list_blobs(
                self.bucket_name, prefix=dir_prefix(key), max_results=1, **self._limits()
            )
            return any(True for _ in blobs)


#: v1 name of :class:`GCSStorage`.
GCPStorage = GCSStorage

__all__ = ['GCPStorage', 'GCSStorage']
