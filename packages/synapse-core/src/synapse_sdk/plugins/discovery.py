"""`PluginDiscovery`: what actions a plugin has, from its config.yaml or from a Python module."""

from __future__ import annotations

import dataclasses
import importlib
import os
from pathlib import Path
from types import ModuleType
from typing import Any

from synapse_sdk.plugins.action import BaseAction
from synapse_sdk.plugins.config import ActionConfig, PluginConfig, load_plugin_config, resolve_config_path
from synapse_sdk.plugins.decorators import get_action_spec
from synapse_sdk.plugins.definition import ActionDefinition, is_base_class, resolve_action
from synapse_sdk.plugins.enums import PluginCategory, RunMethod
from synapse_sdk.plugins.errors import ActionNotFoundError, PluginError
from synapse_sdk.plugins.loading import load_entrypoint, normalize_entrypoint

__all__ = ['PluginDiscovery']


class PluginDiscovery:
    """Introspect a plugin: list its actions and load them.

    Build it with `from_path` (a plugin directory or its config.yaml) or `from_module` (a module
    or package defining `@action` functions and/or `BaseAction` subclasses). Loading never mutates
    the action classes.
    """

    def __init__(
        self,
        config: PluginConfig,
        *,
        plugin_dir: Path | None = None,
        loaded: dict[str, Any] | None = None,
        source: str | None = None,
    ):
        self.config = config
        self.plugin_dir = plugin_dir
        self.source = source or (str(plugin_dir) if plugin_dir else config.code)
        self._loaded: dict[str, Any] = dict(loaded or {})

    # -- construction -------------------------------------------------------------------------
    @classmethod
    def from_path(cls, path: str | os.PathLike[str]) -> PluginDiscovery:
        """Read a plugin directory's config.yaml (or the given yaml file). Nothing is imported yet."""
        file = resolve_config_path(path)
        config = load_plugin_config(file)
        return cls(config, plugin_dir=file.resolve().parent, source=str(file))

    @classmethod
    def from_module(
        cls,
        module: ModuleType | str,
        *,
        name: str | None = None,
        code: str | None = None,
        category: PluginCategory | str | None = None,
    ) -> PluginDiscovery:
        """Find the actions *defined* in `module` (or in a package's submodules it exposes).

        Imported names (e.g. ``from synapse_sdk.plugins import BaseTrainAction``), base classes
        (abstract, or still generic like ``class MyBase(BaseAction[P])``) and private names are
        ignored. Class names come from `action_name`, else from the
        class name (``TrainAction`` -> ``train``); function names from `@action`.
        """
        if isinstance(module, str):
            module = importlib.import_module(module)
        mod_name = module.__name__
        is_package = hasattr(module, '__path__')

        def defined_here(obj: Any) -> bool:
            owner = getattr(obj, '__module__', None) or ''
            return owner == mod_name or (is_package and owner.startswith(mod_name + '.'))

        found: dict[str, tuple[str, ActionDefinition]] = {}
        for attr, obj in vars(module).items():
            if attr.startswith('_'):
                continue
            if get_action_spec(obj) is not None:
                pass
            elif isinstance(obj, type) and issubclass(obj, BaseAction) and obj is not BaseAction:
                if is_base_class(obj):
                    continue
            else:
                continue
            if not defined_here(obj):
                continue
            definition = resolve_action(obj)
            if definition.name in found and found[definition.name][1].target is not obj:
                other = found[definition.name][0]
                raise PluginError(
                    f'Module {mod_name!r} defines two actions named {definition.name!r}: {other} and {attr}'
                )
            found[definition.name] = (attr, definition)

        actions = {}
        loaded = {}
        for action_name, (_attr, d) in found.items():
            actions[action_name] = ActionConfig(
                name=action_name,
                description=d.description,
                entrypoint=f'{getattr(d.target, "__module__", mod_name)}:{d.target.__qualname__}',
                method=d.method or RunMethod.TASK,
                input_type=d.input_type.name if d.input_type else None,
                output_type=d.output_type.name if d.output_type else None,
            )
            loaded[action_name] = d.target
        config = PluginConfig(
            name=name or mod_name,
            code=code or mod_name.replace('.', '-'),
            category=PluginCategory(category) if category else PluginCategory.CUSTOM,
            description=(module.__doc__ or '').strip().split('\n')[0],
            actions=actions,
        )
        return cls(config, loaded=loaded, source=f'module {mod_name!r}')

    # -- introspection ------------------------------------------------------------------------
    @property
    def code(self) -> str:
        return self.config.code

    def list_actions(self) -> list[str]:
        return list(self.config.actions)

    def has_action(self, name: str) -> bool:
        return name in self.config.actions

    def get_action_config(self, name: str) -> ActionConfig:
        """The `ActionConfig`; unknown names raise `ActionNotFoundError` listing the available ones."""
        try:
            return self.config.actions[name]
        except KeyError:
            raise ActionNotFoundError(name, self.config.actions, where=self.source) from None

    def get_action_method(self, name: str) -> RunMethod:
        return self.get_action_config(name).method

    def get_action_entrypoint(self, name: str) -> str:
        """The entrypoint in colon form (``pkg.module:Name``)."""
        return normalize_entrypoint(self.get_action_config(name).entrypoint)

    def get_action_class(self, name: str) -> Any:
        """Import and return the action (a `BaseAction` subclass or an `@action` function)."""
        if name not in self._loaded:
            entrypoint = self.get_action_config(name).entrypoint
            obj = load_entrypoint(entrypoint, plugin_dir=self.plugin_dir)
            try:
                resolve_action(obj)  # fail early, naming the entrypoint, if it is not an action
            except TypeError as exc:
                raise PluginError(
                    f'Entrypoint {entrypoint!r} of action {name!r} ({self.source}): {exc}'
                ) from exc
            self._loaded[name] = obj
        return self._loaded[name]

    def get_action_definition(self, name: str) -> ActionDefinition:
        """The loaded action described as an `ActionDefinition`: named by its config key, with config.yaml's
        method, and its description when config.yaml gives one (else the action's own)."""
        config = self.get_action_config(name)
        definition = resolve_action(self.get_action_class(name), name=name)
        return dataclasses.replace(
            definition, method=config.method, description=config.description or definition.description
        )

    def get_action_params_model(self, name: str) -> Any:
        return self.get_action_definition(name).params_model

    def get_action_result_model(self, name: str) -> Any:
        return self.get_action_definition(name).result_model

    def get_action_ui_schema(self, name: str) -> list[dict[str, Any]]:
        """The hyperparameter form schema of the action's params (see `synapse_sdk.plugins.ui_schema`)."""
        from synapse_sdk.plugins.ui_schema import params_ui_schema

        return params_ui_schema(self.get_action_params_model(name))

    def __repr__(self) -> str:
        return f'PluginDiscovery(code={self.code!r}, actions={self.list_actions()!r})'
