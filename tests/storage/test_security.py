"""Confinement, malicious archives, host-key verification, secrets and configuration errors."""

from __future__ import annotations

import io
import os
import stat
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path
from typing import Any

import pytest

from synapse_sdk.utils.file import UnsafeArchiveError, extract_archive
from synapse_sdk.utils.storage import (
    StorageCapabilityError,
    StorageConfigError,
    StorageConnectionError,
    StorageError,
    StoragePathError,
    StorageProviderNotFoundError,
    get_pathlib,
    get_storage,
)

TRAVERSAL_KEYS = [
    '../escape.txt',
    'a/../../escape.txt',
    'a/b/../../../escape.txt',
    '..\\escape.txt',
    'C:\\Windows\\win.ini',
    'c:/windows/win.ini',
    '//server/share/x',
    '\\\\server\\share\\x',
    'file:///etc/passwd',
    's3://other-bucket/x',
    '~/x',
    '~root/x',
    'a\x00b',
]


@pytest.mark.integration
@pytest.mark.parametrize('key', TRAVERSAL_KEYS)
def test_traversal_keys_refused_on_every_operation(storage: Any, tmp_path: Path, key: str) -> None:
    source = tmp_path / 'f.txt'
    source.write_text('x')
    operations = [
        lambda: storage.upload(source, key),
        lambda: storage.download(key, tmp_path / 'out.txt'),
        lambda: storage.exists(key),
        lambda: storage.get_url(key),
        lambda: list(storage.list(key)),
        lambda: storage.delete(key),
        lambda: storage.open(key),
        lambda: storage.size(key),
        lambda: storage.get_pathlib(key),
    ]
    for operation in operations:
        with pytest.raises(StoragePathError) as info:
            operation()
        assert repr(key) in str(info.value)  # the message names the offending key
    assert not (tmp_path / 'out.txt').exists()


@pytest.mark.integration
def test_storage_path_cannot_join_its_way_out(case: Any) -> None:
    case.seed('data/a.txt', b'a')
    root = get_pathlib(case.config, '/data')
    with pytest.raises(StoragePathError):
        get_pathlib(case.config, '../data')
    if case.name != 'local':  # local gives a plain pathlib.Path, as v1 did
        with pytest.raises(StoragePathError):
            root / '..' / '..' / 'etc'
        with pytest.raises(ValueError):
            list(root.glob('../*'))


def test_local_symlink_escape_refused(tmp_path: Path) -> None:
    outside = tmp_path / 'outside'
    outside.mkdir()
    (outside / 'secret.txt').write_text('secret')
    root = tmp_path / 'root'
    root.mkdir()
    (root / 'inside.txt').write_text('ok')
    (root / 'link').symlink_to(outside)
    (root / 'file-link.txt').symlink_to(outside / 'secret.txt')
    storage = get_storage({'provider': 'local', 'configuration': {'location': str(root)}})
    source = tmp_path / 'payload.txt'
    source.write_text('payload')
    for operation in (
        lambda: storage.open('link/secret.txt'),
        lambda: storage.download('file-link.txt', tmp_path / 'got.txt'),
        lambda: storage.upload(source, 'link/planted.txt'),
        lambda: storage.delete('file-link.txt'),
        lambda: storage.get_pathlib('link'),
    ):
        with pytest.raises(StoragePathError, match='symbolic link'):
            operation()
    assert not (outside / 'planted.txt').exists()
    assert (outside / 'secret.txt').exists()
    assert list(storage.list()) == ['inside.txt']  # links leading out are not listed


@pytest.mark.integration
def test_sftp_server_side_symlink_escape_refused(sftp_server: Any, tmp_path: Path) -> None:
    root = sftp_server.root / 'symlinked'
    root.mkdir()
    outside = tmp_path / 'outside'
    outside.mkdir()
    (outside / 'secret.txt').write_text('secret')
    (root / 'link').symlink_to(outside)
    (root / 'ok.txt').write_text('ok')
    storage = get_storage(sftp_server.config(root))
    with pytest.raises(StoragePathError, match='symbolic link'):
        storage.open('link/secret.txt')
    source = tmp_path / 'payload.txt'
    source.write_text('payload')
    with pytest.raises(StoragePathError, match='symbolic link'):
        storage.upload(source, 'link/new/planted.txt')
    assert not (outside / 'new').exists()
    assert list(storage.list()) == ['ok.txt']
    storage.close()


