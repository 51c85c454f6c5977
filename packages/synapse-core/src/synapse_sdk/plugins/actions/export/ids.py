"""`IdSpool`: the ids an export will fetch, in listing order, kept in a file instead of in memory.

v2 lists report no count and a bulk fetch needs ids, so an export lists the matching ids first.
Kept in a Python list they cost ~36 bytes per item for the whole run; here they cost 8 bytes of
disk each and a window of a few hundred in memory. Saved under a name (``path``), the list is also
the fixed plan a resumed export follows, so a resumed run fetches exactly the items the first run
listed, no more and no fewer.
"""

from __future__ import annotations

import os
import tempfile
from array import array
from collections.abc import Iterable
from pathlib import Path
from typing import IO

__all__ = ['IdSpool']

_ITEM = array('q').itemsize


class IdSpool:
    """A read-only sequence of integer ids backed by a file (8 bytes per id)."""

    def __init__(self, fh: IO[bytes], count: int) -> None:
        self._fh = fh
        self.count = count

    def __len__(self) -> int:
        return self.count

    def __enter__(self) -> IdSpool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._fh.close()

    @classmethod
    def write(cls, pages: Iterable[Iterable[int]], path: Path | None = None) -> IdSpool:
        """Spool the ids of `pages` (one iterable per listing page).

        With `path`, the file appears there only once the listing is complete (written beside it,
        then renamed), so a listing cut short never passes for a whole one. Without, an anonymous
        temporary file is used and removed on `close`.
        """
        if path is None:
            # The spool owns the file until close(): no context manager can span that.
            fh: IO[bytes] = tempfile.TemporaryFile(prefix='synapse-export-ids-')  # noqa: SIM115
            count = cls._fill(fh, pages)
            return cls(fh, count)
        partial = path.with_name(path.name + '.partial')
        with partial.open('wb') as out:
            cls._fill(out, pages)
        os.replace(partial, path)
        return cls.open(path)

    @classmethod
    def open(cls, path: Path) -> IdSpool:
        size = path.stat().st_size
        if size % _ITEM:
            raise ValueError(f'{path}: {size} bytes is not a whole number of ids')
        return cls(path.open('rb'), size // _ITEM)

    @staticmethod
    def _fill(fh: IO[bytes], pages: Iterable[Iterable[int]]) -> int:
        count = 0
        for page in pages:
            chunk = array('q', page)
            chunk.tofile(fh)
            count += len(chunk)
        fh.flush()
        return count

    def read(self, start: int, size: int) -> list[int]:
        """Ids ``start`` to ``start + size`` (fewer at the end). Safe from any thread (``pread``)."""
        size = max(0, min(size, self.count - start))
        if not size:
            return []
        chunk = array('q')
        chunk.frombytes(os.pread(self._fh.fileno(), size * _ITEM, start * _ITEM))
        return chunk.tolist()

    def save(self, path: Path) -> None:
        """Copy the ids to `path` (atomically), e.g. into a resumable export's journal."""
        partial = path.with_name(path.name + '.partial')
        step = 1 << 16
        with partial.open('wb') as out:
            for start in range(0, self.count, step):
                out.write(os.pread(self._fh.fileno(), min(step, self.count - start) * _ITEM, start * _ITEM))
        os.replace(partial, path)
