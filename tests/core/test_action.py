import inspect
import io
from typing import Generic, TypeVar

import pytest
from pydantic import BaseModel

import synapse_sdk.plugins as plugins_pkg
from synapse_sdk.plugins import BaseAction, RuntimeContext, action
from synapse_sdk.plugins.action import NoResult, default_action_name
from synapse_sdk.plugins.decorators import action as action_decorator
from synapse_sdk.plugins.decorators import get_action_spec
from synapse_sdk.plugins.definition import is_action, resolve_action
from synapse_sdk.plugins.enums import PluginCategory
from synapse_sdk.plugins.execution import build_runtime_context
from synapse_sdk.plugins.types import ModelWeights, YOLODataset


class P(BaseModel):
    epochs: int = 10


class Q(BaseModel):
    name: str


def _ctx(**kw):
    return build_runtime_context(console=io.StringIO(), client=None, v2_client=None, agent_client=None, **kw)


def test_params_model_from_generic_and_explicit():
    class A(BaseAction[P]):
        def execute(self):
            return {}

    class B(BaseAction[P]):
        params_model = Q

        def execute(self):
            return {}

    class C(A):
        pass

    assert A.params_model is P and B.params_model is Q and C.params_model is P
    assert A.result_model is NoResult


def test_params_model_through_a_category_base():
    Pt = TypeVar('Pt', bound=BaseModel)

    class BaseTrainLike(BaseAction[Pt]):
        category = PluginCategory.NEURAL_NET

        def run(self):
            self.set_progress(0, 1, step='prepare')
            return {'wrapped': self.execute()}

    class BaseTwoLevel(BaseTrainLike[Pt], Generic[Pt]):
        pass

    class MyTrain(BaseTrainLike[P]):
        def execute(self):
            return self.params.epochs

    class Deep(BaseTwoLevel[Q]):
        def execute(self):
            return self.params.name

    assert BaseTrainLike.params_model is None
    assert MyTrain.params_model is P and Deep.params_model is Q
    ctx = _ctx()
    assert MyTrain(P(epochs=3), ctx).run() == {'wrapped': 3}


def test_run_only_class_is_concrete_and_execute_aliases_run():
    class Legacy(BaseAction):
        category = PluginCategory.EXPORT

        def run(self):
            return 'ran'

    assert not getattr(Legacy, '__abstractmethods__', None)
    assert Legacy({}, _ctx()).execute() == 'ran'
    assert is_action(Legacy)


def test_abstract_class_is_not_an_action():
    class Abstract(BaseAction[P]):
        pass

    assert not is_action(Abstract)
    with pytest.raises(TypeError, match='abstract'):
        resolve_action(Abstract)


def test_helpers_and_client_shortcuts():
    client, v2 = object(), object()
    ctx = build_runtime_context(console=io.StringIO(), client=client, v2_client=v2, agent_client=None)

    class A(BaseAction[P]):
        def execute(self):
            self.set_progress(1, 2, step='s')
            self.set_metrics({'loss': 0.1}, step='s')
            self.log('evt', {'x': 1})
            return self.client, self.v2_client, self.logger

    got = A(P(), ctx).run()
    assert got == (client, v2, ctx.logger)
    assert ctx.logger.get_metrics('s') == {'loss': 0.1}
    assert ctx.logger.get_progress('s').current == 1


def test_default_action_names():
    assert default_action_name('TrainAction') == 'train'
    assert default_action_name('ToTaskAction') == 'to_task'
    assert default_action_name('HTTPExportAction') == 'http_export'
    assert default_action_name('Greet') == 'greet'


def test_class_definition_metadata():
    class Train(BaseAction[P]):
        """Train a model."""

        action_name = 'train'
        category = PluginCategory.NEURAL_NET
        input_type = YOLODataset
        output_type = ModelWeights
        result_model = Q

        def execute(self):
            return {}

    d = resolve_action(Train)
    assert (d.name, d.kind, d.params_model, d.result_model) == ('train', 'class', P, Q)
    assert d.input_type is YOLODataset and d.description == 'Train a model.'
    assert resolve_action(Train, 'renamed').name == 'renamed'


def test_no_result_model_whether_left_default_or_set_to_none():
    class Default(BaseAction[P]):
        def execute(self):
            return {}

    class Unset(Default):
        result_model = None  # not the declared type, but accepted as ever: the result is not validated

    assert resolve_action(Default).result_model is None and resolve_action(Unset).result_model is None


def test_decorator_forms_and_function_stays_callable():
    @action(name='convert', description='Convert', params=P, result=Q, category=PluginCategory.EXPORT)
    def convert(params, ctx):
        return {'name': str(params.epochs)}

    @action
    def bare(params, ctx):
        """Bare form."""
        return params

    @action_decorator(name='infer')
    def infer(params, ctx):
        return {'predictions': []}

    assert convert(P(epochs=2), None) == {'name': '2'}
    spec = get_action_spec(convert)
    assert (spec.name, spec.params, spec.result, spec.category) == ('convert', P, Q, PluginCategory.EXPORT)
    assert get_action_spec(bare).name == 'bare' and get_action_spec(bare).description == 'Bare form.'
    assert get_action_spec(infer).params is None
    with pytest.raises(TypeError):
        action(123)


def test_both_import_paths_of_action_work():
    """`synapse_sdk.plugins.action` is the module (BaseAction) and also the decorator."""
    import synapse_sdk.plugins.action as action_module

    assert action_module.BaseAction is BaseAction
    assert plugins_pkg.action is action_module

    @plugins_pkg.action(name='x')
    def x(params, ctx):
        return 1

    assert get_action_spec(x).name == 'x'
    assert RuntimeContext is plugins_pkg.RuntimeContext


def test_lazy_package_attributes():
    assert plugins_pkg.PluginCategory is PluginCategory
    with pytest.raises(AttributeError, match='nope'):
        plugins_pkg.nope  # noqa: B018
    assert 'BaseTrainAction' in dir(plugins_pkg)


def test_wrapper_run_is_not_aliased_and_generic_bases_are_not_actions():
    Pt = TypeVar('Pt', bound=BaseModel)

    class Orchestrating(BaseAction[Pt]):
        def run(self):
            return {'wrapped': self.execute()}

    assert inspect.isabstract(Orchestrating)  # execute still to be written by the plugin

    class Concrete(Orchestrating[P]):
        def execute(self):
            return 1

    assert Concrete(P(), _ctx()).run() == {'wrapped': 1}

    class GenericBase(BaseAction[Pt]):
        def execute(self):
            return 2

    class Leaf(GenericBase[P]):
        pass

    assert not is_action(GenericBase) and is_action(Leaf)
    assert resolve_action(GenericBase).params_model is None  # still runnable when passed explicitly


def test_retry_safe_is_declared_on_the_class_or_the_decorator_and_read_from_the_definition():
    class Once(BaseAction):
        def execute(self):
            return None

    class Idempotent(Once):
        retry_safe = True

    @action
    def plain(params, ctx):
        return None

    @action(name='sync', retry_safe=True)
    def sync(params, ctx):
        return None

    assert BaseAction.retry_safe is False
    flags = {t.__name__: resolve_action(t).retry_safe for t in (Once, Idempotent, plain, sync)}
    assert flags == {'Once': False, 'Idempotent': True, 'plain': False, 'sync': True}
    assert get_action_spec(sync).retry_safe is True
