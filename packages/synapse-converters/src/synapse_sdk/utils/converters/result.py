"""Typed outcome of a conversion: problems, lossy annotations, counts.

A conversion never drops data silently: every input problem (``Problem``) and every annotation the target format
cannot carry (``Loss``) is recorded, per item and kind, and summarised in ``ConversionReport``. Detailed lists are
capped (``max_report_entries``) so memory does not grow with the dataset; the counts are always exact, and
``save_to_folder`` also streams every entry to ``conversion_report.jsonl`` in the output.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import BaseModel, Field

from .problems import ConversionError, ProblemKind, ProblemRecord, problem_text

if TYPE_CHECKING:
    from .items import LossRecord

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
        return problem_text(self)


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


def problem_model(problem: Problem | ProblemRecord) -> Problem:
    """The public model of a problem the per-item work recorded (``problems.ProblemRecord``)."""
    if isinstance(problem, Problem):
        return problem
    return Problem.model_construct(**problem._asdict())  # trusted values: made by the readers and writers


def loss_model(record: LossRecord) -> Loss:
    """The public model of a loss the per-item work recorded (``items.LossRecord``)."""
    item, annotation_id, kind, reason, detail = record  # the order of items.LOSS_FIELDS
    return Loss.model_construct(
        item=item, annotation_id=annotation_id, kind=kind, reason=reason, detail=detail
    )
