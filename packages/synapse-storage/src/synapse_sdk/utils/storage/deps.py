"""Lazy import of the optional client libraries, with an install hint naming the extra."""

from __future__ import annotations

import importlib
from types import ModuleType


def import_optional(module: str, extra: str, provider: str) -> ModuleType:
    """Import ``module`` or raise an ``ImportError`` telling which extra to install."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise ImportError(
            f'The {provider!r} storage provider needs {module.split(".")[0]!r}, which is not installed. '
            f'Install it with `pip install synapse-storage[{extra}]` (or `pip install synapse-sdk[{extra}]`).'
        ) from exc


__all__ = ['import_optional']
