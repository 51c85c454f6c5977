"""Building a `PluginDiscovery` from the ``--path`` / ``--plugin`` options (for list and validate)."""

from __future__ import annotations

from typing import Any


def discover(source: str, plugin_module: str | None) -> Any:
    """`PluginDiscovery.from_module` for ``--plugin``, else `PluginDiscovery.from_path`."""
    from synapse_sdk.plugins.discovery import PluginDiscovery

    if plugin_module is not None:
        return PluginDiscovery.from_module(plugin_module)
    return PluginDiscovery.from_path(source)
