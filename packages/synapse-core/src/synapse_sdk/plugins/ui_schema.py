"""Form schema for an action's params, generated from its pydantic model.

The platform renders a hyperparameter form from this list (one dict per field, FormKit-style)::

    >>> params_ui_schema(TrainParams)
    [{'$formkit': 'number', 'name': 'epochs', 'label': 'Epochs', 'required': False, 'value': 50,
      'number': 'integer', 'min': 1, 'max': 1000, 'help': 'Training epochs'}, ...]

Mapping: int/float -> ``number`` (``number: 'integer' | 'float'``), bool -> ``checkbox``,
str -> ``text``, `SecretStr` -> ``password``, Enum / Literal -> ``select`` with ``options``,
list of Enum / Literal -> ``select`` with ``multiple``, other lists -> ``taglist``, dicts ->
``textarea`` (JSON), a nested model -> ``group`` with ``children``. ``Optional[X]`` is X, not
required. Constraints: ge/le -> ``min``/``max``; gt/lt -> ``min``/``max`` plus
``exclusiveMin``/``exclusiveMax``; multiple_of -> ``step``; min_length/max_length/pattern on
strings. A field's ``json_schema_extra`` may carry ``{'ui': {...}}`` (merged over the generated
entry, e.g. ``{'$formkit': 'textarea'}``) or ``{'exclude_from_ui': True}``.
"""

from __future__ import annotations

import enum
import types
import typing
from typing import Any

from pydantic import BaseModel, SecretStr
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

from synapse_sdk.plugins.execution import to_jsonable

__all__ = ['params_ui_schema']

_NONE = type(None)


def _unwrap(annotation: Any) -> tuple[Any, bool]:
    """Strip Annotated/Optional; return (inner type, optional?)."""
    optional = False
    while True:
        origin = typing.get_origin(annotation)
        if origin is typing.Annotated:
            annotation = typing.get_args(annotation)[0]
            continue
        if origin in (typing.Union, types.UnionType):
            args = [a for a in typing.get_args(annotation) if a is not _NONE]
            if len(args) < len(typing.get_args(annotation)):
                optional = True
            if len(args) == 1:
                annotation = args[0]
                continue
        return annotation, optional


def _choices(annotation: Any) -> list[Any] | None:
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        return [member.value for member in annotation]
    if typing.get_origin(annotation) is typing.Literal:
        return list(typing.get_args(annotation))
    return None


def _label(name: str, info: FieldInfo) -> str:
    return info.title or name.replace('_', ' ').strip().title()


def _constraints(info: FieldInfo, entry: dict[str, Any]) -> None:
    for meta in info.metadata:
        for attr, key, exclusive in (
            ('ge', 'min', None),
            ('le', 'max', None),
            ('gt', 'min', 'exclusiveMin'),
            ('lt', 'max', 'exclusiveMax'),
        ):
            value = getattr(meta, attr, None)
            if value is not None:
                entry[key] = value
                if exclusive:
                    entry[exclusive] = True
        step = getattr(meta, 'multiple_of', None)
        if step is not None:
            entry['step'] = step
        for attr, key in (('min_length', 'minLength'), ('max_length', 'maxLength'), ('pattern', 'pattern')):
            value = getattr(meta, attr, None)
            if value is not None:
                entry[key] = value


def _field_entry(name: str, info: FieldInfo) -> dict[str, Any] | None:
    extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
    if extra.get('exclude_from_ui'):
        return None
    annotation, optional = _unwrap(info.annotation)
    entry: dict[str, Any] = {'$formkit': 'text', 'name': name, 'label': _label(name, info)}
    entry['required'] = info.is_required()
    choices = _choices(annotation)
    origin = typing.get_origin(annotation)

    if choices is not None:
        entry['$formkit'] = 'select'
        entry['options'] = [{'label': str(c), 'value': c} for c in choices]
    elif annotation is bool:
        entry['$formkit'] = 'checkbox'
    elif annotation is int or annotation is float:
        entry['$formkit'] = 'number'
        entry['number'] = 'integer' if annotation is int else 'float'
    elif annotation is SecretStr:
        entry['$formkit'] = 'password'
    elif origin in (list, tuple, set, frozenset):
        args = typing.get_args(annotation)
        item_choices = _choices(_unwrap(args[0])[0]) if args else None
        if item_choices is not None:
            entry['$formkit'] = 'select'
            entry['multiple'] = True
            entry['options'] = [{'label': str(c), 'value': c} for c in item_choices]
        else:
            entry['$formkit'] = 'taglist'
    elif origin is dict or annotation is dict:
        entry['$formkit'] = 'textarea'
        entry['format'] = 'json'
    elif isinstance(annotation, type) and issubclass(annotation, BaseModel):
        entry['$formkit'] = 'group'
        entry['children'] = params_ui_schema(annotation)

    default = info.get_default(call_default_factory=True) if not info.is_required() else PydanticUndefined
    if default is not PydanticUndefined and default is not None and entry['$formkit'] != 'password':
        entry['value'] = to_jsonable(default)
    if info.description:
        entry['help'] = info.description
    if optional:
        entry['required'] = False
    _constraints(info, entry)
    ui = extra.get('ui')
    if isinstance(ui, dict):
        entry.update(ui)
    return entry


def params_ui_schema(model: type[BaseModel] | None) -> list[dict[str, Any]]:
    """The form schema of `model`'s fields, in declaration order (empty for no model)."""
    if model is None:
        return []
    if not (isinstance(model, type) and issubclass(model, BaseModel)):
        raise TypeError(f'Expected a pydantic model class, got {model!r}')
    schema = []
    for name, info in model.model_fields.items():
        entry = _field_entry(info.alias or name, info)
        if entry is not None:
            schema.append(entry)
    return schema
