"""`ExportJournal`: the staging directory of an in-process export, and how far the export got.

An export writes into ``<parent>/.<name>.export-partial/output`` and renames that to ``<name>``
only when every item is in, so the output appears whole or not at all. Beside it the journal keeps:

- ``journal.json``: what is being exported (a fingerprint of the params that shape the output),
  the item count, and the last checkpoint: batches done, items written, and the size of every
  append-only file at that moment. It is replaced atomically after every batch;
- ``ids.bin``: for the v2 API, the ids listed at the start (`IdSpool`), the fixed plan a resumed
  run follows;
- ``.lock``: held (``flock``) while an export runs, so two runs never write one staging directory.

A run interrupted by Ctrl-C, a killed worker or a backend outage leaves the staging directory
behind. Running the same export again (same path, same fingerprint) resumes: append-only files
are cut back to their checkpointed size, so whatever was written after the last checkpoint is
dropped and written again, and fetching restarts at the first batch not checkpointed. That is why
a resumed export ends with exactly the items of an uninterrupted one: no duplicates, no gaps.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from synapse_sdk.plugins.errors import ExecutionError

__all__ = ['ExportJournal', 'ExportResumeError']

JOURNAL_VERSION = 1
SUFFIX = '.export-partial'


class ExportResumeError(ExecutionError):
    """A partial export at this path cannot be resumed by this run (it exports something else)."""


class ExportJournal:
    """Open with `ExportJournal.open`; `checkpoint` after each batch; `commit` or `discard` at the end."""

    def __init__(self, output: Path, staging: Path, state: dict[str, Any], lock: Any) -> None:
        self.output = output
        self.staging = staging
        self.state = state
        self._lock = lock

    # -- paths ------------------------------------------------------------------------------------
    @staticmethod
    def staging_for(output: Path) -> Path:
        return output.parent / f'.{output.name}{SUFFIX}'

    @property
    def root(self) -> Path:
        """Where the output is written until `commit`."""
        return self.staging / 'output'

    @property
    def ids_file(self) -> Path:
        return self.staging / 'ids.bin'

    @property
    def resumed(self) -> bool:
        return bool(self.state.get('resumed'))

    # -- opening ----------------------------------------------------------------------------------
    @classmethod
    def find(cls, output: Path) -> dict[str, Any] | None:
        """The journal state of a partial export at `output`, if there is a readable one."""
        try:
            state = json.loads((cls.staging_for(output) / 'journal.json').read_text(encoding='utf-8'))
        except (OSError, ValueError):
            return None
        return state if isinstance(state, dict) else None  # not a journal this module wrote: unreadable

    @classmethod
    def open(cls, output: Path, fingerprint: Mapping[str, Any], *, resume: bool = True) -> ExportJournal:
        """Resume the partial export of `fingerprint` at `output`, or start a new one.

        A partial export of something else at the same path is an `ExportResumeError` unless
        ``resume=False``, which discards it. An existing non-empty `output` is a ``FileExistsError``.
        """
        staging = cls.staging_for(output)
        fingerprint = json.loads(json.dumps(fingerprint, sort_keys=True, default=str))
        if staging.exists():
            lock = _lock(staging)
            state = cls.find(output)
            finished = (
                state is not None
                and state.get('complete')
                and (state.get('external_output') or not (staging / 'output').exists())
            )
            if finished or state is None or not resume:
                # A run that committed but was stopped before cleaning up, an unreadable journal (killed
                # while creating it) or an explicit fresh start: nothing here is worth keeping.
                _remove(staging, lock)
            elif state.get('fingerprint') != fingerprint:
                _unlock(lock)
                raise ExportResumeError(
                    f'params.path: a partial export of different params is in {staging} '
                    f'(it was {state.get("fingerprint")}); run that export again to finish it, '
                    'or pass resume=false to discard it'
                )
            else:
                _check_output(output)
                state['resumed'] = True
                return cls(output, staging, state, lock)
        _check_output(output)
        staging.mkdir(parents=True)
        lock = _lock(staging)
        (staging / 'output').mkdir()
        journal = cls(output, staging, {'version': JOURNAL_VERSION, 'fingerprint': fingerprint}, lock)
        journal.checkpoint(batches_done=0, items=0, sizes={})
        journal.state['resumed'] = False
        return journal

    # -- progress ---------------------------------------------------------------------------------
    def checkpoint(self, **values: Any) -> None:
        """Record progress (``batches_done``, ``items``, ``sizes`` ...) atomically."""
        self.state.update(values)
        saved = {k: v for k, v in self.state.items() if k != 'resumed'}
        partial = self.staging / 'journal.json.partial'
        partial.write_text(json.dumps(saved, sort_keys=True), encoding='utf-8')
        os.replace(partial, self.staging / 'journal.json')

    def key(self, path: Path) -> str:
        """How the journal names `path` (relative to the staging directory, which may move with its parent)."""
        return path.relative_to(self.staging).as_posix()

    def restore(self, name: str) -> int:
        """Cut the append-only file `name` (a `key`) back to its checkpointed size; return that size."""
        size = int(self.state.get('sizes', {}).get(name, 0))
        path = self.staging / name
        if path.exists():
            if path.stat().st_size < size:
                raise ExportResumeError(
                    f'{path} is shorter than its last checkpoint ({size} bytes): the partial export is damaged; '
                    'pass resume=false to start over'
                )
            with path.open('r+b') as fh:
                fh.truncate(size)
        elif size:
            raise ExportResumeError(f'{path} is missing: the partial export is damaged; pass resume=false')
        return size

    # -- ending -----------------------------------------------------------------------------------
    def commit(self) -> None:
        """Move the finished output into place, then remove the staging directory."""
        self.checkpoint(complete=True)
        if self.output.exists():
            self.output.rmdir()  # empty (checked when opening); anything else is an error worth raising
        os.replace(self.root, self.output)
        _remove(self.staging, self._lock)

    def discard(self) -> None:
        """Remove everything this export wrote (a failure nothing can resume from)."""
        _remove(self.staging, self._lock)

    def release(self) -> None:
        """Leave the staging directory for a later run to resume, and let that run take the lock."""
        _unlock(self._lock)


def _check_output(output: Path) -> None:
    if output.exists() and (not output.is_dir() or any(output.iterdir())):
        raise FileExistsError(f'params.path: {output} already exists and is not an empty directory')


def _lock(staging: Path) -> Any:
    """An exclusive ``flock`` on the staging directory's lock file (no-op where ``fcntl`` is missing)."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows: no concurrent-run protection
        return None
    fh = (staging / '.lock').open('a+b')
    try:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        fh.close()
        raise ExportResumeError(
            f'params.path: another export is writing {staging} right now; wait for it to finish'
        ) from None
    return fh


def _unlock(lock: Any) -> None:
    if lock is not None:
        with contextlib.suppress(OSError):
            lock.close()


def _remove(staging: Path, lock: Any) -> None:
    shutil.rmtree(staging, ignore_errors=True)
    _unlock(lock)
