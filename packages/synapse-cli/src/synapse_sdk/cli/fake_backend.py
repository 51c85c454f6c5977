"""``synapse plugin run --fake-backend``: the action against the SDK's fake backend, seeded with samples.

Why: an export, upload or pre-annotation action needs a backend before it can do anything, and a
plugin author's first run should not need an account. The fake backend (synapse-testing, the same
server the ``synapse_backend`` pytest fixture starts) runs in this process on a loopback port for the
length of the run, seeded from the plugin's ``samples/backend.json``. The run's credentials point at
it exactly as the fixture does: every credential variable cleared, the config file out of reach,
``SYNAPSE_HOST`` / ``SYNAPSE_ACCESS_TOKEN`` set, and all of it restored afterwards.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from synapse_sdk.clients.testing import FakeBackend

__all__ = ['DEFAULT_SEED', 'FakeRun', 'fake_backend']

#: Where a scaffold keeps the fake backend's sample data, relative to the plugin directory.
DEFAULT_SEED = Path('samples') / 'backend.json'


class FakeRun:
    """What a run did to the fake backend: its URL, the seeded rows, requests, rows added and changed."""

    def __init__(self, backend: FakeBackend, seed: Path | None, seeded: dict[str, int]) -> None:
        self.backend = backend
        self.seed = seed
        self.seeded = seeded
        self._before = self._fingerprints()
        self._requests = len(backend.state.requests)

    @property
    def url(self) -> str:
        return self.backend.url

    def _fingerprints(self) -> dict[str, dict[Any, int]]:
        state = self.backend.state
        with state.lock:
            return {
                name: {key: hash(repr(row)) for key, row in state.table(name).items()}
                for name in state.row_counts()
            }

    def as_dict(self) -> dict[str, Any]:
        """``url``, ``seed``, ``seeded``, ``requests`` and per table the rows ``added`` and ``changed``."""
        after = self._fingerprints()
        added: dict[str, int] = {}
        changed: dict[str, int] = {}
        for name, rows in after.items():
            before = self._before.get(name, {})
            if new := sum(key not in before for key in rows):
                added[name] = new
            if edited := sum(key in before and before[key] != value for key, value in rows.items()):
                changed[name] = edited
        return {
            'url': self.url,
            'seed': str(self.seed) if self.seed else None,
            'seeded': self.seeded,
            'requests': len(self.backend.state.requests) - self._requests,
            'added': added,
            'changed': changed,
        }


@contextlib.contextmanager
def fake_backend(plugin_dir: Path, seed: Path | None) -> Iterator[FakeRun]:
    """Serve the fake backend seeded from `seed` (default: the plugin's samples/backend.json, if any)."""
    from synapse_sdk.cli.errors import EXIT_INPUT, CliError, missing_dependency
    from synapse_sdk.cli.messages import t

    try:
        from synapse_sdk.clients.testing import FakeBackend
    except ImportError as exc:
        raise missing_dependency('--fake-backend', 'synapse-testing', exc) from None
    from synapse_sdk.utils.auth import CREDENTIAL_ENV_VARS

    if seed is None and (plugin_dir / DEFAULT_SEED).is_file():
        seed = plugin_dir / DEFAULT_SEED
    with FakeBackend() as backend:
        try:
            seeded = backend.state.seed(seed) if seed is not None else {}
        except (OSError, ValueError, TypeError) as exc:
            raise CliError(t('cli.fake.bad_seed', seed=seed, reason=exc), exit_code=EXIT_INPUT) from None
        with tempfile.TemporaryDirectory(prefix='synapse-fake-') as home:
            env: dict[str, str | None] = {name: None for name in CREDENTIAL_ENV_VARS}
            env['SYNAPSE_CONFIG_PATH'] = str(Path(home) / 'config.json')  # the user's login stays out
            env.update(backend.env())
            with _environment(env):
                yield FakeRun(backend, seed, seeded)


@contextlib.contextmanager
def _environment(values: dict[str, str | None]) -> Iterator[None]:
    saved = {name: os.environ.get(name) for name in values}
    try:
        for name, value in values.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
