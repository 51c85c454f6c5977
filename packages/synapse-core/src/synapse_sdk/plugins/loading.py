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
    """Put a plugin directory first on ``sys.path`` so its modules import by their names.

    It stays there: actions often import sibling modules lazily while they run.
    """
    path = str(Path(directory).resolve())
    if sys.path[:1] != [path]:
        if path in sys.path:
            sys.path.remove(path)
        sys.path.insert(0, path)


def _defined_in(module: Any, directory: Path) -> bool:
    locations = [getattr(module, '__file__', None), *list(getattr(module, '__path__', []) or [])]
    return any(bool(loc) and Path(loc).resolve().is_relative_to(directory) for loc in locations)


def _forget_foreign_package(module_name: str, directory: Path) -> None:
    """Drop a same-named package another plugin directory already imported.

    Two plugins often share package names (``plugin``, ``my_plugin``); without this the second one
    would silently run the first one's code from the ``sys.modules`` cache.
    """
    top = module_name.split('.')[0]
    existing = sys.modules.get(top)
    if existing is None or _defined_in(existing, directory):
        return
    if not ((directory / top).is_dir() or (directory / f'{top}.py').is_file()):
        return
    for name in [n for n in sys.modules if n == top or n.startswith(top + '.')]:
        del sys.modules[name]
    importlib.invalidate_caches()


def load_entrypoint(entrypoint: str, *, plugin_dir: str | os.PathLike[str] | None = None) -> Any:
    """Import and return the object an entrypoint names.

    Raises `EntrypointError` (an `ImportError`) naming the entrypoint when the module cannot be
    imported or lacks the attribute; the underlying exception is chained.
    """
    module_name, attr = split_entrypoint(entrypoint)
    if plugin_dir is not None:
        add_to_sys_path(plugin_dir)
        _forget_foreign_package(module_name, Path(plugin_dir).resolve())
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