# --- malicious archives ------------------------------------------------------------------------------------
def _zip(path: Path, members: list[tuple[str, bytes, int | None]]) -> Path:
    with zipfile.ZipFile(path, 'w') as zf:
        for name, data, mode in members:
            info = zipfile.ZipInfo(name)
            if mode is not None:
                info.external_attr = mode << 16
            zf.writestr(info, data)
    return path


def _tar(path: Path, members: list[tarfile.TarInfo], payload: bytes = b'evil') -> Path:
    with tarfile.open(path, 'w') as tf:
        for member in members:
            if member.isfile():
                member.size = len(payload)
                tf.addfile(member, io.BytesIO(payload))
            else:
                tf.addfile(member)
    return path


def _info(name: str, kind: bytes = tarfile.REGTYPE, link: str = '') -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type = kind
    info.linkname = link
    return info


MALICIOUS = {
    'zip-dotdot': lambda p: _zip(p / 'a.zip', [('ok.txt', b'ok', None), ('../evil.txt', b'evil', None)]),
    'zip-absolute': lambda p: _zip(
        p / 'a.zip', [('ok.txt', b'ok', None), (str(p / 'evil.txt'), b'evil', None)]
    ),
    'zip-backslash': lambda p: _zip(p / 'a.zip', [('..\\evil.txt', b'evil', None)]),
    'zip-symlink-absolute': lambda p: _zip(p / 'a.zip', [('link', b'/etc/passwd', stat.S_IFLNK | 0o777)]),
    'zip-symlink-dotdot': lambda p: _zip(p / 'a.zip', [('d/link', b'../../evil.txt', stat.S_IFLNK | 0o777)]),
    'tar-dotdot': lambda p: _tar(p / 'a.tar', [_info('ok.txt'), _info('x/../../evil.txt')]),
    'tar-absolute': lambda p: _tar(p / 'a.tar', [_info(str(p / 'evil.txt'))]),
    'tar-symlink': lambda p: _tar(p / 'a.tar', [_info('link', tarfile.SYMTYPE, str(p))]),
    'tar-symlink-dotdot': lambda p: _tar(p / 'a.tar', [_info('link', tarfile.SYMTYPE, '..')]),
    'tar-hardlink': lambda p: _tar(p / 'a.tar', [_info('hard', tarfile.LNKTYPE, '../evil.txt')]),
    'tar-device': lambda p: _tar(p / 'a.tar', [_info('dev', tarfile.CHRTYPE)]),
    'tar-fifo': lambda p: _tar(p / 'a.tar', [_info('fifo', tarfile.FIFOTYPE)]),
    'tar-link-chain': lambda p: _tar(
        p / 'a.tar', [_info('a', tarfile.SYMTYPE, 'b/..'), _info('b', tarfile.SYMTYPE, '.')]
    ),
    # the chain from issue 15: d/l -> .. is harmless alone, d/l/l2 -> .. then lands outside
    'tar-link-chain-nested': lambda p: _tar(
        p / 'a.tar',
        [
            _info('ok.txt'),
            _info('d', tarfile.DIRTYPE),
            _info('d/l', tarfile.SYMTYPE, '..'),
            _info('d/l/l2', tarfile.SYMTYPE, '..'),
        ],
    ),
    'zip-drive-letter': lambda p: _zip(p / 'a.zip', [('ok.txt', b'ok', None), ('C:evil.txt', b'evil', None)]),
    'tar-backslash': lambda p: _tar(p / 'a.tar', [_info('ok.txt'), _info('x\\..\\..\\evil.txt')]),
    'tar-drive-letter': lambda p: _tar(p / 'a.tar', [_info('ok.txt'), _info('D:\\evil.txt')]),
    'tar-hardlink-absolute': lambda p: _tar(
        p / 'a.tar', [_info('ok.txt'), _info('hard', tarfile.LNKTYPE, '/etc/passwd')]
    ),
    'tar-block-device': lambda p: _tar(p / 'a.tar', [_info('ok.txt'), _info('blk', tarfile.BLKTYPE)]),
    # hard links inside the archive to something that is not a file of it (tarfile has no stream for them)
    'tar-hardlink-to-dir': lambda p: _tar(
        p / 'a.tar', [_info('ok.txt'), _info('d', tarfile.DIRTYPE), _info('hard', tarfile.LNKTYPE, 'd')]
    ),
    'tar-hardlink-missing': lambda p: _tar(
        p / 'a.tar', [_info('ok.txt'), _info('hard', tarfile.LNKTYPE, 'not-there.txt')]
    ),
}


