"""``BaseConverter``: the public ``convert()`` / ``save_to_folder()`` API shared by all directions."""

from __future__ import annotations

import os
import shutil
import weakref
from collections.abc import Callable, Iterable
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from .engine import Job, Pipeline, Progress, Reader, Writer, default_workers
from .formats import DatasetFormat
from .output import IMAGE_MODES, commit_staging, make_staging
from .paths import link_roots as link_roots_of
from .result import ConversionResult, ErrorPolicy
from .session import REPORT_FILE, Session

__all__ = ['REPORT_FILE', 'BaseConverter']


class BaseConverter:
    """Converts one dataset directory from ``source_format`` to ``target_format``.

    ``convert()`` reads and validates the whole dataset (streaming, nothing written) and fixes the class table;
    ``save_to_folder(path)`` writes the converted dataset atomically (running ``convert()`` first when the class
    ids depend on the whole dataset). Both return a ``ConversionResult``.

    Options shared by every direction:

    - ``root_dir`` (Path or str) and ``is_categorized`` (train/valid[/test] splits) describe the source.
    - ``error_policy``: ``'fail'`` (default), ``'skip'`` or ``'collect'`` (see ``ErrorPolicy``).
    - ``class_names``: fixes class order (YOLO ids from 0, COCO/VOC from 1); classes outside it are problems.
    - ``image_mode``: ``'copy'`` (default), ``'hardlink'`` or ``'symlink'`` (the output then links to the
      source's images: reading it again needs ``link_roots=[source root]``).
    - ``link_roots``: directories outside the dataset that symbolic links in it may lead into (default none:
      every path from the dataset stays inside ``root_dir``; see ``paths``).
    - ``workers``: processes for per-item work: ``None`` (default) in-process for small datasets, one process
      per idle core from ``engine.AUTO_POOL_AFTER`` items on; 1 = in-process; 0 = one per core; N = N processes.
    - ``progress``: ``callable(current, total)``; ``ctx``: anything with ``set_progress(current, total, step=)``
      (a ``RuntimeContext``).
    - ``overwrite``: replace a non-empty output directory (default: refuse).
    - ``max_report_entries``: cap of the per-item problem/loss lists kept in memory (counts stay exact).
    """

    source_format: DatasetFormat
    target_format: DatasetFormat

    def __init__(
        self,
        root_dir: str | Path,
        is_categorized: bool = False,
        *,
        error_policy: ErrorPolicy | str = ErrorPolicy.FAIL,
        class_names: list[str] | None = None,
        image_mode: str = 'copy',
        link_roots: str | Path | Iterable[str | Path] | None = None,
        workers: int | None = None,
        progress: Callable[[int, int], Any] | None = None,
        ctx: Any = None,
        overwrite: bool = False,
        max_report_entries: int = 1000,
        **options: Any,
    ):
        if root_dir is None:
            raise ValueError('root_dir is required')
        self.root_dir = Path(root_dir)
        self.is_categorized = bool(is_categorized)
        self.error_policy = ErrorPolicy(error_policy)
        if class_names is not None:
            class_names = [str(n) for n in class_names]
            if len(set(class_names)) != len(class_names):
                raise ValueError(f'class_names has duplicates: {class_names}')
        self.class_names = class_names
        if image_mode not in IMAGE_MODES:
            raise ValueError(f'image_mode must be one of {IMAGE_MODES}, got {image_mode!r}')
        self.image_mode = image_mode
        self.link_roots = link_roots_of(link_roots)
        self.workers = default_workers(workers)
        self.progress = progress
        self.ctx = ctx
        self.overwrite = overwrite
        self.max_report_entries = max_report_entries
        self.options = self._check_options(options)
        self._table: dict[str, dict[str, int]] | None = None
        self._result: ConversionResult | None = None
        # Worker processes started by convert() serve save_to_folder() too; stopped when it ends (or when this
        # converter is collected, after a convert() alone).
        from .workers import PoolHolder  # not at import: the workers run that module as __main__

        self._workers = PoolHolder()
        weakref.finalize(self, self._workers.close)

    # -- hooks for subclasses ------------------------------------------------------------------------------
    _option_names: tuple[str, ...] = ()

    def _check_options(self, options: dict[str, Any]) -> dict[str, Any]:
        if 'is_categorized_dataset' in options:
            raise TypeError('is_categorized_dataset was renamed to is_categorized')
        unknown = sorted(set(options) - set(self._option_names))
        if unknown:
            allowed = ', '.join(self._option_names) or 'none'
            raise TypeError(
                f'{type(self).__name__} got unknown option(s) {unknown}; format options: {allowed}'
            )
        return options

    def _reader(self) -> Reader:
        raise NotImplementedError

    def _writer(self) -> Writer:
        raise NotImplementedError

    # -- public API ----------------------------------------------------------------------------------------
    def convert(self) -> ConversionResult:
        """Read and validate the whole dataset without writing; fix the class table. Raises ``ConversionError``
        under the ``fail``/``collect`` policies when the input has problems."""
        writer = self._writer()
        result, scan = self._run(writer, staging=None, table=None, step='convert')
        self._table = writer.build_table(scan.collected, scan.counts, self.class_names, scan.tallies)
        result.class_names = _names(self._table)
        self._result = result
        return result

    def save_to_folder(self, output_dir: str | Path) -> ConversionResult:
        """Write the converted dataset to ``output_dir`` atomically (staging directory beside it, renamed into
        place on success; on any failure or interruption the target is left as it was)."""
        target = Path(output_dir).absolute()
        source = self.root_dir.absolute()
        if target == source or target in source.parents:
            raise ValueError(
                f'output_dir {target} would replace the source dataset {source}; write elsewhere'
            )
        if target.exists() and not self.overwrite and target.is_dir() and any(target.iterdir()):
            raise FileExistsError(
                f'{target} already exists and is not empty; pass overwrite=True to replace it'
            )
        writer = self._writer()
        if self._table is None:
            if writer.needs_scan(self.class_names):
                self.convert()
            else:
                self._table = writer.build_table({}, {}, self.class_names)
        assert self._table is not None
        staging = make_staging(target)
        try:
            writer.begin(str(staging), self._table, str(target))
            result, _ = self._run(writer, staging=str(staging), table=self._table, step='save')
            result.class_names = _names(self._table)
            result.output_dir = target
            result.written = True
            self._workers.close()
            commit_staging(staging, target, overwrite=self.overwrite)
        except BaseException:
            self._workers.close()
            shutil.rmtree(staging, ignore_errors=True)
            raise
        self._result = result
        return result

    # -- the loop ------------------------------------------------------------------------------------------
    def _run(
        self, writer: Writer, *, staging: str | None, table: dict[str, dict[str, int]] | None, step: str
    ) -> tuple[ConversionResult, Session]:
        reader = self._reader()
        # External sorts spill beside the output (a filesystem known to be writable); convert() uses the temp dir.
        reader.scratch = os.path.dirname(staging) if staging is not None else None
        splits = reader.splits()
        job = Job(
            reader=reader,
            writer=writer,
            staging=staging,
            table=table,
            class_names=frozenset(self.class_names) if self.class_names is not None else None,
            options=dict(self.options, image_mode=self.image_mode),
        )
        result = ConversionResult(source=self.source_format.value, target=self.target_format.value)
        session = Session(
            writer, result, policy=self.error_policy, max_entries=self.max_report_entries, staging=staging
        )
        with ExitStack() as stack:
            refs_by_split = []
            for split in splits:
                split_refs = reader.refs(split)
                stack.callback(split_refs.close)  # after the worker pool is shut down (LIFO)
                refs_by_split.append(split_refs)
            stack.callback(session.close)
            progress = Progress(self.progress, self.ctx, step, sum(len(r) for r in refs_by_split))
            progress.update(0)
            # closed on an error or interrupt too: the pool is shut down before the caller removes staging
            pipe = Pipeline(job, self.workers, expected=progress.total, holder=self._workers)
            stack.callback(pipe.close)
            for split_refs in refs_by_split:
                for ref in split_refs:
                    for outcome in pipe.submit(ref):
                        session.accept(outcome)
                        progress.update(session.accepted)
            for outcome in pipe.drain():
                session.accept(outcome)
                progress.update(session.accepted)
            session.end()
            if staging is not None:
                writer.finish(staging, splits)
        return result, session


def _names(table: dict[str, dict[str, int]]) -> list[str]:
    names = table.get('classes') or {}
    return [n for n, _ in sorted(names.items(), key=lambda kv: kv[1])]
