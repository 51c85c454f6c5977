"""Plugin upload utilities: archive_and_upload, build_and_upload, download_and_upload."""

from __future__ import annotations

import hashlib
import shutil
import zipfile
from pathlib import Path
from typing import Any

import pytest

from synapse_sdk.utils.file import calculate_checksum
from synapse_sdk.utils.storage import (
    PluginBuildError,
    StorageUploadError,
    archive_and_upload,
    build_and_upload,
    download_and_upload,
    get_storage,
)
from synapse_sdk.utils.storage import upload as upload_module

PYPROJECT = """\
[project]
name = "demo-plugin"
version = "1.2.3"
requires-python = ">=3.11"

[build-system]
requires = ["hatchling"]
build-backend = "hatchling.build"

[tool.hatch.build.targets.wheel]
packages = ["demo_plugin"]
"""


@pytest.fixture
def plugin_dir(tmp_path: Path) -> Path:
    root = tmp_path / 'demo'
    (root / 'demo_plugin').mkdir(parents=True)
    (root / 'demo_plugin' / '__init__.py').write_text('VALUE = 1\n')
    (root / 'config.yaml').write_text('name: demo\ncode: demo\nversion: 1.2.3\n')
    (root / 'pyproject.toml').write_text(PYPROJECT)
    (root / '.gitignore').write_text('*.ckpt\n')
    (root / 'weights.ckpt').write_text('big weights')
    return root


@pytest.mark.integration
def test_archive_and_upload_every_provider(storage: Any, plugin_dir: Path, tmp_path: Path) -> None:
    result = archive_and_upload(plugin_dir, storage, target_prefix='plugins')
    assert result.key == f'plugins/dev-{result.checksum}.zip'
    assert result.url == storage.get_url(result.key)
    assert not result.is_cached
    back = storage.download(result.key, tmp_path / 'back.zip')
    assert calculate_checksum(back) == result.checksum
    assert result.size == back.stat().st_size
    with zipfile.ZipFile(back) as zf:
        assert sorted(zf.namelist()) == [
            '.gitignore',
            'config.yaml',
            'demo_plugin/__init__.py',
            'pyproject.toml',
        ]
    again = archive_and_upload(plugin_dir, storage, target_prefix='plugins')
    assert again.is_cached and again.key == result.key and again.url == result.url
    (plugin_dir / 'config.yaml').write_text('name: demo\ncode: demo\nversion: 1.2.4\n')
    changed = archive_and_upload(plugin_dir, storage, target_prefix='plugins')
    assert changed.checksum != result.checksum and not changed.is_cached


def test_archive_and_upload_accepts_config_dict_and_custom_storage(plugin_dir: Path, tmp_path: Path) -> None:
    config = {'provider': 'local', 'configuration': {'location': str(tmp_path / 'store')}}
    result = archive_and_upload(plugin_dir, config)
    assert (tmp_path / 'store' / result.key).is_file()

    class MinimalStorage:
        """A user-defined storage: only what the helpers need."""

        def __init__(self) -> None:
            self.files: dict[str, bytes] = {}

        def upload(self, source: Path, target: str) -> str:
            self.files[target] = Path(source).read_bytes()
            return f'memory://{target}'

        def exists(self, key: str) -> bool:
            return key in self.files

        def get_url(self, key: str) -> str:
            return f'memory://{key}'

    custom = MinimalStorage()
    first = archive_and_upload(plugin_dir, custom)
    assert first.url == f'memory://dev-{first.checksum}.zip'
    assert hashlib.md5(custom.files[first.key]).hexdigest() == first.checksum
    assert archive_and_upload(plugin_dir, custom).is_cached


