"""Fixtures for the Ray executor tests: one in-process cluster and one head node per session.

Both are real Ray, started by `synapse_sdk.plugins.executors.ray.testing`: the in-process cluster
(``ray.init`` in this process) serves task mode, pipelines and Serve; the head node (``ray start --head
--block`` in its own process group) serves the Jobs API tests. Each gets a fresh short temp dir,
capped resources and free loopback ports, and is stopped only by signalling the process it started
(never ``ray stop``, which would kill other runs' clusters).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from synapse_sdk.plugins.executors.ray.testing import RAY_TEST_ENV, local_cluster, start_head_node

os.environ.update(RAY_TEST_ENV)
# A stray RAY_ADDRESS would make the in-process cluster join someone else's cluster.
os.environ.pop('RAY_ADDRESS', None)

SAMPLE_PLUGIN = Path(__file__).resolve().parent / 'sample_plugin'
STRICT = os.environ.get('SYNAPSE_TEST_STRICT') == '1'


def _unavailable(reason: str):
    if STRICT:
        pytest.fail(f'SYNAPSE_TEST_STRICT=1 and {reason}')
    pytest.skip(reason)


@pytest.fixture(scope='session')
def sample_plugin_dir() -> Path:
    """A plugin directory (config.yaml + module) used as working_dir in every mode."""
    return SAMPLE_PLUGIN


@pytest.fixture(scope='session')
def ray_cluster(sample_plugin_dir):
    """A real in-process Ray cluster for the whole session (2 CPUs, 200 MB object store)."""
    # The sample plugin must be importable here too (local-mode comparisons, action objects).
    sys.path.insert(0, str(sample_plugin_dir))
    try:
        with local_cluster() as ray:
            yield ray
    finally:
        sys.path.remove(str(sample_plugin_dir))


@pytest.fixture(scope='session')
def ray_head():
    """A real Ray head node with the Jobs API, in its own process group, for the whole session."""
    try:
        head = start_head_node()
    except RuntimeError as exc:
        _unavailable(str(exc))
    try:
        yield head
    finally:
        head.stop()
