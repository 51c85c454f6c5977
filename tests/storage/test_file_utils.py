"""Checksums, archive creation (ignore files, git refs) and extraction."""

from __future__ import annotations

import hashlib
import io
import os
import shutil
import subprocess
import zipfile
from pathlib import Path
from typing import Any

import pytest

from synapse_sdk.utils.file import (
    ArchiveError,
    calculate_checksum,
    calculate_checksum_from_bytes,
    calculate_checksum_from_file_object,
    create_archive,
    create_archive_from_git,
    extract_archive,
    verify_checksum,
)


@pytest.mark.parametrize('algorithm', ['md5', 'sha1', 'sha256', 'sha512'])
def test_checksum_matches_hashlib(tmp_path: Path, algorithm: str) -> None:
    data = os.urandom(3 * 1024 * 1024 + 17)  # spans several chunks
    file = tmp_path / 'data.bin'
    file.write_bytes(data)
    expected = hashlib.new(algorithm, data).hexdigest()
    assert calculate_checksum(file, algorithm=algorithm) == expected
    assert calculate_checksum(file, algorithm, chunk_size=4096) == expected
    assert calculate_checksum_from_bytes(data, algorithm) == expected
    assert calculate_checksum_from_file_object(io.BytesIO(data), algorithm=algorithm) == expected


def test_checksum_prefix_verify_and_errors(tmp_path: Path) -> None:
    file = tmp_path / 'a.txt'
    file.write_bytes(b'abc')
    md5 = hashlib.md5(b'abc').hexdigest()
    assert calculate_checksum(file) == md5  # md5 by default, as v1
    assert calculate_checksum(file, prefix='dev-') == f'dev-{md5}'
    assert verify_checksum(file, f'dev-{md5.upper()}')
    assert not verify_checksum(file, 'dev-0000')
    with pytest.raises(ValueError, match='Unsupported checksum algorithm'):
        calculate_checksum(file, algorithm='crc32')
    with pytest.raises(FileNotFoundError, match='not an existing file'):
        calculate_checksum(tmp_path / 'missing')


def make_plugin(root: Path) -> Path:
    files = {
        'config.yaml': 'name: demo\n',
        'plugin/__init__.py': '',
        'plugin/train.py': 'print(1)\n',
        'plugin/__pycache__/train.cpython-311.pyc': 'x',
        'data/big.ckpt': 'weights',
        'data/keep.ckpt': 'keep me',
        'notes/todo.md': 'todo',
        'logs/run.log': 'log',
        '.env': 'SECRET=1',
        '.git/HEAD': 'ref: refs/heads/main',
        '.venv/bin/python': '',
        'sub/.gitignore': 'local_only.txt\n',
        'sub/local_only.txt': 'x',
        'sub/kept.txt': 'y',
        '.gitignore': '*.ckpt\n/logs/\n',
        '.synapseignore': '!data/keep.ckpt\nnotes/\n',
    }
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content)
    return root


def names(archive: Path) -> list[str]:
    with zipfile.ZipFile(archive) as zf:
        return sorted(zf.namelist())


def test_create_archive_honours_ignore_files_and_defaults(tmp_path: Path) -> None:
    plugin = make_plugin(tmp_path / 'plugin')
    archive = create_archive(plugin, tmp_path / 'out' / 'plugin.zip')
    assert names(archive) == [
        '.gitignore',
        '.synapseignore',
        'config.yaml',
        'data/keep.ckpt',
        'plugin/__init__.py',
        'plugin/train.py',
        'sub/.gitignore',
        'sub/kept.txt',
    ]


def test_create_archive_extra_ignore_and_reinclude(tmp_path: Path) -> None:
    plugin = make_plugin(tmp_path / 'plugin')
    archive = create_archive(plugin, tmp_path / 'a.zip', ignore=['*.yaml', '.*ignore', '!logs/', 'sub/'])
    assert 'config.yaml' not in names(archive)
    assert not any(name.startswith('sub/') for name in names(archive))
    assert 'logs/run.log' in names(archive)  # ``ignore`` comes last, so it can re-include
    everything = create_archive(plugin, tmp_path / 'b.zip', use_ignore_files=False, default_ignore=False)
    assert {'.env', '.git/HEAD', 'data/big.ckpt', 'notes/todo.md'} <= set(names(everything))


def test_create_archive_is_deterministic(tmp_path: Path) -> None:
    plugin = make_plugin(tmp_path / 'plugin')
    first = create_archive(plugin, tmp_path / 'one.zip')
    os.utime(plugin / 'config.yaml', (1, 1))
    second = create_archive(plugin, tmp_path / 'two.zip')
    assert calculate_checksum(first) == calculate_checksum(second)
    (plugin / 'config.yaml').write_text('name: changed\n')
    assert calculate_checksum(create_archive(plugin, tmp_path / 'three.zip')) != calculate_checksum(first)


