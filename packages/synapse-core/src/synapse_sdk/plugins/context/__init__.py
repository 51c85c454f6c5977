"""`RuntimeContext`: everything an action may use at run time, injected by the executor.

Executors never construct it by hand: they call
`synapse_sdk.plugins.execution.build_runtime_context`, so every execution path wires the same
logger, environment, clients and language.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from synapse_sdk.loggers.base import BaseLogger
from synapse_sdk.plugins._warnings import warn_user
from synapse_sdk.plugins.context.env import PluginEnvironment
from synapse_sdk.plugins.models.logger import LogLevel
from synapse_sdk.plugins.protocols import BackendClientProtocol, BackendV2ClientProtocol

if TYPE_CHECKING:
    from synapse_sdk.i18n import LocalizedMessage

__all__ = ['PluginEnvironment', 'RuntimeContext']

_MESSAGE_LEVELS = ('info', 'warning', 'success', 'danger')
_UNSET: Any = object()


@dataclass
class RuntimeContext:
    """Dependencies of one action run.

    `client` (v1 `BackendClient`), `v2_client` (`BackendV2Client`) and `agent_client` are None
    when no credentials are configured (a plain local run); guard with ``if ctx.client:``. The first two
    are typed with the Protocols of what core calls (`synapse_sdk.plugins.protocols`); narrow with
    ``isinstance(ctx.client, BackendClient)`` to use the rest of a client with a type checker.
    `checkpoint` describes pretrained weights (``{'category': 'base' | <model name>, 'path': ...}``).
    `language` is the run's language for user-facing messages (None: ``SYNAPSE_LANGUAGE``, then en).
    """

    logger: BaseLogger
    env: PluginEnvironment = field(default_factory=PluginEnvironment)
    job_id: str | None = None
    # Typed with what core calls (synapse_sdk.plugins.protocols); the values are the real clients.
    client: BackendClientProtocol | None = None  # BackendClient (synapse-clients), v1
    v2_client: BackendV2ClientProtocol | None = None  # BackendV2Client (synapse-clients), v2
    agent_client: Any | None = None  # AgentClient (synapse-clients); core calls nothing on it
    checkpoint: dict[str, Any] | None = None
    language: str | None = None
    _ended: bool = field(default=False, init=False, repr=False, compare=False)

    # -- progress and metrics -----------------------------------------------------------------
    def set_progress(self, current: float, total: float, step: str | None = None) -> None:
        """Progress of the current operation; ``current > total`` is clamped with a warning."""
        self.logger.set_progress(current, total, step=step)

    def set_metrics(self, value: Mapping[str, Any], step: str | None = None) -> None:
        """Merge metric values for `step` (default: the logger's current step, else ``'default'``)."""
        self.logger.set_metrics(value, step=step)

    # -- logging ------------------------------------------------------------------------------
    def log(
        self,
        event: str,
        data: Mapping[str, Any] | None = None,
        file: str | None = None,
        *,
        level: LogLevel | str = LogLevel.INFO,
        step: str | None = None,
    ) -> None:
        """A structured event, e.g. ``ctx.log('checkpoint_saved', {'epoch': 5})``."""
        self.logger.log(level, event, data or {}, file=file, step=step)

    def resolve_language(self, language: str | None = None) -> str:
        """The language a message would use: `language` > ``self.language`` > SYNAPSE_LANGUAGE > en."""
        from synapse_sdk.i18n import resolve_language

        return resolve_language(language, self.language, self.env)

    def log_message(
        self,
        message: str | Mapping[str, str] | LocalizedMessage | Any = _UNSET,
        /,
        context: LogLevel | str | None = None,
        *,
        level: LogLevel | str | None = None,
        language: str | None = None,
        step: str | None = None,
        **kwargs: Any,
    ) -> str:
        """A user-facing message; returns the text that was logged.

        `message` may be a plain str, a ``{lang: text}`` dict, a `LocalizedMessage`, or a message
        code (`LogMessageCode` or any str-enum with a `level`) whose text comes from the catalogue.
        `kwargs` fill ``{placeholders}``. For ``LogMessageCode.CUSTOM_MESSAGE`` pass the content
        as ``message=`` (str, dict or `LocalizedMessage`).

        The level is `level` or `context` (``'info'``, ``'warning'``, ``'success'``, ``'danger'``),
        else the code's default level, else info.
        """
        from enum import Enum

        from synapse_sdk.i18n import render, translate

        if message is _UNSET:
            if 'message' not in kwargs:
                raise TypeError('log_message() needs a message')
            message = kwargs.pop('message')
        lang = self.resolve_language(language)
        chosen = level if level is not None else context
        key: str | None = None
        if isinstance(message, Enum):
            key = str(message.value)
            default_level = getattr(message, 'level', LogLevel.INFO)
            if key == 'custom_message':
                if 'message' not in kwargs:
                    raise TypeError('log_message(CUSTOM_MESSAGE) needs the content as message=...')
                content = kwargs.pop('message')
                text = render(content, lang, **kwargs)
            else:
                text = translate(key, lang, **kwargs)
            chosen = chosen if chosen is not None else default_level
        else:
            text = render(message, lang, **kwargs)
        resolved = LogLevel.coerce(chosen if chosen is not None else LogLevel.INFO)
        if resolved.value not in _MESSAGE_LEVELS and resolved is not LogLevel.ERROR:
            warn_user(f'log_message level {resolved.value!r} is not one of {_MESSAGE_LEVELS}', RuntimeWarning)
        self.logger.message(text, resolved, key=key, step=step)
        return text

    def log_dev_event(self, message: str, data: Mapping[str, Any] | None = None) -> None:
        """A developer event (debug level): kept in file logs and the backend, hidden from users."""
        self.logger.log(LogLevel.DEBUG, 'dev_event', {'message': message, **dict(data or {})})

    def end_log(self) -> None:
        """Mark the run complete: logs the completion message once and flushes the logger.

        Executors call it after a successful run if the action did not; calling it again is a no-op.
        """
        if self._ended:
            return
        self._ended = True
        from synapse_sdk.plugins.log_messages import LogMessageCode

        self.log_message(LogMessageCode.PLUGIN_RUN_COMPLETE)
        self.logger.flush()
