"""The console logger of ``synapse plugin run --mode local`` and ``--mode task``.

Why: the SDK logs "Plugin run is complete" / "Action x failed: ..." / "The parameters ... are invalid"
for every run, which is right for a backend job's log, but the CLI reports the same outcome itself
(a timing line, or one ``Error:`` paragraph that also says where the action failed). Printing both
shows each failure twice. This logger leaves those three messages out of the terminal; the log file
and the backend job still receive them.
"""

from __future__ import annotations

from synapse_sdk.loggers.console import ConsoleLogger
from synapse_sdk.plugins.log_messages import LogMessageCode
from synapse_sdk.plugins.models.logger import LogEntry

__all__ = ['CliConsoleLogger']

# What `synapse plugin run` reports itself, in its own words.
_REPORTED_BY_THE_CLI = frozenset(
    code.value
    for code in (
        LogMessageCode.PLUGIN_RUN_COMPLETE,
        LogMessageCode.PLUGIN_RUN_FAILED,
        LogMessageCode.PARAMS_INVALID,
    )
)


class CliConsoleLogger(ConsoleLogger):
    """A `ConsoleLogger` without the run outcome messages the CLI prints in its own words."""

    def _emit(self, entry: LogEntry) -> None:
        if entry.event == 'message' and entry.data.get('key') in _REPORTED_BY_THE_CLI:
            return
        super()._emit(entry)
