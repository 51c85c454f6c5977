import io
import json
import sys
from pathlib import Path

import pytest
from pydantic import BaseModel, Field, field_validator

from synapse_sdk.loggers import (
    BackendJobLogger,
    CompositeLogger,
    ConsoleLogger,
    JsonLinesFileLogger,
    NullLogger,
)
from synapse_sdk.plugins import BaseAction, action
from synapse_sdk.plugins.context import PluginEnvironment, RuntimeContext
from synapse_sdk.plugins.errors import (
    ActionExecutionError,
    ExecutionError,
    ParamsValidationError,
    PluginError,
)
from synapse_sdk.plugins.execution import (
    ResultValidationWarning,
    build_runtime_context,
    create_backend_clients,
    execute_action,
    run_action,
)
from synapse_sdk.plugins.executors.local import LocalExecutor


class Params(BaseModel):
    epochs: int = Field(default=2, ge=1)
    name: str = 'x'
    tags: list[str] = []


class Result(BaseModel):
    model_path: str
    final_loss: float


@action(name='train_fn', params=Params, result=Result)
def train_fn(params: Params, ctx: RuntimeContext):
    for i in range(params.epochs):
        ctx.set_progress(i + 1, params.epochs, step='train')
    ctx.set_metrics({'loss': 0.5}, step='train')
    return Result(model_path=f'/m/{params.name}', final_loss=0.1)


class TrainClass(BaseAction[Params]):
    action_name = 'train_cls'
    result_model = Result

    def execute(self):
        for i in range(self.params.epochs):
            self.set_progress(i + 1, self.params.epochs, step='train')
        self.set_metrics({'loss': 0.5}, step='train')
        return {'model_path': f'/m/{self.params.name}', 'final_loss': 0.1}


class FakeClient:
    """Stands in for BackendClient: implements the JobLogTransport protocol."""

    def __init__(self):
        self.logs, self.updates = [], []

    def create_logs(self, logs):
        self.logs.extend(logs)

    def update_job(self, job_id, data):
        self.updates.append((job_id, data))


def _quiet(**kw):
    return LocalExecutor(console=False, client=None, v2_client=None, agent_client=None, **kw)


def test_function_and_class_actions_give_identical_results():
    fn = _quiet().execute(train_fn, {'epochs': 3, 'name': 'a'})
    cls = _quiet().execute(TrainClass, {'epochs': 3, 'name': 'a'})
    assert fn == cls == {'model_path': '/m/a', 'final_loss': 0.1}


def test_invalid_params_list_every_field_without_chaining_pydantic_inputs():
    with pytest.raises(ParamsValidationError) as info:
        _quiet().execute(TrainClass, {'epochs': 0, 'tags': ['ok', 3], 'name': {'no': 1}})
    err = info.value
    locs = {e['loc'] for e in err.errors}
    assert locs == {'epochs', 'tags[1]', 'name'}
    assert "Invalid params for action 'train_cls' (3 error(s))" in str(err)
    assert '- epochs: Input should be greater than or equal to 1' in str(err)
    # pydantic's error renders every input_value (maybe a password): it is neither cause nor context
    assert err.__cause__ is None and err.__context__ is None
    assert isinstance(err, ValueError) and isinstance(err, PluginError)
    assert not isinstance(err, ExecutionError)


def test_failing_action_keeps_original_exception_and_traceback():
    @action(name='boom')
    def boom(params, ctx):
        raise KeyError('missing-thing')

    with pytest.raises(ActionExecutionError) as info:
        _quiet().execute(boom, {})
    err = info.value
    assert isinstance(err.__cause__, KeyError) and err.original is err.__cause__
    assert err.action == 'boom' and "KeyError: 'missing-thing'" in str(err)
    tb = err.__cause__.__traceback__
    while tb.tb_next:
        tb = tb.tb_next
    assert tb.tb_frame.f_code.co_name == 'boom'


def test_result_model_mismatch_is_a_warning_only(recwarn):
    @action(name='drift', result=Result)
    def drift(params, ctx):
        return {'model_path': '/m'}

    out = _quiet().execute(drift, {})
    assert out == {'model_path': '/m'}
    warning = recwarn.pop(ResultValidationWarning)
    assert 'final_loss: Field required' in str(warning.message)

    @action(name='wrongtype', result=Result)
    def wrongtype(params, ctx):
        return [1, 2]

    assert _quiet().execute(wrongtype, {}) == [1, 2]
    assert 'expected Result or a dict, got list' in str(recwarn.pop(ResultValidationWarning).message)


