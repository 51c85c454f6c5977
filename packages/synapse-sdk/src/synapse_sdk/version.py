"""Version of the `synapse-sdk` meta-package and of the synapse distributions installed beside it."""

from __future__ import annotations

from importlib import metadata

__version__ = metadata.version('synapse-sdk')

DISTRIBUTIONS = (
    'synapse-sdk',
    'synapse-core',
    'synapse-clients',
    'synapse-storage',
    'synapse-converters',
    'synapse-executors-ray',
    'synapse-cli',
    'synapse-testing',
)


def installed_distributions() -> dict[str, str]:
    """Map each installed synapse distribution to its version; absent ones are left out."""
    found: dict[str, str] = {}
    for name in DISTRIBUTIONS:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return found
