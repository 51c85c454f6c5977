import sys
import warnings

import pytest

from synapse_sdk.plugins.config import ConfigWarning, PluginConfig, load_plugin_config
from synapse_sdk.plugins.discovery import PluginDiscovery
from synapse_sdk.plugins.enums import PluginCategory, RunMethod
from synapse_sdk.plugins.errors import ActionNotFoundError, ConfigError, EntrypointError, PluginError
from synapse_sdk.plugins.utils import (
    get_action_config,
    get_action_method,
    get_plugin_actions,
    read_requirements,
)

FULL = """\
name: My Training Plugin
code: my-training-plugin
version: 1.0.0
category: neural_net
description: Custom training plugin with YOLO support
package_manager: pip
env:
  EPOCHS: '3'
runtime_env:
  pip: [numpy]
data_type: image
tasks: [image.object_detection]
actions:
  greet:
    entrypoint: PKG.actions:greet
    method: task
    description: Simple greeting action
  train:
    entrypoint: PKG.train.TrainAction
    method: job
    description: Train model on dataset
    input_type: yolo_dataset
    output_type: model_weights
"""

ACTIONS = """\
from pydantic import BaseModel
from synapse_sdk.plugins import action

class GreetParams(BaseModel):
    name: str = 'world'

@action(name='greet', params=GreetParams)
def greet(params, ctx):
    return {'message': f'Hello {params.name}!'}
"""

TRAIN = """\
from pydantic import BaseModel
from synapse_sdk.plugins.action import BaseAction
from synapse_sdk.plugins.types import YOLODataset, ModelWeights

class TrainParams(BaseModel):
    epochs: int = 1

class TrainAction(BaseAction[TrainParams]):
    input_type = YOLODataset
    output_type = ModelWeights

    def execute(self):
        return {'epochs': self.params.epochs}
"""


def test_full_config_and_discovery(make_plugin):
    root, pkg = make_plugin(FULL, {'PKG/__init__.py': '', 'PKG/actions.py': ACTIONS, 'PKG/train.py': TRAIN})
    with warnings.catch_warnings():
        warnings.simplefilter('error')
        config = load_plugin_config(root)
    assert config.category is PluginCategory.NEURAL_NET
    assert config.actions['train'].method is RunMethod.JOB
    assert config.actions['train'].name == 'train'
    assert config.env == {'EPOCHS': '3'} and config.tasks == ['image.object_detection']

    d = PluginDiscovery.from_path(root)
    assert d.list_actions() == ['greet', 'train']
    assert d.has_action('train') and not d.has_action('nope')
    assert d.get_action_method('train') is RunMethod.JOB
    assert d.get_action_config('train').input_type == 'yolo_dataset'
    assert d.get_action_entrypoint('train') == f'{pkg}.train:TrainAction'
    assert d.get_action_class('train').__name__ == 'TrainAction'
    assert d.get_action_class('greet').__name__ == 'greet'
    assert d.get_action_definition('train').params_model.__name__ == 'TrainParams'
    # the class is not mutated by loading
    assert d.get_action_class('train').action_name is None
    assert PluginDiscovery.from_path(root / 'config.yaml').list_actions() == ['greet', 'train']


def test_unknown_action_lists_available(make_plugin):
    root, _ = make_plugin(FULL)
    with pytest.raises(
        ActionNotFoundError, match=r"Unknown action 'tran'.*Available actions: 'greet', 'train'"
    ) as info:
        PluginDiscovery.from_path(root).get_action_config('tran')
    assert info.value.available == ['greet', 'train']
    assert isinstance(info.value, LookupError)


def test_empty_config_is_a_clear_error(make_plugin):
    root, _ = make_plugin('')
    with pytest.raises(ConfigError, match=r'config.yaml:\n  - the file is empty'):
        load_plugin_config(root)
    root2, _ = make_plugin('# only a comment\n')
    with pytest.raises(ConfigError, match='empty'):
        PluginDiscovery.from_path(root2)


def test_missing_config(tmp_path):
    with pytest.raises(ConfigError, match='file not found'):
        load_plugin_config(tmp_path)


def test_yaml_syntax_error_names_file_and_line(make_plugin):
    root, _ = make_plugin('name: x\ncode: y\nactions:\n  train:\n    entrypoint: [a\n    method: job\n')
    with pytest.raises(ConfigError) as info:
        load_plugin_config(root)
    message = str(info.value)
    assert str(root / 'config.yaml') in message
    assert 'line 6' in message and 'invalid YAML' in message


def test_schema_errors_name_key_path_and_line(make_plugin):
    root, _ = make_plugin(
        'name: x\ncode: y\ncategory: robots\nactions:\n  train:\n    entrypoint: a.b.C\n    method: sometimes\n'
        '  infer:\n    method: task\n'
    )
    with pytest.raises(ConfigError) as info:
        load_plugin_config(root)
    problems = {key: (line, msg) for key, line, msg in info.value.problems}
    assert problems['category'][0] == 3
    assert problems['actions.train.method'][0] == 7 and 'job' in problems['actions.train.method'][1]
    assert problems['actions.infer.entrypoint'][0] == 8
    assert 'line 7: actions.train.method' in str(info.value)


