"""Writing output safely: staging directory beside the target, atomic move, image placement."""

from __future__ import annotations

import errno
import os
import shutil
import tempfile
from pathlib import Path

__all__ = [
    'IMAGE_MODES',
    'commit_staging',
    'create_new',
    'ensure_dir',
    'make_staging',
    'place_image',
    'write_bytes',
]

IMAGE_MODES = ('copy', 'hardlink', 'symlink')


def make_staging(target: Path) -> Path:
    """A fresh directory beside ``target`` (same filesystem, so the final move is a rename)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix=f'.{target.name}.partial-', dir=target.parent))


def commit_staging(staging: Path, target: Path, *, overwrite: bool) -> None:
    """Move ``staging`` to ``target``. An existing non-empty target is replaced only with ``overwrite``;
    it is first renamed aside, so at every instant either the old or the new tree is in place."""
    if target.exists() or target.is_symlink():
        if target.is_dir() and not target.is_symlink() and not any(target.iterdir()):
            target.rmdir()
        elif not overwrite:
            raise FileExistsError(
                f'{target} already exists and is not empty; pass overwrite=True to replace it'
            )
        else:
            aside = Path(tempfile.mkdtemp(prefix=f'.{target.name}.old-', dir=target.parent))
            os.replace(target, aside / 'old')
            os.replace(staging, target)
            shutil.rmtree(aside, ignore_errors=True)
            return
    os.replace(staging, target)


def place_image(src: str, dst: str, mode: str) -> None:
    """Put ``src`` at ``dst`` by copy (default), hard link or symbolic link (absolute target).

    A hard link across filesystems is impossible; the image is then copied instead.
    """
    if mode == 'hardlink':
        try:
            os.link(src, dst)
            return
        except OSError as exc:
            if exc.errno not in (errno.EXDEV, errno.EPERM, errno.EMLINK):
                raise
    elif mode == 'symlink':
        os.symlink(os.path.abspath(src), dst)
        return
    shutil.copyfile(src, dst)


_MADE: set[str] = set()


def ensure_dir(path: str) -> str:
    """``os.makedirs(path, exist_ok=True)``, remembered per process: writers call it for every item."""
    if path not in _MADE:
        os.makedirs(path, exist_ok=True)
        if len(_MADE) > 10_000:
            _MADE.clear()
        _MADE.add(path)
    return path


def create_new(path: str, text: str) -> bool:
    """Write ``text`` to a file that must not exist yet; False (nothing written) when it does, which means two
    items map to the same output name."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    except FileExistsError:
        return False
    # os.write on the descriptor, not os.fdopen: a file object (buffer, text layer) per label file cost as
    # much as a tenth of YOLO's CPU per item.
    try:
        data = memoryview(text.encode('utf-8'))
        while data:
            data = data[os.write(fd, data) :]
    finally:
        os.close(fd)
    return True


def write_bytes(path: str, data: bytes) -> None:
    with open(path, 'wb') as fh:
        fh.write(data)
