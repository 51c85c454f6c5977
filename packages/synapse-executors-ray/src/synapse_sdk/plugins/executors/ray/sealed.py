"""Handing secrets to a Ray job driver without writing them into the job record.

Everything in a Jobs API submission (entrypoint, ``runtime_env`` with its ``env_vars``, metadata) is
stored by Ray and shown in the dashboard and ``ray job list``. Tokens must not go there. Instead the
submitter uploads a small JSON blob through the dashboard's package endpoint (the same one Ray uses
to upload a working dir) under a random, unguessable name, and passes only that name to the driver.
The driver reads the blob from the cluster's key-value store once and deletes it before the action
starts. If the job never starts, Ray's own clean-up of unreferenced packages removes the blob after
its temporary reference expires (10 minutes by default).

Who can read the blob while it exists: anyone with access to the cluster's GCS or dashboard, the
same people who could read the job's runtime env. What changes is that it is gone once the driver
has started, and it never appears in job listings, logs or the dashboard.
"""

from __future__ import annotations

import json
import os
import secrets as _secrets
from typing import Any

__all__ = ['SEALED_ENV', 'seal', 'unseal']

#: Environment variable naming the blob for the driver (holds a URI, never a secret).
SEALED_ENV = 'SYNAPSE_SEALED_URI'


def seal(client: Any, payload: dict[str, Any]) -> str:
    """Upload `payload` through `client` (a `JobSubmissionClient`); return the blob's URI."""
    name = f'_synapse_sealed_{_secrets.token_hex(16)}.zip'
    path = f'/api/packages/gcs/{name}'
    # A GET first pins a temporary reference, so an unread blob expires with Ray's package GC.
    client._do_request('GET', path)
    response = client._do_request('PUT', path, data=json.dumps(payload).encode())
    if response.status_code != 200:
        from synapse_sdk.plugins.executors.ray.errors import RayExecutorError

        raise RayExecutorError(
            f'Could not hand the job its credentials through the Ray dashboard (HTTP {response.status_code})'
        )
    return f'gcs://{name}'


def unseal(uri: str, gcs_address: str | None = None) -> dict[str, Any]:
    """In the job driver: read the blob named `uri` from the cluster and delete it."""
    address = gcs_address or os.environ.get('RAY_ADDRESS')
    if not address:
        raise RuntimeError(f'{SEALED_ENV} is set but RAY_ADDRESS is not: not running as a Ray job driver?')
    from ray._raylet import GcsClient  # type: ignore[attr-defined]  # compiled; Ray's _raylet.pyi omits it

    gcs = GcsClient(address=address)
    key = uri.encode()
    data = gcs.internal_kv_get(key, None)
    if data is None:
        raise RuntimeError(
            'The credentials handed to this job are gone (already read by another driver, or expired '
            'while the job waited to start). Submit the job again.'
        )
    gcs.internal_kv_del(key, False, None)
    sealed = json.loads(data)
    if not isinstance(sealed, dict):
        raise RuntimeError(f'The credentials handed to this job ({uri}) are not a JSON object')
    return sealed
