"""The one place where a `RuntimeContext` is built and an action is run.

Every executor (local, Ray task, Ray job, Ray pipeline, the subprocess entrypoint) uses these
functions, so the execution paths cannot drift apart:

- `build_runtime_context(...)` wires env, logger(s), backend clients, job id and language.
- `run_action(action, params, ctx)` validates params, runs a class or function action, checks the
  result against `result_model` (warning only), reports the job status and returns a
  JSON-compatible result.
- `execute_action(action, params, **context_kwargs)` does both and closes the logger: what a
  worker process calls.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any, TextIO

from synapse_sdk.loggers.base import BaseLogger, CompositeLogger, to_plain
from synapse_sdk.plugins._warnings import warn_user
from synapse_sdk.plugins.context import RuntimeContext
from synapse_sdk.plugins.context.env import PluginEnvironment
from synapse_sdk.plugins.definition import ActionDefinition, resolve_action
from synapse_sdk.plugins.errors import ActionExecutionError, ExecutionError, ParamsValidationError
from synapse_sdk.plugins.models.status import RunStatus
from synapse_sdk.plugins.params_check import UnknownParam
from synapse_sdk.security.redaction import redact_url, scrub, scrub_exception, secret_values

__all__ = [
    'AUTO',
    'ResultValidationWarning',
    'build_runtime_context',
    'create_backend_clients',
    'execute_action',
    'instantiate',
    'report_unknown_params',
    'run_action',
    'to_jsonable',
    'validate_params',
]


class _Auto:
    def __repr__(self) -> str:
        return 'AUTO'


#: Default for client arguments: create the client through ``synapse_sdk.utils.auth``.
AUTO: Any = _Auto()


class ResultValidationWarning(UserWarning):
    """An action's result does not match its `result_model` (developer warning; the run continues)."""


def create_backend_clients(
    which: tuple[str, ...] = ('client', 'v2_client', 'agent_client'),
) -> tuple[Any, Any, Any]:
    """``(client, v2_client, agent_client)`` from ``synapse_sdk.utils.auth``'s factories.

    The factories (``create_backend_client``, ``create_backend_v2_client``, ``create_agent_client``)
    are looked up on the module at call time, so tests can monkeypatch them. Each client is None when
    synapse-clients is not installed, when the factory does not exist, when it finds no credentials
    (returns None), or when it is not in `which`.
    """
    try:
        import synapse_sdk.utils.auth as auth
    except ImportError:
        return None, None, None

    def make(field: str, factory_name: str) -> Any:
        if field not in which:
            return None
        factory = getattr(auth, factory_name, None)
        return factory() if callable(factory) else None

    return (
        make('client', 'create_backend_client'),
        make('v2_client', 'create_backend_v2_client'),
        make('agent_client', 'create_agent_client'),
    )


def build_runtime_context(
    *,
    env: PluginEnvironment | Mapping[str, Any] | None = None,
    job_id: str | None = None,
    language: str | None = None,
    checkpoint: Mapping[str, Any] | None = None,
    logger: BaseLogger | None = None,
    log_file: str | os.PathLike[str] | None = None,
    console: bool | TextIO | BaseLogger = True,
    client: Any = AUTO,
    v2_client: Any = AUTO,
    agent_client: Any = AUTO,
) -> RuntimeContext:
    """Build the `RuntimeContext` for one run. Every executor calls this (inside the worker process).

    Args:
        env: Values for ``ctx.env``. None takes the whole ``os.environ`` of the *calling process*
            (for Ray, the worker's env block). A mapping is used as given.
        job_id: Backend job id. With a v1 client, logs/progress/metrics/status go to that job.
        language: Language of user-facing messages (None: ``SYNAPSE_LANGUAGE``, then English).
        checkpoint: Pretrained-weights info (``{'category': ..., 'path': ...}``).
        logger: Use this logger as is. If None, one is assembled: a `ConsoleLogger` (unless
            ``console=False``; a stream may be given instead of True, or a logger to use as the
            console, e.g. a `ConsoleLogger` subclass that leaves out what a caller reports itself;
            debug entries shown when ``env.debug``), plus a `JsonLinesFileLogger` when `log_file` or ``SYNAPSE_LOG_FILE``
            (in env) is set, plus a `BackendJobLogger` when there is a `job_id` and a v1 client.
        client, v2_client, agent_client: ``AUTO`` (default) creates them with
            `create_backend_clients` (None without synapse-clients or credentials); pass an object
            or None to override.

    Returns:
        A `RuntimeContext`. The caller owns its logger: call ``ctx.logger.finish()`` when done.
    """
    if env is None:
        plugin_env = PluginEnvironment.from_environ()
    elif isinstance(env, PluginEnvironment):
        plugin_env = env
    else:
        plugin_env = PluginEnvironment(env)

    wanted = tuple(
        name
        for name, value in (('client', client), ('v2_client', v2_client), ('agent_client', agent_client))
        if value is AUTO
    )
    if wanted:
        made = create_backend_clients(wanted)
        client = made[0] if client is AUTO else client
        v2_client = made[1] if v2_client is AUTO else v2_client
        agent_client = made[2] if agent_client is AUTO else agent_client

    job_id = str(job_id) if job_id not in (None, '') else None
    if logger is None:
        logger = _assemble_logger(plugin_env, job_id, client, log_file, console)

    return RuntimeContext(
        logger=logger,
        env=plugin_env,
        job_id=job_id,
        client=client,
        v2_client=v2_client,
        agent_client=agent_client,
        checkpoint=dict(checkpoint) if checkpoint is not None else None,
        language=language or None,
    )


