"""``DatasetWriter``: DM records in, a dataset in any format out, streamed.

``get_converter`` reads a dataset directory; ``DatasetWriter`` takes the items one at a time from the caller
(an export reading the platform's backend, a generator): each ``DMRecord`` (a DM v1 or v2 document, its image
file or size, a name and a split) goes through the same validation, writer, report and error policy as a
directory conversion, into a staging directory that becomes ``output_dir`` in one rename on ``close()``::

    from synapse_sdk.utils.converters import DatasetWriter, DMRecord

    with DatasetWriter('yolo', '/data/yolo_out', task='detect', class_names=['car', 'person']) as writer:
        for record in records:
            writer.write(DMRecord(name=f'item_{record["id"]}', document=record['data'], image=path, split='train'))
    print(writer.result.items, writer.result.report.loss_counts)

Memory follows the records in flight, never the dataset. One pass suffices when the class table is known up front
(``class_names`` given; for YOLO also an explicit ``task``, and ``keypoint_names`` for pose; DM targets need
nothing); otherwise the records are checked as they arrive (so ``fail`` still stops at the first bad one) and
spooled (pickled, in the staging directory) and written when ``close()`` has fixed the class table, as
``convert()`` + ``save_to_folder()`` do for a directory, giving the same output.
"""

from __future__ import annotations

import dataclasses
import os
import pickle
import shutil
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from types import TracebackType
from typing import IO, Any

from .converters import WRITER_OPTIONS, make_writer
from .engine import Job, Outcome, Pipeline, default_workers
from .formats import DM_SPLITS, DatasetFormat, dm_split
from .output import IMAGE_MODES, commit_staging, make_staging
from .records import DMRecord, RecordReader
from .result import ConversionResult, ErrorPolicy
from .session import Session

__all__ = ['DMRecord', 'DatasetWriter']

_SPOOL = '.records.spool'