def _snapshot(root: Path) -> dict[str, tuple[str, str]]:
    """Every path under `root` (links not followed) with its kind and content or target."""
    if not root.exists():
        return {}
    out = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            path = Path(dirpath, name)
            key = path.relative_to(root).as_posix()
            if path.is_symlink():
                out[key] = ('link', os.readlink(path))
            elif path.is_dir():
                out[key] = ('dir', '')
            else:
                out[key] = ('file', path.read_bytes().decode('latin-1'))
    return out


@pytest.mark.parametrize('existing', [False, True], ids=['new-dest', 'existing-dest'])
@pytest.mark.parametrize('kind', sorted(MALICIOUS))
def test_malicious_archive_refused_and_leaves_nothing_behind(
    tmp_path: Path, kind: str, existing: bool
) -> None:
    work = tmp_path / 'work'
    work.mkdir()
    archive = MALICIOUS[kind](work)
    dest = work / 'dest'
    if existing:
        (dest / 'keep').mkdir(parents=True)
        (dest / 'keep' / 'mine.txt').write_text('mine')
        (dest / 'ok.txt').write_text('previous')
    before = _snapshot(tmp_path)
    with pytest.raises(UnsafeArchiveError, match=r'Refusing to (extract|write)') as info:
        extract_archive(archive, dest)
    assert archive.name in str(info.value) or 'link' in str(info.value)
    assert _snapshot(tmp_path) == before  # destination, its parent and everything around exactly as before


def test_accepted_archive_merges_into_an_existing_destination(tmp_path: Path) -> None:
    archive = _tar(
        tmp_path / 'good.tar', [_info('keep', tarfile.DIRTYPE), _info('keep/new.txt'), _info('top.txt')]
    )
    dest = tmp_path / 'dest'
    (dest / 'keep').mkdir(parents=True)
    (dest / 'keep' / 'mine.txt').write_text('mine')
    extract_archive(archive, dest)
    assert _snapshot(dest) == {
        'keep': ('dir', ''),
        'keep/mine.txt': ('file', 'mine'),
        'keep/new.txt': ('file', 'evil'),
        'top.txt': ('file', 'evil'),
    }


def test_archive_size_limit(tmp_path: Path) -> None:
    archive = _zip(tmp_path / 'big.zip', [('a.bin', b'\0' * 10_000, None)])
    with pytest.raises(UnsafeArchiveError, match='max_size'):
        extract_archive(archive, tmp_path / 'out', max_size=1000)
    assert (extract_archive(archive, tmp_path / 'out2', max_size=20_000) / 'a.bin').stat().st_size == 10_000


# --- SFTP host keys ----------------------------------------------------------------------------------------
@pytest.mark.integration
def test_sftp_wrong_host_key_refused(sftp_server: Any, tmp_path: Path) -> None:
    subprocess.run(['ssh-keygen', '-q', '-t', 'ed25519', '-N', '', '-f', str(tmp_path / 'other')], check=True)
    other = (tmp_path / 'other.pub').read_text()
    config = sftp_server.config(sftp_server.root, host_key=other)
    config['configuration'].pop('known_hosts')
    storage = get_storage(config)
    with pytest.raises(StorageConnectionError, match='does not match the expected key') as info:
        storage.exists('x')
    assert 'refusing to connect' in str(info.value)
    wrong_known_hosts = tmp_path / 'known_hosts'
    wrong_known_hosts.write_text(f'[127.0.0.1]:{sftp_server.port} {" ".join(other.split()[:2])}\n')
    config['configuration'].pop('host_key')
    config['configuration']['known_hosts'] = str(wrong_known_hosts)
    with pytest.raises(StorageConnectionError, match='does not match'):
        get_storage(config).exists('x')