def _assemble_logger(
    env: PluginEnvironment,
    job_id: str | None,
    client: Any,
    log_file: str | os.PathLike[str] | None,
    console: bool | TextIO | BaseLogger,
) -> BaseLogger:
    from synapse_sdk.loggers.base import NullLogger
    from synapse_sdk.loggers.console import ConsoleLogger
    from synapse_sdk.loggers.transport import JobLogTransport

    loggers: list[BaseLogger] = []
    if isinstance(console, BaseLogger):
        loggers.append(console)
    elif console is not False:
        stream = None if console is True else console
        loggers.append(ConsoleLogger(stream, show_debug=env.debug))
    log_file = log_file or env.get_str('SYNAPSE_LOG_FILE')
    if log_file:
        from synapse_sdk.loggers.file import JsonLinesFileLogger

        loggers.append(JsonLinesFileLogger(log_file, job_id=job_id))
    if job_id and client is not None and isinstance(client, JobLogTransport):
        from synapse_sdk.loggers.job import BackendJobLogger

        loggers.append(BackendJobLogger(client, job_id))
    if not loggers:
        return NullLogger()
    return loggers[0] if len(loggers) == 1 else CompositeLogger(*loggers)


def validate_params(
    definition: ActionDefinition,
    params: Any,
    ctx: RuntimeContext | None = None,
    *,
    strict: bool = False,
    check_unknown: bool = True,
) -> Any:
    """Validate `params` against the action's `params_model`; `ParamsValidationError` lists each bad field.

    Unknown keys are handled as `synapse_sdk.plugins.params_check` describes: with a params model they are
    reported here (an `UnknownParamsWarning` each, or part of the error when `strict` or when the model forbids
    extras); without one the params come back as a `TrackedParams` dict so `run_action` can report the keys
    the action never read. `check_unknown=False` skips all that (pipelines pass every action the params
    flowing through the whole chain). None becomes ``{}``.
    Validators receive ``info.context`` = ``{'action', 'ctx', 'client', 'v2_client'}``.
    """
    from pydantic import BaseModel, ValidationError

    from synapse_sdk.plugins.params_check import TrackedParams, find_unknown_params

    model = definition.params_model
    if params is None:
        params = {}
    if model is None:
        if check_unknown and type(params) is dict:
            return TrackedParams(params)
        return params
    if isinstance(params, model):
        return params
    if isinstance(params, BaseModel):
        params = params.model_dump()
    if not isinstance(params, Mapping):
        raise ParamsValidationError(
            definition.name,
            [{'loc': '', 'msg': f'params must be a mapping, got {type(params).__name__}', 'type': 'type'}],
        )
    context = {
        'action': definition.name,
        'ctx': ctx,
        'client': getattr(ctx, 'client', None),
        'v2_client': getattr(ctx, 'v2_client', None),
    }
    error: ParamsValidationError | None = None
    try:
        validated = model.model_validate(dict(params), context=context)
    except ValidationError as exc:
        error = ParamsValidationError.from_pydantic(
            definition.name, exc, secrets=secret_values(params, model), model=model
        )
    # Raised outside the except block and without a cause: pydantic's error renders every rejected
    # ``input_value`` (passwords included), and a chained or implicit context would print it in any
    # traceback (``--debug``, ``SYNAPSE_DEBUG=1``, an uncaught error from ``run_plugin``).
    if error is not None:
        raise error
    if check_unknown:
        report_unknown_params(definition.name, find_unknown_params(validated, params), strict=strict, ctx=ctx)
    return validated