def test_non_mapping_and_bad_entrypoint(make_plugin):
    root, _ = make_plugin('- a\n- b\n')
    with pytest.raises(ConfigError, match='mapping'):
        load_plugin_config(root)
    root, _ = make_plugin('name: x\ncode: y\nactions:\n  a:\n    entrypoint: nodots\n')
    with pytest.raises(ConfigError, match=r'actions\.a\.entrypoint.*nodots'):
        load_plugin_config(root)


def test_unknown_keys_warn_with_key_file_and_line(make_plugin):
    root, _ = make_plugin(
        'name: x\ncode: y\nsmart_tool_type: box\nactions:\n  a:\n    entrypoint: m.f\n    methd: job\n'
        '    input_type: yolo\n'
    )
    with pytest.warns(ConfigWarning) as record:
        load_plugin_config(root)
    texts = [str(w.message) for w in record]
    assert any("config.yaml:3: unknown key 'smart_tool_type'" in t for t in texts)
    assert any("config.yaml:7: unknown key 'actions.a.methd'" in t for t in texts)
    assert any("input_type 'yolo' is not a known data type" in t for t in texts)


def test_from_dict_and_get_action():
    config = PluginConfig.from_dict({'name': 'n', 'code': 'c', 'actions': {'a': {'entrypoint': 'm:f'}}})
    assert config.get_action('a').method is RunMethod.TASK
    with pytest.raises(ActionNotFoundError, match="'a'"):
        config.get_action('b')


MODULE_WITH_IMPORTS = """\
from pydantic import BaseModel
from synapse_sdk.plugins import BaseAction, action
from synapse_sdk.plugins.action import BaseAction as AlsoBase
from PKG.shared import SharedAction, shared_fn

class TrainParams(BaseModel):
    epochs: int = 10

class MyAbstractBase(BaseAction[TrainParams]):
    pass

class TrainAction(MyAbstractBase):
    def execute(self):
        return {'accuracy': 0.95}

@action(name='infer')
def infer(params, ctx):
    return {'predictions': []}

class _Private(BaseAction[TrainParams]):
    def execute(self):
        return {}
"""

SHARED = """\
from synapse_sdk.plugins import BaseAction, action

class SharedAction(BaseAction):
    action_name = 'shared'
    def execute(self):
        return {}

@action(name='shared_fn')
def shared_fn(params, ctx):
    return {}
"""


def test_from_module_ignores_imported_abstract_and_private(make_plugin):
    root, pkg = make_plugin(
        None, {'PKG/__init__.py': '', 'PKG/shared.py': SHARED, 'PKG/yolo.py': MODULE_WITH_IMPORTS}
    )
    sys.path.insert(0, str(root))
    d = PluginDiscovery.from_module(f'{pkg}.yolo')
    assert sorted(d.list_actions()) == ['infer', 'train']
    assert d.get_action_method('train') is RunMethod.TASK
    assert d.get_action_entrypoint('train') == f'{pkg}.yolo:TrainAction'
    assert d.get_action_class('infer').__name__ == 'infer'
    assert d.code == f'{pkg}-yolo'
    with pytest.raises(ActionNotFoundError, match="Available actions: 'infer', 'train'"):
        d.get_action_class('export')


def test_from_module_package_exposing_submodule_actions(make_plugin):
    root, pkg = make_plugin(
        None, {'PKG/__init__.py': 'from PKG.shared import SharedAction, shared_fn\n', 'PKG/shared.py': SHARED}
    )
    sys.path.insert(0, str(root))
    import importlib

    d = PluginDiscovery.from_module(importlib.import_module(pkg))
    assert sorted(d.list_actions()) == ['shared', 'shared_fn']


def test_from_module_duplicate_names(make_plugin):
    root, pkg = make_plugin(
        None, {'PKG.py': SHARED + '\n@action(name="shared")\ndef other(params, ctx):\n    return 1\n'}
    )
    sys.path.insert(0, str(root))
    with pytest.raises(PluginError, match="two actions named 'shared'"):
        PluginDiscovery.from_module(pkg)


