"""Fetching export targets (assignments, ground truths, tasks) through the v1 or the v2 API.

Both paths return ``(records, count)`` where `records` is a `RecordStream` over *records* of the
same shape, whichever API served them, so an export's output does not depend on the client that
fetched it::

    {'id': <int>, 'data': <annotation document (parsed JSON) or None>, 'files': {<spec>: ...}}

Items are streamed in numbered batches, fetched in background threads a few batches ahead of the
consumer (`prefetch`; v2: two requests in flight), so memory holds a bounded window whatever the count:

- v1 reads offset pages of ``V1_PAGE_SIZE`` records (batch k is page k + 1); the count is the
  first page's ``count``.
- v2 lists the matching ids first, ``V2_LIST_PAGE`` per request, into an `IdSpool` (a file, not a
  list: that gives the count, which v2 lists do not report), then bulk-fetches them ``BULK_BATCH``
  at a time (batch k is ids ``k*200`` to ``k*200 + 199``).
"""

from __future__ import annotations

import functools
import itertools
import json
from collections.abc import Callable, Iterator, Mapping
from enum import StrEnum
from pathlib import Path
from typing import Any

from pydantic_core import SchemaValidator, core_schema

from synapse_sdk.plugins.actions.export.ids import IdSpool
from synapse_sdk.plugins.actions.export.pipeline import prefetch
from synapse_sdk.plugins.protocols import (
    BackendClientProtocol,
    BackendV2ClientProtocol,
    V2AssignmentsProtocol,
    V2GroundTruthEventsProtocol,
    V2TasksProtocol,
)

__all__ = [
    'BULK_BATCH',
    'V1_PAGE_SIZE',
    'V2_LIST_PAGE',
    'ExportTarget',
    'RawJSON',
    'RecordStream',
    'fetch_v1',
    'fetch_v2',
    'normalize_record',
]

#: Ids per v2 bulk request: the API's limit.
BULK_BATCH = 200
#: Ids per v2 list request. Not the largest ``per_page`` the API accepts (10,000, the client's ``MAX_PER_PAGE``):
#: a page of 10,000 list items (~2 MB of JSON, ~10 MB parsed) was the export's peak memory, and its transient
#: left the allocator's heap fragmented page after page, so the peak grew with the item count (~17 bytes per
#: item from 10,000 to 100,000 items, against ~5-8 with 2,000). 2,000 per page is 50 list requests per 100,000
#: items, beside 500 bulk fetches: listing 100,000 ids took the same time (~0.5-0.8 s) either way.
V2_LIST_PAGE = 2_000
#: Ground-truth event lists document a cap of 200 per page.
GT_EVENTS_LIST_PAGE = 200
#: Records per v1 data page: a 1-2 MB response, large enough that requests are not the cost.
V1_PAGE_SIZE = 1000
#: Batches fetched ahead of the consumer.
PREFETCH_DEPTH = 3
#: v2 bulk requests in flight at once (`RecordStream` ``fetchers``): the next batch is being served while this
#: process takes in the last one. More would only queue at the backend and hold more batches here.
V2_FETCHERS = 2

BatchReader = Callable[[int], tuple[list[dict[str, Any]], bool]]


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


class RawJSON:
    """JSON text the backend sent (a v2 record's ``data``), to be written as it is, unparsed.

    Parsing a ~1 KB annotation document and encoding it again costs ~70 us of CPU per record, three
    times what the rest of an export costs; an export that only copies records need not pay it.
    Deliberately not a ``str``: encoding it as a JSON string by mistake raises instead of nesting.
    """

    __slots__ = ('text',)

    def __init__(self, text: str) -> None:
        self.text = text

    def __repr__(self) -> str:
        return f'RawJSON({self.text[:40]!r}...)'

    def parse(self) -> Any:
        return json.loads(self.text)

    def check(self) -> None:
        """Raise `ValueError` (``json``'s, saying where the text breaks) unless the text is one JSON value.

        Proving it with ``json.loads`` builds every dict, list and string of the document only to drop them
        (~20-25 us per ~1 KB document, as much as the rest of a plain export spends per record). An object's
        text is first given to pydantic-core's parser (Rust, jiter), told to keep no key of it: it still reads
        the whole text and refuses what is not JSON, but builds nothing (~5 us). What it accepts ``json``
        accepts too (tests/workflows/test_export_data.py holds them to that); what it refuses, ``json``
        decides: it also accepts what this parser does not (nesting over 200 levels, lone surrogates) and
        gives the error message."""
        if self.text[:1] == '{':
            try:
                _json_object().validate_json(self.text)
            except ValueError:
                pass
            else:
                return
        json.loads(self.text)


