"""Carrying an action's exception from a Ray worker back to the caller, traceback included.

Ray re-raises a remote exception wrapped in a `RayTaskError`, and an exception whose class cannot be
unpickled (a custom ``__init__`` signature, a class only the worker can import) turns into an opaque
Ray error. The worker therefore captures the exception itself: its qualified type, message, formatted
traceback (with its ``__cause__`` chain) and, when it survives a pickle round trip there, the pickled
exception. The caller rebuilds the same exception type as local mode would raise, with the worker's
traceback attached as a note, or a `RemoteActionError` that carries the same facts.
"""

from __future__ import annotations

import pickle
import traceback
from typing import Any

from synapse_sdk.plugins.executors.ray.errors import RemoteActionError

__all__ = ['capture_exception', 'restore_exception']

_NOTE = 'Traceback on the Ray worker:\n'


def capture_exception(exc: BaseException) -> dict[str, Any]:
    """A plain-data description of `exc`, safe to return from a Ray actor method."""
    kind = type(exc)
    payload: dict[str, Any] = {
        'type': f'{kind.__module__}.{kind.__qualname__}',
        'message': str(exc),
        'traceback': ''.join(traceback.format_exception(exc)),
        'pickled': None,
    }
    try:
        data = pickle.dumps(exc)
        pickle.loads(data)  # a class with an unusual __init__ pickles fine but fails here
    except Exception:
        payload['rebuild'] = _rebuild_args(exc)
    else:
        payload['pickled'] = data
    return payload


def _rebuild_args(exc: BaseException) -> dict[str, Any] | None:
    """Constructor arguments for the core's errors, whose ``__init__`` signatures defeat pickle."""
    from synapse_sdk.plugins.errors import ActionExecutionError, ParamsValidationError

    if isinstance(exc, ActionExecutionError):
        return {'kind': 'action', 'action': exc.action, 'original': capture_exception(exc.original)}
    if isinstance(exc, ParamsValidationError):
        return {'kind': 'params', 'action': exc.action, 'errors': exc.errors}
    return None


def _rebuild(payload: dict[str, Any]) -> BaseException | None:
    from synapse_sdk.plugins.errors import ActionExecutionError, ParamsValidationError

    spec = payload.get('rebuild') or {}
    if spec.get('kind') == 'action':
        original = _from_payload(spec['original'])
        exc: BaseException = ActionExecutionError(spec['action'], original)
        exc.__cause__ = original
        return exc
    if spec.get('kind') == 'params':
        return ParamsValidationError(spec['action'], spec['errors'])
    return None


def _from_payload(payload: dict[str, Any]) -> BaseException:
    if payload.get('pickled') is not None:
        try:
            return pickle.loads(payload['pickled'])
        except Exception:
            pass
    return _rebuild(payload) or RemoteActionError(
        payload['type'], payload['message'], payload.get('traceback', '')
    )


def restore_exception(payload: dict[str, Any]) -> BaseException:
    """The exception to raise in the caller for a payload made by `capture_exception`."""
    exc = _from_payload(payload)
    if payload.get('traceback'):
        exc.add_note(_NOTE + payload['traceback'].rstrip())
    return exc
