"""Generic dataset steps shared by the category workflows."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from synapse_sdk.plugins.protocols import ConverterFactory
from synapse_sdk.plugins.steps.base import BaseStep, StepResult
from synapse_sdk.plugins.steps.context import BaseStepContext

__all__ = ['ConvertDatasetStep']

_CONVERTERS_HINT = 'pip install synapse-converters (or synapse-sdk)'
_SPLIT_DIRS = ('train', 'valid', 'validation', 'val', 'test')


def _load_get_converter() -> ConverterFactory:
    try:
        from synapse_sdk.utils.converters import get_converter
    except ImportError as exc:
        raise ImportError(
            f'Dataset conversion needs synapse_sdk.utils.converters: {_CONVERTERS_HINT}'
        ) from exc
    return get_converter


class ConvertDatasetStep(BaseStep[BaseStepContext]):
    """Convert the dataset found at ``context.<source_attr>`` to another format.

    Reads the directory path from the context attribute `source_attr` (default
    ``dataset_path``), runs ``get_converter(source_format, target_format, ...)`` from
    ``synapse_sdk.utils.converters`` (imported only when the step runs), saves the result into
    `output_dir` (default: a sibling directory ``<source>_<target_format>``) and stores that path
    in ``context.<output_attr>`` (default: the same attribute, so later steps read the converted
    data). The original path is kept in ``step_results['convert_dataset'].data['source_path']``.

    Progress goes through the step context (the converter reads, then writes: half each). The
    converter writes atomically, so a failed conversion leaves no half-written dataset;
    `rollback` (after a later step failed) removes the output and restores the context attribute.

    Args:
        target_format: ``yolo``, ``coco``, ``pascal`` / ``pascal_voc``, ``dm_v1``, ``dm_v2`` ...
        source_format: format of the input (default ``dm_v2``).
        is_categorized: whether the input has train/valid/test splits; None detects it from the
            presence of split sub-directories.
        output_dir: where to write; must not exist yet.
    """

    name = 'convert_dataset'
    progress_weight = 1.0

    def __init__(
        self,
        target_format: str = 'yolo',
        source_format: str = 'dm_v2',
        *,
        is_categorized: bool | None = None,
        output_dir: str | os.PathLike[str] | None = None,
        source_attr: str = 'dataset_path',
        output_attr: str | None = None,
        name: str | None = None,
        progress_weight: float | None = None,
    ) -> None:
        self.target_format = target_format
        self.source_format = source_format
        self.is_categorized = is_categorized
        self.output_dir = Path(output_dir) if output_dir is not None else None
        self.source_attr = source_attr
        self.output_attr = output_attr or source_attr
        if name is not None:
            self.name = name
        if progress_weight is not None:
            self.progress_weight = progress_weight

    def can_skip(self, context: BaseStepContext) -> bool:
        return self.source_format == self.target_format

    def execute(self, context: BaseStepContext) -> StepResult:
        source = getattr(context, self.source_attr, None)
        if not source:
            raise ValueError(
                f'{type(self).__name__}: context.{self.source_attr} is empty; an earlier step must provide '
                'the dataset directory to convert'
            )
        source_path = Path(source)
        if not source_path.is_dir():
            raise FileNotFoundError(f'{type(self).__name__}: dataset directory {source_path} does not exist')
        output = self.output_dir or source_path.with_name(f'{source_path.name}_{self.target_format}')
        if output.exists():
            raise FileExistsError(f'{type(self).__name__}: output directory {output} already exists')
        categorized = self.is_categorized
        if categorized is None:
            categorized = any((source_path / split).is_dir() for split in _SPLIT_DIRS)

        get_converter = _load_get_converter()
        context.log_message(f'Converting dataset from {self.source_format} to {self.target_format}')
        phase = {'offset': 0}

        def report(current: int, total: int) -> None:
            # Two passes (read/validate, then write): each is half of this step's progress.
            if total > 0:
                context.set_progress(phase['offset'] * total + min(current, total), 2 * total)

        converter = get_converter(
            self.source_format,
            self.target_format,
            root_dir=source_path,
            is_categorized=categorized,
            progress=report,
        )
        converter.convert()
        phase['offset'] = 1
        # save_to_folder writes into a staging directory and renames it into place when complete.
        converter.save_to_folder(output)
        previous = getattr(context, self.output_attr, None)
        setattr(context, self.output_attr, output)
        return StepResult(
            data={'source_path': str(source_path), 'output_path': str(output), 'format': self.target_format},
            rollback_data={'output_path': str(output), 'previous': previous},
        )

    def rollback(self, context: BaseStepContext, result: StepResult) -> None:
        output = result.rollback_data.get('output_path')
        if output:
            shutil.rmtree(output, ignore_errors=True)
        if 'previous' in result.rollback_data:
            setattr(context, self.output_attr, result.rollback_data['previous'])