def report_unknown_params(
    action: str,
    unknown: list[UnknownParam],
    *,
    strict: bool,
    ctx: RuntimeContext | None = None,
    read: bool = False,
) -> None:
    """Warn about each `UnknownParam` (an `UnknownParamsWarning` and a dev event), or refuse them all with one
    `ParamsValidationError` when `strict`. `read=True`: the keys were given but the action never read them."""
    from synapse_sdk.plugins.params_check import UnknownParamsWarning

    if not unknown:
        return
    what = 'never read by the action' if read else 'unknown param'
    if strict:
        raise ParamsValidationError(
            action, [{'loc': u.path, 'msg': what + u.hint(), 'type': 'unknown_param'} for u in unknown]
        )
    for u in unknown:
        text = (
            f'Action {action!r}: {u.path!r} was never read'
            if read
            else f'Action {action!r}: unknown param {u.path!r} ignored'
        )
        warning = UnknownParamsWarning(
            text + u.hint(), action=action, param=u.path, suggestion=u.suggestion, never_read=read
        )
        warn_user(warning)
    if ctx is not None:
        ctx.log_dev_event(
            'unknown_params', {'action': action, 'params': [u.path for u in unknown], 'never_read': read}
        )


def instantiate(definition: ActionDefinition, params: Any, ctx: RuntimeContext) -> Any:
    """Build a class action's instance. One without its own `action_name` gets the name it runs under (the
    config.yaml key it was found under, or the derived name) as ``self.action_name``, set on the instance
    before ``__init__`` runs; the class itself is left alone."""
    cls = definition.target
    if getattr(cls, 'action_name', None) is not None:
        return cls(params, ctx)
    instance = cls.__new__(cls)
    instance.action_name = definition.name
    instance.__init__(params, ctx)
    return instance


def check_result(definition: ActionDefinition, result: Any, ctx: RuntimeContext | None = None) -> list[str]:
    """Compare `result` with `result_model`; on mismatch issue a `ResultValidationWarning`.

    Warning-only by design: a result that drifts from its declared schema is a developer bug, not
    a reason to throw away a finished training run. The warning goes to Python's `warnings` and to
    the context as a dev event (hidden from users). Returns the problems found.
    """
    from pydantic import BaseModel, ValidationError

    model = definition.result_model
    if model is None:
        return []
    problems: list[str] = []
    if isinstance(result, model):
        return []
    if isinstance(result, BaseModel):
        problems.append(f'expected {model.__name__}, got {type(result).__name__}')
        result = result.model_dump()
    if isinstance(result, Mapping):
        try:
            model.model_validate(dict(result))
        except ValidationError as exc:
            from synapse_sdk.plugins.errors import format_loc

            problems += [
                f'{format_loc(e["loc"]) or "<root>"}: {e["msg"]}'
                for e in exc.errors(include_url=False, include_input=False)
            ]
    elif not problems:
        problems.append(f'expected {model.__name__} or a dict, got {type(result).__name__}')
    if problems:
        text = f'Result of action {definition.name!r} does not match {model.__name__}: ' + '; '.join(problems)
        warn_user(text, ResultValidationWarning)
        if ctx is not None:
            ctx.log_dev_event('result_validation_warning', {'action': definition.name, 'problems': problems})
    return problems


def to_jsonable(value: Any) -> Any:
    """A JSON-compatible copy of `value`: models are dumped, Paths/datetimes/enums become strings,
    numpy / tensor scalars and arrays become numbers and lists.

    Objects JSON cannot represent fall back to `str` (with a `ResultValidationWarning`), so a
    finished run is never lost to a serialisation error.
    """
    from pydantic_core import to_jsonable_python

    def fallback(obj: Any) -> Any:
        plain = to_plain(obj)  # numpy / tensor scalars and arrays
        if plain is not obj:
            return plain
        warn_user(
            f'Result contains a {type(obj).__name__} that is not JSON-serialisable; stored as str',
            ResultValidationWarning,
        )
        return str(obj)

    return to_jsonable_python(value, fallback=fallback)