def test_create_archive_inside_source_does_not_include_itself(tmp_path: Path) -> None:
    plugin = make_plugin(tmp_path / 'plugin')
    archive = create_archive(plugin, plugin / 'self.zip')
    create_archive(plugin, plugin / 'self.zip')
    assert 'self.zip' not in names(archive)


def test_create_archive_refuses_links_leaving_the_source(tmp_path: Path) -> None:
    plugin = make_plugin(tmp_path / 'plugin')
    secret = tmp_path / 'secret.txt'
    secret.write_text('top secret')
    (plugin / 'leak.txt').symlink_to(secret)
    with pytest.raises(ArchiveError, match=r'leak\.txt'):
        create_archive(plugin, tmp_path / 'x.zip')
    assert not (tmp_path / 'x.zip').exists()
    (plugin / 'leak.txt').unlink()
    (plugin / 'alias.py').symlink_to(plugin / 'plugin' / 'train.py')  # inside: archived as content
    with zipfile.ZipFile(create_archive(plugin, tmp_path / 'y.zip')) as zf:
        assert zf.read('alias.py') == b'print(1)\n'


def test_create_archive_errors(tmp_path: Path) -> None:
    with pytest.raises(NotADirectoryError):
        create_archive(tmp_path / 'missing', tmp_path / 'a.zip')
    with pytest.raises(ValueError, match='compression'):
        create_archive(tmp_path, tmp_path / 'a.zip', compression='zstd')


@pytest.fixture
def git_repo(tmp_path: Path, require_tool: Any) -> Path:
    require_tool('git')
    repo = make_plugin(tmp_path / 'repo')
    shutil.rmtree(repo / '.git')

    def git(*args: str) -> None:
        subprocess.run(['git', '-C', str(repo), *args], check=True, capture_output=True)

    git('init', '-q', '-b', 'main')
    git('-c', 'user.email=t@example.com', '-c', 'user.name=T', 'add', '-A')
    git('-c', 'user.email=t@example.com', '-c', 'user.name=T', 'commit', '-q', '-m', 'first')
    git('tag', 'v1')
    (repo / 'plugin' / 'new.py').write_text('new = True\n')
    git('-c', 'user.email=t@example.com', '-c', 'user.name=T', 'add', 'plugin/new.py')
    git('-c', 'user.email=t@example.com', '-c', 'user.name=T', 'commit', '-q', '-m', 'second')
    (repo / 'untracked.txt').write_text('not committed')
    return repo


def test_create_archive_from_git_ref(git_repo: Path, tmp_path: Path) -> None:
    v1 = create_archive_from_git(git_repo, 'v1', tmp_path / 'v1.zip')
    head = create_archive_from_git(git_repo, 'HEAD', tmp_path / 'head.zip')
    assert 'plugin/new.py' not in names(v1)
    assert 'plugin/new.py' in names(head)
    assert 'untracked.txt' not in names(head)
    assert 'data/big.ckpt' not in names(head)  # never committed (.gitignore)
    default = create_archive_from_git(git_repo)
    assert default.name.startswith('repo-') and default.suffix == '.zip'
    with pytest.raises(ArchiveError, match='not a commit'):
        create_archive_from_git(git_repo, 'no-such-branch', tmp_path / 'x.zip')
    with pytest.raises(ArchiveError, match='Invalid git ref'):
        create_archive_from_git(git_repo, '--output=/tmp/evil', tmp_path / 'x.zip')
    plain = tmp_path / 'plain'
    plain.mkdir()
    with pytest.raises(ArchiveError, match='not a git repository'):
        create_archive_from_git(plain, 'HEAD', tmp_path / 'x.zip')


def test_extract_round_trip_zip_and_tar(tmp_path: Path) -> None:
    plugin = make_plugin(tmp_path / 'plugin')
    archive = create_archive(plugin, tmp_path / 'p.zip')
    out = extract_archive(archive, tmp_path / 'out')
    assert (out / 'plugin' / 'train.py').read_text() == 'print(1)\n'
    import tarfile

    tar_path = tmp_path / 'p.tar.gz'
    with tarfile.open(tar_path, 'w:gz') as tf:
        tf.add(plugin / 'plugin', arcname='plugin')
        link = tarfile.TarInfo('plugin/link.py')
        link.type = tarfile.SYMTYPE
        link.linkname = 'train.py'
        tf.addfile(link)
    out2 = extract_archive(tar_path, tmp_path / 'out2')
    assert (out2 / 'plugin' / 'link.py').is_symlink()
    assert (out2 / 'plugin' / 'link.py').read_text() == 'print(1)\n'
