"""Params keys an action does not know: found, named with a did-you-mean, then warned about or refused.

Why: pydantic ignores keys a model does not declare, so ``--params '{"stepz": 3}'`` used to run with the
default ``steps`` and exit 0. The policy, applied by `run_action` in every executor:

- a params model that forbids extras (``extra='forbid'``): unknown keys are a `ParamsValidationError`, always;
- a params model that allows extras (``extra='allow'``): it takes any key on purpose; nothing is reported;
- any other params model (pydantic's default ``extra='ignore'``): each unknown key, nested models included, is
  an `UnknownParamsWarning`; in strict mode the same keys are a `ParamsValidationError` before the action runs;
- no params model: the action gets a dict that notes which keys it reads (``params['k']``, ``params.get('k')``,
  ``'k' in params``; iterating or copying it counts as reading every key). When the action read keys one by one,
  the keys it never read are reported after it returns (warning; in strict mode the run fails), with a
  did-you-mean among the keys it looked for. An action that never looked a key up is not judged: it may have
  handed the dict to code that reads it unnoticed (pydantic's ``model_validate``).

Strict mode: ``run_plugin(..., strict_params=True)``, ``LocalExecutor(strict_params=True)``,
``synapse plugin run --strict-params``, or ``SYNAPSE_STRICT_PARAMS=1`` in the environment of the process that
runs the action (how the flag reaches Ray workers).
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from _collections_abc import dict_items, dict_keys, dict_values  # what dict's own methods return

    from pydantic import BaseModel

__all__ = [
    'STRICT_PARAMS_ENV',
    'TrackedParams',
    'UnknownParam',
    'UnknownParamsWarning',
    'did_you_mean',
    'find_unknown_params',
    'known_keys',
    'strict_params_from_env',
]

#: Environment variable that turns strict params checking on (``1``, ``true``, ``yes``, ``on``).
STRICT_PARAMS_ENV = 'SYNAPSE_STRICT_PARAMS'


class UnknownParamsWarning(UserWarning):
    """A params key the action does not know was ignored.

    Attributes (for tools that render warnings their own way): `action`, `param` (the key's path, e.g.
    ``optimizer.lrr``), `suggestion` (the closest known key, or None) and `never_read` (True for an action
    without a params model that never read the key; False for a key its params model does not declare).
    """

    def __init__(
        self,
        message: str,
        *,
        action: str = '',
        param: str = '',
        suggestion: str | None = None,
        never_read: bool = False,
    ):
        super().__init__(message)
        self.action = action
        self.param = param
        self.suggestion = suggestion
        self.never_read = never_read


@dataclass(frozen=True)
class UnknownParam:
    """One unknown key: where it is (`path`, e.g. ``optimizer.lrr``) and the closest known key."""

    path: str
    suggestion: str | None = None

    def hint(self) -> str:
        return f" (did you mean '{self.suggestion}'?)" if self.suggestion else ''

    def describe(self) -> str:
        return f'unknown param{self.hint()}'


def did_you_mean(key: str, candidates: Iterable[str]) -> str | None:
    """The candidate closest to `key` when one is close enough to be a likely typo, else None."""
    options = sorted({c for c in candidates if isinstance(c, str) and c != key})
    found = difflib.get_close_matches(key, options, n=1, cutoff=0.6)
    if found:
        return found[0]
    lowered = {c.lower(): c for c in options}  # 'Epochs' for 'epochs' is a typo difflib scores low
    return lowered.get(key.lower())


def known_keys(model: type[BaseModel]) -> set[str]:
    """The input keys `model` accepts: field names, aliases and validation aliases."""
    from pydantic import AliasChoices, AliasPath

    keys: set[str] = set()
    for name, info in model.model_fields.items():
        keys.add(name)
        if info.alias:
            keys.add(info.alias)
        choices = info.validation_alias
        for choice in choices.choices if isinstance(choices, AliasChoices) else [choices]:
            if isinstance(choice, str):
                keys.add(choice)
            elif isinstance(choice, AliasPath) and choice.path and isinstance(choice.path[0], str):
                keys.add(choice.path[0])
    return keys


def find_unknown_params(
    validated: BaseModel, data: Mapping[str, Any], prefix: str = ''
) -> list[UnknownParam]:
    """Keys of `data` that the model instance `validated` (validated from `data`) does not know.

    Walks nested models along the validated instance, so the model pydantic actually chose (a union member, a
    list item's model) is the one asked. Models that allow extras are skipped: they take any key on purpose;
    models that forbid them never get here (pydantic refused the data already).
    """
    from pydantic import BaseModel

    model = type(validated)
    found: list[UnknownParam] = []
    if model.model_config.get('extra') == 'allow':
        return found
    known = known_keys(model)
    for key in data:
        if isinstance(key, str) and key not in known:
            found.append(UnknownParam(f'{prefix}{key}', did_you_mean(key, known)))

    def walk(value: Any, raw: Any, path: str) -> None:
        if isinstance(value, BaseModel) and isinstance(raw, Mapping):
            found.extend(find_unknown_params(value, raw, f'{path}.'))
        elif isinstance(value, list | tuple) and isinstance(raw, list | tuple) and len(value) == len(raw):
            for index, (item, raw_item) in enumerate(zip(value, raw, strict=True)):
                walk(item, raw_item, f'{path}[{index}]')
        elif isinstance(value, Mapping) and isinstance(raw, Mapping):
            for key, item in value.items():
                if key in raw:
                    walk(item, raw[key], f'{path}.{key}')

    for name, info in model.model_fields.items():
        for alias in (info.alias, info.validation_alias, name):
            if isinstance(alias, str) and alias in data:
                walk(getattr(validated, name, None), data[alias], f'{prefix}{alias}')
                break
    return found


def model_at(model: type[BaseModel], loc: Iterable[Any]) -> type[BaseModel] | None:
    """The nested model at a pydantic error location (``('optimizer', 'lr')`` -> the optimizer's model)."""
    import typing

    from pydantic import BaseModel

    current: Any = model
    for part in loc:
        if isinstance(part, int):
            continue
        if not (isinstance(current, type) and issubclass(current, BaseModel)):
            return None
        info = current.model_fields.get(part) or next(
            (i for i in current.model_fields.values() if i.alias == part), None
        )
        if info is None:
            return None
        current = _model_in(info.annotation, typing)
    return current if isinstance(current, type) and issubclass(current, BaseModel) else None


def _model_in(annotation: Any, typing: Any) -> Any:
    """The one BaseModel inside an annotation such as ``Opt | None`` or ``list[Opt]``, else None."""
    from pydantic import BaseModel

    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    models = {_model_in(arg, typing) for arg in typing.get_args(annotation)} - {None}
    return models.pop() if len(models) == 1 else None


def strict_params_from_env(environ: Mapping[str, str] | None = None) -> bool:
    """Whether `STRICT_PARAMS_ENV` asks for strict params checking."""
    value = (os.environ if environ is None else environ).get(STRICT_PARAMS_ENV, '')
    return value.strip().lower() in ('1', 'true', 'yes', 'on')


class TrackedParams(dict[Any, Any]):
    """The params dict of an action without a params model, noting which keys the action reads.

    Reading a key (``[k]``, ``get``, ``in``, ``pop``, ``setdefault``) notes it, also when it is missing (it is
    then a candidate for a did-you-mean). Iterating, copying or comparing the whole dict notes every key: the
    action may use them all, and nothing is reported.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.looked_up: set[Any] = set()
        self.read_all = False

    def __getitem__(self, key: Any) -> Any:
        self.looked_up.add(key)
        return super().__getitem__(key)

    def get(self, key: Any, default: Any = None) -> Any:
        self.looked_up.add(key)
        return super().get(key, default)

    def __contains__(self, key: object) -> bool:
        self.looked_up.add(key)
        return super().__contains__(key)

    def pop(self, key: Any, *default: Any) -> Any:
        self.looked_up.add(key)
        return super().pop(key, *default)

    def setdefault(self, key: Any, default: Any = None) -> Any:
        self.looked_up.add(key)
        return super().setdefault(key, default)

    def _all(self) -> None:
        self.read_all = True

    def __iter__(
        self,
    ) -> Iterator[Any]:  # also what dict(params), {**params} and f(**params) use on a subclass
        self._all()
        return super().__iter__()

    def keys(self) -> dict_keys[Any, Any]:
        self._all()
        return super().keys()

    def items(self) -> dict_items[Any, Any]:
        self._all()
        return super().items()

    def values(self) -> dict_values[Any, Any]:
        self._all()
        return super().values()

    def copy(self) -> dict[Any, Any]:
        self._all()
        return dict(super().items())

    def __eq__(self, other: object) -> bool:
        self._all()
        return super().__eq__(other)

    __hash__ = None

    def __reduce__(self) -> tuple[Any, ...]:  # copied or pickled as the plain dict it stands for
        self._all()
        return dict, (dict(super().items()),)

    def unread(self) -> list[UnknownParam]:
        """The given keys the action never read, each with a did-you-mean among the keys it looked for.

        Only for an action that read its params key by key: one that never looked a key up may have handed the
        whole dict to code that reads it without this class noticing (pydantic's ``model_validate`` does), so
        nothing is reported for it.
        """
        if self.read_all or not self.looked_up:
            return []
        given = list(super().keys())
        candidates = [k for k in self.looked_up if isinstance(k, str) and k not in given]
        return [
            UnknownParam(key, did_you_mean(key, candidates))
            for key in given
            if isinstance(key, str) and key not in self.looked_up
        ]
