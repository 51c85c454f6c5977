"""Which synapse distributions are installed, and at which versions (for ``--version`` and ``doctor``).

The CLI cannot import the `synapse-sdk` meta-package (it may not be installed), so it reads the
installed metadata itself. It does so by looking for each distribution's ``.dist-info`` folder on
``sys.path`` rather than through `importlib.metadata`, whose import alone (email parsing, zip
support, ...) costs several times Python's own start-up: ``synapse --version`` must stay instant.
"""

from __future__ import annotations

import os
import sys

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
    ('synapse-testing', 'fake backend and its pytest fixture'),
)


def _metadata_files() -> dict[str, str]:
    """``{normalised project name: METADATA path}`` for the synapse distributions on ``sys.path``.

    Wheel installs (editable or not) write ``<name with underscores>-<version>.dist-info`` folders
    (PEP 427 / PEP 503 normalisation); the first one found on ``sys.path`` wins, as for imports.
    """
    found: dict[str, str] = {}
    for entry in sys.path:
        try:
            names = os.listdir(entry or '.')
        except OSError:
            continue
        for name in names:
            if not name.startswith('synapse_') or not name.endswith(('.dist-info', '.egg-info')):
                continue
            project = name.rsplit('.', 1)[0].split('-', 1)[0].replace('_', '-').lower()
            meta = 'METADATA' if name.endswith('.dist-info') else 'PKG-INFO'
            path = os.path.join(entry or '.', name, meta)
            if project not in found and os.path.isfile(path):
                found[project] = path
    return found


def _version_of(metadata_file: str) -> str | None:
    with open(metadata_file, encoding='utf-8', errors='replace') as fh:
        for line in fh:
            if line.startswith('Version:'):
                return line.split(':', 1)[1].strip()
            if not line.strip():  # end of the header block
                return None
    return None


def installed_distributions() -> dict[str, str | None]:
    """Every known synapse distribution mapped to its installed version, or None when absent."""
    files = _metadata_files()
    return {name: _version_of(files[name]) if name in files else None for name, _ in DISTRIBUTIONS}


def version_text() -> str:
    """What ``synapse --version`` prints: one line per installed distribution, then Python."""
    installed = {name: version for name, version in installed_distributions().items() if version}
    width = max([len(name) for name in installed] + [len('python')])
    lines = [f'{name.ljust(width)}  {version}' for name, version in installed.items()]
    lines.append(f'{"python".ljust(width)}  {sys.version.split()[0]}')
    return '\n'.join(lines)
