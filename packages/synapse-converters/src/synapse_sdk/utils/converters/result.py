"""Typed outcome of a conversion: problems, lossy annotations, counts.

A conversion never drops data silently: every input problem (``Problem``) and every annotation the target format
cannot carry (``Loss``) is recorded, per item and kind, and summarised in ``ConversionReport``. Detailed lists are
capped (``max_report_entries``) so memory does not grow with the dataset; the counts are always exact, and
``save_to_folder`` also streams every entry to ``conversion_report.jsonl`` in the output.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

from pydantic import BaseModel, Field

__all__ = [
    'ConversionError',
    'ConversionReport',
    'ConversionResult',
    'ErrorPolicy',
    'Loss',
    'Problem',
    'ProblemKind',
]


class ErrorPolicy(StrEnum):
    """What to do with bad input.

    ``fail`` (default): stop at the first problem, write nothing. ``skip``: leave out the bad annotation (or the
    whole item when the item itself is unusable), record it, and go on. ``collect``: go through the whole dataset,
    then raise one ``ConversionError`` listing every problem, writing nothing.
    """

    FAIL = 'fail'
    SKIP = 'skip'
    COLLECT = 'collect'


class ProblemKind(StrEnum):
    MALFORMED_JSON = 'malformed_json'
    MALFORMED_XML = 'malformed_xml'
    MALFORMED_LABEL = 'malformed_label'
    MALFORMED_YAML = 'malformed_yaml'
    MALFORMED_ANNOTATION = 'malformed_annotation'
    DEGENERATE_BOX = 'degenerate_box'
    OUT_OF_IMAGE = 'out_of_image'
    INVALID_POLYGON = 'invalid_polygon'
    INVALID_KEYPOINT = 'invalid_keypoint'
    INVALID_MASK = 'invalid_mask'
    UNKNOWN_CLASS = 'unknown_class'
    MISSING_IMAGE = 'missing_image'
    UNREADABLE_IMAGE = 'unreadable_image'
    DUPLICATE_ID = 'duplicate_id'
    UNSAFE_PATH = 'unsafe_path'


class Problem(BaseModel):
    """One input problem, located as precisely as the format allows."""

    kind: ProblemKind
    file: str
    message: str
    item: str | None = None
    annotation_id: str | None = None
    line: int | None = None
    whole_item: bool = False

    def __str__(self) -> str:
        where = self.file
        if self.line is not None:
            where += f':{self.line}'
        if self.annotation_id is not None:
            where += f' (annotation {self.annotation_id})'
        return f'{where}: {self.kind.value}: {self.message}'


class Loss(BaseModel):
    """An annotation (or part of one) the target format cannot carry, or carries only approximately."""

    item: str
    annotation_id: str | None
    kind: str
    reason: str
    detail: str | None = None


class ConversionReport(BaseModel):
    """Per-kind totals plus (capped) per-item details of problems and losses.

    ``representation_changes`` counts annotations the target carries in another form, by ``<tool>:<change>``
    (``polygon:as_box`` in a YOLO detect dataset, ``bounding_box:as_polygon`` in a segment one,
    ``polygon:as_mask`` in Pascal VOC, ``polygon:parts_joined`` for a multi-part object in one YOLO row, ...):
    carried, not lost, so they are neither losses nor listed per item.
    """

    problems: list[Problem] = Field(default_factory=list)
    losses: list[Loss] = Field(default_factory=list)
    problem_counts: dict[str, int] = Field(default_factory=dict)
    loss_counts: dict[str, int] = Field(default_factory=dict)
    representation_changes: dict[str, int] = Field(default_factory=dict)
    truncated: bool = False


class ConversionResult(BaseModel):
    """What ``convert()`` and ``save_to_folder()`` return."""

    source: str
    target: str
    output_dir: Path | None = None
    written: bool = False
    items: int = 0
    items_skipped: int = 0
    splits: dict[str, int] = Field(default_factory=dict)
    annotations_read: dict[str, int] = Field(default_factory=dict)
    annotations_written: dict[str, int] = Field(default_factory=dict)
    annotations_skipped: int = 0
    lossy: int = 0
    class_names: list[str] = Field(default_factory=list)
    report: ConversionReport = Field(default_factory=ConversionReport)

    @property
    def ok(self) -> bool:
        return not self.report.problem_counts


class ConversionError(ValueError):
    """Input problems stopped the conversion (policy ``fail`` or ``collect``); nothing was written.

    ``problems`` lists them (``fail``: the first item's problems; ``collect``: all of them, capped).
    """

    def __init__(self, problems: list[Problem], total: int | None = None):
        self.problems = problems
        self.total = total if total is not None else len(problems)
        head = '; '.join(str(p) for p in problems[:5])
        more = f' (and {self.total - 5} more)' if self.total > 5 else ''
        super().__init__(f'{self.total} problem(s) in the input: {head}{more}')
