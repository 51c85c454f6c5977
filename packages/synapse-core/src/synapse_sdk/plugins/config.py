"""The ``config.yaml`` of a plugin, as pydantic models, and a loader with precise errors.

`load_plugin_config` reports:
- a missing, empty or non-mapping file, naming the file;
- YAML syntax errors with the file and line;
- schema errors with the file, the key path (``actions.train.method``) and its line;
- unknown keys as a `ConfigWarning` naming the key, the file and the line (they are ignored, so a
  typo does not silently change behaviour unnoticed).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from synapse_sdk.plugins._warnings import warn_user
from synapse_sdk.plugins.enums import PackageManager, PluginCategory, RunMethod
from synapse_sdk.plugins.errors import ConfigError, EntrypointError, format_loc
from synapse_sdk.plugins.loading import split_entrypoint

__all__ = ['CONFIG_FILENAME', 'ActionConfig', 'ConfigWarning', 'PluginConfig', 'load_plugin_config']

CONFIG_FILENAME = 'config.yaml'


class ConfigWarning(UserWarning):
    """A config.yaml contains something that is ignored (an unknown key, an unknown type name).

    The message names the file and line; `file`, `line`, `key` and `reason` (``'unknown_key'``,
    ``'unknown_data_type'``) hold them as data, for tools (the CLI's ``--json`` output, its translated
    lines) that report warnings without parsing their text.
    """

    def __init__(
        self,
        message: str,
        file: str | None = None,
        line: int | None = None,
        key: str | None = None,
        reason: str | None = None,
    ):
        super().__init__(message)
        self.file = file
        self.line = line
        self.key = key
        self.reason = reason


class ActionConfig(BaseModel):
    """One entry under ``actions:``."""

    model_config = ConfigDict(extra='ignore', use_enum_values=False)

    name: str = ''
    description: str = ''
    entrypoint: str
    method: RunMethod = RunMethod.TASK
    input_type: str | None = None
    output_type: str | None = None
    hyperparameters: dict[str, Any] | None = None
    ui_schema: list[Any] | None = None
    result_schema: dict[str, Any] | None = None
    serve_options: dict[str, Any] | None = None

    @field_validator('method', mode='before')
    @classmethod
    def _method_alias(cls, value: Any) -> Any:
        """Accept `RunMethod`'s alias ``serve_application`` (seed 002) on every supported pydantic."""
        return RunMethod.SERVE if value == 'serve_application' else value

    @field_validator('entrypoint')
    @classmethod
    def _check_entrypoint(cls, value: str) -> str:
        try:
            split_entrypoint(value)
        except EntrypointError as exc:
            raise ValueError(str(exc)) from None
        return value.strip()


class PluginConfig(BaseModel):
    """A whole config.yaml."""

    model_config = ConfigDict(extra='ignore')

    name: str
    code: str
    version: str = '0.1.0'
    category: PluginCategory = PluginCategory.CUSTOM
    description: str = ''
    readme: str | None = None
    variant: str | None = None
    package_manager: PackageManager = PackageManager.PIP
    package_manager_options: list[str] = Field(default_factory=list)
    wheels_dir: str = 'wheels'
    env: dict[str, Any] = Field(default_factory=dict)
    runtime_env: dict[str, Any] = Field(default_factory=dict)
    data_type: str | list[str] | None = None
    tasks: list[str] = Field(default_factory=list)
    requires: dict[str, str] | None = None
    dependencies: dict[str, str] = Field(default_factory=dict)
    tags: list[str] = Field(default_factory=list)
    actions: dict[str, ActionConfig] = Field(default_factory=dict)

    @field_validator('actions', mode='before')
    @classmethod
    def _inject_names(cls, value: Any) -> Any:
        if isinstance(value, Mapping):
            out = {}
            for key, item in value.items():
                if isinstance(item, Mapping):
                    item = {**item, 'name': str(key)}
                out[str(key)] = item
            return out
        return value

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, source: str = '<dict>') -> PluginConfig:
        """Validate a mapping (as read from YAML) with the same errors and warnings as a file."""
        return _validate(dict(data), source, {})

    def get_action(self, name: str) -> ActionConfig:
        """The action config; `ActionNotFoundError` lists the available ones."""
        from synapse_sdk.plugins.errors import ActionNotFoundError

        try:
            return self.actions[name]
        except KeyError:
            raise ActionNotFoundError(name, self.actions, where=f'plugin {self.code!r}') from None