@pytest.mark.integration
def test_sftp_unknown_host_refused_and_right_key_accepted(sftp_server: Any, tmp_path: Path) -> None:
    empty = tmp_path / 'empty_known_hosts'
    empty.write_text('')
    config = sftp_server.config(sftp_server.root, known_hosts=str(empty))
    with pytest.raises(StorageConnectionError, match=r'host key of .* is unknown'):
        get_storage(config).exists('x')
    config['configuration']['host_key'] = sftp_server.host_public_key
    storage = get_storage(config)
    assert storage.exists('x') is False
    storage.close()
    config['configuration'].pop('host_key')
    config['configuration']['verify_host_key'] = False
    with pytest.warns(UserWarning, match='host-key verification is disabled'):
        assert get_storage(config).exists('x') is False


@pytest.mark.integration
def test_sftp_bad_credentials(sftp_server: Any, tmp_path: Path) -> None:
    config = sftp_server.config(sftp_server.root)
    config['configuration'].pop('private_key')
    config['configuration']['password'] = 'hunter2-wrong-password'
    storage = get_storage(config)
    with pytest.raises(StorageError, match='authentication failed') as info:
        storage.exists('x')
    assert 'hunter2' not in str(info.value) and 'hunter2' not in repr(storage)


# --- secrets, configuration errors, optional dependencies ------------------------------------------------
SECRET = 'Sup3rS3cretValue-do-not-print'


def test_secrets_absent_from_reprs_and_errors() -> None:
    s3 = get_storage(
        {
            'provider': 's3',
            'configuration': {
                'bucket_name': 'b1',
                'access_key': 'AKIA' + SECRET,
                'secret_key': SECRET,
                'endpoint_url': 'http://127.0.0.1:9',  # nothing listens on the discard port
            },
        }
    )
    sftp = get_storage(
        {
            'provider': 'sftp',
            'configuration': {'host': '127.0.0.1', 'port': 9, 'username': 'u', 'password': SECRET},
        }
    )
    http = get_storage(
        {
            'provider': 'http',
            'configuration': {
                'base_url': f'http://user:{SECRET}@127.0.0.1:9/files/?token={SECRET}',
                'headers': {'Authorization': f'Bearer {SECRET}'},
                'timeout': 2,
            },
        }
    )
    gcs = get_storage(
        {
            'provider': 'gcs',
            'configuration': {'bucket_name': 'b1', 'credentials': {'private_key': SECRET}, 'project': 'p'},
        }
    )
    for storage in (s3, sftp, http, gcs):
        assert SECRET not in repr(storage)
        assert SECRET not in str(storage)
        with pytest.raises(StorageError) as info:
            storage.exists('x')
        assert SECRET not in str(info.value)
        assert SECRET not in repr(info.value)
        assert info.value.__cause__ is None or SECRET not in str(info.value.__cause__)


def test_unknown_provider_lists_known_ones() -> None:
    with pytest.raises(StorageProviderNotFoundError) as info:
        get_storage({'provider': 'dropbox', 'configuration': {}})
    message = str(info.value)
    assert "'dropbox'" in message
    for name in (
        'local',
        'file_system',
        's3',
        'amazon_s3',
        'minio',
        'gcs',
        'gs',
        'gcp',
        'sftp',
        'http',
        'https',
    ):
        assert name in message


def test_configuration_errors_are_clear() -> None:
    with pytest.raises(StorageConfigError, match="missing 'bucket_name'"):
        get_storage({'provider': 's3', 'configuration': {'access_key': 'a', 'secret_key': 'b'}})
    with pytest.raises(StorageConfigError, match='URL strings were removed'):
        get_storage('s3://bucket/path')  # type: ignore[arg-type]
    with pytest.raises(StorageConfigError, match="no 'provider'"):
        get_storage({'configuration': {}})
    with pytest.raises(StorageConfigError, match="'password' or 'private_key'"):
        get_storage({'provider': 'sftp', 'configuration': {'host': 'h', 'username': 'u'}})
    with pytest.raises(StorageConfigError, match='http:// or https://'):
        get_storage({'provider': 'http', 'configuration': {'base_url': 'ftp://x'}})
    with pytest.warns(UserWarning, match="unknown configuration keys: 'colour'"):
        get_storage({'provider': 'local', 'configuration': {'location': '/tmp', 'colour': 'blue'}})


