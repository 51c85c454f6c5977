"""Real servers for the storage tests: moto (S3), the GCS emulator, OpenSSH sshd and HTTP servers.

Each is started once per session on a free 127.0.0.1 port (see ``servers.py``). When a component cannot be had,
the tests that need it skip with the reason, unless ``SYNAPSE_TEST_STRICT=1`` (set on CI): then they fail.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import sys
import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest


def _load_servers() -> Any:
    # --import-mode=importlib puts nothing on sys.path, so the sibling module is loaded by path.
    name = 'synapse_storage_test_servers'
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, Path(__file__).with_name('servers.py'))
        module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
        sys.modules[name] = module
        spec.loader.exec_module(module)  # type: ignore[union-attr]
    return sys.modules[name]


servers = _load_servers()
STRICT = os.environ.get('SYNAPSE_TEST_STRICT') == '1'
PROVIDERS = ['local', 's3', 'gcs', 'sftp', 'http']
MB = 1024 * 1024


def unavailable(reason: str) -> None:
    """Skip (or, on CI, fail) because a test component is missing."""
    if STRICT:
        pytest.fail(f'{reason} (SYNAPSE_TEST_STRICT=1 forbids skipping)', pytrace=False)
    pytest.skip(reason)


def _hold(manager: AbstractContextManager[Any]) -> Iterator[Any]:
    """Enter a server context manager for a fixture, turning ``Unavailable`` into skip/fail."""
    try:
        server = manager.__enter__()
    except servers.Unavailable as exc:
        unavailable(str(exc))
    try:
        yield server
    finally:
        manager.__exit__(None, None, None)


def write_random(path: Path, size: int) -> Path:
    """A file of ``size`` random bytes, written in 1 MiB blocks."""
    with path.open('wb') as out:
        for _ in range(size // MB):
            out.write(os.urandom(MB))
        out.write(os.urandom(size % MB))
    return path


@pytest.fixture(scope='session')
def s3_server() -> Iterator[Any]:
    yield from _hold(servers.moto_server())


@pytest.fixture(scope='session')
def gcs_server() -> Iterator[Any]:
    yield from _hold(servers.gcs_emulator())


@pytest.fixture(scope='session')
def sftp_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    yield from _hold(servers.sshd(tmp_path_factory.mktemp('sshd')))


@pytest.fixture(scope='session')
def http_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    yield from _hold(servers.http_file_server(tmp_path_factory.mktemp('http-rw'), writable=True))


@pytest.fixture(scope='session')
def readonly_http_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    yield from _hold(servers.http_file_server(tmp_path_factory.mktemp('http-ro'), writable=False))


# --- one storage per test, per provider --------------------------------------------------------------------
@dataclass
class ProviderCase:
    """A fresh, empty storage of one provider and the means to reach it from outside the SDK."""

    name: str
    config: dict[str, Any]
    #: Put a file at a key bypassing the SDK (``seed(key, data)``).
    seed: Callable[[str, bytes], None]


@pytest.fixture(scope='session')
def provider_factory(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Callable[[str], ProviderCase]:
    """``provider_factory(name)`` builds an isolated, empty storage of that provider."""

    def build(name: str) -> ProviderCase:
        unique = uuid.uuid4().hex[:12]
        if name == 'local':
            root = tmp_path_factory.mktemp('local')
            return ProviderCase(
                name, {'provider': 'local', 'configuration': {'location': str(root)}}, _file_seeder(root)
            )
        if name == 's3':
            server = request.getfixturevalue('s3_server')
            bucket = f'bucket-{unique}'
            client = server.client()
            client.create_bucket(Bucket=bucket)
            return ProviderCase(
                name,
                server.config(bucket),
                lambda key, data: client.put_object(Bucket=bucket, Key=key, Body=data),
            )
        if name == 'gcs':
            gserver = request.getfixturevalue('gcs_server')
            bucket = f'bucket-{unique}'
            gclient = gserver.client()
            gbucket = gclient.create_bucket(bucket)
            return ProviderCase(
                name, gserver.config(bucket), lambda key, data: gbucket.blob(key).upload_from_string(data)
            )
        if name == 'sftp':
            sserver = request.getfixturevalue('sftp_server')
            root = sserver.root / unique
            root.mkdir()
            return ProviderCase(name, sserver.config(root), _file_seeder(root))
        if name == 'http':
            hserver = request.getfixturevalue('http_server')
            root = hserver.root / unique
            root.mkdir()
            config = {
                'provider': 'http',
                'configuration': {'base_url': f'{hserver.base_url}{unique}/', 'timeout': 30},
            }
            return ProviderCase(name, config, _file_seeder(root))
        raise ValueError(name)

    return build


def _file_seeder(root: Path) -> Callable[[str, bytes], None]:
    def seed(key: str, data: bytes) -> None:
        path = root / key
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)

    return seed


@pytest.fixture(params=PROVIDERS)
def case(request: pytest.FixtureRequest, provider_factory: Callable[[str], ProviderCase]) -> ProviderCase:
    return provider_factory(request.param)


@pytest.fixture
def storage(case: ProviderCase) -> Iterator[Any]:
    from synapse_sdk.utils.storage import get_storage

    store = get_storage(case.config)
    yield store
    store.close()


@pytest.fixture(scope='session')
def big_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 50 MB file of random bytes, shared by the round-trip tests."""
    return write_random(tmp_path_factory.mktemp('big') / 'big.bin', 50 * MB)


@pytest.fixture(scope='session')
def require_tool() -> Callable[[str], str]:
    """``require_tool('git')`` returns the executable's path, or skips (fails under SYNAPSE_TEST_STRICT=1)."""

    def require(name: str) -> str:
        path = shutil.which(name)
        if path is None:
            unavailable(f'{name!r} is not on PATH')
        return path  # type: ignore[return-value]

    return require
