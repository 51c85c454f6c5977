"""Execution modes beyond ``local``, found through the ``synapse_sdk.executors`` entry-point group.

`run_plugin(..., mode=NAME)` runs ``local`` itself; every other mode is an entry point named NAME in
the group ``synapse_sdk.executors``, declared by the distribution that provides it (as OpenTelemetry
finds its exporters), so a new executor is a new distribution, not an edit of core::

    # pyproject.toml of the providing distribution
    [project.entry-points.'synapse_sdk.executors']
    task = 'synapse_sdk.plugins.executors.ray.modes:run_task'

The entry point loads a `ModeExecutor`: a callable taking the `ResolvedAction`, the params and the
executor keyword arguments given to `run_plugin`, and returning what `run_plugin` returns in that mode.

Entry points are read only when a non-local mode is asked for, so importing core (and running locally)
never scans the installed distributions. A mode this SDK documents (``task``, ``job``) whose
distribution is missing is an `ImportError` that says what to install; any other unknown mode is an
`InvalidModeError` listing the modes there are.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

from synapse_sdk.plugins.errors import ExecutionError, InvalidModeError

if TYPE_CHECKING:
    from importlib.metadata import EntryPoint

    from synapse_sdk.plugins.runner import ResolvedAction

__all__ = [
    'ENTRY_POINT_GROUP',
    'KNOWN_MODES',
    'LOCAL_MODE',
    'ModeExecutor',
    'available_modes',
    'load_mode_executor',
]

#: The entry-point group executors register in; the entry point's name is the mode's name.
ENTRY_POINT_GROUP = 'synapse_sdk.executors'

#: The mode core runs itself; an entry point of that name is ignored.
LOCAL_MODE = 'local'

#: Modes provided by distributions of this SDK: ``{mode: (distribution, how to install it)}``.
KNOWN_MODES: dict[str, tuple[str, str]] = {
    'task': (
        'synapse-executors-ray',
        'pip install synapse-executors-ray  (or: pip install "synapse-sdk[ray]")',
    ),
    'job': (
        'synapse-executors-ray',
        'pip install synapse-executors-ray  (or: pip install "synapse-sdk[ray]")',
    ),
}


class ModeExecutor(Protocol):
    """What an entry point of ``synapse_sdk.executors`` loads.

    Called by `run_plugin` as ``executor(resolved, params, **executor_kwargs)``: `resolved` says where the
    action comes from (``resolved.source`` is ``'path'``, ``'module'`` or ``'object'``; ``entrypoint``,
    ``plugin_dir``, ``load()`` for the action object), `params` are the params as given (validated by the
    executor, in the place it runs the action), `executor_kwargs` the extra keyword arguments of
    `run_plugin`. Its return value is `run_plugin`'s.
    """

    def __call__(
        self, resolved: ResolvedAction, params: dict[str, Any] | None, /, **executor_kwargs: Any
    ) -> Any: ...


def _entry_points() -> list[EntryPoint]:
    from importlib.metadata import entry_points

    return [ep for ep in entry_points(group=ENTRY_POINT_GROUP) if ep.name != LOCAL_MODE]


def available_modes() -> list[str]:
    """``local``, the modes this SDK documents (installed or not), then every other registered mode."""
    modes = [LOCAL_MODE, *KNOWN_MODES]
    modes += sorted({ep.name for ep in _entry_points()} - set(modes))
    return modes


def _installed_version(distribution: str) -> str | None:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(distribution)
    except PackageNotFoundError:
        return None


def _provider(ep: EntryPoint) -> str:
    dist = getattr(ep, 'dist', None)
    if dist is None:
        return 'an unknown distribution'
    return f'{dist.name} {dist.version}'


def load_mode_executor(mode: str) -> ModeExecutor:
    """The executor registered for `mode` (not ``local``: `run_plugin` runs that itself).

    Raises:
        InvalidModeError: no distribution registers `mode` and this SDK does not document it.
        ImportError: a documented mode whose distribution is not installed (the message says what to
            install), or an entry point that fails to load (naming its distribution).
        ExecutionError: two installed distributions register the same mode.
    """
    found = {ep.value: ep for ep in _entry_points() if ep.name == mode}
    if len(found) > 1:
        providers = ', '.join(sorted(f'{_provider(ep)} ({ep.value})' for ep in found.values()))
        raise ExecutionError(
            f'Execution mode {mode!r} is registered by more than one installed distribution: {providers}. '
            'Uninstall all but one of them.'
        )
    if not found:
        known = KNOWN_MODES.get(mode)
        if known is not None:
            distribution, install = known
            installed = _installed_version(distribution)
            if installed is None:
                raise ImportError(
                    f'Mode {mode!r} needs the {distribution} distribution, which is not installed: {install}'
                )
            raise ImportError(
                f'Mode {mode!r} needs the {mode!r} executor of {distribution}, but the installed '
                f'{distribution} {installed} does not register it (in the {ENTRY_POINT_GROUP!r} entry-point '
                f'group); reinstall or upgrade it: {install}'
            )
        valid = ', '.join(repr(m) for m in available_modes())
        raise InvalidModeError(f'Unknown execution mode {mode!r}; expected one of: {valid}')
    (ep,) = found.values()
    try:
        executor: ModeExecutor = ep.load()  # checked to be callable below; its signature is the contract
    except ImportError as exc:
        install = KNOWN_MODES.get(mode, (None, f'reinstall {_provider(ep).split()[0]}'))[1]
        raise ImportError(
            f'Mode {mode!r} is registered by {_provider(ep)} ({ep.value}), which cannot be imported '
            f'({type(exc).__name__}: {exc}): {install}'
        ) from exc
    if not callable(executor):
        raise TypeError(
            f'The {mode!r} executor registered by {_provider(ep)} ({ep.value}) is not callable '
            f'(a {type(executor).__name__})'
        )
    return executor
