"""Plugin upload utilities: put a plugin (as a zip, a built wheel, or a file from a URL) on a storage under a
checksum-derived name, skipping the upload when that exact content is already there.

Names: ``[target_prefix/]dev-<md5>.zip`` for archives, ``[target_prefix/]dev-<md5>/<wheel file name>`` for
wheels (a wheel must keep its own file name to stay installable). The checksum is that of the deterministic
source archive (:func:`~synapse_sdk.utils.file.create_archive`), so unchanged sources are never uploaded or
built twice.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from synapse_sdk.security.redaction import redact_url
from synapse_sdk.utils.file.archive import create_archive, create_archive_from_git, extract_archive
from synapse_sdk.utils.file.checksum import calculate_checksum
from synapse_sdk.utils.storage.errors import StorageError, StorageUploadError
from synapse_sdk.utils.storage.keys import join_key, normalize_key
from synapse_sdk.utils.storage.registry import get_storage


class PluginBuildError(StorageUploadError):
    """Building the plugin wheel failed (no ``pyproject.toml``, build tool missing or failing)."""


@dataclass(frozen=True)
class UploadResult:
    """Where a plugin artefact ended up."""

    url: str
    key: str
    #: md5 identifying the content: of the archive (or downloaded file), or of the source archive for wheels.
    checksum: str
    #: Size in bytes of the stored file.
    size: int
    #: True when the same content was already stored and nothing was uploaded.
    is_cached: bool


def _storage(storage: Mapping[str, Any] | Any) -> Any:
    return get_storage(storage)


def _prefix(target_prefix: str) -> str:
    return normalize_key(target_prefix) if target_prefix else ''


def _store(storage: Any, source: Path, key: str, checksum: str, skip_existing: bool) -> UploadResult:
    if skip_existing and storage.exists(key):
        return UploadResult(storage.get_url(key), key, checksum, _size(storage, key, source), True)
    url = storage.upload(source, key)
    return UploadResult(url, key, checksum, source.stat().st_size, False)


def _size(storage: Any, key: str, fallback: Path | None) -> int:
    size = getattr(storage, 'size', None)
    if callable(size):
        return int(size(key))
    return fallback.stat().st_size if fallback is not None else -1


def archive_and_upload(
    plugin_dir: str | os.PathLike[str],
    storage: Mapping[str, Any] | Any,
    *,
    target_prefix: str = '',
    ignore: Iterable[str] | None = None,
    ref: str | None = None,
    skip_existing: bool = True,
) -> UploadResult:
    """Zip ``plugin_dir`` (honouring ``.gitignore``/``.synapseignore`` and ``ignore``; or, with ``ref``, the
    committed tree of that git ref) and upload it as ``dev-<md5>.zip``. ``storage`` is a config dict or a
    storage object."""
    store = _storage(storage)
    with tempfile.TemporaryDirectory(prefix='synapse-plugin-') as tmp:
        archive = Path(tmp) / 'plugin.zip'
        if ref is not None:
            create_archive_from_git(plugin_dir, ref, archive)
        else:
            create_archive(plugin_dir, archive, ignore)
        checksum = calculate_checksum(archive, 'md5')
        key = join_key(_prefix(target_prefix), f'dev-{checksum}.zip')
        return _store(store, archive, key, checksum, skip_existing)


def _build_command(source: Path, out_dir: Path) -> list[str]:
    uv = shutil.which('uv')
    if uv is not None:
        return [uv, 'build', '--wheel', '--out-dir', str(out_dir), str(source)]
    return [sys.executable, '-m', 'pip', 'wheel', '--no-deps', '--wheel-dir', str(out_dir), str(source)]


def _cached_wheel(store: Any, prefix: str) -> str | None:
    """The key of a wheel already stored under ``prefix``, if the storage can list it."""
    lister = getattr(store, 'list', None)
    if not callable(lister):
        return None
    try:
        return next((key for key in lister(prefix) if key.endswith('.whl')), None)
    except (StorageError, NotImplementedError):
        return None


def build_and_upload(
    plugin_dir: str | os.PathLike[str],
    storage: Mapping[str, Any] | Any,
    *,
    target_prefix: str = '',
    ignore: Iterable[str] | None = None,
    skip_existing: bool = True,
    timeout: float = 600,
) -> UploadResult:
    """Build a wheel of ``plugin_dir`` with ``uv build`` (or ``python -m pip wheel`` when uv is not on PATH)
    and upload it as ``dev-<md5>/<wheel>``.

    The wheel is built from a clean copy of exactly the files that go into the plugin archive, so ignored and
    untracked clutter never ends up in it and the source directory gains no build artefacts.
    """
    source = Path(plugin_dir)
    if not (source / 'pyproject.toml').is_file() and not (source / 'setup.py').is_file():
        raise PluginBuildError(f'Cannot build {str(source)!r}: it has no pyproject.toml (or setup.py)')
    store = _storage(storage)
    with tempfile.TemporaryDirectory(prefix='synapse-build-') as tmp:
        archive = Path(tmp) / 'source.zip'
        create_archive(source, archive, ignore)
        checksum = calculate_checksum(archive, 'md5')
        prefix = join_key(_prefix(target_prefix), f'dev-{checksum}')
        if skip_existing:
            cached = _cached_wheel(store, prefix)
            if cached is not None:
                return UploadResult(store.get_url(cached), cached, checksum, _size(store, cached, None), True)
        tree = extract_archive(archive, Path(tmp) / 'src')
        out_dir = Path(tmp) / 'dist'
        env = {**os.environ, 'SOURCE_DATE_EPOCH': '315532800'}
        command = _build_command(tree, out_dir)
        try:
            result = subprocess.run(
                command, capture_output=True, text=True, timeout=timeout, env=env, check=False
            )
        except subprocess.TimeoutExpired:
            raise PluginBuildError(f'Building {str(source)!r} took longer than {timeout} s') from None
        if result.returncode != 0:
            tail = (result.stderr or result.stdout).strip().splitlines()[-15:]
            raise PluginBuildError(
                f'Building {str(source)!r} with `{Path(command[0]).name}` failed:\n' + '\n'.join(tail)
            )
        wheels = sorted(out_dir.glob('*.whl'))
        if len(wheels) != 1:
            raise PluginBuildError(f'Building {str(source)!r} produced {len(wheels)} wheels, expected one')
        wheel = wheels[0]
        key = join_key(prefix, wheel.name)
        return _store(store, wheel, key, checksum, skip_existing=False)


_SUFFIXES = ('.tar.gz', '.tgz', '.zip', '.whl')


def download_and_upload(
    url: str,
    storage: Mapping[str, Any] | Any,
    *,
    target_prefix: str = '',
    skip_existing: bool = True,
    timeout: float = 60,
    headers: Mapping[str, str] | None = None,
) -> UploadResult:
    """Download ``url`` (streamed to a temporary file) and upload it as ``dev-<md5><suffix>`` (a wheel keeps
    its name: ``dev-<md5>/<wheel>``). ``headers`` (e.g. authorization) are never echoed in errors and never
    follow a redirect to another origin (a presigned or CDN redirect is followed without them); without
    ``headers`` the URL itself is the credential and is followed as given. ``timeout`` bounds the arrival
    of the response headers as a whole and is the idle deadline of the body."""
    import requests

    from synapse_sdk.utils.storage.providers.http import OriginBoundSession

    parts = urlsplit(url)
    if parts.scheme not in ('http', 'https'):
        raise StorageUploadError(f'download_and_upload needs an http(s) URL, got {redact_url(url)!r}')
    filename = unquote(parts.path.rsplit('/', 1)[-1]) or 'plugin.zip'
    suffix = next((s for s in _SUFFIXES if filename.endswith(s)), '.zip')
    store = _storage(storage)
    with tempfile.TemporaryDirectory(prefix='synapse-download-') as tmp:
        local = Path(tmp) / 'download'
        digest = hashlib.md5(usedforsecurity=False)
        try:
            session = OriginBoundSession(headers)
            with session, session.send_within(timeout, 'GET', url, stream=True, timeout=timeout) as response:
                if response.status_code >= 400:
                    raise StorageUploadError(
                        f'Downloading {redact_url(url)} failed: HTTP {response.status_code}'
                    )
                with local.open('wb') as out:
                    for chunk in response.iter_content(1024 * 1024):
                        digest.update(chunk)
                        out.write(chunk)
        except requests.RequestException as exc:
            raise StorageUploadError(f'Downloading {redact_url(url)} failed: {type(exc).__name__}') from None
        checksum = digest.hexdigest()
        if suffix == '.whl':
            key = join_key(
                _prefix(target_prefix), f'dev-{checksum}/{normalize_key(filename, allow_root=False)}'
            )
        else:
            key = join_key(_prefix(target_prefix), f'dev-{checksum}{suffix}')
        return _store(store, local, key, checksum, skip_existing)


__all__ = [
    'PluginBuildError',
    'UploadResult',
    'archive_and_upload',
    'build_and_upload',
    'download_and_upload',
]
