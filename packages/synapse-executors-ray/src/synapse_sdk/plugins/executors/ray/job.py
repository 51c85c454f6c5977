"""The driver a Ray job runs (the "Ray job" context site): ``python -m synapse_sdk.plugins.executors.ray.job``.

`RayJobsApiExecutor` submits this module as the job's entrypoint. It first takes the secrets and
params handed over out of band (see `sealed`), puts the secrets into this process's environment, and
then runs the core's subprocess entrypoint (`synapse_sdk.plugins.entrypoint.main`) in this process:
the `RuntimeContext` is built there by the shared `build_runtime_context`, so the v1/v2 clients come
from this driver's environment, logs go to the job log (and the backend job when there is one) and
the result is printed between the core's result markers.
"""

from __future__ import annotations

import json
import os
import sys

from synapse_sdk.plugins.executors.ray.sealed import SEALED_ENV, unseal

__all__ = ['main']


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    uri = os.environ.pop(SEALED_ENV, None)
    if uri:
        payload = unseal(uri)
        os.environ.update(payload.get('secrets') or {})
        if 'params' in payload:
            args += ['--params', json.dumps(payload['params'])]
    from synapse_sdk.plugins.entrypoint import main as entrypoint_main

    return entrypoint_main(args)


if __name__ == '__main__':
    raise SystemExit(main())
