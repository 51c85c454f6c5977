"""Snapshot tests of the hyperparameter form schema. Regenerate with UPDATE_SNAPSHOTS=1."""

import enum
import json
import os
from pathlib import Path
from typing import Literal

import pytest
from pydantic import BaseModel, Field, SecretStr

from synapse_sdk.plugins.discovery import PluginDiscovery
from synapse_sdk.plugins.ui_schema import params_ui_schema

SNAPSHOTS = Path(__file__).parent / 'snapshots'
HELLO = Path(__file__).resolve().parents[2] / 'examples' / 'hello_plugin'


class Optimizer(enum.Enum):
    SGD = 'sgd'
    ADAM = 'adam'


class Augment(BaseModel):
    flip: bool = True
    scale: float = Field(default=0.5, gt=0, lt=1)


class TrainParams(BaseModel):
    dataset: int = Field(description='Dataset ID to train on')
    epochs: int = Field(default=50, ge=1, le=1000, description='Training epochs')
    learning_rate: float = Field(default=0.001, gt=0, multiple_of=0.0001)
    optimizer: Optimizer = Optimizer.ADAM
    device: Literal['cpu', 'cuda'] = 'cuda'
    classes: list[str] = Field(default_factory=lambda: ['car', 'person'])
    metrics: list[Literal['map50', 'map']] = ['map50']
    run_name: str | None = Field(default=None, min_length=1, max_length=64, pattern=r'^[a-z0-9-]+$')
    resume: bool = False
    api_token: SecretStr | None = None
    extra: dict[str, int] = {}
    augment: Augment = Augment()
    notes: str = Field(default='', json_schema_extra={'ui': {'$formkit': 'textarea'}})
    internal_path: str = Field(default='/tmp', json_schema_extra={'exclude_from_ui': True})
    batch: int = Field(default=8, title='Batch size (per GPU)')


def _check(name, schema):
    path = SNAPSHOTS / f'{name}.json'
    text = json.dumps(schema, indent=2, ensure_ascii=False) + '\n'
    if os.environ.get('UPDATE_SNAPSHOTS') or not path.exists():
        if not os.environ.get('UPDATE_SNAPSHOTS'):
            pytest.fail(f'snapshot {path.name} missing; run with UPDATE_SNAPSHOTS=1 to create it')
        path.write_text(text, encoding='utf-8')
    assert text == path.read_text(encoding='utf-8')


def test_train_params_snapshot():
    schema = params_ui_schema(TrainParams)
    _check('ui_schema_train_params', schema)
    json.dumps(schema)  # JSON-compatible (enum defaults are values, not objects)


def test_example_plugin_snapshot():
    discovery = PluginDiscovery.from_path(HELLO)
    _check('ui_schema_hello_greet', discovery.get_action_ui_schema('greet'))
    _check('ui_schema_hello_count', discovery.get_action_ui_schema('count'))


def test_key_properties_independent_of_the_snapshot():
    by_name = {entry['name']: entry for entry in params_ui_schema(TrainParams)}
    assert by_name['dataset']['required'] is True and 'value' not in by_name['dataset']
    expected = {'$formkit': 'number', 'number': 'integer', 'min': 1, 'max': 1000, 'value': 50}
    assert by_name['epochs'].items() >= expected.items()
    assert by_name['learning_rate']['exclusiveMin'] is True and by_name['learning_rate']['step'] == 0.0001
    assert by_name['optimizer']['options'] == [
        {'label': 'sgd', 'value': 'sgd'},
        {'label': 'adam', 'value': 'adam'},
    ]
    assert by_name['optimizer']['value'] == 'adam'
    assert by_name['metrics']['multiple'] is True
    assert by_name['run_name']['required'] is False and by_name['run_name']['maxLength'] == 64
    assert by_name['api_token']['$formkit'] == 'password' and 'value' not in by_name['api_token']
    assert [c['name'] for c in by_name['augment']['children']] == ['flip', 'scale']
    assert 'internal_path' not in by_name
    assert by_name['notes']['$formkit'] == 'textarea'
    assert by_name['batch']['label'] == 'Batch size (per GPU)'
    assert params_ui_schema(None) == []
    with pytest.raises(TypeError):
        params_ui_schema(dict)