@pytest.mark.parametrize(
    ('provider', 'modules', 'configuration'),
    [
        ('s3', ['boto3', 'botocore'], {'bucket_name': 'b1', 'endpoint_url': 'http://127.0.0.1:9'}),
        ('gcs', ['google'], {'bucket_name': 'b1', 'endpoint_url': 'http://127.0.0.1:9'}),
        ('sftp', ['paramiko'], {'host': '127.0.0.1', 'username': 'u', 'password': 'p'}),
    ],
)
def test_missing_optional_dependency_names_the_extra(
    monkeypatch: pytest.MonkeyPatch, provider: str, modules: list[str], configuration: dict[str, Any]
) -> None:
    # As if the library were not installed: drop it (and its submodules) and make importing it fail.
    for name in list(sys.modules):
        if any(name == module or name.startswith(f'{module}.') for module in modules):
            monkeypatch.delitem(sys.modules, name)
    for module in modules:
        monkeypatch.setitem(sys.modules, module, None)
    storage = get_storage({'provider': provider, 'configuration': configuration})  # construction stays cheap
    source = Path(__file__)
    for operation in (
        lambda: storage.exists('x'),
        lambda: storage.upload(source, 'x'),
        lambda: list(storage),
    ):
        with pytest.raises(ImportError) as info:
            operation()
        assert f'pip install synapse-storage[{provider}]' in str(info.value)
        assert f'synapse-sdk[{provider}]' in str(info.value)


def test_importing_storage_loads_no_client_library() -> None:
    code = (
        'import sys, synapse_sdk.utils.storage as s, synapse_sdk.utils.file;'
        's.get_storage({"provider": "s3", "configuration": {"bucket_name": "b1"}});'
        'print(sorted(m for m in sys.modules if m.split(".")[0] in ("boto3", "botocore", "google", "paramiko")))'
    )
    result = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == '[]'


@pytest.mark.integration
def test_read_only_http_server(readonly_http_server: Any, tmp_path: Path) -> None:
    (readonly_http_server.root / 'pub').mkdir()
    (readonly_http_server.root / 'pub' / 'a.txt').write_text('public')
    storage = get_storage(
        {'provider': 'http', 'configuration': {'base_url': readonly_http_server.base_url + 'pub'}}
    )
    assert storage.exists('a.txt')
    assert list(storage.list()) == ['a.txt']
    source = tmp_path / 'up.txt'
    source.write_text('x')
    with pytest.raises(StorageCapabilityError, match=r'does not accept PUT .*read-only'):
        storage.upload(source, 'up.txt')
    with pytest.raises(StorageCapabilityError, match='DELETE'):
        storage.delete('a.txt')
    assert (readonly_http_server.root / 'pub' / 'a.txt').exists()


@pytest.mark.integration
def test_sftp_default_known_hosts_and_configured_key_precedence(
    sftp_server: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without configuration the user's ~/.ssh/known_hosts decides; a configured key always wins over it."""
    home = tmp_path / 'home'
    (home / '.ssh').mkdir(parents=True)
    monkeypatch.setenv('HOME', str(home))
    subprocess.run(['ssh-keygen', '-q', '-t', 'ed25519', '-N', '', '-f', str(tmp_path / 'other')], check=True)
    entry = f'[127.0.0.1]:{sftp_server.port}'
    (home / '.ssh' / 'known_hosts').write_text(
        f'{entry} {" ".join(sftp_server.host_public_key.split()[:2])}\n'
    )
    config = sftp_server.config(sftp_server.root)
    config['configuration'].pop('known_hosts')
    assert get_storage(config).exists('x') is False  # the right key, found in ~/.ssh/known_hosts
    other = (tmp_path / 'other.pub').read_text()
    (home / '.ssh' / 'known_hosts').write_text(f'{entry} {" ".join(other.split()[:2])}\n')
    with pytest.raises(StorageConnectionError, match='does not match'):
        get_storage(config).exists('x')
    config['configuration']['host_key'] = sftp_server.host_public_key
    assert get_storage(config).exists('x') is False  # the configured key beats a stale known_hosts entry
