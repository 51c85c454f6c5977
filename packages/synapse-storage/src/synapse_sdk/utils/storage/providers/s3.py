"""S3 and S3-compatible servers (``s3`` / ``amazon_s3`` / ``minio``), through boto3."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

from synapse_sdk.security.redaction import redact_url, scrub
from synapse_sdk.utils.storage.base import LazyClientMixin, StorageMixin, buffered, check_timeout
from synapse_sdk.utils.storage.deps import import_optional
from synapse_sdk.utils.storage.errors import (
    StorageConfigError,
    StorageConnectionError,
    StorageError,
    StorageNotFoundError,
    StoragePermissionError,
)
from synapse_sdk.utils.storage.keys import dir_prefix, normalize_key
from synapse_sdk.utils.storage.protocol import StorageEntry

_MISSING = {'404', 'NoSuchKey', 'NotFound'}
_DENIED = {'403', 'AccessDenied', 'AllAccessDisabled', 'InvalidAccessKeyId', 'SignatureDoesNotMatch'}

#: Attempts of each request (botocore's default ``standard`` retry mode and count, pinned here so that
#: ``AWS_MAX_ATTEMPTS``/``AWS_RETRY_MODE`` or an AWS config file cannot unbound them), and of each managed
#: download's body (s3transfer's own retries, 5 by default): a dead endpoint fails after about
#: ``ATTEMPTS * timeout``, not 3 x botocore's 60 s read timeout (~180 s) or, for a download, ~6-7 minutes.
ATTEMPTS = 3


class S3Storage(LazyClientMixin, StorageMixin):
    """Objects in one S3 bucket. ``endpoint_url`` points at an S3-compatible server (MinIO, moto ...), which is
    then addressed path-style. Uploads and downloads go through boto3's managed transfer (multipart, streamed).

    ``timeout`` (seconds, default 30) bounds each attempt: connecting, and each wait for data (the response's
    headers, every read of a body). A failed request is tried `ATTEMPTS` (3) times in all, with botocore's
    ``standard`` retry mode (jittered backoff, throttling answers included), and so is a download whose body
    breaks off: an endpoint that is down or silent fails with :class:`StorageConnectionError` after about
    3 x ``timeout`` at most (a closed port within seconds; an upload waits 1 s more per attempt, botocore's
    fixed wait for a ``100 Continue``), naming the action, the object and the endpoint.
    """

    provider = 's3'

    def __init__(
        self,
        bucket_name: str,
        access_key: str | None = None,
        secret_key: str | None = None,
        region_name: str = 'us-east-1',
        endpoint_url: str | None = None,
        session_token: str | None = None,
        timeout: float = 30,
    ) -> None:
        if not bucket_name or not isinstance(bucket_name, str):
            raise StorageConfigError("s3 storage: 'bucket_name' must be a non-empty string")
        if (access_key is None) != (secret_key is None):
            raise StorageConfigError("s3 storage: give both 'access_key' and 'secret_key', or neither")
        self.bucket_name = bucket_name
        self.region_name = region_name
        self.endpoint_url = endpoint_url
        self.timeout = check_timeout('s3', timeout)
        self.__secrets = {'access_key': access_key, 'secret_key': secret_key, 'session_token': session_token}
        self._reset_connections()

    def _describe(self) -> str:
        endpoint = f', endpoint_url={redact_url(self.endpoint_url)!r}' if self.endpoint_url else ''
        return f'bucket_name={self.bucket_name!r}, region_name={self.region_name!r}{endpoint}'

    def _make_client(self) -> Any:
        boto3 = import_optional('boto3', 's3', 's3')
        from botocore.config import Config

        options: dict[str, Any] = {
            'signature_version': 's3v4',
            'max_pool_connections': 16,
            'connect_timeout': self.timeout,
            'read_timeout': self.timeout,
            'retries': {'mode': 'standard', 'total_max_attempts': ATTEMPTS},
        }
        if self.endpoint_url:
            options['s3'] = {'addressing_style': 'path'}
        return boto3.session.Session().client(
            's3',
            aws_access_key_id=self.__secrets['access_key'],
            aws_secret_access_key=self.__secrets['secret_key'],
            aws_session_token=self.__secrets['session_token'],
            region_name=self.region_name,
            endpoint_url=self.endpoint_url,
            config=Config(**options),
        )

    @contextmanager
    def _errors(self, key: str, action: str) -> Iterator[None]:
        """Translate botocore exceptions into storage errors without leaking credentials."""
        import_optional('boto3', 's3', 's3')  # before anything else, so a missing boto3 names the extra
        from boto3.exceptions import Boto3Error, S3UploadFailedError
        from botocore import exceptions as bex
        from s3transfer.exceptions import RetriesExceededError  # type: ignore[import-untyped]  # s3transfer ships no types

        where = f's3://{self.bucket_name}/{key}'
        try:
            yield
        except S3UploadFailedError as exc:  # the managed transfer wraps the ClientError in text
            message = self._scrub(str(exc))
            if 'NoSuchBucket' in message:
                raise StorageNotFoundError(f's3 bucket {self.bucket_name!r} does not exist') from None
            if any(code in message for code in _DENIED):
                raise StoragePermissionError(f'{action} {where} refused: {message}') from None
            raise StorageError(f'{action} {where} failed: {message}') from None
        except bex.ClientError as exc:
            error = exc.response.get('Error', {})
            code = str(error.get('Code', ''))
            message = self._scrub(str(error.get('Message') or code))
            if code in _MISSING:
                raise StorageNotFoundError(f'{where} does not exist') from None
            if code == 'NoSuchBucket':
                raise StorageNotFoundError(f's3 bucket {self.bucket_name!r} does not exist') from None
            if code in _DENIED:
                raise StoragePermissionError(f'{action} {where} refused: {code} {message}') from None
            raise StorageError(f'{action} {where} failed: {code} {message}') from None
        except (bex.ConnectTimeoutError, bex.ReadTimeoutError):
            raise StorageConnectionError(
                f'{action} {where}: no answer from {self._endpoint()} within the timeout of {self.timeout:g} s'
            ) from None
        except bex.EndpointConnectionError:
            raise StorageConnectionError(f'{action} {where}: cannot connect to {self._endpoint()}') from None
        except (
            bex.ConnectionClosedError,
            bex.IncompleteReadError,  # a body that broke off midway
            bex.ResponseStreamingError,
        ):
            raise StorageConnectionError(
                f'{action} {where}: the connection to {self._endpoint()} broke off'
            ) from None
        except bex.NoCredentialsError:
            raise StorageConfigError(
                "s3 storage: no credentials; set 'access_key' and 'secret_key' in the configuration"
            ) from None
        except RetriesExceededError as exc:  # a managed download whose body kept breaking off
            cause = type(exc.last_exception).__name__ if exc.last_exception is not None else 'unknown'
            raise StorageConnectionError(
                f'{action} {where}: the transfer from {self._endpoint()} broke off on every attempt '
                f'(last: {cause})'
            ) from None
        except (bex.BotoCoreError, Boto3Error) as exc:
            raise StorageError(f'{action} {where} failed: {self._scrub(str(exc))}') from None

    def _endpoint(self) -> str:
        """The endpoint's URL, fit to show (no user info, no credential query parameters)."""
        url = self.endpoint_url or str(getattr(getattr(self._client_obj, 'meta', None), 'endpoint_url', ''))
        return redact_url(url) if url else 'the S3 endpoint'

    def _transfer(self) -> Any:
        from boto3.s3.transfer import TransferConfig

        return TransferConfig(num_download_attempts=ATTEMPTS)

    def _scrub(self, message: str) -> str:
        return scrub(message, list(self.__secrets.values()))

    def _upload(self, source: Path, key: str) -> None:
        with self._errors(key, 'upload to'):
            self.client.upload_file(str(source), self.bucket_name, key, Config=self._transfer())

    def _download_to(self, key: str, destination: Path) -> None:
        # Into an open file, not `download_file`: boto3 would write to a temporary name of its own,
        # cut to 255 characters, not bytes, which breaks legal names of multi-byte characters.
        with self._errors(key, 'download of'), destination.open('wb') as out:
            self.client.download_fileobj(self.bucket_name, key, out, Config=self._transfer())

    def _head(self, key: str) -> dict[str, Any]:
        with self._errors(key, 'stat of'):
            head: dict[str, Any] = self.client.head_object(Bucket=self.bucket_name, Key=key)
        return head

    def _exists(self, key: str) -> bool:
        try:
            self._head(key)
        except StorageNotFoundError:
            return False
        return True

    def _url(self, key: str) -> str:
        return f's3://{self.bucket_name}/{key}'

    def _entries(self, prefix: str, recursive: bool) -> Iterator[StorageEntry]:
        params: dict[str, Any] = {'Bucket': self.bucket_name, 'Prefix': dir_prefix(prefix)}
        if not recursive:
            params['Delimiter'] = '/'
        with self._errors(prefix, 'listing of'):
            for page in self.client.get_paginator('list_objects_v2').paginate(**params):
                for item in page.get('Contents', []):
                    if not item['Key'].endswith('/'):
                        yield StorageEntry(item['Key'], int(item['Size']))
                for common in page.get('CommonPrefixes', []):
                    yield StorageEntry(common['Prefix'].rstrip('/'), 0, True)

    def _delete(self, key: str) -> None:
        self._head(key)
        with self._errors(key, 'delete of'):
            self.client.delete_object(Bucket=self.bucket_name, Key=key)

    def _open(self, key: str) -> IO[bytes]:
        with self._errors(key, 'read of'):
            body = self.client.get_object(Bucket=self.bucket_name, Key=key)['Body']
        return buffered(body, guard=lambda: self._errors(key, 'read of'))

    def _size(self, key: str) -> int:
        return int(self._head(key)['ContentLength'])

    def _is_dir(self, key: str) -> bool:
        with self._errors(key, 'listing of'):
            page = self.client.list_objects_v2(Bucket=self.bucket_name, Prefix=dir_prefix(key), MaxKeys=1)
        return int(page.get('KeyCount', 0)) > 0

    def get_presigned_url(self, key: str, *, expires_in: int = 3600, method: str = 'get_object') -> str:
        """A time-limited HTTP URL for ``key`` (``method='put_object'`` for an upload URL)."""
        key = normalize_key(key, allow_root=False)
        with self._errors(key, 'presigning'):
            url: str = self.client.generate_presigned_url(
                method, Params={'Bucket': self.bucket_name, 'Key': key}, ExpiresIn=expires_in
            )
        return url


__all__ = ['S3Storage']
