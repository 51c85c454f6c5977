"""Creating plugin archives (from a directory or a git ref) and extracting archives safely."""

from __future__ import annotations

import os
import posixpath
import re
import shutil
import stat
import subprocess
import tarfile
import tempfile
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from synapse_sdk.utils.file.ignore import DEFAULT_IGNORE, IgnoreMatcher, parse_patterns, read_ignore_files
from synapse_sdk.utils.storage.base import partial_path

#: Timestamp stored for every member, so the same content always gives the same archive (and checksum).
_FIXED_DATE = (1980, 1, 1, 0, 0, 0)
_COMPRESSION = {'deflated': zipfile.ZIP_DEFLATED, 'stored': zipfile.ZIP_STORED}


class ArchiveError(Exception):
    """An archive could not be created or read."""


class UnsafeArchiveError(ArchiveError, ValueError):
    """An archive member would be written outside the destination (``..``, absolute path, link escape) or is
    of a forbidden kind (device, fifo)."""


def _atomic_target(dest: Path) -> Path:
    """An unused name next to ``dest`` to write before renaming (`partial_path`: not pre-created, and
    fitting the name limit when ``dest``'s own name is up to it)."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    return partial_path(dest)


def iter_archive_files(
    source: str | os.PathLike[str],
    ignore: Iterable[str] | None = None,
    *,
    use_ignore_files: bool = True,
    default_ignore: bool = True,
) -> Iterator[tuple[str, Path]]:
    """``(arcname, path)`` of every file :func:`create_archive` would include, sorted by arcname."""
    root = Path(source).resolve()
    if not root.is_dir():
        raise NotADirectoryError(f'Cannot archive {str(source)!r}: not a directory')
    base_rules = parse_patterns(DEFAULT_IGNORE) if default_ignore else []
    extra_rules = parse_patterns(list(ignore or ()))
    found: list[tuple[str, Path]] = []
    matchers: dict[str, IgnoreMatcher] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        current = Path(dirpath)
        rel_dir = current.relative_to(root).as_posix()
        rel_dir = '' if rel_dir == '.' else rel_dir
        matcher = matchers[posixpath.dirname(rel_dir)] if rel_dir else IgnoreMatcher(base_rules)
        if use_ignore_files:
            matcher = matcher.extend(read_ignore_files(current, rel_dir))
        matchers[rel_dir] = matcher
        effective = matcher.extend(extra_rules)
        kept: list[str] = []
        for name in sorted(dirnames):
            rel = f'{rel_dir}/{name}' if rel_dir else name
            path = current / name
            if effective.is_ignored(rel, True):
                continue
            if path.is_symlink():
                _check_link(root, path, rel)
                continue  # linked directories are not followed (their target is archived if inside)
            kept.append(name)
        dirnames[:] = kept
        for name in sorted(filenames):
            rel = f'{rel_dir}/{name}' if rel_dir else name
            path = current / name
            if effective.is_ignored(rel, False):
                continue
            if path.is_symlink():
                _check_link(root, path, rel)
            if path.is_file():
                found.append((rel, path))
    yield from sorted(found)


def _check_link(root: Path, path: Path, rel: str) -> None:
    target = path.resolve()
    if target != root and root not in target.parents:
        raise ArchiveError(
            f'Refusing to archive {rel!r}: it is a symbolic link to {str(target)!r}, outside the source'
        )


def create_archive(
    source: str | os.PathLike[str],
    dest: str | os.PathLike[str],
    ignore: Iterable[str] | None = None,
    *,
    use_ignore_files: bool = True,
    default_ignore: bool = True,
    compression: str = 'deflated',
) -> Path:
    """Zip the directory ``source`` into ``dest`` and return ``dest``.

    Excluded: :data:`~synapse_sdk.utils.file.ignore.DEFAULT_IGNORE` (unless ``default_ignore=False``), the
    patterns of every ``.gitignore`` and ``.synapseignore`` in the tree (unless ``use_ignore_files=False``),
    then ``ignore`` (gitignore syntax, relative to ``source``; ``!pattern`` re-includes). Members are sorted
    and carry a fixed date, so identical content gives an identical archive. The file is written atomically;
    a symbolic link leading outside ``source`` raises :class:`ArchiveError`.
    """
    if compression not in _COMPRESSION:
        raise ValueError(f'Unknown compression {compression!r}; use one of {", ".join(_COMPRESSION)}')
    destination = Path(dest).absolute()
    tmp = _atomic_target(destination)
    try:
        with zipfile.ZipFile(tmp, 'w', compression=_COMPRESSION[compression]) as archive:
            for arcname, path in iter_archive_files(
                source, ignore, use_ignore_files=use_ignore_files, default_ignore=default_ignore
            ):
                resolved = path.resolve()
                if resolved in (destination.resolve(), tmp.resolve()):
                    continue
                info = zipfile.ZipInfo(arcname, date_time=_FIXED_DATE)
                mode = 0o755 if os.access(path, os.X_OK) else 0o644
                info.external_attr = (stat.S_IFREG | mode) << 16
                info.compress_type = _COMPRESSION[compression]
                with path.open('rb') as src, archive.open(info, 'w') as out:
                    shutil.copyfileobj(src, out, 1024 * 1024)
        os.replace(tmp, destination)
    finally:
        tmp.unlink(missing_ok=True)
    return destination


def create_archive_from_git(
    repo: str | os.PathLike[str], ref: str = 'HEAD', dest: str | os.PathLike[str] | None = None
) -> Path:
    """Zip the tree of ``ref`` (a commit, branch or tag) in the git repository ``repo`` with ``git archive``:
    exactly what is committed, nothing untracked. ``dest`` defaults to ``<tmp>/<repo>-<commit>.zip``."""
    root = Path(repo)
    if not root.is_dir():
        raise ArchiveError(f'Cannot archive {str(root)!r}: not a directory')
    if not re.fullmatch(r'[\w./@^~{}-]+', ref) or ref.startswith('-'):
        raise ArchiveError(f'Invalid git ref {ref!r}')
    git = shutil.which('git')
    if git is None:
        raise ArchiveError('create_archive_from_git needs the `git` executable, which is not on PATH')

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([git, '-C', str(root), *args], capture_output=True, text=True, check=False)

    resolved = run('rev-parse', '--verify', '--quiet', f'{ref}^{{commit}}')
    commit = resolved.stdout.strip()
    if resolved.returncode != 0 or not commit:
        if 'not a git repository' in resolved.stderr.lower():
            raise ArchiveError(f'{str(root)!r} is not a git repository')
        raise ArchiveError(f'{ref!r} is not a commit in {str(root)!r}')
    destination = (
        Path(dest)
        if dest is not None
        else Path(tempfile.mkdtemp()) / f'{root.resolve().name}-{commit[:12]}.zip'
    )
    destination = destination.absolute()
    tmp = _atomic_target(destination)
    try:
        archived = run('archive', '--format=zip', '-o', str(tmp), commit)
        if archived.returncode != 0:
            raise ArchiveError(f'git archive failed in {str(root)!r}: {archived.stderr.strip()}')
        os.replace(tmp, destination)
    finally:
        tmp.unlink(missing_ok=True)
    return destination


# --- safe extraction ---------------------------------------------------------------------------------------
@dataclass
class _Member:
    name: str  # normalised relative posix path
    kind: str  # 'file', 'dir', 'symlink'
    size: int
    link: str = ''


def _normalise(archive: Path, name: str) -> str:
    if '\x00' in name:
        raise UnsafeArchiveError(f'Refusing to extract {archive.name}: member {name!r} contains a NUL byte')
    if name.startswith(('/', '\\')) or re.match(r'^[A-Za-z]:', name):
        raise UnsafeArchiveError(f'Refusing to extract {archive.name}: member {name!r} has an absolute path')
    parts = [part for part in re.split(r'[/\\]', name) if part not in ('', '.')]
    if '..' in parts:
        raise UnsafeArchiveError(f"Refusing to extract {archive.name}: member {name!r} contains '..'")
    return '/'.join(parts)


def _check_link_target(archive: Path, member: _Member) -> None:
    target = member.link
    if target.startswith(('/', '\\')) or re.match(r'^[A-Za-z]:', target):
        raise UnsafeArchiveError(
            f'Refusing to extract {archive.name}: link {member.name!r} points to the absolute path {target!r}'
        )
    joined = posixpath.normpath(posixpath.join(posixpath.dirname(member.name), target.replace('\\', '/')))
    if joined == '..' or joined.startswith('../'):
        raise UnsafeArchiveError(
            f'Refusing to extract {archive.name}: link {member.name!r} -> {target!r} leads outside the destination'
        )


def _zip_members(archive: Path, zf: zipfile.ZipFile) -> list[_Member]:
    members: list[_Member] = []
    for info in zf.infolist():
        name = _normalise(archive, info.filename)
        mode = info.external_attr >> 16
        if stat.S_ISLNK(mode):
            members.append(_Member(name, 'symlink', 0, zf.read(info).decode('utf-8', 'replace')))
        elif info.is_dir():
            members.append(_Member(name, 'dir', 0))
        else:
            members.append(_Member(name, 'file', info.file_size))
    return members


def _tar_members(archive: Path, tf: tarfile.TarFile) -> list[_Member]:
    members: list[_Member] = []
    for info in tf.getmembers():
        name = _normalise(archive, info.name)
        if info.issym():
            members.append(_Member(name, 'symlink', 0, info.linkname))
        elif info.islnk():
            target = _normalise(archive, info.linkname)
            members.append(_Member(name, 'file', info.size, target))
        elif info.isdir():
            members.append(_Member(name, 'dir', 0))
        elif info.isfile():
            members.append(_Member(name, 'file', info.size))
        else:
            raise UnsafeArchiveError(
                f'Refusing to extract {archive.name}: member {info.name!r} is a device, fifo or other special file'
            )
    return members


def _tar_file(
    archive: Path, tf: tarfile.TarFile, by_name: dict[str, tarfile.TarInfo], member: _Member
) -> IO[bytes]:
    """The contents of a file member; a hard link's are its target's, which must be a file of the archive."""
    try:
        stream = tf.extractfile(by_name[member.link or member.name])
    except KeyError:  # a link to a name the archive does not have
        stream = None
    if stream is None:  # tarfile has no stream for a directory or other non-file
        raise UnsafeArchiveError(
            f'Refusing to extract {archive.name}: hard link {member.name!r} points at {member.link!r}, '
            'which is not a file in the archive'
        )
    return stream


def extract_archive(
    archive: str | os.PathLike[str], dest: str | os.PathLike[str], *, max_size: int | None = None
) -> Path:
    """Extract a zip or tar (``.tar``, ``.tar.gz``, ``.tgz``, ``.tar.bz2``, ``.tar.xz``) into ``dest``.

    Every member is checked before anything is written: absolute paths (``/x``, ``C:x``), ``..``
    components (also with backslashes), links pointing outside ``dest``, hard links to outside, FIFOs,
    devices and other special files raise :class:`UnsafeArchiveError`, as does a declared total size above
    ``max_size``. Members are written into a private staging directory first; links are created last and
    re-checked once all exist, so a chain of links cannot escape. Only a fully accepted archive is moved
    into ``dest``: a refused one leaves ``dest`` exactly as it was (not even created, if it did not exist).
    """
    path = Path(archive)
    if not path.is_file():
        raise FileNotFoundError(f'Archive {str(path)!r} does not exist')
    root = Path(dest)
    made = _first_missing(root)
    root.mkdir(parents=True, exist_ok=True)
    root = root.resolve()
    staging = Path(tempfile.mkdtemp(prefix='.synapse-extract-', dir=root)).resolve()
    try:
        if zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as zf:
                members = _zip_members(path, zf)
                _validate(path, members, max_size)
                infos = {_normalise(path, info.filename): info for info in zf.infolist()}
                _write(path, staging, members, lambda m: zf.open(infos[m.name]))
        elif tarfile.is_tarfile(path):
            with tarfile.open(path) as tf:
                members = _tar_members(path, tf)
                _validate(path, members, max_size)
                by_name = {_normalise(path, info.name): info for info in tf.getmembers()}
                _write(path, staging, members, lambda m: _tar_file(path, tf, by_name, m))
        else:
            raise ArchiveError(f'{path.name} is neither a zip nor a tar archive')
        _check_merge(path, staging, root)
        _merge(staging, root)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        if made is not None:
            shutil.rmtree(made, ignore_errors=True)
        raise
    shutil.rmtree(staging, ignore_errors=True)
    return root


def _first_missing(path: Path) -> Path | None:
    """The outermost ancestor of `path` (or `path`) that does not exist yet, to remove on refusal."""
    missing = None
    for candidate in (path, *path.parents):
        if candidate.exists() or candidate.is_symlink():
            break
        missing = candidate
    return missing


def _check_merge(archive: Path, staging: Path, root: Path) -> None:
    """Refuse, before anything is moved, an extraction that would write through or over what ``root``
    already holds in an incompatible way (a directory where a file or link is, a link where a directory
    is)."""
    for dirpath, dirnames, filenames in os.walk(staging):
        relative = Path(dirpath).relative_to(staging)
        for name in dirnames + filenames:
            staged = Path(dirpath, name)
            existing = root / relative / name
            if not (existing.exists() or existing.is_symlink()):
                continue
            staged_dir = staged.is_dir() and not staged.is_symlink()
            existing_dir = existing.is_dir() and not existing.is_symlink()
            if staged_dir != existing_dir:
                raise UnsafeArchiveError(
                    f'Refusing to extract {archive.name}: {(relative / name).as_posix()!r} would replace a '
                    f'{"directory" if existing_dir else "file or link"} already in the destination'
                )
        dirnames[:] = [d for d in dirnames if not Path(dirpath, d).is_symlink()]


def _merge(staging: Path, root: Path) -> None:
    for entry in os.scandir(staging):
        source, target = Path(entry.path), root / entry.name
        if entry.is_dir(follow_symlinks=False) and target.is_dir() and not target.is_symlink():
            _merge(source, target)
        else:
            os.replace(source, target)


def _validate(archive: Path, members: list[_Member], max_size: int | None) -> None:
    total = 0
    for member in members:
        if member.kind == 'symlink':
            _check_link_target(archive, member)
        total += member.size
    if max_size is not None and total > max_size:
        raise UnsafeArchiveError(
            f'Refusing to extract {archive.name}: {total} bytes exceed max_size={max_size}'
        )


def _inside(root: Path, path: Path) -> bool:
    real = Path(os.path.realpath(path))
    return real == root or root in real.parents


def _write(archive: Path, root: Path, members: list[_Member], opener: Callable[[_Member], IO[bytes]]) -> None:
    """Write `members` under the staging directory `root`; an archive whose members cannot all be
    written (a file and a directory of one name, a file below a link) raises `ArchiveError` naming the
    member, never a bare ``OSError``."""
    try:
        _write_members(root, members, opener)
    except OSError as exc:
        raise ArchiveError(
            f'Cannot extract {archive.name}: {exc.strerror or type(exc).__name__} '
            f'while writing {_relative(root, exc.filename)!r}'
        ) from None


def _relative(root: Path, filename: object) -> str:
    try:
        return Path(str(filename)).relative_to(root).as_posix()
    except ValueError:
        return str(filename)


def _write_members(root: Path, members: list[_Member], opener: Callable[[_Member], IO[bytes]]) -> None:
    for member in members:
        target = root / member.name
        if member.kind == 'dir':
            target.mkdir(parents=True, exist_ok=True)
        elif member.kind == 'file':
            target.parent.mkdir(parents=True, exist_ok=True)
            if not _inside(root, target.parent) or target.is_symlink():
                raise UnsafeArchiveError(
                    f'Refusing to write {member.name!r}: its directory leads outside the destination'
                )
            with opener(member) as src, target.open('wb') as out:
                shutil.copyfileobj(src, out, 1024 * 1024)
    links = [member for member in members if member.kind == 'symlink']
    created: list[Path] = []
    try:
        for member in links:
            target = root / member.name
            target.parent.mkdir(parents=True, exist_ok=True)
            if target.is_symlink() or target.exists():
                target.unlink()
            os.symlink(member.link, target)
            created.append(target)
        for link in created:
            if not _inside(root, link):
                raise UnsafeArchiveError(
                    f'Refusing to extract link {link.relative_to(root).as_posix()!r}: it resolves outside the destination'
                )
    except BaseException:
        for link in created:
            link.unlink(missing_ok=True)
        raise


__all__ = [
    'ArchiveError',
    'UnsafeArchiveError',
    'create_archive',
    'create_archive_from_git',
    'extract_archive',
    'iter_archive_files',
]
