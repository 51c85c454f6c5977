"""`ActionPipeline`: chain actions, checked as a whole before anything runs.

::

    pipeline = ActionPipeline([DownloadAction, ConvertAction, TrainAction])
    pipeline.validate({'dataset': 12})          # raises PipelineValidationError listing every problem
    outcome = pipeline.run({'dataset': 12}, ctx)
    outcome.result                              # the last action's result

Checks (all problems are collected and reported together, each naming the position, the action
and the field):

1. Types: each action's ``output_type`` must be compatible with the next action's ``input_type``
   (`DataType.is_compatible_with`), when both are declared.
2. Fields: every required field of every action's params model must come from the initial params
   or from the ``result_model`` of an earlier action. An earlier action without a
   ``result_model`` provides nothing the pipeline can see.

At run time one dict of params flows through the chain: it starts as the JSON-compatible form of
the initial params, and each action's result (also made JSON-compatible) is merged into it, later
keys winning. JSON-compatible means exactly what crosses a process boundary on Ray, so a pipeline
behaves the same locally and remotely: a ``Path`` in a result arrives as a ``str`` in the next
action either way.

The pieces are public so other executors (the Ray pipeline executor) reuse them rather than
re-implementing them: `ActionPipeline.check` / `validate`, `initial_params`, `params_for` and
`merge_result`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from synapse_sdk.plugins.definition import ActionDefinition, resolve_action
from synapse_sdk.plugins.errors import ActionExecutionError, ParamsValidationError
from synapse_sdk.plugins.pipelines.errors import (
    PipelineExecutionError,
    PipelineProblem,
    PipelineValidationError,
)

if TYPE_CHECKING:
    from pydantic import BaseModel

    from synapse_sdk.plugins.context import RuntimeContext

__all__ = [
    'PIPELINE_PROGRESS_STEP',
    'ActionPipeline',
    'PipelineProgressCallback',
    'PipelineResult',
    'initial_params',
    'merge_result',
    'params_for',
    'provided_fields',
    'required_fields',
]

#: Step name under which a pipeline reports its own progress (actions done / actions total).
PIPELINE_PROGRESS_STEP = 'pipeline'

PipelineProgressCallback = Callable[[int, int, str], None]
"""Called as ``(actions_done, actions_total, action_name)`` before each action and at the end
(with ``action_name`` of the last action and ``actions_done == actions_total``)."""


# -- reusable pieces ----------------------------------------------------------------------------


def required_fields(model: type[BaseModel] | None) -> dict[str, set[str]]:
    """Required fields of a params model: ``{field_name: {keys that can supply it}}``.

    A field can be supplied under its name or its (validation) alias.
    """
    if model is None:
        return {}
    out: dict[str, set[str]] = {}
    for name, info in model.model_fields.items():
        if not info.is_required():
            continue
        keys = {name}
        if info.alias:
            keys.add(info.alias)
        if isinstance(info.validation_alias, str):
            keys.add(info.validation_alias)
        out[name] = keys
    return out


def provided_fields(model: type[BaseModel] | None) -> set[str]:
    """Keys a result of `model` contributes to the params of later actions (as serialised)."""
    if model is None:
        return set()
    return {info.serialization_alias or info.alias or name for name, info in model.model_fields.items()}


def _to_jsonable(value: Any) -> Any:
    from synapse_sdk.plugins.execution import to_jsonable

    return to_jsonable(value)


def initial_params(params: Mapping[str, Any] | BaseModel | None) -> dict[str, Any]:
    """The JSON-compatible dict a pipeline starts from (a model is dumped; Paths become str ...)."""
    if params is None:
        return {}
    value = _to_jsonable(params)
    if not isinstance(value, dict):
        raise TypeError(f'Pipeline params must be a mapping or a pydantic model, got {type(params).__name__}')
    return value


def merge_result(params: Mapping[str, Any], result: Any, *, action: str = '<action>') -> dict[str, Any]:
    """The params for the next action: `params` updated with the JSON-compatible `result`.

    `result` may be a mapping, a pydantic model (dumped) or None (nothing to pass on). Keys from
    the result replace keys of the same name. Any other result type cannot feed the next action:
    `TypeError` naming `action`.
    """
    merged = dict(params)
    if result is None:
        return merged
    value = _to_jsonable(result)
    if not isinstance(value, dict):
        raise TypeError(
            f'Action {action!r} returned {type(result).__name__}; an action followed by another in a pipeline '
            'must return a mapping or a pydantic model so its fields can become the next params'
        )
    merged.update(value)
    return merged


def params_for(definition: ActionDefinition, params: Mapping[str, Any]) -> dict[str, Any]:
    """The part of the flowing `params` handed to `definition`'s action.

    Everything is passed, except to a params model that forbids extra keys
    (``extra='forbid'``), which gets only the keys it declares.
    """
    model = definition.params_model
    if model is None or model.model_config.get('extra') != 'forbid':
        return dict(params)
    accepted: set[str] = set()
    for name, info in model.model_fields.items():
        accepted.add(name)
        if info.alias:
            accepted.add(info.alias)
        if isinstance(info.validation_alias, str):
            accepted.add(info.validation_alias)
    return {key: value for key, value in params.items() if key in accepted}


# -- the pipeline -------------------------------------------------------------------------------


@dataclass
class PipelineResult:
    """What `ActionPipeline.run` returns.

    Attributes:
        result: the last action's result (JSON-compatible).
        results: each action's result, by position.
        params: the params after the last merge (initial params plus every result).
    """

    result: Any = None
    results: list[Any] = field(default_factory=list)
    params: dict[str, Any] = field(default_factory=dict)


class ActionPipeline:
    """A chain of actions (``BaseAction`` subclasses and/or ``@action`` functions).

    Args:
        actions: the actions in run order (at least one).
        name: a name for messages and logs.

    Raises:
        PipelineValidationError: an element is not an action (each one is named).
    """

    def __init__(self, actions: Sequence[Any], *, name: str | None = None) -> None:
        if isinstance(actions, str | bytes) or not isinstance(actions, Sequence):
            raise TypeError(f'ActionPipeline expects a list of actions, got {type(actions).__name__}')
        self.name = name
        problems: list[PipelineProblem] = []
        definitions: list[ActionDefinition] = []
        for index, target in enumerate(actions):
            try:
                definitions.append(target if isinstance(target, ActionDefinition) else resolve_action(target))
            except TypeError as exc:
                label = getattr(target, '__qualname__', None) or repr(target)
                problems.append(PipelineProblem(index, label, None, 'invalid_action', str(exc)))
        if not actions:
            problems.append(
                PipelineProblem(0, '<none>', None, 'invalid_action', 'a pipeline needs at least one action')
            )
        if problems:
            raise PipelineValidationError(problems, name)
        self.definitions: list[ActionDefinition] = definitions

    @property
    def action_names(self) -> list[str]:
        return [d.name for d in self.definitions]

    def __len__(self) -> int:
        return len(self.definitions)

    def __repr__(self) -> str:
        return f'ActionPipeline({" -> ".join(self.action_names)})'

    # -- validation -----------------------------------------------------------------------------
    def check(self, params: Mapping[str, Any] | BaseModel | None = None) -> list[PipelineProblem]:
        """Every problem that would stop the pipeline with these initial params (empty: OK)."""
        available = set(initial_params(params))
        problems: list[PipelineProblem] = []
        unknown_providers: list[str] = []
        previous: ActionDefinition | None = None
        for index, definition in enumerate(self.definitions):
            if previous is not None:
                out_type, in_type = previous.output_type, definition.input_type
                if out_type is not None and in_type is not None and not out_type.is_compatible_with(in_type):
                    problems.append(
                        PipelineProblem(
                            index,
                            definition.name,
                            'input_type',
                            'type_mismatch',
                            f'expects {_type_name(in_type)} but the previous action {previous.name!r} '
                            f'produces {_type_name(out_type)}',
                        )
                    )
            for field_name, keys in required_fields(definition.params_model).items():
                if keys & available:
                    continue
                hint = ''
                if unknown_providers:
                    hint = (
                        f' (earlier action(s) {", ".join(repr(n) for n in unknown_providers)} declare no '
                        'result_model, so what they return cannot be checked)'
                    )
                problems.append(
                    PipelineProblem(
                        index,
                        definition.name,
                        field_name,
                        'missing_field',
                        f'required param is not in the initial params nor in the result_model of an '
                        f'earlier action{hint}',
                    )
                )
            if definition.result_model is None:
                unknown_providers.append(definition.name)
            available |= provided_fields(definition.result_model)
            previous = definition
        return problems

    def validate(self, params: Mapping[str, Any] | BaseModel | None = None) -> None:
        """Raise `PipelineValidationError` listing every problem `check` finds."""
        problems = self.check(params)
        if problems:
            raise PipelineValidationError(problems, self.name)

    # -- running --------------------------------------------------------------------------------
    def run(
        self,
        params: Mapping[str, Any] | BaseModel | None,
        ctx: RuntimeContext,
        *,
        progress_callback: PipelineProgressCallback | None = None,
    ) -> PipelineResult:
        """Validate, then run every action in this process with `ctx`.

        Progress: ``ctx.set_progress(done, total, step='pipeline')`` per action, with fractions
        in between when an action runs a step workflow (its overall progress feeds the pipeline's),
        and `progress_callback(done, total, name)` per action. The logger's step proportions are
        set to the pipeline step, so its ``overall`` figure is the pipeline's.

        Raises:
            PipelineValidationError: before anything ran.
            PipelineExecutionError: an action failed; earlier actions are not undone (each
                action's own step workflow rolls itself back).
        """
        from synapse_sdk.plugins.execution import run_action
        from synapse_sdk.plugins.steps.orchestrator import StepProportions, enclosing_progress

        self.validate(params)
        flowing = initial_params(params)
        total = len(self.definitions)
        outcome = PipelineResult(params=flowing)
        completed: list[str] = []
        logger = getattr(ctx, 'logger', None)
        if isinstance(logger, StepProportions):
            # The run's overall progress is the pipeline's; step workflows inside the actions feed it.
            logger.set_step_proportions({PIPELINE_PROGRESS_STEP: 1.0})
        for index, definition in enumerate(self.definitions):
            self._report(ctx, progress_callback, index, total, definition.name)
            ctx.log('pipeline_action_started', {'index': index, 'action': definition.name, 'total': total})

            def within_action(percent: float, index: int = index) -> None:
                ctx.set_progress(index + min(percent, 100.0) / 100.0, total, step=PIPELINE_PROGRESS_STEP)

            try:
                with enclosing_progress(within_action):
                    result = run_action(
                        definition,
                        params_for(definition, flowing),
                        ctx,
                        report_status=False,
                        check_unknown_params=False,  # the params flowing through the chain are for every action
                    )
            except ParamsValidationError as exc:
                raise PipelineExecutionError(index, definition.name, str(exc), completed) from exc
            except ActionExecutionError as exc:
                cause = exc.original
                raise PipelineExecutionError(
                    index, definition.name, f'{type(cause).__name__}: {cause}', completed
                ) from cause
            outcome.results.append(result)
            completed.append(definition.name)
            if index + 1 < total:
                try:
                    flowing = merge_result(flowing, result, action=definition.name)
                except TypeError as exc:
                    raise PipelineExecutionError(index, definition.name, str(exc), completed) from exc
            else:
                flowing = merge_result(flowing, result if isinstance(result, Mapping) else None)
        outcome.result = outcome.results[-1]
        outcome.params = flowing
        self._report(ctx, progress_callback, total, total, self.definitions[-1].name)
        return outcome

    #: The name the reference SDK used for `run`; both run the pipeline the same way.
    execute = run

    @staticmethod
    def _report(
        ctx: RuntimeContext,
        callback: PipelineProgressCallback | None,
        done: int,
        total: int,
        name: str,
    ) -> None:
        ctx.set_progress(done, total, step=PIPELINE_PROGRESS_STEP)
        if callback is not None:
            callback(done, total, name)


def _type_name(data_type: type) -> str:
    return f'{data_type.__name__} ({getattr(data_type, "name", "?")})'
