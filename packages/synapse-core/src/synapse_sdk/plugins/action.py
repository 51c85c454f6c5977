"""`BaseAction[P]`: class-based actions with typed, validated params.

::

    class TrainAction(BaseAction[TrainParams]):
        action_name = 'train'
        result_model = TrainResult

        def execute(self):
            self.set_progress(1, 2, step='train')
            return TrainResult(...)

`params_model` is taken from the type argument (``BaseAction[TrainParams]``), also through
category bases (``class MyTrain(BaseTrainAction[TrainParams])``), unless the class sets it.
Executors validate the params, build the action with ``(params, ctx)`` and call `run()`, which
calls `execute()`. Category bases override `run()` to orchestrate steps around `execute()`.
A class that defines `run(self)` and no `execute` is accepted too: `run` then *is* the action
(the form used by older plugins), and `execute` becomes an alias for it.
"""

from __future__ import annotations

import sys
import types
import typing
from abc import ABC, abstractmethod
from typing import TYPE_CHECKING, Any, ClassVar, Generic, TypeVar

from pydantic import BaseModel

from synapse_sdk.plugins._naming import snake_case

if TYPE_CHECKING:
    from synapse_sdk.loggers.base import BaseLogger
    from synapse_sdk.plugins.context import RuntimeContext
    from synapse_sdk.plugins.enums import PluginCategory, RunMethod
    from synapse_sdk.plugins.protocols import BackendClientProtocol, BackendV2ClientProtocol
    from synapse_sdk.plugins.types import DataType

__all__ = ['BaseAction', 'NoResult', 'default_action_name']

P = TypeVar('P', bound=BaseModel)


class NoResult:
    """Sentinel `result_model`: the result is not validated."""


def default_action_name(class_name: str) -> str:
    """``TrainAction`` -> ``train``, ``ToTaskAction`` -> ``to_task``, ``Greet`` -> ``greet``."""
    base = (
        class_name[: -len('Action')]
        if class_name.endswith('Action') and class_name != 'Action'
        else class_name
    )
    return snake_case(base)


def _params_model_from_generic(cls: type) -> type[BaseModel] | None:
    for base in getattr(cls, '__orig_bases__', ()):
        origin = typing.get_origin(base)
        if not (isinstance(origin, type) and issubclass(origin, BaseAction)):
            continue
        for arg in typing.get_args(base):
            if isinstance(arg, type) and issubclass(arg, BaseModel):
                return arg
    return None


class BaseAction(ABC, Generic[P]):
    """Base class of class-based actions. See the module docstring."""

    #: Name used to invoke the action; None means the config.yaml key or a name derived from the class.
    action_name: ClassVar[str | None] = None
    description: ClassVar[str] = ''
    category: ClassVar[PluginCategory | None] = None
    #: Optional override of config.yaml's ``method`` when discovered from a module.
    method: ClassVar[RunMethod | None] = None
    input_type: ClassVar[type[DataType] | None] = None
    output_type: ClassVar[type[DataType] | None] = None
    params_model: ClassVar[type[BaseModel] | None] = None
    result_model: ClassVar[type[BaseModel] | type[NoResult]] = NoResult
    #: True when running the action twice does no harm (idempotent, or it checks what is already
    #: done). Executors that can lose a call mid-way (a Ray actor killed, a node lost) re-run only
    #: retry-safe actions; the others fail with a clear error instead of running twice.
    retry_safe: ClassVar[bool] = False

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if 'params_model' not in cls.__dict__:
            found = _params_model_from_generic(cls)
            if found is not None:
                cls.params_model = found
        # Older plugins define run() only: make execute() an alias so the class is concrete. A run()
        # that itself calls execute() is a wrapper (a category base orchestrating steps), not the
        # action, and is left alone.
        run = cls.__dict__.get('run')
        if (
            run is not None
            and 'execute' not in cls.__dict__
            and getattr(getattr(cls, 'execute', None), '__isabstractmethod__', False)
            and 'execute' not in getattr(getattr(run, '__code__', None), 'co_names', ())
        ):
            cls.execute = run  # type: ignore[method-assign]  # a class without execute() gets run() as its execute (see __init_subclass__)

    def __init__(self, params: P, ctx: RuntimeContext) -> None:
        self.params = params
        self.ctx = ctx

    @abstractmethod
    def execute(self) -> Any:
        """The action's work. Return a dict, a pydantic model, or any JSON-compatible value."""

    def run(self) -> Any:
        """Entry point called by executors; runs `execute()`. Category bases wrap steps around it."""
        return self.execute()

    # -- shortcuts to the context -------------------------------------------------------------
    @property
    def logger(self) -> BaseLogger:
        return self.ctx.logger

    @property
    def client(self) -> BackendClientProtocol | None:
        """The v1 backend client, or None without credentials."""
        return self.ctx.client

    @property
    def v2_client(self) -> BackendV2ClientProtocol | None:
        """The v2 backend client, or None without credentials."""
        return self.ctx.v2_client

    @property
    def agent_client(self) -> Any | None:
        return self.ctx.agent_client

    def log(self, event: str, data: dict[str, Any] | None = None, file: str | None = None) -> None:
        self.ctx.log(event, data or {}, file)

    def set_progress(self, current: float, total: float, step: str | None = None) -> None:
        self.ctx.set_progress(current, total, step)

    def set_metrics(self, value: dict[str, Any], step: str | None = None) -> None:
        self.ctx.set_metrics(value, step)

    def log_message(self, message: Any, context: Any = None, **kwargs: Any) -> str:
        return self.ctx.log_message(message, context, **kwargs)

    def log_dev_event(self, message: str, data: dict[str, Any] | None = None) -> None:
        self.ctx.log_dev_event(message, data)


class _ActionModule(types.ModuleType):
    """Makes this module callable as the `@action` decorator.

    Two documented imports collide: ``synapse_sdk.plugins.action`` is this module (home of
    `BaseAction`), and ``from synapse_sdk.plugins import action`` is the decorator. Python binds
    the package attribute ``action`` to this module as soon as it is imported, so instead of
    fighting that, the module itself forwards calls to `synapse_sdk.plugins.decorators.action`.
    Both ``@action`` and ``@action(name=..., params=...)`` therefore work whichever import is used.
    """

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        from synapse_sdk.plugins.decorators import action as _action

        return _action(*args, **kwargs)


sys.modules[__name__].__class__ = _ActionModule
