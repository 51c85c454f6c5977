"""`PluginEnvironment`: typed, read-only access to the variables an action runs with."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from synapse_sdk.plugins.errors import EnvironmentValueError
from synapse_sdk.security.redaction import MASK, is_secret_key

__all__ = ['PluginEnvironment']

_TRUE = frozenset({'true', '1', 'yes', 'y', 'on', 't'})
_FALSE = frozenset({'false', '0', 'no', 'n', 'off', 'f'})
_MISSING: Any = object()


class PluginEnvironment(Mapping[str, Any]):
    """A typed view over a mapping of environment values.

    Getters return `default` when a key is absent (or an empty string). A value that is present but
    cannot be converted raises `EnvironmentValueError` naming the key, rather than silently becoming
    a default: ``get_bool('DEBUG')`` on ``'maybe'`` is an error, not ``False``. Values whose key looks
    secret (``*_TOKEN``, ``*PASSWORD*``, ``*_KEY`` ...) are masked in `repr` and error messages.
    """

    __slots__ = ('_data',)

    def __init__(self, data: Mapping[str, Any] | None = None):
        self._data: dict[str, Any] = dict(data or {})

    # -- construction -------------------------------------------------------------------------
    @classmethod
    def from_environ(
        cls,
        prefix: str = '',
        *,
        prefixes: tuple[str, ...] | None = None,
        environ: Mapping[str, str] | None = None,
    ) -> PluginEnvironment:
        """Build from ``os.environ`` (or `environ`).

        With `prefix`, only keys starting with it are kept and the prefix is stripped
        (``from_environ('MYPLUGIN_')`` turns ``MYPLUGIN_BATCH`` into ``BATCH``). With `prefixes`,
        keys starting with any of them are kept unchanged. With neither, every variable is kept.
        """
        source = os.environ if environ is None else environ
        if prefix and prefixes:
            raise ValueError('Pass either prefix= or prefixes=, not both')
        if prefix:
            return cls({k[len(prefix) :]: v for k, v in source.items() if k.startswith(prefix)})
        if prefixes:
            return cls({k: v for k, v in source.items() if k.startswith(tuple(prefixes))})
        return cls(dict(source))

    @classmethod
    def from_file(cls, path: str | os.PathLike[str]) -> PluginEnvironment:
        """Load a flat mapping from a ``.toml``, ``.json``, ``.yaml``/``.yml`` or ``.env`` file.

        Nested tables are kept as dicts. ``.env`` files hold ``KEY=value`` lines (``#`` comments,
        optional ``export`` and quotes).
        """
        p = Path(path)
        if not p.is_file():
            raise FileNotFoundError(f'Environment file not found: {p}')
        suffix = p.suffix.lower()
        text = p.read_text(encoding='utf-8')
        if suffix == '.toml':
            import tomllib

            data: Any = tomllib.loads(text)
        elif suffix == '.json':
            data = json.loads(text)
        elif suffix in ('.yaml', '.yml'):
            import yaml

            data = yaml.safe_load(text) or {}
        else:
            data = _parse_dotenv(text)
        if not isinstance(data, Mapping):
            raise EnvironmentValueError(
                f'Environment file {p} must hold a mapping, got {type(data).__name__}'
            )
        return cls(data)

    def merge(self, *others: Mapping[str, Any] | None) -> PluginEnvironment:
        """Return a new environment: this one overlaid with `others` in order (later ones win)."""
        data = dict(self._data)
        for other in others:
            if other:
                data.update(other._data if isinstance(other, PluginEnvironment) else dict(other))
        return PluginEnvironment(data)

    # -- Mapping protocol ---------------------------------------------------------------------
    def __getitem__(self, key: str) -> Any:
        return self._data[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, PluginEnvironment):
            return self._data == other._data
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]  # mutable mapping: unhashable on purpose, as dict is

    def __repr__(self) -> str:
        shown = {k: (MASK if is_secret_key(k) else v) for k, v in self._data.items()}
        return f'PluginEnvironment({shown!r})'

    def to_dict(self) -> dict[str, Any]:
        """A plain copy of the values (secrets included: do not log it)."""
        return dict(self._data)

    # -- typed getters ------------------------------------------------------------------------
    def get(self, key: str, default: Any = None) -> Any:
        """The raw value, or `default` when absent."""
        return self._data.get(key, default)

    def _raw(self, key: str) -> Any:
        value = self._data.get(key, _MISSING)
        if value is None or (isinstance(value, str) and value.strip() == ''):
            return _MISSING
        return value

    def _fail(self, key: str, value: Any, wanted: str) -> EnvironmentValueError:
        shown = MASK if is_secret_key(key) else repr(value)
        return EnvironmentValueError(f'Environment variable {key}={shown} is not a valid {wanted}')

    def get_str(self, key: str, default: str | None = None) -> str | None:
        value = self._raw(key)
        return default if value is _MISSING else str(value)

    def get_int(self, key: str, default: int | None = None) -> int | None:
        value = self._raw(key)
        if value is _MISSING:
            return default
        if isinstance(value, bool):
            raise self._fail(key, value, 'integer')
        if isinstance(value, int):
            return value
        try:
            return int(str(value).strip())
        except ValueError:
            raise self._fail(key, value, 'integer') from None

    def get_float(self, key: str, default: float | None = None) -> float | None:
        value = self._raw(key)
        if value is _MISSING:
            return default
        if isinstance(value, bool):
            raise self._fail(key, value, 'number')
        try:
            return float(value if isinstance(value, int | float) else str(value).strip())
        except ValueError:
            raise self._fail(key, value, 'number') from None

    def get_bool(self, key: str, default: bool | None = None) -> bool | None:
        """'true', '1', 'yes', 'y', 'on' are True; 'false', '0', 'no', 'n', 'off' are False."""
        value = self._raw(key)
        if value is _MISSING:
            return default
        if isinstance(value, bool):
            return value
        if isinstance(value, int) and value in (0, 1):
            return bool(value)
        text = str(value).strip().lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
        raise self._fail(
            key, value, "boolean (use one of 'true', '1', 'yes', 'on' / 'false', '0', 'no', 'off')"
        )

    def get_list(self, key: str, default: list[str] | None = None) -> list[Any] | None:
        """A comma-separated string becomes a list of stripped, non-empty items; a list is returned as is."""
        value = self._raw(key)
        if value is _MISSING:
            return default
        if isinstance(value, list | tuple):
            return list(value)
        return [item.strip() for item in str(value).split(',') if item.strip()]

    # -- well-known attributes (seed 003) -----------------------------------------------------
    def _first(self, *keys: str) -> str | None:
        for key in keys:
            value = self.get_str(key)
            if value is not None:
                return value
        return None

    @property
    def storage_path(self) -> str | None:
        """Where the action may keep files: ``STORAGE_PATH`` or ``SYNAPSE_STORAGE_PATH``."""
        return self._first('STORAGE_PATH', 'SYNAPSE_STORAGE_PATH')

    @property
    def api_url(self) -> str | None:
        """Backend base URL: ``API_URL``, ``SYNAPSE_API_URL`` or ``SYNAPSE_HOST``."""
        return self._first('API_URL', 'SYNAPSE_API_URL', 'SYNAPSE_HOST')

    @property
    def debug(self) -> bool:
        """``DEBUG`` or ``SYNAPSE_DEBUG`` as a boolean (False when unset)."""
        for key in ('DEBUG', 'SYNAPSE_DEBUG'):
            value = self.get_bool(key)
            if value is not None:
                return value
        return False


def _parse_dotenv(text: str) -> dict[str, str]:
    data: dict[str, str] = {}
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith('#'):
            continue
        if line.startswith('export '):
            line = line[len('export ') :].strip()
        key, sep, value = line.partition('=')
        if not sep:
            continue
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in '"\'':
            value = value[1:-1]
        data[key.strip()] = value
    return data
