"""Connecting this process to Ray once, for every executor that drives actors (task, pipeline, Serve)."""

from __future__ import annotations

import logging
import os
import sys
from typing import Any

__all__ = ['ensure_ray', 'is_client_address']

logger = logging.getLogger('synapse_sdk.plugins.executors.ray')


def is_client_address(address: str | None) -> bool:
    """True for a Ray Client address (``ray://host:10001``)."""
    return bool(address) and str(address).startswith('ray://')


def ensure_ray(address: str | None = None, *, runtime_env: dict[str, Any] | None = None) -> Any:
    """Return the `ray` module, connected.

    Reuses an existing connection (``ray.init`` already called by the caller or another executor).
    Otherwise connects to `address` (a GCS address ``host:6379``, ``'auto'`` or ``ray://host:10001``);
    with no address Ray's own rules apply (``RAY_ADDRESS``, else a new local instance).
    `runtime_env` is a job-level runtime env, used only for Ray Client connections (where actor-level
    local directories cannot be uploaded).

    If Ray is not imported yet, its cross-worker log deduplication is turned off for this process
    (``RAY_DEDUP_LOGS=0`` unless set): it holds back log lines of different actors that differ only
    in numbers (``epoch 3 loss 0.2``), so an action's logs would not reach the console as in local
    mode. Ray reads the setting when it is imported.
    """
    if 'ray' not in sys.modules:
        os.environ.setdefault('RAY_DEDUP_LOGS', '0')
    import ray

    if ray.is_initialized():
        return ray
    kwargs: dict[str, Any] = {'logging_level': logging.WARNING}
    if address:
        kwargs['address'] = address
    if runtime_env and is_client_address(address):
        kwargs['runtime_env'] = runtime_env
    logger.debug('connecting to Ray at %s', address or '<default>')
    ray.init(**kwargs)
    return ray
