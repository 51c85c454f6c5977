"""Input problems as the per-item work records them, and the error that reports them.

Why apart from ``result`` (the pydantic report models): the per-item work runs in worker processes too, and a
worker imports only what converting an item needs. Importing pydantic and building the report models was more
than half of a worker's start (~170 of ~290 ms of CPU), paid by every worker of every pass. So a reader or writer
records a problem as a ``ProblemRecord`` (a plain named tuple, cheap to pickle back to the main process), and the
main process turns it into the public ``Problem`` model where a report or a ``ConversionError`` shows it.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum
from typing import TYPE_CHECKING, Any, NamedTuple

if TYPE_CHECKING:
    from .result import Problem

__all__ = ['ConversionError', 'ProblemKind', 'ProblemRecord', 'problem_text']


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


class ProblemRecord(NamedTuple):
    """One input problem: the fields of ``result.Problem``, in its order (``conversion_report.jsonl`` writes
    them in this order)."""

    kind: ProblemKind
    file: str
    message: str
    item: str | None = None
    annotation_id: str | None = None
    line: int | None = None
    whole_item: bool = False

    def __str__(self) -> str:
        return problem_text(self)


def problem_text(problem: ProblemRecord | Problem) -> str:
    """``file:line (annotation id): kind: message``: how a problem reads in messages."""
    where = problem.file
    if problem.line is not None:
        where += f':{problem.line}'
    if problem.annotation_id is not None:
        where += f' (annotation {problem.annotation_id})'
    return f'{where}: {problem.kind.value}: {problem.message}'


class ConversionError(ValueError):
    """Input problems stopped the conversion (policy ``fail`` or ``collect``); nothing was written.

    ``problems`` lists them as ``Problem`` models (``fail``: the first item's problems; ``collect``: all of them,
    capped).
    """

    def __init__(self, problems: Sequence[Problem | ProblemRecord], total: int | None = None):
        from .result import problem_model  # the main process's side: it has the models

        self.problems: list[Problem] = [problem_model(p) for p in problems]
        self.total = total if total is not None else len(self.problems)
        head = '; '.join(str(p) for p in self.problems[:5])
        more = f' (and {self.total - 5} more)' if self.total > 5 else ''
        super().__init__(f'{self.total} problem(s) in the input: {head}{more}')

    def __reduce__(self) -> tuple[Any, ...]:
        # Pickled with its problems (a Ray task's error, a worker's): the default would call the class with the
        # message alone.
        return type(self), (self.problems, self.total), self.__dict__
