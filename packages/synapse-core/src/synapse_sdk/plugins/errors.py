"""Exceptions raised by the plugin runtime.

Everything derives from `PluginError`, so ``except PluginError`` catches any runtime failure.
Each class also derives from the builtin a caller would naturally expect (`ValueError` for bad
input, `LookupError` for a missing action, `ImportError` for an entrypoint that cannot be
imported), so existing ``except ValueError`` code keeps working.

Every error pickles round trip (Ray ships exceptions between processes by pickling): `PluginError`
rebuilds instances without calling ``__init__`` (whose signature differs per class), restoring
``args``, attributes, notes and a picklable ``__cause__``. A cause or `ActionExecutionError.original`
that cannot survive pickling is replaced by a `CapturedError` with its type name, message and
formatted traceback.
"""

from __future__ import annotations

import dataclasses
import pickle
import traceback
from collections.abc import Iterable, Sequence
from typing import Any

__all__ = [
    'ActionExecutionError',
    'ActionNotFoundError',
    'CapturedError',
    'ConfigError',
    'EntrypointError',
    'EnvironmentValueError',
    'ExecutionError',
    'InvalidModeError',
    'ParamsValidationError',
    'PluginError',
    'PluginNotFoundError',
]


class PluginError(Exception):
    """Base class of every error raised by the plugin runtime."""

    def __reduce__(self) -> tuple[Any, ...]:
        memo: dict[int, Any] = {}
        state = {key: _portable(value, memo) for key, value in self.__dict__.items()}
        return (_restore, (type(self), self.args, state, _portable(self.__cause__, memo)))


def _restore(
    cls: type[PluginError], args: tuple[Any, ...], state: dict[str, Any], cause: BaseException | None
) -> PluginError:
    """Unpickle a `PluginError` subclass without calling its ``__init__``."""
    exc = cls.__new__(cls, *args)
    exc.args = args
    exc.__dict__.update(state)
    if cause is not None:
        exc.__cause__ = cause
    return exc


def _portable(value: Any, memo: dict[int, Any]) -> Any:
    """`value` with every exception in it (directly, in a list or tuple, or a dataclass field) made
    picklable by `portable_exception`; `memo` keeps one replacement per object (``original`` and
    ``__cause__`` stay the same object after unpickling)."""
    if id(value) in memo:
        return memo[id(value)]
    out = value
    if isinstance(value, BaseException):
        out = portable_exception(value)
    elif isinstance(value, list | tuple):
        items = [_portable(item, memo) for item in value]
        if any(a is not b for a, b in zip(items, value, strict=True)):
            out = type(value)(items) if isinstance(value, list) else tuple(items)
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        changes = {}
        for f in dataclasses.fields(value):
            item = getattr(value, f.name)
            if isinstance(item, BaseException) and f.init:
                portable = _portable(item, memo)
                if portable is not item:
                    changes[f.name] = portable
        out = dataclasses.replace(value, **changes) if changes else value
    memo[id(value)] = out
    return out


def portable_exception(exc: BaseException | None) -> BaseException | None:
    """`exc` itself when it survives a pickle round trip, else a `CapturedError` describing it.

    The round trip is checked in full: a class with a custom ``__init__`` pickles fine but fails
    to unpickle.
    """
    if exc is None:
        return None
    try:
        pickle.loads(pickle.dumps(exc))
    except Exception:
        return CapturedError.of(exc)
    return exc


class ParamsValidationError(PluginError, ValueError):
    """The params given to an action do not match its `params_model`.

    `errors` lists every bad field as ``{'loc': 'a.b[0]', 'msg': ..., 'type': ...}``. Input values
    are left out on purpose (a rejected field may be a password): the pydantic error, whose text
    holds every ``input_value``, is *not* chained as ``__cause__`` or ``__context__``, and the values
    of secret fields are scrubbed from messages a validator wrote.
    """

    def __init__(self, action: str, errors: Sequence[dict[str, Any]]):
        self.action = action
        self.errors = list(errors)
        lines = [f'Invalid params for action {action!r} ({len(self.errors)} error(s)):']
        lines += [f'  - {e["loc"] or "<root>"}: {e["msg"]}' for e in self.errors]
        super().__init__('\n'.join(lines))

    @classmethod
    def from_pydantic(
        cls, action: str, exc: Any, secrets: Iterable[str] = (), model: Any = None
    ) -> ParamsValidationError:
        """Build from a `pydantic.ValidationError`, `secrets` scrubbed from the messages (the caller
        raises it without chaining `exc`).

        With the params `model`, a key the model forbids says so with a did-you-mean (``unknown param (did you
        mean 'steps'?)``) instead of pydantic's "Extra inputs are not permitted".
        """
        from synapse_sdk.security.redaction import scrub

        known = list(secrets)
        errors = []
        for err in exc.errors(include_url=False, include_input=False, include_context=False):
            loc, msg = tuple(err.get('loc', ())), scrub(str(err.get('msg', '')), known)
            if err.get('type') == 'extra_forbidden' and model is not None and loc:
                from synapse_sdk.plugins.params_check import UnknownParam, did_you_mean, known_keys, model_at

                parent = model_at(model, loc[:-1])
                suggestion = did_you_mean(str(loc[-1]), known_keys(parent)) if parent is not None else None
                msg = UnknownParam(format_loc(loc), suggestion).describe()
            errors.append({'loc': format_loc(loc), 'msg': msg, 'type': err.get('type', '')})
        return cls(action, errors)


