"""`use_v2`: the single switch deciding whether a caller uses the v2 or the v1 backend client.

Priority, highest first:

1. ``SYNAPSE_FORCE_V1_EXPORT`` truthy (in ``ctx.env``, else ``os.environ``) -> v1 (runtime rollback).
2. ``ctx.v2_client`` missing / None -> v1.
3. `_V2_CATEGORY_POLICY` for `category` -> v2 where listed as True; everything else v1.

Today only EXPORT is on v2. Moving a category to v2 is an edit of the table, not of its callers.
"""

from __future__ import annotations

import os
from typing import Any

from synapse_sdk.plugins._warnings import warn_user
from synapse_sdk.plugins.enums import PluginCategory

__all__ = ['FORCE_V1_ENV', 'use_v2']

FORCE_V1_ENV = 'SYNAPSE_FORCE_V1_EXPORT'

_V2_CATEGORY_POLICY: dict[PluginCategory, bool] = {PluginCategory.EXPORT: True}

_FALSE = frozenset({'', '0', 'false', 'no', 'n', 'off', 'f'})
_TRUE = frozenset({'1', 'true', 'yes', 'y', 'on', 't'})


def _force_v1(ctx: Any) -> bool:
    env = getattr(ctx, 'env', None)
    raw = env.get(FORCE_V1_ENV) if env is not None and FORCE_V1_ENV in env else os.environ.get(FORCE_V1_ENV)
    text = '' if raw is None else str(raw).strip().lower()
    if text in _FALSE:
        return False
    if text not in _TRUE:
        # A rollback switch fails safe: an unrecognised value still means "force v1".
        warn_user(
            f'{FORCE_V1_ENV}={raw!r} is not a recognised boolean; treating it as true (v1)', RuntimeWarning
        )
    return True


def use_v2(ctx: Any, *, category: PluginCategory | str | None = None) -> bool:
    """True when the caller should use ``ctx.v2_client`` for `category` (see the module docstring)."""
    if _force_v1(ctx):
        return False
    if getattr(ctx, 'v2_client', None) is None:
        return False
    if category is None:
        return False
    try:
        key = PluginCategory(category)
    except ValueError:
        return False
    return _V2_CATEGORY_POLICY.get(key, False)