def test_result_is_json_compatible(recwarn):
    class Odd:
        def __str__(self):
            return 'odd'

    @action(name='paths')
    def paths(params, ctx):
        return {
            'path': Path('/tmp/x'),
            'model': Result(model_path='p', final_loss=1),
            'odd': Odd(),
            'set': {1},
        }

    out = _quiet().execute(paths, None)
    assert out == {
        'path': '/tmp/x',
        'model': {'model_path': 'p', 'final_loss': 1.0},
        'odd': 'odd',
        'set': [1],
    }
    json.dumps(out)
    assert recwarn.pop(ResultValidationWarning)


def test_params_without_model_are_passed_as_dict_and_validators_get_context():
    seen = {}

    class Checked(BaseModel):
        n: int

        @field_validator('n')
        @classmethod
        def check(cls, v, info):
            seen.update(info.context)
            return v

    @action(name='raw')
    def raw(params, ctx):
        return params

    @action(name='checked', params=Checked)
    def checked(params, ctx):
        return params.n

    assert _quiet().execute(raw, {'a': 1}) == {'a': 1}
    assert _quiet().execute(raw) == {}
    assert _quiet().execute(checked, {'n': 4}) == 4
    assert seen['action'] == 'checked' and isinstance(seen['ctx'], RuntimeContext) and 'client' in seen


def test_params_model_instance_accepted():
    assert _quiet().execute(TrainClass, Params(epochs=1, name='i'))['model_path'] == '/m/i'


def test_builder_defaults_to_console_and_os_environ(monkeypatch):
    monkeypatch.setenv('SYN_BUILDER_TEST', '7')
    ctx = build_runtime_context(client=None, v2_client=None, agent_client=None)
    assert isinstance(ctx.logger, ConsoleLogger)
    assert ctx.env.get_int('SYN_BUILDER_TEST') == 7
    assert ctx.job_id is None and ctx.language is None and ctx.checkpoint is None


def test_builder_creates_clients_through_auth_at_call_time(monkeypatch, auth_module):
    v1, v2 = FakeClient(), object()
    monkeypatch.setattr(auth_module, 'create_backend_client', lambda: v1, raising=False)
    monkeypatch.setattr(auth_module, 'create_backend_v2_client', lambda: v2, raising=False)
    monkeypatch.setattr(auth_module, 'create_agent_client', lambda: None, raising=False)
    ctx = build_runtime_context(
        console=False, env={}, job_id='42', language='ko', checkpoint={'category': 'base'}
    )
    assert ctx.client is v1 and ctx.v2_client is v2 and ctx.agent_client is None
    assert isinstance(ctx.logger, BackendJobLogger) and ctx.logger.transport is v1 and ctx.job_id == '42'
    assert ctx.language == 'ko' and ctx.checkpoint == {'category': 'base'}
    ctx.logger.finish()


def test_builder_tolerates_missing_factories_and_missing_distribution(monkeypatch, auth_module):
    for name in ('create_backend_client', 'create_backend_v2_client', 'create_agent_client'):
        monkeypatch.delattr(auth_module, name, raising=False)
    assert create_backend_clients() == (None, None, None)
    monkeypatch.setitem(sys.modules, 'synapse_sdk.utils.auth', None)  # as if synapse-clients were absent
    assert create_backend_clients() == (None, None, None)
    ctx = build_runtime_context(console=False, env={})
    assert ctx.client is None and ctx.v2_client is None and isinstance(ctx.logger, NullLogger)


def test_builder_assembles_console_file_and_job_loggers(tmp_path):
    client = FakeClient()
    ctx = build_runtime_context(
        console=io.StringIO(),
        log_file=tmp_path / 'run.jsonl',
        job_id='j',
        client=client,
        v2_client=None,
        agent_client=None,
        env={},
    )
    assert isinstance(ctx.logger, CompositeLogger)
    kinds = [type(child) for child in ctx.logger.loggers]
    assert kinds == [ConsoleLogger, JsonLinesFileLogger, BackendJobLogger]
    ctx.logger.finish()
    env_ctx = build_runtime_context(
        console=False,
        env={'SYNAPSE_LOG_FILE': str(tmp_path / 'e.jsonl')},
        client=None,
        v2_client=None,
        agent_client=None,
    )
    assert isinstance(env_ctx.logger, JsonLinesFileLogger)
    # a client that is not a JobLogTransport is not used for job logging
    ctx = build_runtime_context(console=False, job_id='j', client=object(), v2_client=None, agent_client=None)
    assert isinstance(ctx.logger, NullLogger)


