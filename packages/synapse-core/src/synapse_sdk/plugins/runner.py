"""`run_plugin`: find an action and run it locally, or in a mode another distribution registers.

``local`` is built in. Every other mode (``task`` and ``job`` from synapse-executors-ray, or a mode of
your own) is an entry point of the ``synapse_sdk.executors`` group, read only when that mode is asked
for (see `synapse_sdk.plugins.executors.registry`).

Also a command line for running a plugin without any backend or cluster::

    python -m synapse_sdk.plugins.runner examples/hello_plugin greet --params '{"name": "Ada"}'

which prints the JSON result on stdout (logs go to stderr).
"""

from __future__ import annotations

import importlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from synapse_sdk.plugins.enums import ExecutionMode
from synapse_sdk.plugins.errors import InvalidModeError, PluginNotFoundError

__all__ = ['ResolvedAction', 'resolve_plugin_action', 'run_plugin']


@dataclass
class ResolvedAction:
    """Where an action comes from. `target` is None until loaded (job mode never loads it locally).

    `source` is ``'path'`` (a plugin directory or config.yaml, read with `PluginDiscovery.from_path`),
    ``'module'`` (an importable module, scanned) or ``'object'`` (the `action_cls` given to
    `run_plugin`; `entrypoint` is None when it is defined in ``__main__``).
    """

    name: str
    entrypoint: str | None
    plugin_dir: Path | None
    target: Any = None
    discovery: Any = None
    source: str = 'path'
    #: ``run_plugin(strict_params=...)``: unknown params keys are an error (True), a warning (False), or as
    #: ``SYNAPSE_STRICT_PARAMS`` says where the action runs (None). A mode executor hands it to that process.
    strict_params: bool | None = None

    def load(self) -> Any:
        if self.target is None:
            self.target = self.discovery.get_action_class(self.name)
        return self.target


def _looks_like_path(plugin_code: str) -> Path | None:
    p = Path(plugin_code)
    if p.is_file() and p.suffix in ('.yaml', '.yml'):
        return p
    if p.is_dir() and (p / 'config.yaml').is_file():
        return p
    return None


def resolve_plugin_action(
    plugin_code: str | os.PathLike[str], action: str, action_cls: Any = None
) -> ResolvedAction:
    """Resolve `plugin_code` and `action` without running anything.

    - With `action_cls` (a `BaseAction` subclass or `@action` function), it is used directly.
    - A directory containing config.yaml, or a ``.yaml`` file, is read with `PluginDiscovery.from_path`;
      the action is not imported yet.
    - Otherwise `plugin_code` is imported as a module (``'plugins.yolov8'``) and scanned with
      `PluginDiscovery.from_module`. (A same-named directory without config.yaml does not shadow
      an importable module.)

    Raises `ActionNotFoundError` (listing the available actions) or `PluginNotFoundError`.
    """
    from synapse_sdk.plugins.definition import resolve_action
    from synapse_sdk.plugins.discovery import PluginDiscovery

    if action_cls is not None:
        definition = resolve_action(action_cls, action)
        entrypoint = (
            definition.entrypoint if getattr(action_cls, '__module__', '__main__') != '__main__' else None
        )
        return ResolvedAction(action, entrypoint, None, target=action_cls, source='object')

    path = _looks_like_path(str(plugin_code))
    if path is not None:
        discovery = PluginDiscovery.from_path(path)
        entrypoint = discovery.get_action_entrypoint(action)  # raises ActionNotFoundError
        return ResolvedAction(action, entrypoint, discovery.plugin_dir, discovery=discovery)

    module_name = str(plugin_code)
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        if exc.name and not module_name.startswith(exc.name):
            raise  # the module exists but one of *its* imports failed: show that error as is
        raise PluginNotFoundError(
            f'Cannot find plugin {module_name!r}: it is neither a directory containing config.yaml, '
            f'a config .yaml file, nor an importable module ({exc})'
        ) from exc
    discovery = PluginDiscovery.from_module(module)
    entrypoint = discovery.get_action_entrypoint(action)
    return ResolvedAction(
        action,
        entrypoint,
        None,
        target=discovery.get_action_class(action),
        discovery=discovery,
        source='module',
    )


