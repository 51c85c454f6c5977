"""Importing action entrypoints: ``pkg.module:Attr`` (colon) or ``pkg.module.Attr`` (dot) form.

This is the only place an entrypoint string is turned into an object; discovery, the executors
and the subprocess entrypoint all call `load_entrypoint`.
"""

from __future__ import annotations

import importlib
import os
import sys
from pathlib import Path
from typing import Any

from synapse_sdk.plugins.errors import EntrypointError

__all__ = ['add_to_sys_path', 'load_entrypoint', 'normalize_entrypoint', 'split_entrypoint']


def split_entrypoint(entrypoint: str) -> tuple[str, str]:
    """``'a.b:C.d'`` -> ``('a.b', 'C.d')``; ``'a.b.C'`` -> ``('a.b', 'C')``."""
    text = (entrypoint or '').strip()
    if ':' in text:
        module, _, attr = text.partition(':')
    else:
        module, _, attr = text.rpartition('.')
    if not module or not attr or ':' in attr:
        raise EntrypointError(
            f'Invalid entrypoint {entrypoint!r}: expected "package.module:Name" or "package.module.Name"'
        )
    return module, attr


def normalize_entrypoint(entrypoint: str) -> str:
    """The colon form of an entrypoint."""
    module, attr = split_entrypoint(entrypoint)
    return f'{module}:{attr}'


def add_to_sys_path(directory: str | os.PathLike[str]) -> None:
    """Put a plugin directory first on ``sys.path`` (once) so its modules import by their names.

    It stays there: actions often import sibling modules lazily while they run.
    """
    path = str(Path(directory).resolve())
    if path not in sys.path:
        sys.path.insert(0, path)


def load_entrypoint(entrypoint: str, *, plugin_dir: str | os.PathLike[str] | None = None) -> Any:
    """Import and return the object an entrypoint names.

    Raises `EntrypointError` (an `ImportError`) naming the entrypoint when the module cannot be
    imported or lacks the attribute; the underlying exception is chained.
    """
    module_name, attr = split_entrypoint(entrypoint)
    if plugin_dir is not None:
        add_to_sys_path(plugin_dir)
    try:
        obj: Any = importlib.import_module(module_name)
    except ImportError as exc:
        where = f' (searched {plugin_dir} and sys.path)' if plugin_dir else ''
        raise EntrypointError(
            f'Cannot import module {module_name!r} of entrypoint {entrypoint!r}{where}: {exc}'
        ) from exc
    for part in attr.split('.'):
        try:
            obj = getattr(obj, part)
        except AttributeError as exc:
            raise EntrypointError(
                f'Entrypoint {entrypoint!r}: module {module_name!r} has no attribute {attr!r}'
            ) from exc
    return obj