def test_get_action_class_errors(make_plugin):
    root, pkg = make_plugin(
        'name: x\ncode: y\nactions:\n  a:\n    entrypoint: PKG.missing:f\n  b:\n    entrypoint: PKG.mod:nothing\n'
        '  c:\n    entrypoint: PKG.mod:VALUE\n  d:\n    entrypoint: PKG.mod:one_arg\n',
        {'PKG/__init__.py': '', 'PKG/mod.py': 'VALUE = 3\n\ndef one_arg(params):\n    return 1\n'},
    )
    d = PluginDiscovery.from_path(root)
    with pytest.raises(EntrypointError, match=f"Cannot import module '{pkg}.missing'"):
        d.get_action_class('a')
    with pytest.raises(EntrypointError, match="has no attribute 'nothing'"):
        d.get_action_class('b')
    with pytest.raises(
        PluginError, match=r"PKG\.mod:VALUE' of action 'c'.*3 is not an action".replace('PKG', pkg)
    ):
        d.get_action_class('c')
    # a plain function runs (seed 002), but only one that takes (params, ctx)
    with pytest.raises(
        PluginError, match=r"action 'd'.*one_arg is not an action: .* must take \(params, ctx\)"
    ):
        d.get_action_class('d')


def test_seed_002_utils(make_plugin, tmp_path):
    assert get_plugin_actions({'actions': {'train': {}, 'export': {}}}) == ['train', 'export']
    root, _ = make_plugin(FULL)
    config = load_plugin_config(root)
    assert get_plugin_actions(config) == ['greet', 'train']
    assert get_plugin_actions(str(root)) == ['greet', 'train']
    assert get_action_method(config, 'train') is RunMethod.JOB
    assert get_action_method({'actions': {'a': {}}}, 'a') is RunMethod.TASK
    assert get_action_config(config, 'train')['name'] == 'train'
    assert get_action_config(config, 'train')['method'] == 'job'
    assert get_action_config({'actions': {'train': {'method': 'job'}}}, 'train') == {
        'name': 'train',
        'method': 'job',
    }
    with pytest.raises(ActionNotFoundError, match="Available actions: 'greet', 'train'"):
        get_action_config(config, 'x')
    with pytest.raises(ConfigError, match='sometimes'):
        get_action_method({'actions': {'a': {'method': 'sometimes'}}}, 'a')


def test_read_requirements_never_prints_secrets(tmp_path, capsys):
    from synapse_sdk.plugins.utils import redact_requirement

    req = tmp_path / 'requirements.txt'
    req.write_text(
        '# comment\n\nnumpy>=1.20\ntorch>=2.0  # pinned later\n'
        '--extra-index-url https://user:s3cr3t@pypi.example.com/simple\n'
    )
    lines = read_requirements(req)
    assert lines == [
        'numpy>=1.20',
        'torch>=2.0',
        '--extra-index-url https://user:s3cr3t@pypi.example.com/simple',
    ]
    out = capsys.readouterr()
    assert out.out == '' and out.err == ''
    assert 's3cr3t' not in redact_requirement(lines[2])
    assert read_requirements(tmp_path / 'nope.txt') is None


def test_two_plugins_sharing_a_package_name_each_run_their_own_code(tmp_path):
    from synapse_sdk.plugins.runner import run_plugin

    config = 'name: p\ncode: {code}\nactions:\n  who:\n    entrypoint: plugin.actions:who\n'
    source = 'from synapse_sdk.plugins import action\n\n@action\ndef who(params, ctx):\n    return "{code}"\n'
    roots = []
    for code in ('first', 'second'):
        root = tmp_path / code
        (root / 'plugin').mkdir(parents=True)
        (root / 'config.yaml').write_text(config.format(code=code))
        (root / 'plugin' / '__init__.py').write_text('')
        (root / 'plugin' / 'actions.py').write_text(source.format(code=code))
        roots.append(root)
    try:
        quiet = {'console': False, 'client': None, 'v2_client': None, 'agent_client': None}
        assert run_plugin(str(roots[0]), 'who', {}, **quiet) == 'first'
        assert run_plugin(str(roots[1]), 'who', {}, **quiet) == 'second'
        assert run_plugin(str(roots[0]), 'who', {}, **quiet) == 'first'
    finally:
        for name in [n for n in sys.modules if n == 'plugin' or n.startswith('plugin.')]:
            del sys.modules[name]
        sys.path[:] = [p for p in sys.path if str(tmp_path) not in p]


def test_from_module_with_real_category_bases_imported(make_plugin):
    pytest.importorskip('synapse_sdk.plugins.actions.train')
    root, pkg = make_plugin(
        None,
        {
            'PKG.py': """\
                from pydantic import BaseModel
                from synapse_sdk.plugins import BaseAction, BaseExportAction, BaseTrainAction, BaseUploadAction, action

                class Params(BaseModel):
                    n: int = 1

                @action(name='hello')
                def hello(params, ctx):
                    return 'hi'
                """
        },
    )
    sys.path.insert(0, str(root))
    assert PluginDiscovery.from_module(pkg).list_actions() == ['hello']


def test_config_warnings_point_at_the_caller(make_plugin, recwarn):
    root, _ = make_plugin('name: x\ncode: y\ntypo_key: 1\nactions: {}\n')
    PluginDiscovery.from_path(root)
    assert recwarn.pop(ConfigWarning).filename == __file__
