"""Keeping every path a reader takes from a dataset inside the dataset.

A dataset is often someone else's archive. A COCO ``file_name`` of ``../../secret.png``, a VOC ``<filename>`` that
is absolute, an ``ImageSets`` line or a ``data.yaml`` split path with ``..``, or a symbolic link in the dataset that
points elsewhere would make a converter read a file outside the dataset and copy it into the output. Readers
therefore check (1) every path text taken from a dataset file lexically (no absolute path, no drive, no ``..``
segment, no NUL) and (2) every file they open (annotation files, labels, masks, images) against the real path of
the dataset root, symbolic links resolved. Anything else is an ``unsafe_path`` problem naming the file, under every
error policy.

Links out of the dataset are followed only into directories the caller names (``link_roots``): a dataset written
with ``image_mode='symlink'`` links to its source's images, and reading it back needs the source's root named.
Nothing inside a dataset can widen this (no marker file is trusted: a hostile archive could carry one); a path
text with ``..`` or an absolute path stays refused whatever the caller names, since only links may lead there.

synapse-storage has the same rule for storage keys (``keys.normalize_key``/``confine_local``), but the converters
depend on neither requests nor storage, and a dataset's absolute path must be refused rather than read "from the
root" as a key's leading ``/`` is; so the small check lives here.
"""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Iterable

__all__ = ['DatasetRoot', 'link_roots', 'path_text_problem']

_SEGMENTS = re.compile(r'[/\\]')
_DRIVE = re.compile(r'^[A-Za-z]:')


def path_text_problem(text: str) -> str | None:
    """Why ``text`` (a relative path written in a dataset file) could lead outside the dataset, or None."""
    if '\x00' in text:
        return 'contains a NUL byte'
    if text.startswith(('/', '\\')) or _DRIVE.match(text):
        return 'is an absolute path'
    if '..' in _SEGMENTS.split(text):
        return "contains '..'"
    return None


def link_roots(roots: str | os.PathLike[str] | Iterable[str | os.PathLike[str]] | None) -> tuple[str, ...]:
    """The real paths of the directories named by ``link_roots=`` (a path or an iterable of paths); ValueError
    naming the one that is not an existing directory."""
    if roots is None:
        return ()
    items: object = [roots] if isinstance(roots, str | os.PathLike) else roots
    if not isinstance(items, Iterable):
        raise ValueError(f'link_roots must be a path or a list of paths, got {type(roots).__name__}')
    out = []
    for root in items:
        if not isinstance(root, str | os.PathLike):
            raise ValueError(f'link_roots entries must be paths, got {root!r}')
        real = os.path.realpath(root)
        if not os.path.isdir(real):
            raise ValueError(f'link_roots: {os.fspath(root)!r} is not an existing directory')
        out.append(real)
    return tuple(out)


class DatasetRoot:
    """The real location of a dataset root, and whether a path stays inside it once symbolic links are followed
    (or leads, through a link, into one of the ``links_into`` directories the caller named).

    Directory checks are cached (a dataset has few directories); a file costs one ``lstat`` unless it is a link.
    Pickled to worker processes with the reader that holds it."""

    def __init__(self, root: str, links_into: tuple[str, ...] = ()):
        self.root = root
        self.real = os.path.realpath(root)
        self.links_into = links_into
        self._prefixes = tuple(p if p.endswith(os.sep) else p + os.sep for p in (self.real, *links_into))
        self._dirs: dict[str, bool] = {}

    def _within(self, real: str) -> bool:
        return real == self.real or real in self.links_into or real.startswith(self._prefixes)

    def contains(self, path: str) -> bool:
        """Whether ``path`` (which need not exist) is inside the root, symbolic links resolved."""
        directory = os.path.dirname(os.path.abspath(path))
        inside = self._dirs.get(directory)
        if inside is None:
            if len(self._dirs) > 10_000:
                self._dirs.clear()
            inside = self._dirs[directory] = self._within(os.path.realpath(directory))
        if not inside:
            return False
        try:
            if not stat.S_ISLNK(os.lstat(path).st_mode):
                return True
        except OSError:
            return True  # missing: whoever opens it reports that
        return self._within(os.path.realpath(path))

    def outside_message(self, what: str, path: str) -> str:
        return (
            f'{what} leads outside the dataset root {self.root} (to {os.path.realpath(path)}); links out of a '
            'dataset are followed only into directories named with link_roots= (a dataset written with '
            "image_mode='symlink' needs its source's root there)"
        )