def run_action(
    action: Any,
    params: Any,
    ctx: RuntimeContext,
    *,
    name: str | None = None,
    report_status: bool = True,
    strict_params: bool | None = None,
    check_unknown_params: bool = True,
) -> Any:
    """Run one action in an existing context and return its JSON-compatible result.

    Args:
        action: A `BaseAction` subclass, an `@action` function, a plain ``(params, ctx)`` function,
            or an `ActionDefinition`.
        params: A mapping (validated against the params model), a params-model instance, or None.
        ctx: The context (from `build_runtime_context`).
        name: Override of the action name (e.g. the config.yaml key); used in messages, and given to
            a class action without its own `action_name` as ``self.action_name``.
        report_status: Report RUNNING / SUCCEEDED / FAILED to the logger (the backend job, when
            there is one), and log the completion message. Pipelines running several actions in
            one job pass False and report themselves.
        strict_params: Unknown params keys are an error instead of a warning (see
            `synapse_sdk.plugins.params_check`); None reads ``SYNAPSE_STRICT_PARAMS``.
        check_unknown_params: False skips the unknown-keys check (pipelines: every action gets the
            params flowing through the whole chain).

    Raises:
        ParamsValidationError: invalid params (nothing ran), or unknown keys in strict mode (for an
            action without a params model, known only after it ran).
        ActionExecutionError: the action raised; the original exception is ``__cause__``.
    """
    from synapse_sdk.plugins.log_messages import LogMessageCode
    from synapse_sdk.plugins.params_check import TrackedParams, strict_params_from_env

    definition = action if isinstance(action, ActionDefinition) else resolve_action(action, name)
    if name and definition.name != name:
        definition = resolve_action(definition.target, name)
    strict = strict_params_from_env() if strict_params is None else bool(strict_params)
    add_secrets = getattr(ctx.logger, 'add_secrets', None)
    if add_secrets is not None:  # the action may still write a secret param into a message
        add_secrets(secret_values(params, definition.params_model))
    try:
        validated = validate_params(
            definition, params, ctx, strict=strict, check_unknown=check_unknown_params
        )
    except ParamsValidationError as exc:
        if report_status:
            summary = '; '.join(f'{e["loc"] or "<root>"}: {e["msg"]}' for e in exc.errors)
            ctx.log_message(LogMessageCode.PARAMS_INVALID, action=definition.name, errors=summary)
            ctx.logger.report_status(RunStatus.FAILED, error=str(exc))
        raise

    if report_status:
        ctx.logger.report_status(RunStatus.RUNNING)
    try:
        if definition.kind == 'class':
            result = instantiate(definition, validated, ctx).run()
        else:
            result = definition.target(validated, ctx)
    except Exception as raised:
        secrets = secret_values(params, definition.params_model)
        failure = scrub_exception(raised, secrets)
        error = scrub(redact_url(f'{type(failure).__name__}: {failure}'), secrets)
        if report_status:
            ctx.log_message(LogMessageCode.PLUGIN_RUN_FAILED, action=definition.name, error=error)
            ctx.logger.report_status(RunStatus.FAILED, error=error)
        raise ActionExecutionError(definition.name, failure) from failure
    except BaseException:
        if report_status:
            ctx.logger.report_status(RunStatus.CANCELLED, error='interrupted')
        raise

    if isinstance(validated, TrackedParams):
        try:
            report_unknown_params(definition.name, validated.unread(), strict=strict, ctx=ctx, read=True)
        except ParamsValidationError as exc:
            if report_status:
                ctx.logger.report_status(RunStatus.FAILED, error=str(exc))
            raise
    try:
        check_result(definition, result, ctx)
    except Exception as exc:  # a result_model validator that crashes is still only a warning
        warn_user(
            f'Could not check the result of {definition.name!r}: {type(exc).__name__}: {exc}',
            ResultValidationWarning,
        )
    try:
        jsonable = to_jsonable(result)
    except Exception as exc:  # e.g. a circular reference: nothing sensible can be stored
        error = f'The result of action {definition.name!r} cannot be converted to JSON: {type(exc).__name__}: {exc}'
        if report_status:
            ctx.logger.report_status(RunStatus.FAILED, error=error)
        raise ExecutionError(error) from exc
    if report_status:
        ctx.end_log()
        ctx.logger.report_status(RunStatus.COMPLETED, result=jsonable)
    return jsonable


def execute_action(
    action: Any,
    params: Any,
    *,
    name: str | None = None,
    strict_params: bool | None = None,
    **context_kwargs: Any,
) -> Any:
    """Build a context (``**context_kwargs`` go to `build_runtime_context`), run, close the logger.

    This is the whole life of one run in one process, as a Ray worker or the subprocess entrypoint
    needs it. Returns the JSON-compatible result; raises like `run_action`.
    """
    ctx = build_runtime_context(**context_kwargs)
    try:
        return run_action(action, params, ctx, name=name, strict_params=strict_params)
    finally:
        ctx.logger.finish()