def run_plugin(
    plugin_code: str | os.PathLike[str],
    action: str,
    params: dict[str, Any] | None = None,
    mode: ExecutionMode | str = ExecutionMode.LOCAL,
    action_cls: Any = None,
    *,
    strict_params: bool | None = None,
    **executor_kwargs: Any,
) -> Any:
    """Run `action` of a plugin and return its result (local, task) or a job id (job).

    Params keys the action does not know are reported with a did-you-mean: an `UnknownParamsWarning` by
    default, a `ParamsValidationError` with ``strict_params=True`` (None: ``SYNAPSE_STRICT_PARAMS``; see
    `synapse_sdk.plugins.params_check`). The action runs under the name `action`: a class action without its
    own `action_name` sees it as ``self.action_name``. Both travel to other modes on the `ResolvedAction`
    (``name``, ``strict_params``); the Ray modes pass them to the worker.

    `plugin_code` is a plugin directory / config.yaml path or an importable module path; see
    `resolve_plugin_action`. `action_cls` skips discovery.

    Modes:
        ``'local'``: ``LocalExecutor(**executor_kwargs).execute(action_obj, params, name=action)``;
            accepted kwargs: ``env``, ``language``, ``job_id``, ``log_file``, ``console``,
            ``checkpoint``, ``client``, ``v2_client``, ``agent_client``. The ``env:`` of a
            discovered config.yaml provides defaults under ``env`` (or the process environment).
        any other: the executor registered under that name in the ``synapse_sdk.executors``
            entry-point group, called as ``executor(resolved_action, params, **executor_kwargs)``;
            what it returns is returned. synapse-executors-ray registers:

            ``'task'``: ``RayActorExecutor(**executor_kwargs).execute(target, params)``; returns its
            result. `target` is the entrypoint string (``'pkg.module:Name'``) when discovered from
            a path or module, else the `action_cls` object. ``working_dir`` defaults to the plugin
            directory (path discovery). ``ray_address`` and ``language`` are passed only if given.
            ``'job'``: ``RayJobsApiExecutor(**executor_kwargs).submit(entrypoint, params, job_id=job_id)``;
            returns the job id. `entrypoint` is always a string (derived from `action_cls` if given;
            a class defined in ``__main__`` cannot be submitted). ``job_id`` is popped from
            `executor_kwargs`; ``working_dir`` defaults to the plugin directory.

    Raises:
        InvalidModeError: `mode` is neither local, a mode of this SDK (task, job), nor registered.
        ImportError: task/job mode without synapse-executors-ray installed (says what to install).
        ActionNotFoundError, PluginNotFoundError, ConfigError: the action cannot be found.
        ParamsValidationError, ActionExecutionError: from running it.
    """
    if not isinstance(mode, str) or mode.lower() != ExecutionMode.LOCAL:
        from synapse_sdk.plugins.executors.registry import available_modes, load_mode_executor

        if not isinstance(mode, str):
            valid = ', '.join(repr(m) for m in available_modes())
            raise InvalidModeError(f'Unknown execution mode {mode!r}; expected one of: {valid}')
        mode_executor = load_mode_executor(mode.lower())  # before discovery: a missing mode fails first
        resolved = resolve_plugin_action(plugin_code, action, action_cls)
        resolved.strict_params = strict_params
        return mode_executor(resolved, params, **executor_kwargs)

    resolved = resolve_plugin_action(plugin_code, action, action_cls)
    from synapse_sdk.plugins.executors.local import LocalExecutor

    config_env = resolved.discovery.config.env if resolved.discovery is not None else None
    if config_env:
        executor_kwargs['env'] = _with_config_env(config_env, executor_kwargs.get('env'))
    executor = LocalExecutor(**executor_kwargs, strict_params=strict_params)
    return executor.execute(resolved.load(), params, name=action)


def _with_config_env(config_env: dict[str, Any], env: Any) -> Any:
    """config.yaml's ``env`` as defaults under the given env (or the process environment)."""
    from synapse_sdk.plugins.context.env import PluginEnvironment

    defaults = PluginEnvironment({k: v if isinstance(v, str) else str(v) for k, v in config_env.items()})
    return defaults.merge(PluginEnvironment.from_environ() if env is None else env)


def main(argv: list[str] | None = None) -> int:
    """Command line: ``python -m synapse_sdk.plugins.runner PLUGIN ACTION [--params JSON] ...``."""
    from synapse_sdk.plugins._cli import run_cli

    return run_cli(argv)


if __name__ == '__main__':
    raise SystemExit(main())
