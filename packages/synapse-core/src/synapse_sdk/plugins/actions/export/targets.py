"""Fetching export targets (assignments, ground truths, tasks) through the v1 or the v2 API.

Both paths return ``(iterator, count)`` over *records* of the same shape, whichever API served
them, so an export's output does not depend on the client that fetched it::

    {'id': <int>, 'data': <annotation document (parsed JSON) or None>, 'files': {<spec>: ...}}

Items are streamed: v1 follows page links lazily; v2 lists the matching ids first (that gives
the count, which v2 lists do not report) and then fetches the data in bulk batches of at most
200 ids as the iterator is consumed.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Mapping
from enum import StrEnum
from typing import Any

__all__ = ['ExportTarget', 'fetch_v1', 'fetch_v2', 'normalize_record']

BULK_BATCH = 200


class ExportTarget(StrEnum):
    """What an export reads."""

    ASSIGNMENT = 'assignment'
    GROUND_TRUTH = 'ground_truth'
    TASK = 'task'


def _parse_data(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def _item_get(item: Any, key: str, default: Any = None) -> Any:
    if isinstance(item, Mapping):
        return item.get(key, default)
    return getattr(item, key, default)


def normalize_record(item: Mapping[str, Any]) -> dict[str, Any]:
    """The common record of a v1 list item or a v2 bulk item."""
    files = item.get('files')
    if files is None:
        files = item.get('files_manifest')
    return {'id': item['id'], 'data': _parse_data(item.get('data')), 'files': dict(files or {})}


def fetch_v1(
    client: Any, target: ExportTarget, filters: Mapping[str, Any]
) -> tuple[Iterator[dict[str, Any]], int]:
    """Records of `target` matching `filters` through the v1 client (offset pages, lazily)."""
    listers: dict[ExportTarget, Callable[..., Any]] = {
        ExportTarget.TASK: client.list_tasks_data,
        ExportTarget.ASSIGNMENT: client.list_assignments_data,
        ExportTarget.GROUND_TRUTH: client.list_ground_truth_events_data,
    }
    items, count = listers[target](dict(filters), list_all=True)
    return (normalize_record(item) for item in items), int(count)


def _v2_ids(v2_client: Any, target: ExportTarget, filters: Mapping[str, Any]) -> list[int]:
    if target is ExportTarget.TASK:
        return [int(_item_get(t, 'id')) for t in v2_client.tasks.list(list_all=True, **filters)]
    if target is ExportTarget.ASSIGNMENT:
        return [int(_item_get(a, 'id')) for a in v2_client.assignments.list(list_all=True, **filters)]
    return [int(_item_get(e, 'pgh_id')) for e in v2_client.ground_truth_events.list(list_all=True, **filters)]


def _v2_bulk(v2_client: Any, target: ExportTarget) -> Callable[[list[int]], list[dict[str, Any]]]:
    if target is ExportTarget.TASK:
        return v2_client.tasks.bulk_fetch
    if target is ExportTarget.ASSIGNMENT:
        return v2_client.assignments.bulk_fetch
    return v2_client.ground_truth_events.bulk_data


def _batched(ids: Iterable[int], size: int) -> Iterator[list[int]]:
    batch: list[int] = []
    for value in ids:
        batch.append(value)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def fetch_v2(
    v2_client: Any, target: ExportTarget, filters: Mapping[str, Any]
) -> tuple[Iterator[dict[str, Any]], int]:
    """Records of `target` matching `filters` through the v2 client (ids, then bulk batches)."""
    ids = _v2_ids(v2_client, target, filters)
    fetch = _v2_bulk(v2_client, target)

    def stream() -> Iterator[dict[str, Any]]:
        for batch in _batched(ids, BULK_BATCH):
            for item in fetch(batch):
                yield normalize_record(item)

    return stream(), len(ids)