@pytest.mark.integration
@pytest.mark.parametrize('provider', ['local', 's3'])
def test_build_and_upload(
    provider_factory: Any, plugin_dir: Path, tmp_path: Path, provider: str, require_tool: Any
) -> None:
    require_tool('uv')
    storage = get_storage(provider_factory(provider).config)
    result = build_and_upload(plugin_dir, storage, target_prefix='wheels')
    assert result.key == f'wheels/dev-{result.checksum}/demo_plugin-1.2.3-py3-none-any.whl'
    assert not result.is_cached
    wheel = storage.download(result.key, tmp_path / 'dl')
    with zipfile.ZipFile(wheel) as zf:
        assert 'demo_plugin/__init__.py' in zf.namelist()
        assert zf.read('demo_plugin/__init__.py') == b'VALUE = 1\n'
    assert not (plugin_dir / 'dist').exists()  # the source tree is left clean
    cached = build_and_upload(plugin_dir, storage, target_prefix='wheels')
    assert cached.is_cached and cached.key == result.key and cached.size == result.size


def test_build_and_upload_errors(plugin_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = {'provider': 'local', 'configuration': {'location': str(tmp_path / 'store')}}
    (plugin_dir / 'pyproject.toml').unlink()
    with pytest.raises(PluginBuildError, match=r'no pyproject\.toml'):
        build_and_upload(plugin_dir, config)
    (plugin_dir / 'pyproject.toml').write_text('[project]\nname = "broken"\nversion = "not a version!"\n')
    if shutil.which('uv') is not None:
        with pytest.raises(PluginBuildError, match='failed'):
            build_and_upload(plugin_dir, config)
    assert not (tmp_path / 'store').exists() or not any((tmp_path / 'store').rglob('*.whl'))


def test_build_command_falls_back_to_pip(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(upload_module.shutil, 'which', lambda name: None)
    command = upload_module._build_command(tmp_path / 'src', tmp_path / 'out')
    assert command[1:4] == ['-m', 'pip', 'wheel'] and '--no-deps' in command
    monkeypatch.setattr(upload_module.shutil, 'which', lambda name: '/usr/bin/uv' if name == 'uv' else None)
    assert upload_module._build_command(tmp_path / 'src', tmp_path / 'out')[:3] == [
        '/usr/bin/uv',
        'build',
        '--wheel',
    ]


@pytest.mark.integration
@pytest.mark.parametrize('provider', ['local', 's3', 'sftp'])
def test_download_and_upload(
    readonly_http_server: Any, provider_factory: Any, provider: str, plugin_dir: Path, tmp_path: Path
) -> None:
    published = readonly_http_server.root / 'releases'
    published.mkdir(exist_ok=True)
    archive = published / f'demo-{provider}.zip'
    from synapse_sdk.utils.file import create_archive

    create_archive(plugin_dir, archive)
    (published / f'demo_plugin-1.0-py3-none-any-{provider}.whl').write_bytes(b'wheel bytes')
    storage = get_storage(provider_factory(provider).config)
    result = download_and_upload(f'{readonly_http_server.base_url}releases/{archive.name}', storage)
    assert result.checksum == calculate_checksum(archive)
    assert result.key == f'dev-{result.checksum}.zip'
    assert storage.size(result.key) == archive.stat().st_size
    assert download_and_upload(f'{readonly_http_server.base_url}releases/{archive.name}', storage).is_cached
    wheel_name = f'demo_plugin-1.0-py3-none-any-{provider}.whl'
    wheel = download_and_upload(f'{readonly_http_server.base_url}releases/{wheel_name}', storage)
    assert (
        wheel.key == f'dev-{hashlib.md5(b"wheel bytes").hexdigest()}/{wheel_name}'
    )  # wheels keep their name
    with pytest.raises(StorageUploadError, match='HTTP 404'):
        download_and_upload(f'{readonly_http_server.base_url}releases/missing.zip?token=s3cr3t', storage)
    with pytest.raises(StorageUploadError, match='http'):
        download_and_upload('file:///etc/passwd', storage)


def test_download_errors_hide_query_tokens(tmp_path: Path) -> None:
    config = {'provider': 'local', 'configuration': {'location': str(tmp_path)}}
    with pytest.raises(StorageUploadError) as info:
        download_and_upload('http://user:pw-secret@127.0.0.1:9/x.zip?token=tok-secret', config, timeout=2)
    assert 'pw-secret' not in str(info.value) and 'tok-secret' not in str(info.value)
