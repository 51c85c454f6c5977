"""Provider names, aliases and the ``get_storage`` factory."""

from __future__ import annotations

import importlib
import inspect
import warnings
from collections.abc import Callable, Mapping
from typing import Any

from synapse_sdk.utils.storage.errors import StorageConfigError, StorageProviderNotFoundError
from synapse_sdk.utils.storage.protocol import StorageProtocol

#: Built-in providers: canonical name -> ``module:Class`` (imported on first use).
_BUILTIN: dict[str, str] = {
    'local': 'synapse_sdk.utils.storage.providers.local:LocalStorage',
    's3': 'synapse_sdk.utils.storage.providers.s3:S3Storage',
    'gcs': 'synapse_sdk.utils.storage.providers.gcs:GCSStorage',
    'sftp': 'synapse_sdk.utils.storage.providers.sftp:SFTPStorage',
    'http': 'synapse_sdk.utils.storage.providers.http:HTTPStorage',
}

#: Other accepted names for the built-in providers.
PROVIDER_ALIASES: dict[str, str] = {
    'file_system': 'local',
    'amazon_s3': 's3',
    'minio': 's3',
    'gs': 'gcs',
    'gcp': 'gcs',
    'https': 'http',
}

_custom: dict[str, Callable[..., Any]] = {}


def register_provider(name: str, factory: Callable[..., Any]) -> None:
    """Make ``get_storage({'provider': name, 'configuration': {...}})`` call ``factory(**configuration)``.

    ``factory`` (usually a class) must produce an object satisfying :class:`StorageProtocol`.
    """
    if not name or name in _BUILTIN or name in PROVIDER_ALIASES:
        raise StorageConfigError(f'Cannot register storage provider {name!r}: the name is empty or built in')
    _custom[name] = factory


def get_registered_providers() -> list[str]:
    """Every accepted provider name, aliases included."""
    return sorted({*_BUILTIN, *PROVIDER_ALIASES, *_custom})


def resolve_provider(name: str) -> Callable[..., Any]:
    """The class (or factory) behind a provider name or alias."""
    if not isinstance(name, str):
        raise StorageConfigError(f"Storage 'provider' must be a string, got {type(name).__name__}")
    canonical = PROVIDER_ALIASES.get(name.lower(), name.lower())
    if canonical in _custom:
        return _custom[canonical]
    if canonical not in _BUILTIN:
        raise StorageProviderNotFoundError(
            f'Unknown storage provider {name!r}; known providers: {", ".join(get_registered_providers())}'
        )
    module_name, _, attr = _BUILTIN[canonical].partition(':')
    provider: Callable[..., Any] = getattr(importlib.import_module(module_name), attr)
    return provider


def _check_configuration(
    provider: str, factory: Callable[..., Any], configuration: Mapping[str, Any]
) -> dict[str, Any]:
    """The keyword arguments for ``factory``: required keys checked, unknown keys dropped with a warning."""
    try:
        signature = inspect.signature(factory)
    except (TypeError, ValueError):
        return dict(configuration)
    params = signature.parameters
    if any(param.kind is inspect.Parameter.VAR_KEYWORD for param in params.values()):
        return dict(configuration)
    required = [
        name
        for name, param in params.items()
        if param.default is inspect.Parameter.empty
        and param.kind in (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
    ]
    missing = [name for name in required if name not in configuration]
    if missing:
        raise StorageConfigError(
            f"Storage provider {provider!r}: 'configuration' is missing {', '.join(map(repr, missing))}"
        )
    unknown = sorted(set(configuration) - set(params))
    if unknown:
        warnings.warn(
            f'Storage provider {provider!r} ignores unknown configuration keys: {", ".join(map(repr, unknown))} '
            f'(accepted: {", ".join(params)})',
            UserWarning,
            stacklevel=4,
        )
    return {key: value for key, value in configuration.items() if key in params}


def get_storage(connection_param: Mapping[str, Any] | StorageProtocol) -> Any:
    """Build a storage from ``{'provider': name, 'configuration': {...}}``.

    An object that already is a storage is returned unchanged, so helpers can take either.
    """
    if isinstance(connection_param, StorageProtocol) or (
        not isinstance(connection_param, Mapping) and callable(getattr(connection_param, 'upload', None))
    ):
        return connection_param
    if isinstance(connection_param, str):
        raise StorageConfigError(
            'get_storage() takes a dict {"provider": ..., "configuration": {...}}; URL strings were removed in v2'
        )
    if not isinstance(connection_param, Mapping):
        raise StorageConfigError(f'get_storage() takes a dict, got {type(connection_param).__name__}')
    if 'provider' not in connection_param:
        raise StorageConfigError("Storage config has no 'provider' key")
    provider = connection_param['provider']
    configuration = connection_param.get('configuration') or {}
    if not isinstance(configuration, Mapping):
        raise StorageConfigError(
            f"Storage config 'configuration' must be a dict, got {type(configuration).__name__}"
        )
    extra = sorted(set(connection_param) - {'provider', 'configuration'})
    if extra:
        warnings.warn(
            f'Storage config ignores unknown keys: {", ".join(map(repr, extra))}', UserWarning, stacklevel=2
        )
    factory = resolve_provider(provider)
    return factory(**_check_configuration(provider, factory, configuration))


__all__ = [
    'PROVIDER_ALIASES',
    'get_registered_providers',
    'get_storage',
    'register_provider',
    'resolve_provider',
]
