"""Building a `PluginDiscovery` from the ``--path`` / ``--plugin`` options (for list and validate)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any


def discover(source: str, plugin_module: str | None) -> Any:
    """`PluginDiscovery.from_module` for ``--plugin``, else `PluginDiscovery.from_path`."""
    from synapse_sdk.plugins.discovery import PluginDiscovery

    if plugin_module is not None:
        cwd = str(Path.cwd())
        if cwd not in sys.path:
            sys.path.insert(0, cwd)  # like `python -m`: modules of the current directory import
        return PluginDiscovery.from_module(plugin_module)
    return PluginDiscovery.from_path(source)
