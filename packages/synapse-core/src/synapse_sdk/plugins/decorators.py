"""`@action`: turn a function ``(params, ctx) -> result`` into a discoverable, runnable action.

The decorated function is returned unchanged (still callable as a plain function); the metadata
is attached as ``func.__synapse_action__`` (an `ActionSpec`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar, overload

if TYPE_CHECKING:
    from pydantic import BaseModel

    from synapse_sdk.plugins.enums import PluginCategory, RunMethod
    from synapse_sdk.plugins.types import DataType

__all__ = ['ActionSpec', 'action', 'get_action_spec']

F = TypeVar('F', bound=Callable[..., Any])
SPEC_ATTR = '__synapse_action__'


@dataclass(frozen=True)
class ActionSpec:
    """Metadata `@action` attaches to a function."""

    name: str
    description: str = ''
    params: type[BaseModel] | None = None
    result: type[BaseModel] | None = None
    category: PluginCategory | None = None
    method: RunMethod | None = None
    input_type: type[DataType] | None = None
    output_type: type[DataType] | None = None
    retry_safe: bool = False


@overload
def action(func: F, /) -> F: ...


@overload
def action(
    name: str | None = None,
    description: str = '',
    params: type[BaseModel] | None = None,
    result: type[BaseModel] | None = None,
    category: PluginCategory | None = None,
    *,
    method: RunMethod | None = None,
    input_type: type[DataType] | None = None,
    output_type: type[DataType] | None = None,
    retry_safe: bool = False,
) -> Callable[[F], F]: ...


def action(
    name: Any = None,
    description: str = '',
    params: type[BaseModel] | None = None,
    result: type[BaseModel] | None = None,
    category: PluginCategory | None = None,
    *,
    method: RunMethod | None = None,
    input_type: type[DataType] | None = None,
    output_type: type[DataType] | None = None,
    retry_safe: bool = False,
) -> Any:
    """Declare a function action.

    Args:
        name: Action name (default: the function name).
        description: Human-readable description (default: the docstring's first line).
        params: Pydantic model the params are validated against; without it the function gets the
            raw params dict.
        result: Pydantic model the result is checked against (a warning on mismatch, never an error).
        category: `PluginCategory` for grouping.
        retry_safe: True when running the action twice does no harm; executors that can lose a
            call mid-way (a killed Ray actor) re-run only such actions (see `BaseAction.retry_safe`).

    Usable bare (``@action``) or with arguments (``@action(name='train', params=TrainParams)``).
    """
    if callable(name) and not isinstance(name, str):
        return action()(name)
    if name is not None and not isinstance(name, str):
        raise TypeError(f'@action name must be a str, got {type(name).__name__}')

    def decorate(func: F) -> F:
        if not callable(func):
            raise TypeError('@action can only decorate a function')
        doc = (func.__doc__ or '').strip().splitlines()
        spec = ActionSpec(
            name=name or func.__name__,
            description=description or (doc[0] if doc else ''),
            params=params,
            result=result,
            category=category,
            method=method,
            input_type=input_type,
            output_type=output_type,
            retry_safe=retry_safe,
        )
        setattr(func, SPEC_ATTR, spec)
        return func

    return decorate


def get_action_spec(obj: Any) -> ActionSpec | None:
    """The `ActionSpec` of an `@action` function, else None."""
    spec = getattr(obj, SPEC_ATTR, None)
    return spec if isinstance(spec, ActionSpec) else None
