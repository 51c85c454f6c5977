"""Synapse plugin runtime: define actions, discover them, run them anywhere.

::

    from synapse_sdk.plugins import action, BaseAction, RuntimeContext

Names are imported lazily on first use, so ``import synapse_sdk.plugins`` stays cheap (no
pydantic model building, and never numpy/requests/ray).
"""

# `synapse_sdk.plugins` is owned by synapse-core, but other distributions (synapse-executors-ray)
# add subpackages below it. Extending __path__ lets those portions be found when each distribution
# lives in its own directory on sys.path (editable installs), not only when they share site-packages.
from pkgutil import extend_path
from typing import TYPE_CHECKING

__path__ = extend_path(__path__, __name__)

_LAZY = {
    'BaseAction': 'synapse_sdk.plugins.action',
    'NoResult': 'synapse_sdk.plugins.action',
    # `action` is the module synapse_sdk.plugins.action, which is callable as the @action decorator.
    'action': 'synapse_sdk.plugins.action',
    'RuntimeContext': 'synapse_sdk.plugins.context',
    'PluginEnvironment': 'synapse_sdk.plugins.context.env',
    'PluginCategory': 'synapse_sdk.plugins.enums',
    'RunMethod': 'synapse_sdk.plugins.enums',
    'ExecutionMode': 'synapse_sdk.plugins.enums',
    'PluginDiscovery': 'synapse_sdk.plugins.discovery',
    'PluginConfig': 'synapse_sdk.plugins.config',
    'ActionConfig': 'synapse_sdk.plugins.config',
    'run_plugin': 'synapse_sdk.plugins.runner',
    'LogMessageCode': 'synapse_sdk.plugins.log_messages',
    'LogLevel': 'synapse_sdk.plugins.models.logger',
    'PluginError': 'synapse_sdk.plugins.errors',
    'ParamsValidationError': 'synapse_sdk.plugins.errors',
    'ActionNotFoundError': 'synapse_sdk.plugins.errors',
    'ActionExecutionError': 'synapse_sdk.plugins.errors',
    'ConfigError': 'synapse_sdk.plugins.errors',
    'ExecutionError': 'synapse_sdk.plugins.errors',
    # Category bases live in synapse_sdk.plugins.actions.* (a separate module family).
    'BaseTrainAction': 'synapse_sdk.plugins.actions.train',
    'BaseExportAction': 'synapse_sdk.plugins.actions.export',
    'BaseUploadAction': 'synapse_sdk.plugins.actions.upload',
    'ToTaskAction': 'synapse_sdk.plugins.actions.to_task',
    'BaseInferenceAction': 'synapse_sdk.plugins.actions.inference',
    'ActionPipeline': 'synapse_sdk.plugins.pipelines',
}

__all__ = sorted(_LAZY)


# For type checkers only: the same names, imported eagerly, so `from synapse_sdk.plugins import
# RuntimeContext` is typed (through `__getattr__` alone every name would be Any). `action` is typed as
# the decorator, which is what the package-level name is for; `X as X` marks each as exported.
# TYPE_CHECKING is deleted afterwards, so the module's names (and `dir()`) stay what they were.
if TYPE_CHECKING:
    from typing import Any

    from synapse_sdk.plugins.action import BaseAction as BaseAction
    from synapse_sdk.plugins.action import NoResult as NoResult
    from synapse_sdk.plugins.actions.export import BaseExportAction as BaseExportAction
    from synapse_sdk.plugins.actions.inference import BaseInferenceAction as BaseInferenceAction
    from synapse_sdk.plugins.actions.to_task import ToTaskAction as ToTaskAction
    from synapse_sdk.plugins.actions.train import BaseTrainAction as BaseTrainAction
    from synapse_sdk.plugins.actions.upload import BaseUploadAction as BaseUploadAction
    from synapse_sdk.plugins.config import ActionConfig as ActionConfig
    from synapse_sdk.plugins.config import PluginConfig as PluginConfig
    from synapse_sdk.plugins.context import RuntimeContext as RuntimeContext
    from synapse_sdk.plugins.context.env import PluginEnvironment as PluginEnvironment
    from synapse_sdk.plugins.decorators import action as action
    from synapse_sdk.plugins.discovery import PluginDiscovery as PluginDiscovery
    from synapse_sdk.plugins.enums import (
        ExecutionMode as ExecutionMode,
    )
    from synapse_sdk.plugins.enums import (
        PluginCategory as PluginCategory,
    )
    from synapse_sdk.plugins.enums import (
        RunMethod as RunMethod,
    )
    from synapse_sdk.plugins.errors import (
        ActionExecutionError as ActionExecutionError,
    )
    from synapse_sdk.plugins.errors import (
        ActionNotFoundError as ActionNotFoundError,
    )
    from synapse_sdk.plugins.errors import (
        ConfigError as ConfigError,
    )
    from synapse_sdk.plugins.errors import (
        ExecutionError as ExecutionError,
    )
    from synapse_sdk.plugins.errors import (
        ParamsValidationError as ParamsValidationError,
    )
    from synapse_sdk.plugins.errors import (
        PluginError as PluginError,
    )
    from synapse_sdk.plugins.log_messages import LogMessageCode as LogMessageCode
    from synapse_sdk.plugins.models.logger import LogLevel as LogLevel
    from synapse_sdk.plugins.pipelines import ActionPipeline as ActionPipeline
    from synapse_sdk.plugins.runner import run_plugin as run_plugin

del TYPE_CHECKING


def __getattr__(name: str) -> 'Any':
    module_name = _LAZY.get(name)
    if module_name is None:
        raise AttributeError(f'module {__name__!r} has no attribute {name!r}')
    import importlib

    module = importlib.import_module(module_name)
    value = module if name == 'action' else getattr(module, name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
