"""One pass's bookkeeping, shared by ``BaseConverter`` and ``DatasetWriter``: the error policy, the result's counts,
the capped report, ``conversion_report.jsonl`` and handing each item's payload to the writer, in item order."""

from __future__ import annotations

import json
import os
from typing import IO

from .engine import Outcome, Writer
from .items import LOSS_FIELDS
from .problems import ConversionError
from .result import ConversionResult, ErrorPolicy, loss_model, problem_model

__all__ = ['REPORT_FILE', 'Session']

REPORT_FILE = 'conversion_report.jsonl'


class Session:
    """Accepts the outcomes of one pass in order. ``staging=None`` is a dry pass (``convert()``, or the scan of a
    spooled ``DatasetWriter``): nothing is written, the class names and tallies are gathered."""

    def __init__(
        self,
        writer: Writer,
        result: ConversionResult,
        *,
        policy: ErrorPolicy,
        max_entries: int,
        staging: str | None,
    ):
        self.writer = writer
        self.result = result
        self.policy = policy
        self.max_entries = max_entries
        self.staging = staging
        self.collected: dict[str, set[str]] = {}
        self.counts: dict[str, int] = {}
        self.tallies: dict[str, int] = {}
        self.all_problems = 0
        self.accepted = 0
        self._items = 0  # added to the result by end(): a pydantic attribute assignment per item costs ~1 us
        self._report: IO[str] | None = None

    def accept(self, outcome: Outcome) -> None:
        self.accepted += 1
        if outcome.problems:
            self.all_problems += len(outcome.problems)
            if self.policy is ErrorPolicy.FAIL:
                raise ConversionError(outcome.problems)
        self._account(outcome)
        for group, names in outcome.collected.items():
            self.collected.setdefault(group, set()).update(names)
        for kind, n in outcome.written.items():
            self.counts[kind] = self.counts.get(kind, 0) + n
        for key, n in outcome.tallies.items():
            self.tallies[key] = self.tallies.get(key, 0) + n
        if self.staging is None:
            return
        if (outcome.problems or outcome.losses) and self._report is None:
            self._report = open(os.path.join(self.staging, REPORT_FILE), 'w', encoding='utf-8')  # noqa: SIM115
        if self._report is not None:
            for p in outcome.problems:
                self._report.write(json.dumps({'type': 'problem', **p._asdict()}, ensure_ascii=False) + '\n')
            for loss in outcome.losses:
                record = dict(zip(LOSS_FIELDS, loss, strict=True))
                self._report.write(json.dumps({'type': 'loss', **record}, ensure_ascii=False) + '\n')
        if not outcome.unusable:
            self.writer.consume(outcome.split, outcome.stem, outcome.payload)

    def end(self) -> None:
        """After the last outcome: ``collect`` raises now if anything was wrong; the report file is completed
        with the representation counts (one ``representation_changes`` line) and closed."""
        if self.policy is ErrorPolicy.COLLECT and self.all_problems:
            self.close()
            raise ConversionError(self.result.report.problems, total=self.all_problems)
        self.result.items += self._items
        self._items = 0
        changes = self.result.report.representation_changes
        if self.staging is not None and changes:
            if self._report is None:
                self._report = open(os.path.join(self.staging, REPORT_FILE), 'w', encoding='utf-8')  # noqa: SIM115
            self._report.write(json.dumps({'type': 'representation_changes', 'counts': changes}) + '\n')
        self.close()

    def close(self) -> None:
        if self._report is not None:
            self._report.close()
            self._report = None

    def _account(self, outcome: Outcome) -> None:
        # Counters are added once per item, not per annotation: every attribute assignment on the pydantic
        # result costs a few microseconds, and items carry a dozen losses each.
        result = self.result
        report = result.report
        if outcome.unusable:
            result.items_skipped += 1
        else:
            self._items += 1
            split = outcome.split or 'all'
            result.splits[split] = result.splits.get(split, 0) + 1
        for tool, n in outcome.read.items():
            result.annotations_read[tool] = result.annotations_read.get(tool, 0) + n
        for kind, n in outcome.written.items():
            result.annotations_written[kind] = result.annotations_written.get(kind, 0) + n
        if outcome.changes:
            changes = report.representation_changes
            for key, n in outcome.changes.items():
                changes[key] = changes.get(key, 0) + n
        if outcome.problems:
            for p in outcome.problems:
                report.problem_counts[p.kind.value] = report.problem_counts.get(p.kind.value, 0) + 1
            result.annotations_skipped += sum(1 for p in outcome.problems if not p.whole_item)
            room = self.max_entries - len(report.problems)
            report.problems.extend(problem_model(p) for p in outcome.problems[: max(room, 0)])
            if room < len(outcome.problems) and not report.truncated:
                report.truncated = True
        if outcome.losses:
            for loss in outcome.losses:
                key = f'{loss[2]}:{loss[3]}'
                report.loss_counts[key] = report.loss_counts.get(key, 0) + 1
            result.lossy += len(outcome.losses)
            room = self.max_entries - len(report.losses)
            report.losses.extend(loss_model(loss) for loss in outcome.losses[: max(room, 0)])
            if room < len(outcome.losses) and not report.truncated:
                report.truncated = True
