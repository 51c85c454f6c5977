"""Which synapse distributions are installed, and at which versions (for ``--version`` and ``doctor``).

The CLI cannot import the `synapse-sdk` meta-package (it may not be installed), so it reads the
distribution metadata itself.
"""

from __future__ import annotations

import sys
from importlib import metadata

__all__ = ['DISTRIBUTIONS', 'installed_distributions', 'version_text']

# (distribution, what it brings), in the order users meet them.
DISTRIBUTIONS: tuple[tuple[str, str], ...] = (
    ('synapse-sdk', 'meta-package'),
    ('synapse-core', 'plugin runtime'),
    ('synapse-cli', 'synapse command'),
    ('synapse-clients', 'backend and agent clients'),
    ('synapse-storage', 'storage providers and file helpers'),
    ('synapse-converters', 'dataset converters'),
    ('synapse-executors-ray', 'Ray task and job execution'),
)


def installed_distributions() -> dict[str, str | None]:
    """Every known synapse distribution mapped to its installed version, or None when absent."""
    found: dict[str, str | None] = {}
    for name, _ in DISTRIBUTIONS:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = None
    return found


def version_text() -> str:
    """What ``synapse --version`` prints: one line per installed distribution, then Python."""
    installed = {name: version for name, version in installed_distributions().items() if version}
    width = max(len(name) for name in installed) if installed else 0
    lines = [f'{name.ljust(width)}  {version}' for name, version in installed.items()]
    lines.append(f'{"python".ljust(width)}  {sys.version.split()[0]}')
    return '\n'.join(lines)
