"""Helpers over plugin configs, compatible with synapse-sdk v1 call sites.

``config`` arguments accept a dict (as read from config.yaml), a `PluginConfig`, or a path to a
plugin directory / config.yaml.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from synapse_sdk.plugins.enums import RunMethod
from synapse_sdk.plugins.errors import ActionNotFoundError, ConfigError

__all__ = ['get_action_config', 'get_action_method', 'get_plugin_actions', 'read_requirements']

ConfigLike = Mapping[str, Any] | Any  # dict, PluginConfig, str or PathLike


def _actions_of(config: ConfigLike) -> dict[str, dict[str, Any]]:
    from synapse_sdk.plugins.config import PluginConfig, load_plugin_config

    if isinstance(config, str | os.PathLike):
        config = load_plugin_config(config)
    if isinstance(config, PluginConfig):
        return {name: a.model_dump(mode='json', exclude_none=True) for name, a in config.actions.items()}
    if isinstance(config, Mapping):
        actions = config.get('actions') or {}
        if not isinstance(actions, Mapping):
            raise ConfigError('<dict>', [('actions', None, 'must be a mapping of action names')])
        return {str(k): {'name': str(k), **dict(v or {})} for k, v in actions.items()}
    raise TypeError(f'Expected a config dict, PluginConfig or path, got {type(config).__name__}')


def get_plugin_actions(config: ConfigLike) -> list[str]:
    """Action names in declaration order: ``get_plugin_actions({'actions': {'train': {}}}) == ['train']``."""
    return list(_actions_of(config))


def get_action_config(config: ConfigLike, action: str) -> dict[str, Any]:
    """The action's config as a dict (with ``name``); unknown actions raise `ActionNotFoundError`."""
    actions = _actions_of(config)
    try:
        return actions[action]
    except KeyError:
        raise ActionNotFoundError(action, actions) from None


def get_action_method(config: ConfigLike, action: str) -> RunMethod:
    """The action's ``method`` as a `RunMethod` (``task`` when not set)."""
    method = get_action_config(config, action).get('method') or RunMethod.TASK
    try:
        return RunMethod(method)
    except ValueError:
        valid = ', '.join(m.value for m in RunMethod)
        raise ConfigError(
            '<config>', [(f'actions.{action}.method', None, f'{method!r} is not one of: {valid}')]
        ) from None


def read_requirements(path: str | os.PathLike[str]) -> list[str] | None:
    """The requirement lines of a requirements.txt, or None if the file does not exist.

    Blank lines and comments (full-line and trailing `` #``) are dropped; option lines such as
    ``--extra-index-url`` are kept because installers need them. Nothing is printed: option lines
    can hold credentials (``https://user:token@index``), so use
    `synapse_sdk.plugins.utils.redact_requirement` before showing a line to anyone.
    """
    p = Path(path)
    if not p.is_file():
        return None
    lines = []
    for raw in p.read_text(encoding='utf-8').splitlines():
        line = raw.strip()
        if not line or line.startswith('#'):
            continue
        if ' #' in line:
            line = line.split(' #', 1)[0].rstrip()
        lines.append(line)
    return lines


def redact_requirement(line: str) -> str:
    """A requirement line with URL credentials masked, safe to print or log."""
    from synapse_sdk.security.redaction import redact_url

    return redact_url(line)
