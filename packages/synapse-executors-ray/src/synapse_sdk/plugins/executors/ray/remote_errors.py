"""Carrying an action's exception from a Ray worker back to the caller, traceback included.

The worker hands back a plain-data payload instead of letting Ray wrap the exception in a
`RayTaskError`: the exception's qualified type, message, formatted traceback (with its ``__cause__``
chain) and the pickled exception. Every SDK error pickles round trip (see
`synapse_sdk.plugins.errors`), so the caller raises the same exception type local mode raises, with
the worker's traceback attached as a note. Only an exception that does not survive pickling (or whose
class the caller cannot import) becomes a `RemoteActionError` carrying the same facts.
"""

from __future__ import annotations

import pickle
import traceback
from typing import Any

from synapse_sdk.plugins.errors import portable_exception
from synapse_sdk.plugins.executors.ray.errors import RemoteActionError

__all__ = ['capture_exception', 'restore_exception']

_NOTE = 'Traceback on the Ray worker:\n'


def capture_exception(exc: BaseException) -> dict[str, Any]:
    """A plain-data description of `exc`, safe to return from a Ray actor method."""
    kind = type(exc)
    return {
        'type': f'{kind.__module__}.{kind.__qualname__}',
        'message': str(exc),
        'traceback': ''.join(traceback.format_exception(exc)),
        'pickled': pickle.dumps(exc) if portable_exception(exc) is exc else None,
    }


def restore_exception(payload: dict[str, Any]) -> BaseException:
    """The exception to raise in the caller for a payload made by `capture_exception`."""
    exc: BaseException | None = None
    if payload.get('pickled') is not None:
        try:
            exc = pickle.loads(payload['pickled'])
        except Exception:  # e.g. a class only the worker can import
            exc = None
    if exc is None:
        exc = RemoteActionError(payload['type'], payload['message'], payload.get('traceback', ''))
    if payload.get('traceback'):
        exc.add_note(_NOTE + payload['traceback'].rstrip())
    return exc
