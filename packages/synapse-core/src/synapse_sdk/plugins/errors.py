"""Exceptions raised by the plugin runtime.

Everything derives from `PluginError`, so ``except PluginError`` catches any runtime failure.
Each class also derives from the builtin a caller would naturally expect (`ValueError` for bad
input, `LookupError` for a missing action, `ImportError` for an entrypoint that cannot be
imported), so existing ``except ValueError`` code keeps working.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

__all__ = [
    'ActionExecutionError',
    'ActionNotFoundError',
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


class ParamsValidationError(PluginError, ValueError):
    """The params given to an action do not match its `params_model`.

    `errors` lists every bad field as ``{'loc': 'a.b[0]', 'msg': ..., 'type': ...}``; the
    original `pydantic.ValidationError` is kept as ``__cause__``. Input values are left out of the
    message on purpose: a rejected field may be a password.
    """

    def __init__(self, action: str, errors: Sequence[dict[str, Any]]):
        self.action = action
        self.errors = list(errors)
        lines = [f'Invalid params for action {action!r} ({len(self.errors)} error(s)):']
        lines += [f'  - {e["loc"] or "<root>"}: {e["msg"]}' for e in self.errors]
        super().__init__('\n'.join(lines))

    @classmethod
    def from_pydantic(cls, action: str, exc: Any) -> ParamsValidationError:
        """Build from a `pydantic.ValidationError` (the caller raises it ``from exc``)."""
        errors = [
            {'loc': format_loc(err.get('loc', ())), 'msg': err.get('msg', ''), 'type': err.get('type', '')}
            for err in exc.errors(include_url=False, include_input=False)
        ]
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
    """The requested action does not exist; `available` lists the ones that do."""

    def __init__(self, action: str, available: Iterable[str], where: str | None = None):
        self.action = action
        self.available = sorted(available)
        place = f' in {where}' if where else ''
        listing = ', '.join(repr(a) for a in self.available) or 'none'
        super().__init__(f'Unknown action {action!r}{place}. Available actions: {listing}')

    def __str__(self) -> str:  # LookupError would otherwise quote the message like a KeyError
        return self.args[0]


class PluginNotFoundError(PluginError, LookupError):
    """`run_plugin` could not resolve its first argument to a config path or an importable module."""

    def __str__(self) -> str:
        return self.args[0]


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


class ActionExecutionError(ExecutionError):
    """The action itself raised. The original exception is ``__cause__`` (and `original`)."""

    def __init__(self, action: str, original: BaseException):
        self.action = action
        self.original = original
        super().__init__(f'Action {action!r} failed: {type(original).__name__}: {original}')