@functools.cache
def _json_object() -> SchemaValidator:
    """A validator of JSON objects that keeps none of their content (any keys, any values: none looked at)."""
    return SchemaValidator(core_schema.typed_dict_schema({}, extra_behavior='ignore'))


def _raw_data(value: Any) -> Any:
    """`value` kept as `RawJSON` when it is the JSON text of an object or array on one line, else parsed."""
    if isinstance(value, str) and '\n' not in value and '\r' not in value:
        text = value.strip()
        if (text[:1], text[-1:]) in (('{', '}'), ('[', ']')):
            return RawJSON(text)
    return _parse_data(value)


def normalize_record(item: Mapping[str, Any], *, raw_data: bool = False) -> dict[str, Any]:
    """The common record of a v1 list item or a v2 bulk item.

    With `raw_data`, a ``data`` that arrived as JSON text stays text (`RawJSON`), for writers that
    copy records without looking into them.
    """
    files = item.get('files')
    if files is None:
        files = item.get('files_manifest')
    data = _raw_data(item.get('data')) if raw_data else _parse_data(item.get('data'))
    return {'id': item['id'], 'data': data, 'files': dict(files or {})}


class RecordStream(Iterator[dict[str, Any]]):
    """The records of one export in a fixed order, read in numbered batches.

    Iterating yields every record. `batches(start)` yields ``(index, records)`` from batch `start`
    on: the unit a resumed export restarts from. Either way batches are fetched in background
    threads, about ``depth`` batches ahead. ``count`` is the number of items listed (a record whose item
    disappeared between listing and fetching is left out, as the backend drops it). ``ids`` is the
    v2 listing (`IdSpool`), which a resumable export saves as its plan.

    With ``fetchers`` above 1, that many threads read every ``fetchers``-th batch each, so as many requests
    are in flight: with one, the backend sat idle while this process took in each answer and sent the next
    request (an export ran at the backend's CPU plus its own per item, as a loop without threads does). A
    reader must then give an empty last batch for an index past the end (v2's does; v1's pages would not).
    """

    def __init__(
        self,
        count: int,
        batch_size: int,
        read: BatchReader,
        *,
        api: str,
        ids: IdSpool | None = None,
        depth: int = PREFETCH_DEPTH,
        fetchers: int = 1,
    ) -> None:
        if fetchers < 1:
            raise ValueError(f'fetchers must be at least 1, got {fetchers}')
        self.count = count
        self.ids = ids
        self.batch_size = batch_size
        self.api = api
        self._read = read
        self._depth = depth
        self._fetchers = fetchers
        self._flat: Iterator[dict[str, Any]] | None = None

    @property
    def batch_count(self) -> int:
        return -(-self.count // self.batch_size)

    def batches(self, start: int = 0) -> Iterator[tuple[int, list[dict[str, Any]]]]:
        fetchers = self._fetchers
        # The window stays about what one fetcher `depth` ahead holds: each fetcher's queue plus its request in flight.
        depth = max(1, self._depth // fetchers)

        def merged() -> Iterator[tuple[int, list[dict[str, Any]]]]:
            # Fetcher k reads batches start + k, start + k + fetchers, ...; taking them in turn gives the order.
            streams = [
                prefetch(self._produce(start + k, fetchers), depth, name=f'synapse-export-{self.api}-{k}')
                for k in range(fetchers)
            ]
            try:
                for stream in itertools.cycle(streams):
                    index, records, more = next(stream)
                    yield index, records
                    if not more:
                        return
            finally:
                for stream in streams:
                    stream.close()

        return merged()

    def _produce(self, index: int, step: int) -> Iterator[tuple[int, list[dict[str, Any]], bool]]:
        while True:
            records, more = self._read(index)
            yield index, records, more
            if not more:
                return
            index += step

    def __iter__(self) -> RecordStream:
        return self

    def __next__(self) -> dict[str, Any]:
        if self._flat is None:
            self._flat = self._records()
        return next(self._flat)

    def _records(self) -> Iterator[dict[str, Any]]:
        try:
            for _, batch in self.batches():
                yield from batch
        finally:
            self._release()

    def close(self) -> None:
        """Stop fetching and release the id spool (also done when iteration ends)."""
        if self._flat is not None:
            flat, self._flat = self._flat, iter(())
            close = getattr(flat, 'close', None)
            if close is not None:
                close()
        self._release()

    def _release(self) -> None:
        if self.ids is not None:
            self.ids.close()

    def __enter__(self) -> RecordStream:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


# -- v1 -------------------------------------------------------------------------------------------
def _v1_lister(client: BackendClientProtocol, target: ExportTarget) -> Callable[..., Any]:
    if target is ExportTarget.TASK:
        return client.list_tasks_data
    if target is ExportTarget.ASSIGNMENT:
        return client.list_assignments_data
    return client.list_ground_truth_events_data


def fetch_v1(
    client: BackendClientProtocol,
    target: ExportTarget,
    filters: Mapping[str, Any],
    *,
    page_size: int = V1_PAGE_SIZE,
    start: int = 0,
    raw_data: bool = False,
) -> tuple[RecordStream, int]:
    """Records of `target` matching `filters` through the v1 client (offset pages, lazily).

    `start` is the first batch (page) to read, for a resumed export; the page read to learn the
    count is that one, so a resumed export does not fetch the pages it already has. `raw_data`:
    see `normalize_record`.
    """
    lister = _v1_lister(client, target)
    base = dict(filters)

    def page(index: int) -> dict[str, Any]:
        body = lister({**base, 'page': index + 1}, page_size=page_size)
        if isinstance(body, list):  # an unpaginated list: one batch
            return {'count': len(body), 'next': None, 'results': body}
        if not isinstance(body, dict) or 'results' not in body:
            raise TypeError(f'v1 {target.value} list did not return a page: {type(body).__name__}')
        return body

    first: list[Any] = [start, page(start)]
    count = first[1].get('count')
    if not isinstance(count, int):
        count = len(first[1]['results'])

    def read(index: int) -> tuple[list[dict[str, Any]], bool]:
        if first and first[0] == index:
            body = first.pop()
            first.clear()
        else:
            body = page(index)
        items = body.get('results') or []
        return [normalize_record(item, raw_data=raw_data) for item in items], bool(body.get('next'))

    return RecordStream(count, page_size, read, api='v1'), count


# -- v2 -------------------------------------------------------------------------------------------
def _v2_id_pages(
    v2_client: BackendV2ClientProtocol, target: ExportTarget, filters: Mapping[str, Any]
) -> Iterator[list[int]]:
    """The ids of each list page. Pages are read as plain dicts (``BackendV2Client.page`` without a
    model): only the id is needed, and validating 10,000 typed models per page would cost more CPU and
    memory than the rest of the listing."""
    resource: V2TasksProtocol | V2AssignmentsProtocol | V2GroundTruthEventsProtocol
    extra: dict[str, Any] = {}
    if target is ExportTarget.TASK:
        resource, key, per_page = v2_client.tasks, 'id', V2_LIST_PAGE
    elif target is ExportTarget.ASSIGNMENT:
        resource, key, per_page = v2_client.assignments, 'id', V2_LIST_PAGE
    else:
        resource, key, per_page = v2_client.ground_truth_events, 'pgh_id', GT_EVENTS_LIST_PAGE
        extra['sort'] = '-pgh_id'
    params = {**extra, **{k: v for k, v in filters.items() if v is not None}, 'per_page': per_page}
    pages = v2_client.page(resource.base, params, None).iter_pages()
    for page in pages:
        try:
            ids = [int(item[key]) for item in page.results]
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f'GET {resource.base}: a listed item has no integer {key!r} ({exc!r})') from None
        del page  # one page in memory at a time (see CursorPage.iter_pages)
        yield ids


def _v2_bulk(
    v2_client: BackendV2ClientProtocol, target: ExportTarget
) -> Callable[[list[int]], list[dict[str, Any]]]:
    if target is ExportTarget.TASK:
        return v2_client.tasks.bulk_fetch
    if target is ExportTarget.ASSIGNMENT:
        return v2_client.assignments.bulk_fetch
    return v2_client.ground_truth_events.bulk_data


def fetch_v2(
    v2_client: BackendV2ClientProtocol,
    target: ExportTarget,
    filters: Mapping[str, Any],
    *,
    ids_file: Path | None = None,
    raw_data: bool = False,
) -> tuple[RecordStream, int]:
    """Records of `target` matching `filters` through the v2 client (ids, then bulk batches).

    The ids are listed into an `IdSpool`: an anonymous temporary file, or `ids_file` when given.
    An existing `ids_file` is read instead of listing again: that is how a resumed export fetches
    exactly the items the interrupted one listed. `raw_data`: see `normalize_record`.
    """
    if ids_file is not None and ids_file.exists():
        spool = IdSpool.open(ids_file)
    else:
        spool = IdSpool.write(_v2_id_pages(v2_client, target, filters), ids_file)
    fetch = _v2_bulk(v2_client, target)

    def read(index: int) -> tuple[list[dict[str, Any]], bool]:
        ids = spool.read(index * BULK_BATCH, BULK_BATCH)
        records = [normalize_record(item, raw_data=raw_data) for item in fetch(ids)] if ids else []
        return records, (index + 1) * BULK_BATCH < spool.count

    stream = RecordStream(spool.count, BULK_BATCH, read, api='v2', ids=spool, fetchers=V2_FETCHERS)
    return stream, spool.count
