"""Backward-compatible home of the dataset converters: re-exports `synapse_sdk.utils.converters`.

``from synapse_sdk.plugins.datasets import get_converter`` works when synapse-converters is
installed; names are resolved lazily, so importing this module costs nothing. Without the
package, an `ImportError` says what to install.
"""

from __future__ import annotations

import importlib
from typing import Any

_TARGET = 'synapse_sdk.utils.converters'
_HINT = 'pip install synapse-converters  (or: pip install synapse-sdk)'


def _converters() -> Any:
    try:
        return importlib.import_module(_TARGET)
    except ImportError as exc:
        raise ImportError(f'Dataset converters are not installed: {_HINT}') from exc


def __getattr__(name: str) -> Any:
    if name.startswith('__'):
        raise AttributeError(name)
    module = _converters()
    try:
        value = getattr(module, name)
    except AttributeError:
        raise AttributeError(
            f'module {__name__!r} (re-exporting {_TARGET!r}) has no attribute {name!r}'
        ) from None
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    try:
        return sorted(set(globals()) | set(getattr(_converters(), '__all__', ())))
    except ImportError:
        return sorted(globals())
