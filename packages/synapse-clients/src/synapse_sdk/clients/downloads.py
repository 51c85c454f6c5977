"""`FileDownloader`: fetch files by URL (presigned storage links, backend media), retried and verified.

Used by exports that save original files. Each URL is fetched with the transport every client
uses (`HttpCore`: the same `RetryPolicy`, ``Retry-After`` handling, timeouts and error types), but
through a session that carries **no credentials**: file URLs point at storage on other origins,
and the backend's tokens must never reach them. A presigned URL's signature never appears in an
error or a log line (`redact_url`).

A download is streamed to ``<dest>.partial`` and renamed into place once verified: the byte count
against ``Content-Length`` and the expected size, and the digest against the expected checksum
(md5, sha1 or sha256, told apart by length) when the backend gives them. A body that breaks off
midway or fails verification is fetched again, up to the policy's ``max_attempts``; what still
fails is a `FileDownloadError`, never a missing file nobody noticed.

File names are handled as strings, never as `pathlib` paths: up to Python 3.11 `pathlib` interns every
path component (``sys.intern``), so a path per file puts every file name of an export into the
interpreter's table of interned strings. A name leaves the table when its path is freed but leaves a
dead slot behind, and every few tens of thousands of names the table is rebuilt: a new table of 1-2 MB,
allocated in whichever thread added the last name (often a download thread, whose allocator arena
then keeps the memory). That was most of the peak-memory growth of an export with original files
from 10,000 to 100,000 files.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import threading
import time
from typing import Any
from urllib.parse import urlsplit

import requests

from synapse_sdk.clients._http import HttpCore, RetryPolicy, Timeout
from synapse_sdk.clients.exceptions import ClientError
from synapse_sdk.security.redaction import redact_url

__all__ = ['FileDownloadError', 'FileDownloader', 'digest_for']

CHUNK = 256 * 1024
_DIGESTS = {32: 'md5', 40: 'sha1', 64: 'sha256'}


class FileDownloadError(ClientError):
    """A file could not be downloaded (or did not verify) within the retry budget.

    ``url`` is the URL with its credentials masked; ``reason`` says what went wrong on the last attempt.
    """

    default_message = 'download failed'

    def __init__(self, message: str | None = None, *, reason: str = '', **kwargs: Any) -> None:
        self.reason = reason or message or self.default_message
        if message is None and reason:
            message = f'{self.default_message}: {reason}'  # the text says why, not only that it failed
        super().__init__(message, **kwargs)


class _Mismatch(Exception):
    """The body arrived but is not the file that was promised (size or checksum)."""


def digest_for(checksum: str | None) -> str | None:
    """The hashlib name of a hex `checksum` by its length (md5, sha1, sha256), else None."""
    if not checksum or not isinstance(checksum, str):
        return None
    checksum = checksum.split(':', 1)[-1]
    try:
        int(checksum, 16)
    except ValueError:
        return None
    return _DIGESTS.get(len(checksum))


class FileDownloader:
    """Downloads files with the clients' retry rules; safe to share between threads.

    ``concurrency`` sizes the connection pool (one per origin): use it as the worker count of the
    thread pool that calls `download`.
    """

    def __init__(
        self,
        *,
        concurrency: int = 8,
        retry: RetryPolicy | None = None,
        timeout: Timeout | None = None,
    ) -> None:
        self.concurrency = concurrency
        self.retry = retry or RetryPolicy()
        self.timeout = timeout or Timeout(5.0, 60.0)
        self._cores: dict[str, HttpCore] = {}
        self._lock = threading.Lock()
        self.sleep = time.sleep

    def __enter__(self) -> FileDownloader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        with self._lock:
            cores, self._cores = list(self._cores.values()), {}
        for core in cores:
            core.close()

    def _core(self, url: str) -> HttpCore:
        parts = urlsplit(url)
        if parts.scheme not in ('http', 'https') or not parts.netloc:
            raise FileDownloadError(
                'not an http(s) URL', reason='not an http(s) URL', method='GET', url=redact_url(url)
            )
        origin = f'{parts.scheme}://{parts.netloc}'
        with self._lock:
            core = self._cores.get(origin)
            if core is None:
                # No headers: whatever credentials the backend clients hold never go to a file's origin.
                core = HttpCore(origin, timeout=self.timeout, retry=self.retry, pool_size=self.concurrency)
                core.sleep = lambda seconds: self.sleep(seconds)
                self._cores[origin] = core
            return core

    def download(
        self, url: str, dest: str | os.PathLike[str], *, size: int | None = None, checksum: str | None = None
    ) -> int:
        """Fetch `url` into `dest` (replaced atomically); return the number of bytes.

        `size` and `checksum` (hex md5/sha1/sha256, optionally ``algo:``-prefixed) are checked when
        given. Raises `FileDownloadError` once the retry budget is spent.
        """
        core = self._core(url)
        shown = redact_url(url)
        target = os.fspath(dest)  # a string, not a Path: see the module docstring (interning)
        partial = target + '.partial'
        algorithm = digest_for(checksum)
        expected_digest = checksum.split(':', 1)[-1].lower() if algorithm and checksum else None
        policy = self.retry
        attempt = 0
        while True:
            attempt += 1
            try:
                written = self._fetch(core, url, partial, size, algorithm, expected_digest)
            except ClientError as exc:  # the transport already retried what may be retried
                with contextlib.suppress(OSError):
                    os.unlink(partial)
                raise FileDownloadError(
                    reason=str(exc.message),
                    status_code=exc.status_code,
                    method='GET',
                    url=shown,
                    attempts=exc.attempts + attempt - 1,
                ) from None
            except (requests.RequestException, _Mismatch) as exc:
                with contextlib.suppress(OSError):
                    os.unlink(partial)
                reason = (
                    str(exc)
                    if isinstance(exc, _Mismatch)
                    else f'connection broke mid-body ({type(exc).__name__})'
                )
                if attempt >= policy.max_attempts:
                    raise FileDownloadError(
                        reason=reason, method='GET', url=shown, attempts=attempt
                    ) from None
                self.sleep(policy.wait_for(attempt - 1, None))
                continue
            os.replace(partial, target)
            return written

    @staticmethod
    def _fetch(
        core: HttpCore,
        url: str,
        partial: str,
        size: int | None,
        algorithm: str | None,
        expected_digest: str | None,
    ) -> int:
        hasher = hashlib.new(algorithm) if algorithm else None
        written = 0
        with core.request('GET', url, stream=True) as response:
            length = response.headers.get('Content-Length')
            with open(partial, 'wb') as out:
                for chunk in response.iter_content(CHUNK):
                    out.write(chunk)
                    written += len(chunk)
                    if hasher is not None:
                        hasher.update(chunk)
        if (
            length is not None
            and length.isdigit()
            and int(length) != written
            and 'Content-Encoding' not in response.headers
        ):
            raise _Mismatch(f'received {written} of {length} bytes')
        if size is not None and written != size:
            raise _Mismatch(f'size {written} bytes, expected {size}')
        if hasher is not None and hasher.hexdigest() != expected_digest:
            raise _Mismatch(f'{algorithm} {hasher.hexdigest()} does not match the expected {expected_digest}')
        return written
