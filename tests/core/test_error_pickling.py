"""Every SDK error survives a pickle round trip (Ray ships exceptions between processes by pickling).

The round trip must keep the type, ``str()``, every attribute and the cause; an original exception
that cannot be pickled degrades to a `CapturedError` with its type name, message and traceback text.
"""

from __future__ import annotations

import importlib
import pickle
import pkgutil

import pydantic
import pytest

import synapse_sdk.plugins as plugins_pkg
from synapse_sdk.plugins import errors as core_errors
from synapse_sdk.plugins.actions.export.action import ExportDataError, ExportDelegationError
from synapse_sdk.plugins.actions.export.journal import ExportResumeError
from synapse_sdk.plugins.errors import (
    ActionExecutionError,
    ActionNotFoundError,
    CapturedError,
    ConfigError,
    EntrypointError,
    EnvironmentValueError,
    ExecutionError,
    InvalidModeError,
    ParamsValidationError,
    PluginError,
    PluginNotFoundError,
)
from synapse_sdk.plugins.pipelines.errors import (
    PipelineExecutionError,
    PipelineProblem,
    PipelineValidationError,
)
from synapse_sdk.plugins.steps.errors import (
    BackendUnavailableError,
    RollbackFailure,
    StepFailedError,
    StepRegistryError,
)


class NeedsTwoArgs(Exception):
    """A user exception whose ``__init__`` defeats pickle (it pickles, but does not unpickle)."""

    def __init__(self, code: int, detail: str):
        self.code = code
        super().__init__(f'{code}: {detail}')


def _raised(exc: BaseException) -> BaseException:
    try:
        raise exc
    except BaseException as caught:
        return caught


def _action_failed(original: BaseException) -> ActionExecutionError:
    original = _raised(original)
    try:
        raise ActionExecutionError('export', original) from original
    except ActionExecutionError as exc:
        return exc


def _params_error() -> ParamsValidationError:
    class Params(pydantic.BaseModel):
        times: int

    try:
        Params(times='many')
    except pydantic.ValidationError as exc:
        try:
            raise ParamsValidationError.from_pydantic('greet', exc) from exc
        except ParamsValidationError as wrapped:
            return wrapped
    raise AssertionError('unreachable')


def samples() -> list[PluginError]:
    problem = PipelineProblem(index=1, action='b', field='x', kind='missing_field', message='x is missing')
    return [
        PluginError('generic'),
        _params_error(),
        ActionNotFoundError('nope', ['a', 'b'], where='plugin demo'),
        PluginNotFoundError('no plugin at ./x'),
        ConfigError('/p/config.yaml', [('actions.a', 3, 'bad'), ('', None, 'worse')]),
        EntrypointError('cannot import m:X'),
        EnvironmentValueError('SYNAPSE_X is not an int'),
        InvalidModeError('mode'),
        ExecutionError('boom'),
        CapturedError('pkg.Err', 'msg', 'Traceback...\npkg.Err: msg\n'),
        _action_failed(ValueError('kaboom')),
        PipelineValidationError([problem], pipeline='etl'),
        PipelineExecutionError(1, 'b', 'ValueError: x', completed=['a']),
        BackendUnavailableError('listing tasks', client='v2_client'),
        StepRegistryError('duplicate step'),
        ExportResumeError('params.path: a partial export of different params is in /tmp/.x.export-partial'),
        ExportDataError('assignment 17: data is not JSON (Expecting value: line 1 column 1 (char 0))'),
        StepFailedError(
            'upload',
            2,
            'disk full',
            original=_raised(OSError('disk full')),
            rolled_back=['b', 'a'],
            rollback_errors=[RollbackFailure('a', _raised(NeedsTwoArgs(1, 'x')))],
        ),
        ExportDelegationError('77', 'cancelled'),
    ]


def _attrs(exc: BaseException) -> dict:
    # exceptions compare by identity: checked by type and message in the dedicated tests below
    return {k: v for k, v in vars(exc).items() if k not in {'original', 'rollback_errors'}}


@pytest.mark.parametrize('exc', samples(), ids=lambda e: type(e).__name__)
def test_round_trip_keeps_type_message_and_attributes(exc):
    exc.add_note('a note')
    back = pickle.loads(pickle.dumps(exc))
    assert type(back) is type(exc)
    assert str(back) == str(exc) and back.args == exc.args
    assert _attrs(back) == _attrs(exc)
    assert back.__notes__ == ['a note']
    if exc.__cause__ is not None:
        assert type(back.__cause__) is type(exc.__cause__) and str(back.__cause__) == str(exc.__cause__)


def test_every_sdk_error_class_has_a_sample():
    # Import every core plugin module first, so the check does not depend on test order.
    for info in pkgutil.walk_packages(plugins_pkg.__path__, 'synapse_sdk.plugins.'):
        if '.executors' not in info.name:  # tests/ray covers the Ray errors
            importlib.import_module(info.name)

    def subclasses(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from subclasses(sub)

    core = {
        c
        for c in subclasses(PluginError)
        if c.__module__.startswith('synapse_sdk.plugins.')
        and '.executors' not in c.__module__
        and not c.__name__.startswith('_')
    }
    assert core - {type(e) for e in samples()} == set(), 'add a sample for each new error class'
    assert set(core_errors.__all__) <= {c.__name__ for c in core} | {'PluginError'}


def test_action_error_keeps_original_and_its_traceback():
    exc = _action_failed(KeyError('missing'))
    back = pickle.loads(pickle.dumps(exc))
    assert type(back.original) is KeyError and back.original.args == ('missing',)
    assert back.__cause__ is back.original
    assert back.action == 'export'
    assert 'raise exc' in back.original_traceback and back.original_traceback == exc.original_traceback


def test_unpicklable_original_degrades_to_captured_error():
    exc = _action_failed(NeedsTwoArgs(404, 'gone'))
    with pytest.raises(TypeError):
        pickle.loads(pickle.dumps(exc.original))  # the premise: plain pickle cannot carry it
    back = pickle.loads(pickle.dumps(exc))
    assert str(back) == "Action 'export' failed: NeedsTwoArgs: 404: gone"
    assert isinstance(back.original, CapturedError) and back.__cause__ is back.original
    assert back.original.type_name == f'{__name__}.NeedsTwoArgs'
    assert back.original.message == '404: gone'
    assert 'NeedsTwoArgs: 404: gone' in back.original.formatted_traceback
    assert back.original_traceback == exc.original_traceback


def test_nested_unpicklable_exceptions_in_fields_degrade():
    exc = samples()[-2]
    back = pickle.loads(pickle.dumps(exc))
    assert type(back.original) is OSError and str(back.original) == 'disk full'
    (failure,) = back.rollback_errors
    assert failure.step == 'a' and isinstance(failure.error, CapturedError)
    assert str(back) == str(exc) and back.rolled_back == ['b', 'a']
    # the live exception is untouched by pickling it
    assert type(exc.rollback_errors[0].error) is NeedsTwoArgs