def format_loc(loc: Iterable[Any]) -> str:
    """Render a pydantic error location as ``a.b[0].c``."""
    out = ''
    for part in loc:
        if isinstance(part, int):
            out += f'[{part}]'
        else:
            out += f'.{part}' if out else str(part)
    return out


class ActionNotFoundError(PluginError, LookupError):
    """The requested action does not exist; `available` lists the ones that do, `where` says where it was
    looked for (a config.yaml path, ``plugin 'code'``, ``module 'name'``; None when unknown)."""

    def __init__(self, action: str, available: Iterable[str], where: str | None = None):
        self.action = action
        self.available = sorted(available)
        self.where = where
        place = f' in {where}' if where else ''
        listing = ', '.join(repr(a) for a in self.available) or 'none'
        super().__init__(f'Unknown action {action!r}{place}. Available actions: {listing}')

    def __str__(self) -> str:  # LookupError would otherwise quote the message like a KeyError
        return str(self.args[0])


class PluginNotFoundError(PluginError, LookupError):
    """`run_plugin` could not resolve its first argument to a config path or an importable module."""

    def __str__(self) -> str:
        return str(self.args[0])


class ConfigError(PluginError, ValueError):
    """A `config.yaml` is missing, empty, not valid YAML, or does not match the schema.

    `path` is the file, `problems` a list of ``(key_path, line or None, message)``.
    """

    def __init__(self, path: Any, problems: Sequence[tuple[str, int | None, str]]):
        self.path = str(path)
        self.problems = list(problems)
        lines = [f'Invalid plugin config {self.path}:']
        for key, line, msg in self.problems:
            where = f'line {line}: ' if line else ''
            key_part = f'{key}: ' if key else ''
            lines.append(f'  - {where}{key_part}{msg}')
        super().__init__('\n'.join(lines))


class EntrypointError(PluginError, ImportError):
    """An action entrypoint string (``pkg.mod:Attr`` or ``pkg.mod.Attr``) cannot be imported."""


class EnvironmentValueError(PluginError, ValueError):
    """A `PluginEnvironment` value cannot be converted to the requested type; names the key."""


class InvalidModeError(PluginError, ValueError):
    """`run_plugin` got an execution mode it does not know."""


class ExecutionError(PluginError, RuntimeError):
    """Base class for failures while running an action."""


class CapturedError(ExecutionError):
    """Stands in for an exception that could not cross a process boundary (it does not pickle).

    `type_name` is the original's qualified class name, `message` its ``str()`` and
    `formatted_traceback` its traceback as printed where it was raised (empty when unknown).
    """

    def __init__(self, type_name: str, message: str, formatted_traceback: str = ''):
        self.type_name = type_name
        self.message = message
        self.formatted_traceback = formatted_traceback
        super().__init__(f'{type_name}: {message}')

    @classmethod
    def of(cls, exc: BaseException) -> CapturedError:
        kind = type(exc)
        text = ''.join(traceback.format_exception(exc)) if exc.__traceback__ is not None else ''
        return cls(f'{kind.__module__}.{kind.__qualname__}', str(exc), text)


class ActionExecutionError(ExecutionError):
    """The action itself raised. The original exception is ``__cause__`` (and `original`).

    `original_traceback` is the original's formatted traceback, kept as text so it survives
    pickling (a traceback object does not). After a round trip through pickle, `original` is the
    original exception or, when that could not be pickled, a `CapturedError` describing it.
    """

    def __init__(self, action: str, original: BaseException):
        self.action = action
        self.original = original
        self.original_traceback = (
            ''.join(traceback.format_exception(original)) if original.__traceback__ is not None else ''
        )
        super().__init__(f'Action {action!r} failed: {type(original).__name__}: {original}')