def test_local_run_with_job_id_reports_to_the_backend_job(monkeypatch, auth_module):
    client = FakeClient()
    monkeypatch.setattr(auth_module, 'create_backend_client', lambda: client, raising=False)
    monkeypatch.setattr(auth_module, 'create_backend_v2_client', lambda: None, raising=False)
    out = LocalExecutor(job_id='job-9', console=False).execute(TrainClass, {'epochs': 2})
    statuses = [d['status'] for _, d in client.updates if 'status' in d]
    assert statuses == ['RUNNING', 'SUCCEEDED']
    assert client.updates[-1] == ('job-9', {'status': 'SUCCEEDED', 'result': out})
    snapshot = [d for _, d in client.updates if 'progress_record' in d][-1]
    assert snapshot['progress_record']['steps']['train']['percent'] == 100.0
    assert snapshot['metrics_record']['steps']['train'] == {'loss': 0.5}
    assert [e['data'].get('key') for e in client.logs if e['event'] == 'message'] == ['plugin_run_complete']

    failing = FakeClient()
    monkeypatch.setattr(auth_module, 'create_backend_client', lambda: failing, raising=False)

    @action(name='fails')
    def fails(params, ctx):
        raise RuntimeError('disk full')

    with pytest.raises(ActionExecutionError):
        LocalExecutor(job_id='job-10', console=False).execute(fails, {})
    assert failing.updates[-1] == (
        'job-10',
        {'status': 'FAILED', 'result': {'error': 'RuntimeError: disk full'}},
    )
    assert any(e['data'].get('key') == 'plugin_run_failed' for e in failing.logs)


def test_run_action_in_existing_context_without_status():
    ctx = build_runtime_context(logger=NullLogger(), client=None, v2_client=None, agent_client=None)
    assert run_action(train_fn, {'epochs': 1}, ctx, report_status=False)['final_loss'] == 0.1
    assert not ctx._ended


def test_execute_action_finishes_the_logger():
    logger = NullLogger()
    execute_action(train_fn, {}, logger=logger, client=None, v2_client=None, agent_client=None)
    assert logger.finished


def test_local_executor_accepts_entrypoint_strings_and_env():
    @action(name='envy')
    def envy(params, ctx):
        return {'debug': ctx.env.debug, 'lang': ctx.resolve_language()}

    ex = LocalExecutor(
        env={'DEBUG': 'true'}, language='ko', console=False, client=None, v2_client=None, agent_client=None
    )
    assert ex.execute(envy, {}) == {'debug': True, 'lang': 'ko'}
    with pytest.raises(TypeError, match='not an action'):
        _quiet().execute('synapse_sdk.plugins.utils:get_plugin_actions', {})


def test_environment_secret_not_in_context_repr():
    ctx = build_runtime_context(
        console=False,
        env=PluginEnvironment({'SYNAPSE_ACCESS_TOKEN': 'syn_x'}),
        client=None,
        v2_client=None,
        agent_client=None,
    )
    assert 'syn_x' not in repr(ctx)


def test_unserialisable_result_fails_clearly_before_success_is_reported(transport):
    @action(name='loop')
    def loop(params, ctx):
        data = {}
        data['self'] = data
        return data

    from synapse_sdk.loggers import BackendJobLogger

    logger = BackendJobLogger(transport, 'job-c', background=False)
    ctx = build_runtime_context(logger=logger, client=None, v2_client=None, agent_client=None)
    with pytest.raises(ExecutionError, match="result of action 'loop' cannot be converted to JSON"):
        run_action(loop, {}, ctx)
    assert transport.statuses() == ['RUNNING', 'FAILED']


def test_crashing_result_validator_is_only_a_warning():
    from pydantic import model_validator

    class Picky(BaseModel):
        x: int = 0

        @model_validator(mode='before')
        @classmethod
        def crash(cls, data):
            raise LookupError('validator bug')

    @action(name='picky', result=Picky)
    def picky(params, ctx):
        return {'x': 1}

    with pytest.warns(ResultValidationWarning, match='Could not check the result'):
        assert _quiet().execute(picky, {}) == {'x': 1}


def test_array_scalars_in_results_become_numbers(recwarn):
    class FakeScalar:
        ndim = 0

        def item(self):
            return 1.5

    @action(name='np_result')
    def np_result(params, ctx):
        return {'map50': FakeScalar(), 'nested': [FakeScalar()]}

    assert _quiet().execute(np_result, {}) == {'map50': 1.5, 'nested': [1.5]}
    assert not [w for w in recwarn if issubclass(w.category, ResultValidationWarning)]
