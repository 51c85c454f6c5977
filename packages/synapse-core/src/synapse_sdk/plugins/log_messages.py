"""Codes of the messages the SDK itself shows to users, each with a default level.

Pass a code to `RuntimeContext.log_message` to emit the catalogue text in the run's language::

    ctx.log_message(LogMessageCode.PLUGIN_RUN_COMPLETE)
    ctx.log_message(LogMessageCode.CUSTOM_MESSAGE, message={'en': 'Done', 'ko': '완료'}, level=LogLevel.INFO)

Category modules define their own codes the same way (a `StrEnum` whose values are catalogue
keys, plus a `level` property) and register their texts with `synapse_sdk.i18n.register_messages`.
"""

from __future__ import annotations

from enum import StrEnum

from synapse_sdk.plugins.models.logger import LogLevel

__all__ = ['LogMessageCode']


class LogMessageCode(StrEnum):
    """SDK message codes; the value is the catalogue key."""

    CUSTOM_MESSAGE = 'custom_message'
    PLUGIN_RUN_COMPLETE = 'plugin_run_complete'
    PLUGIN_RUN_FAILED = 'plugin_run_failed'
    PARAMS_INVALID = 'params_invalid'

    @property
    def level(self) -> LogLevel:
        """The level used when `log_message` is not given one."""
        return _LEVELS.get(self, LogLevel.INFO)


_LEVELS = {
    LogMessageCode.PLUGIN_RUN_COMPLETE: LogLevel.SUCCESS,
    LogMessageCode.PLUGIN_RUN_FAILED: LogLevel.DANGER,
    LogMessageCode.PARAMS_INVALID: LogLevel.DANGER,
}
