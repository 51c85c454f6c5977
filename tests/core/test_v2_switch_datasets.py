import sys

import pytest

from synapse_sdk.loggers import NullLogger
from synapse_sdk.plugins.actions._v2_switch import use_v2
from synapse_sdk.plugins.context import PluginEnvironment, RuntimeContext
from synapse_sdk.plugins.enums import PluginCategory


def _ctx(v2=True, env=None):
    return RuntimeContext(
        logger=NullLogger(), env=PluginEnvironment(env or {}), v2_client=object() if v2 else None
    )


def test_policy_table(monkeypatch):
    monkeypatch.delenv('SYNAPSE_FORCE_V1_EXPORT', raising=False)
    assert use_v2(_ctx(), category=PluginCategory.EXPORT) is True
    assert use_v2(_ctx(), category='export') is True
    assert use_v2(_ctx(), category=PluginCategory.PRE_ANNOTATION) is False
    assert use_v2(_ctx(), category=PluginCategory.NEURAL_NET) is False
    assert use_v2(_ctx()) is False
    assert use_v2(_ctx(), category='not-a-category') is False
    assert use_v2(_ctx(v2=False), category=PluginCategory.EXPORT) is False


@pytest.mark.parametrize('value', ['1', 'true', 'YES', 'on'])
def test_force_v1_wins_over_everything(monkeypatch, value):
    monkeypatch.setenv('SYNAPSE_FORCE_V1_EXPORT', value)
    assert use_v2(_ctx(), category=PluginCategory.EXPORT) is False
    monkeypatch.delenv('SYNAPSE_FORCE_V1_EXPORT')
    assert use_v2(_ctx(env={'SYNAPSE_FORCE_V1_EXPORT': value}), category=PluginCategory.EXPORT) is False


def test_force_v1_false_values_and_unrecognised(monkeypatch):
    for value in ('0', 'false', 'no', ''):
        monkeypatch.setenv('SYNAPSE_FORCE_V1_EXPORT', value)
        assert use_v2(_ctx(), category=PluginCategory.EXPORT) is True
    monkeypatch.setenv('SYNAPSE_FORCE_V1_EXPORT', 'please')
    with pytest.warns(RuntimeWarning, match='treating it as true'):
        assert use_v2(_ctx(), category=PluginCategory.EXPORT) is False
    # ctx.env takes precedence over os.environ
    assert use_v2(_ctx(env={'SYNAPSE_FORCE_V1_EXPORT': '0'}), category=PluginCategory.EXPORT) is True


def test_datasets_reexports_converters():
    converters = pytest.importorskip('synapse_sdk.utils.converters')
    import synapse_sdk.plugins.datasets as datasets

    name = next(n for n in getattr(converters, '__all__', ['get_converter']) if hasattr(converters, n))
    assert getattr(datasets, name) is getattr(converters, name)
    with pytest.raises(AttributeError, match='no_such_name'):
        datasets.no_such_name  # noqa: B018


def test_datasets_without_converters_names_the_package(monkeypatch):
    monkeypatch.setitem(sys.modules, 'synapse_sdk.utils.converters', None)
    monkeypatch.delitem(sys.modules, 'synapse_sdk.plugins.datasets', raising=False)
    import synapse_sdk.plugins.datasets as datasets

    with pytest.raises(ImportError, match='pip install synapse-converters'):
        datasets.get_converter  # noqa: B018
