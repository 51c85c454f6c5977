"""`LocalExecutor`: run an action in the current process."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TextIO

from synapse_sdk.plugins.context.env import PluginEnvironment
from synapse_sdk.plugins.execution import AUTO, execute_action

if TYPE_CHECKING:
    from synapse_sdk.loggers.base import BaseLogger

__all__ = ['LocalExecutor']


class LocalExecutor:
    """Runs actions in this process: the development loop, tests and ``run_plugin(mode='local')``.

    Each `execute` call builds a fresh `RuntimeContext` (through the shared
    `build_runtime_context`), so clients are created from the environment at call time, and
    closes its logger when the action returns.

    Args:
        env: ``ctx.env`` values (default: this process's ``os.environ``).
        language: Language of user-facing messages (``'en'``, ``'ko'``).
        job_id: Backend job id; with credentials, logs, progress and status go to that job.
        log_file: Also write a JSON-lines log of the run here.
        console: False to silence the console; or a stream to write to, or a logger to use as the console.
        checkpoint: Pretrained-weights info for ``ctx.checkpoint``.
        client, v2_client, agent_client: Override the clients (default: from ``synapse_sdk.utils.auth``).
        strict_params: Unknown params keys are an error, not a warning (None: ``SYNAPSE_STRICT_PARAMS``;
            see `synapse_sdk.plugins.params_check`).
    """

    def __init__(
        self,
        env: PluginEnvironment | Mapping[str, Any] | None = None,
        language: str | None = None,
        job_id: str | None = None,
        *,
        log_file: str | os.PathLike[str] | None = None,
        console: bool | TextIO | BaseLogger = True,
        checkpoint: Mapping[str, Any] | None = None,
        client: Any = AUTO,
        v2_client: Any = AUTO,
        agent_client: Any = AUTO,
        strict_params: bool | None = None,
    ):
        self.strict_params = strict_params
        self.env = env
        self.language = language
        self.job_id = job_id
        self.log_file = log_file
        self.console = console
        self.checkpoint = checkpoint
        self._clients = {'client': client, 'v2_client': v2_client, 'agent_client': agent_client}

    def execute(self, action: Any, params: Any = None, *, name: str | None = None) -> Any:
        """Run `action` (a `BaseAction` subclass, an `@action` function, or an entrypoint string)
        with `params` and return its JSON-compatible result.

        Raises `ParamsValidationError` for bad params and `ActionExecutionError` (with the original
        exception as ``__cause__``) when the action fails.
        """
        if isinstance(action, str):
            from synapse_sdk.plugins.loading import load_entrypoint

            action = load_entrypoint(action)
        return execute_action(
            action,
            params,
            name=name,
            strict_params=self.strict_params,
            env=self.env,
            job_id=self.job_id,
            language=self.language,
            checkpoint=self.checkpoint,
            log_file=self.log_file,
            console=self.console,
            **self._clients,
        )
