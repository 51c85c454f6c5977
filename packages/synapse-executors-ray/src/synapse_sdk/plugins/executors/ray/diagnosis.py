"""Why is a Ray job still PENDING? Facts gathered from the dashboard, turned into plain sentences.

A job stays PENDING while Ray cannot place its driver (the entrypoint resources exceed every node,
or other work holds them) or while its runtime env is being built (pip installs can take minutes).
Ray itself only says "Job has not started yet"; this module compares what the job asked for with
what the cluster has.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

__all__ = ['RESOURCES_METADATA', 'diagnose_pending']

#: Job metadata key holding the driver's requested resources as JSON (Ray does not report them).
RESOURCES_METADATA = 'synapse_resources'


def _alive_nodes(client: Any) -> list[dict[str, Any]] | None:
    try:
        resp = client._do_request('GET', '/api/v0/nodes?limit=1000&detail=true')
        body = resp.json()
        nodes = body['data']['result']['result']
    except Exception:
        return None
    return [n for n in nodes if n.get('state') == 'ALIVE']


def diagnose_pending(client: Any, job_id: str, requested: Mapping[str, float] | None = None) -> list[str]:
    """Likely reasons `job_id` has not started, most specific first (never empty).

    `requested` are the driver's resources (``{'CPU': 1, 'GPU': 1, 'memory': bytes, ...}``); by
    default they are read from the ``synapse_resources`` metadata `RayJobsApiExecutor` records.
    """
    reasons: list[str] = []
    info = client.get_job_info(job_id)
    if requested is None:
        try:
            requested = json.loads((info.metadata or {}).get(RESOURCES_METADATA, '{}'))
        except ValueError:
            requested = {}
    wanted = dict(requested or {})
    nodes = _alive_nodes(client)
    if nodes is None:
        reasons.append('could not read the cluster nodes from the dashboard to compare resources')
    elif not nodes:
        reasons.append('the cluster has no alive node')
    else:
        for name, amount in wanted.items():
            if not amount:
                continue
            best = max(float(n.get('resources_total', {}).get(name, 0)) for n in nodes)
            if best < amount:
                shown = f'{amount / 2**30:.1f} GiB' if name == 'memory' else f'{amount:g}'
                have = f'{best / 2**30:.1f} GiB' if name == 'memory' else f'{best:g}'
                reasons.append(
                    f'the driver asks for {name}={shown}, but no alive node has that much '
                    f'(largest: {have} across {len(nodes)} node(s)); lower num_cpus/num_gpus/memory or add nodes'
                )
    if not reasons:
        try:
            busy = [
                j for j in client.list_jobs() if j.status.value == 'RUNNING' and j.submission_id != job_id
            ]
        except Exception:
            busy = []
        if busy and any(wanted.values()):
            reasons.append(
                f'{len(busy)} other job(s) are RUNNING and may hold the resources this driver needs: '
                + ', '.join(j.submission_id or '?' for j in busy[:5])
            )
    runtime_env = info.runtime_env or {}
    installs = [k for k in ('pip', 'uv', 'conda', 'container', 'image_uri') if runtime_env.get(k)]
    if installs:
        reasons.append(
            f'its runtime env installs {"/".join(installs)} dependencies, which can take minutes the first '
            "time; see the dashboard's runtime_env_agent log of the node for progress or errors"
        )
    if info.message:
        reasons.append(f'Ray says: {info.message}')
    if not reasons:
        reasons.append('no specific cause found; the cluster may be busy or still starting')
    return reasons
