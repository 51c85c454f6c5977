"""Smoke test for synapse-executors-ray installed alone: one action on a tiny local Ray in task mode.

Run by tools/isolation.py inside a fresh venv holding only this distribution, synapse-core and their
declared dependencies (no synapse-clients: the worker's context must still build, with no clients).
"""

import os
import sys
import tempfile
import textwrap
import time
from pathlib import Path

# The fresh venv has no compiled bytecode: let Ray's worker and agent processes write it as they
# start, so they come up faster (Ray gives its node 30 s to register).
os.environ.pop('PYTHONDONTWRITEBYTECODE', None)
sys.dont_write_bytecode = False

from synapse_sdk.plugins.executors.local import LocalExecutor  # noqa: E402 - after the env tweak
from synapse_sdk.plugins.executors.ray.task import RayActorExecutor  # noqa: E402
from synapse_sdk.plugins.executors.ray.testing import local_cluster  # noqa: E402

ACTIONS = """
from pydantic import BaseModel
from synapse_sdk.plugins import action

class P(BaseModel):
    a: int
    b: int = 1

@action(name='add', params=P)
def add(params, ctx):
    ctx.log_message(f'adding {params.a} + {params.b}')
    return {'sum': params.a + params.b, 'has_client': ctx.client is not None}
"""

# The wheel registers the task and job modes for run_plugin (entry points, read from its metadata).
from synapse_sdk.plugins.executors.ray import modes  # noqa: E402
from synapse_sdk.plugins.executors.registry import load_mode_executor  # noqa: E402

assert load_mode_executor('task') is modes.run_task and load_mode_executor('job') is modes.submit_job

started = time.monotonic()
with tempfile.TemporaryDirectory(prefix='smoke-ray-') as plugin:
    Path(plugin, 'smoke_actions.py').write_text(textwrap.dedent(ACTIONS))
    with (
        local_cluster(num_cpus=1, object_store_memory=80 * 1024 * 1024),
        RayActorExecutor(working_dir=plugin, num_cpus=1) as executor,
    ):
        remote = executor.execute('smoke_actions:add', {'a': 41})
    sys.path.insert(0, plugin)
    local = LocalExecutor(console=False).execute('smoke_actions:add', {'a': 41})
assert remote == local == {'sum': 42, 'has_client': False}, (remote, local)
print(f'task mode OK in {time.monotonic() - started:.1f}s: {remote}')
