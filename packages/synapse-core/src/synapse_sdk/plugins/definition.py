"""`ActionDefinition`: one description of an action, whether it is a class or an `@action` function.

Discovery, execution and schema generation all work from this, so class and function actions
are treated the same everywhere.
"""

from __future__ import annotations

import inspect
import typing
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from synapse_sdk.plugins.action import BaseAction, NoResult, default_action_name
from synapse_sdk.plugins.decorators import get_action_spec

if TYPE_CHECKING:
    from pydantic import BaseModel

    from synapse_sdk.plugins.enums import PluginCategory, RunMethod
    from synapse_sdk.plugins.types import DataType

__all__ = ['ActionDefinition', 'is_action', 'is_base_class', 'resolve_action']


@dataclass(frozen=True)
class ActionDefinition:
    """What the runtime needs to know about an action."""

    name: str
    target: Any  # the BaseAction subclass or the decorated function
    kind: str  # 'class' or 'function'
    description: str = ''
    params_model: type[BaseModel] | None = None
    result_model: type[BaseModel] | None = None
    category: PluginCategory | None = None
    method: RunMethod | None = None
    input_type: type[DataType] | None = None
    output_type: type[DataType] | None = None
    #: ``@action(retry_safe=...)`` or ``BaseAction.retry_safe``: may the action run twice?
    retry_safe: bool = False

    @property
    def entrypoint(self) -> str:
        """``module:qualname`` of the target, importable by a worker process."""
        return f'{self.target.__module__}:{self.target.__qualname__}'


def is_action(obj: Any, *, include_abstract: bool = False) -> bool:
    """True for an `@action` function or a (concrete, unless asked) `BaseAction` subclass."""
    if get_action_spec(obj) is not None:
        return True
    if isinstance(obj, type) and issubclass(obj, BaseAction) and obj is not BaseAction:
        return include_abstract or not is_base_class(obj)
    return False


def is_base_class(cls: type) -> bool:
    """True for classes meant to be subclassed, not run: abstract ones, and generic ones whose
    params type is still a type variable (``class CompanyTrainBase(BaseTrainAction[P])``)."""
    return inspect.isabstract(cls) or bool(getattr(cls, '__parameters__', ()))


def resolve_action(target: Any, name: str | None = None) -> ActionDefinition:
    """Describe `target`: a `BaseAction` subclass, an `@action` function, or a plain ``(params, ctx)``
    function (as config.yaml may name one; discovery from a module lists only the first two).

    `name` overrides the action's own name (e.g. the config.yaml key it was found under).
    """
    spec = get_action_spec(target)
    if spec is not None:
        return ActionDefinition(
            name=name or spec.name,
            target=target,
            kind='function',
            description=spec.description,
            params_model=spec.params,
            result_model=spec.result,
            category=spec.category,
            method=spec.method,
            input_type=spec.input_type,
            output_type=spec.output_type,
            retry_safe=spec.retry_safe,
        )
    if isinstance(target, type) and issubclass(target, BaseAction):
        if inspect.isabstract(target):
            missing = ', '.join(sorted(getattr(target, '__abstractmethods__', ()))) or 'execute'
            raise TypeError(f'{target.__qualname__} is abstract (implement {missing}) and cannot be run')
        result = target.result_model
        doc = (target.__doc__ or '').strip().split('\n')[0]  # own docstring only, not BaseAction's
        return ActionDefinition(
            name=name or target.action_name or default_action_name(target.__name__),
            target=target,
            kind='class',
            description=target.description or doc,
            params_model=target.params_model,
            # `NoResult` (the default) or None (also accepted) mean: the result is not validated.
            result_model=None if result is None or issubclass(result, NoResult) else result,
            category=target.category,
            method=target.method,
            input_type=target.input_type,
            output_type=target.output_type,
            retry_safe=bool(target.retry_safe),
        )
    if inspect.isfunction(target) or inspect.ismethod(target):
        return _plain_function(target, name)
    raise TypeError(
        f'{target!r} is not an action: expected a BaseAction subclass, a function decorated with @action, '
        'or a function taking (params, ctx)'
    )


def _plain_function(func: Any, name: str | None) -> ActionDefinition:
    """A function without `@action` named as an entrypoint (seed 002's ``plugin.export.export_model``).

    It runs like an `@action` function; its name, method and description come from config.yaml (see
    `PluginDiscovery.get_action_definition`), else from the function. A `BaseModel` annotation on its first
    parameter (``def export_model(params: ExportParams, ctx)``) is its params model.
    """
    try:
        inspect.signature(func).bind(None, None)
    except TypeError:
        raise TypeError(
            f'{func.__qualname__} is not an action: a function named as an entrypoint must take (params, ctx)'
        ) from None
    except ValueError:  # no signature to inspect (some builtins): let the call decide
        pass
    doc = (func.__doc__ or '').strip().splitlines()
    return ActionDefinition(
        name=name or func.__name__,
        target=func,
        kind='function',
        description=doc[0] if doc else '',
        params_model=_annotated_params_model(func),
    )


def _annotated_params_model(func: Any) -> type[BaseModel] | None:
    from pydantic import BaseModel

    try:
        first = next(iter(inspect.signature(func).parameters))
        hint = typing.get_type_hints(func).get(first)
    except Exception:  # unresolvable annotations are the plugin's business, not a reason to refuse it
        return None
    return hint if isinstance(hint, type) and issubclass(hint, BaseModel) else None