class DatasetWriter:
    """Writes DM records (``DMRecord``) as a ``target`` dataset (``'dm_v1'``, ``'dm_v2'``, ``'yolo'``, ``'coco'``,
    ``'pascal'``) at ``output_dir``, atomically: nothing is there until ``close()`` succeeds.

    ``source`` is the DM version of the records' documents (``'dm_v2'`` or ``'dm_v1'``). Options as for
    ``get_converter``: ``error_policy``, ``class_names``, ``image_mode``, ``workers``, ``overwrite``,
    ``max_report_entries`` and the target's format options (YOLO ``task``, ``pose_class``, ``keypoint_names``;
    COCO ``pose_class``, ``keypoint_names``; VOC ``pose_class``). ``progress(count)`` is called every
    ``progress_every`` records written. Use it as a context manager (an exception inside discards everything),
    or call ``write()`` then ``close()`` (or ``abort()``). ``result`` is the ``ConversionResult`` after ``close()``.
    """

    def __init__(
        self,
        target: DatasetFormat | str,
        output_dir: str | Path,
        *,
        source: DatasetFormat | str = DatasetFormat.DM_V2,
        error_policy: ErrorPolicy | str = ErrorPolicy.FAIL,
        class_names: list[str] | None = None,
        image_mode: str = 'copy',
        workers: int | None = None,
        overwrite: bool = False,
        max_report_entries: int = 1000,
        progress: Callable[[int], Any] | None = None,
        progress_every: int = 1000,
        **options: Any,
    ):
        self.source_format = DatasetFormat.parse(source)
        self.target_format = DatasetFormat.parse(target)
        if not self.source_format.is_dm:
            raise ValueError(f'records are DM documents: source must be dm_v1 or dm_v2, got {source!r}')
        unknown = sorted(set(options) - set(WRITER_OPTIONS[self.target_format]))
        if unknown:
            allowed = ', '.join(WRITER_OPTIONS[self.target_format]) or 'none'
            raise TypeError(f'DatasetWriter got unknown option(s) {unknown}; {target} options: {allowed}')
        if image_mode not in IMAGE_MODES:
            raise ValueError(f'image_mode must be one of {IMAGE_MODES}, got {image_mode!r}')
        if class_names is not None:
            class_names = [str(n) for n in class_names]
            if len(set(class_names)) != len(class_names):
                raise ValueError(f'class_names has duplicates: {class_names}')
        self.class_names = class_names
        self.error_policy = ErrorPolicy(error_policy)
        self.max_report_entries = max_report_entries
        self.overwrite = overwrite
        self.progress = progress
        self.progress_every = max(progress_every, 1)
        self.target = Path(output_dir).absolute()
        if self.target.exists() and not overwrite and self.target.is_dir() and any(self.target.iterdir()):
            raise FileExistsError(
                f'{self.target} already exists and is not empty; pass overwrite=True to replace it'
            )
        self.writer = make_writer(self.target_format, options)
        self.staging: Path | None = make_staging(self.target)
        self.spooled = self.writer.needs_scan(class_names)
        self.workers = default_workers(workers)
        self._options = {'image_mode': image_mode}
        self._splits: list[str | None] = []
        self._table: dict[str, dict[str, int]] = {}
        self._flat: bool | None = None
        self._spool: IO[bytes] | None = None
        self.result: ConversionResult | None = None
        from .workers import PoolHolder  # not at import: the workers run that module as __main__

        self._workers = PoolHolder()  # the workers of the first pass serve the second (spooled)
        if self.spooled:
            self._spool = open(self.staging / _SPOOL, 'wb')  # noqa: SIM115
            self._session, self._pipe = self._pass(staging=None, table=None)
        else:
            self._table = self.writer.build_table({}, {}, class_names, {})
            self.writer.begin(str(self.staging), self._table, str(self.target))
            self._session, self._pipe = self._pass(staging=str(self.staging), table=self._table)

    # -- public API ----------------------------------------------------------------------------------------
    def write(self, record: DMRecord) -> None:
        """Convert one record (or, when spooled, check it and keep it for ``close()``). Raises
        ``ConversionError`` under ``fail`` at the first bad record; ``ValueError`` for a split that is not a DM
        split or that mixes flat and split records."""
        self.write_many((record,))

    def write_many(self, records: Iterable[DMRecord]) -> None:
        """``write()`` each of ``records``, in order: one call for a batch of records (an export hands over a
        page at a time), the same output, errors and report as one ``write()`` per record."""
        if self.staging is None:
            raise ValueError('this DatasetWriter is closed')
        spool, submit, accept = self._spool, self._pipe.submit, self._accept
        for record in records:
            record = self._note_split(record)  # a bad split is refused; the writer goes on
            try:
                if spool is not None:
                    pickle.dump(record, spool, protocol=pickle.HIGHEST_PROTOCOL)
                outcomes = submit(record)
                if outcomes:
                    accept(outcomes)
            except BaseException:
                self.abort()
                raise

    def close(self) -> ConversionResult:
        """Finish writing and move the dataset into place; returns the ``ConversionResult``. On any error the
        output is discarded (``output_dir`` stays as it was) and the error is raised."""
        if self.result is not None:
            return self.result
        if self.staging is None:
            raise ValueError('this DatasetWriter was aborted')
        try:
            self._accept(self._pipe.drain())
            self._pipe.close()
            self._session.end()
            splits: list[str | None] = self._splits if not self._flat else [None]
            if not splits:
                splits = [None]
            if self.spooled:
                assert self._spool is not None  # opened in __init__ when spooled
                self._spool.close()
                self._table = self.writer.build_table(
                    self._session.collected, self._session.counts, self.class_names, self._session.tallies
                )
                self.writer.begin(str(self.staging), self._table, str(self.target))
                count = self._session.accepted
                self._session, self._pipe = self._pass(
                    staging=str(self.staging), table=self._table, expected=count
                )
                for record in self._replay(self.staging):
                    self._accept(self._pipe.submit(record))
                self._accept(self._pipe.drain())
                self._pipe.close()
                self._session.end()
                os.remove(self.staging / _SPOOL)
            self._workers.close()
            self.writer.finish(str(self.staging), splits)
            result = self._session.result
            result.class_names = _names(self._table)
            result.output_dir = self.target
            result.written = True
            commit_staging(self.staging, self.target, overwrite=self.overwrite)
        except BaseException:
            self.abort()
            raise
        self.staging = None
        self.result = result
        return result

    def abort(self) -> None:
        """Discard everything written so far (``output_dir`` stays as it was)."""
        self._pipe.close()
        self._workers.close()
        self._session.close()
        if self._spool is not None:
            self._spool.close()
        if self.staging is not None:
            shutil.rmtree(self.staging, ignore_errors=True)
            self.staging = None

    def __enter__(self) -> DatasetWriter:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()

    # -- internals -----------------------------------------------------------------------------------------
    def _pass(
        self, *, staging: str | None, table: dict[str, dict[str, int]] | None, expected: int | None = None
    ) -> tuple[Session, Pipeline]:
        job = Job(
            reader=RecordReader(self.source_format.value.removeprefix('dm_')),
            writer=self.writer,
            staging=staging,
            table=table,
            class_names=frozenset(self.class_names) if self.class_names is not None else None,
            options=self._options,
        )
        result = ConversionResult(source=self.source_format.value, target=self.target_format.value)
        session = Session(
            self.writer,
            result,
            policy=self.error_policy,
            max_entries=self.max_report_entries,
            staging=staging,
        )
        return session, Pipeline(job, self.workers, expected=expected, holder=self._workers)

    def _accept(self, outcomes: list[Outcome] | Iterator[Outcome]) -> None:
        progress = self.progress
        for outcome in outcomes:
            self._session.accept(outcome)
            if (
                progress is not None
                and self._session.staging is not None
                and self._session.accepted % self.progress_every == 0
            ):
                progress(self._session.accepted)

    def _note_split(self, record: DMRecord) -> DMRecord:
        split = record.split
        if split is not None:
            canonical = dm_split(str(split))
            if canonical is None:
                raise ValueError(f'record {record.name!r}: split {split!r} is not one of train, valid, test')
            if canonical != split:
                record = dataclasses.replace(record, split=canonical)
            split = canonical
        flat = split is None
        if self._flat is None:
            self._flat = flat
        elif self._flat != flat:
            raise ValueError(f'record {record.name!r}: records with and without a split cannot be mixed')
        if split is not None and split not in self._splits:
            self._splits = [s for s in DM_SPLITS if s in {*self._splits, split}]
        return record

    def _replay(self, staging: Path) -> Iterator[DMRecord]:
        with open(staging / _SPOOL, 'rb') as fh:
            while True:
                try:
                    yield pickle.load(fh)  # our own scratch file, written above
                except EOFError:
                    return


def _names(table: dict[str, dict[str, int]]) -> list[str]:
    names = table.get('classes') or {}
    return [n for n, _ in sorted(names.items(), key=lambda kv: kv[1])]
