"""Clients for the Synapse backend (v1 ``backend``, v2 ``backend_v2``) and the Ray agent (``agent``).

Import the client you need from its module, e.g. ``from synapse_sdk.clients.backend import
BackendClient``; the errors all live in ``synapse_sdk.clients.exceptions``.
"""

# `synapse_sdk.clients` is owned by synapse-clients, but synapse-testing adds `clients.testing` (the fake
# backend, a test tool kept out of this runtime wheel). Extending __path__ lets that portion be found when
# each distribution lives in its own directory on sys.path (editable installs), as core does for executors.
from pkgutil import extend_path
from typing import Any

__path__ = extend_path(__path__, __name__)

__all__ = ['RetryPolicy']


def __getattr__(name: str) -> Any:
    # Lazy, so that importing a client's module (or the fake backend) does not pay for requests twice.
    if name == 'RetryPolicy':
        from synapse_sdk.clients._http import RetryPolicy

        return RetryPolicy
    raise AttributeError(f'module {__name__!r} has no attribute {name!r}')