def _known_keys(model: type[BaseModel]) -> set[str]:
    keys = set()
    for name, info in model.model_fields.items():
        keys.add(name)
        if info.alias:
            keys.add(info.alias)
    return keys


def _line_map(text: str) -> dict[tuple[Any, ...], int]:
    """Map each key path of a YAML mapping document to the (1-based) line of its key."""
    import yaml

    lines: dict[tuple[Any, ...], int] = {}
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return lines

    def walk(node: Any, path: tuple[Any, ...]) -> None:
        if isinstance(node, yaml.MappingNode):
            for key_node, value_node in node.value:
                key_path = (*path, key_node.value)
                lines[key_path] = key_node.start_mark.line + 1
                walk(value_node, key_path)
        elif isinstance(node, yaml.SequenceNode):
            for index, item in enumerate(node.value):
                lines[(*path, index)] = item.start_mark.line + 1
                walk(item, (*path, index))

    walk(root, ())
    return lines


def _line_for(lines: Mapping[tuple[Any, ...], int], loc: tuple[Any, ...]) -> int | None:
    for end in range(len(loc), 0, -1):
        key = tuple(str(p) if not isinstance(p, int) else p for p in loc[:end])
        if key in lines:
            return lines[key]
    return None


def _validate(data: dict[str, Any], source: str, lines: Mapping[tuple[Any, ...], int]) -> PluginConfig:
    unknown: list[tuple[str, tuple[Any, ...]]] = []
    top = _known_keys(PluginConfig)
    unknown += [(str(k), (k,)) for k in data if k not in top]
    actions = data.get('actions')
    if isinstance(actions, Mapping):
        known = _known_keys(ActionConfig)
        for action_name, action in actions.items():
            if isinstance(action, Mapping):
                unknown += [
                    (f'actions.{action_name}.{k}', ('actions', action_name, k))
                    for k in action
                    if k not in known
                ]
    for key, path in unknown:
        line = _line_for(lines, path)
        where = f'{source}:{line}' if line else source
        message = f'{where}: unknown key {key!r} is ignored'
        warn_user(ConfigWarning(message, source, line, key, 'unknown_key'), ConfigWarning)
    try:
        config = PluginConfig.model_validate(data)
    except ValidationError as exc:
        problems = []
        for err in exc.errors(include_url=False, include_input=False):
            loc = tuple(err.get('loc', ()))
            if loc and loc[-1] == 'name' and len(loc) == 3 and loc[0] == 'actions':
                loc = loc[:-1]
            problems.append((format_loc(loc), _line_for(lines, loc), err.get('msg', '')))
        raise ConfigError(source, problems) from exc
    from synapse_sdk.plugins.types import data_type_names

    names = set(data_type_names())
    for action in config.actions.values():
        for field in ('input_type', 'output_type'):
            value = getattr(action, field)
            if value is not None and value not in names:
                line = _line_for(lines, ('actions', action.name, field))
                where = f'{source}:{line}' if line else source
                message = (
                    f'{where}: actions.{action.name}.{field} {value!r} is not a known data type '
                    f'(known: {", ".join(sorted(names))})'
                )
                key = f'actions.{action.name}.{field}'
                warn_user(ConfigWarning(message, source, line, key, 'unknown_data_type'), ConfigWarning)
    return config


def resolve_config_path(path: str | os.PathLike[str]) -> Path:
    """A plugin directory -> its config.yaml; a file path is returned as is."""
    p = Path(path)
    return p / CONFIG_FILENAME if p.is_dir() else p


def load_plugin_config(path: str | os.PathLike[str]) -> PluginConfig:
    """Read and validate a config.yaml (or the one in a plugin directory). See the module docstring."""
    import yaml

    file = resolve_config_path(path)
    if not file.is_file():
        raise ConfigError(file, [('', None, 'file not found')])
    text = file.read_text(encoding='utf-8')
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, 'problem_mark', None) or getattr(exc, 'context_mark', None)
        line = mark.line + 1 if mark is not None else None
        problem = getattr(exc, 'problem', None) or str(exc)
        raise ConfigError(file, [('', line, f'invalid YAML: {problem}')]) from exc
    if data is None:
        raise ConfigError(file, [('', None, 'the file is empty; it needs at least name, code and actions')])
    if not isinstance(data, Mapping):
        raise ConfigError(
            file, [('', 1, f'expected a mapping of keys at the top level, got {type(data).__name__}')]
        )
    return _validate(dict(data), str(file), _line_map(text))
