"""How many bytes a log entry costs on the wire, and how to cut one that does not fit in a request.

The job logger caps every request body in bytes, because a reverse proxy in front of the backend
refuses a body over its limit (HTTP 413) and everything in that body is then lost. Sizes are counted
the way the client encodes the body (``json.dumps(..., default=str)``, ASCII-escaped), so a batch the
logger assembles within its cap is within the cap on the wire.

An entry that alone does not fit is cut, never dropped: its longest strings (the message, a dumped
document ...) are shortened and end with a visible marker that gives the entry's original size, so a
reader of the job log sees that something is missing and how much.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

#: Appended to every string shortened to make an entry fit; ``{size}`` is the entry's original size.
TRUNCATION_MARKER = ' [... truncated: this log entry was {size} bytes]'

#: A list's brackets: a batch of one entry costs its size plus this.
LIST_OVERHEAD = 2
#: Between two entries of a batch (``json.dumps`` writes ``", "``).
SEPARATOR = 2

# Fields of an entry that are never cut (identity and ordering of the entry).
_FIXED = frozenset({'job', 'datetime', 'level', 'file'})
_MAX_ROUNDS = 12


def wire_size(value: Any) -> int:
    """Bytes of ``value`` as the client sends it in a JSON body."""
    return len(json.dumps(value, default=str))


def batch_size(entry_sizes: list[int]) -> int:
    """Bytes of a JSON list holding entries of these sizes."""
    return LIST_OVERHEAD + sum(entry_sizes) + SEPARATOR * max(len(entry_sizes) - 1, 0)


def cut_entry(record: dict[str, Any], limit: int, original: int) -> dict[str, Any] | None:
    """A copy of `record` at most `limit` bytes, its longest strings cut and marked; None if impossible.

    `original` is the size of the entry before any cut (the marker reports it). A string that ends
    with this marker already (an entry cut before, under a larger limit) is cut again from its text,
    so the marker appears once. When no string is long enough (an entry made of many small values),
    ``data`` becomes ``{'truncated': <marker>, 'preview': <its JSON, cut>}``.
    """
    marker = TRUNCATION_MARKER.format(size=original)
    out: dict[str, Any] = _copy(record)
    for _ in range(_MAX_ROUNDS):
        size = wire_size(out)
        if size <= limit:
            return out
        leaves = [leaf for leaf in _string_leaves(out) if leaf[2].strip() != marker.strip()]
        if not leaves:
            break
        holder, key, text = max(leaves, key=lambda leaf: len(leaf[2]))
        if _escaped(text) <= len(marker):
            break  # cutting strings this short would not make room
        body = text.removesuffix(marker)
        # The cut string (body[:keep] + marker) must be `size - limit` bytes shorter than `text`.
        target = _escaped(text) - (size - limit) - len(marker)
        holder[key] = body[: _prefix_within(body, target)] + marker if target > 0 else marker.strip()
    # Too many small values: keep a cut preview of the data instead of its structure.
    data_text = json.dumps(record.get('data'), default=str)
    out = {k: v for k, v in _copy(record).items() if k != 'data'}
    for key in ('event', 'step'):
        if isinstance(out.get(key), str) and len(out[key]) > 200:
            out[key] = out[key][:200] + marker
    out['data'] = {'truncated': marker.strip(), 'preview': ''}
    room = limit - wire_size(out)
    if room < 0:
        return None
    preview = data_text[: room // 6]  # every character escapes to at most 6 bytes
    while preview and wire_size(preview) - 2 > room:
        preview = preview[: len(preview) // 2]
    out['data']['preview'] = preview
    return out if wire_size(out) <= limit else None


def _escaped(text: str) -> int:
    """Bytes of `text` inside a JSON string (escapes counted, quotes not)."""
    return wire_size(text) - 2


def _prefix_within(text: str, budget: int) -> int:
    """The longest ``n`` with ``text[:n]`` at most `budget` escaped bytes (a proportional guess first)."""
    total = _escaped(text)
    if total <= budget:
        return len(text)
    guess = len(text) * budget // total
    if _escaped(text[:guess]) <= budget:
        return guess
    low, high = 0, guess
    while low < high:
        middle = (low + high + 1) // 2
        if _escaped(text[:middle]) <= budget:
            low = middle
        else:
            high = middle - 1
    return low


def _copy(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_copy(v) for v in value]
    return value


def _string_leaves(record: dict[str, Any]) -> Iterator[tuple[Any, Any, str]]:
    """``(container, key, text)`` for every string an entry may lose characters from."""
    stack: list[Any] = [(record, k) for k in record if k not in _FIXED]
    while stack:
        holder, key = stack.pop()
        value = holder[key]
        if isinstance(value, str):
            if value:
                yield holder, key, value
        elif isinstance(value, dict):
            stack.extend((value, k) for k in value)
        elif isinstance(value, list):
            stack.extend((value, i) for i in range(len(value)))
