import json

import pytest

from synapse_sdk.plugins.context import PluginEnvironment
from synapse_sdk.plugins.errors import EnvironmentValueError, PluginError


def test_seed_001_typed_getters():
    env = PluginEnvironment(
        {
            'MY_VAR': 'x',
            'API_KEY': 'k',
            'BATCH_SIZE': '64',
            'LEARNING_RATE': '0.01',
            'DEBUG': 'yes',
            'GPU_IDS': '0, 1,2',
        }
    )
    assert env.get('MY_VAR', 'default') == 'x'
    assert env.get('MISSING', 'default') == 'default'
    assert env.get_str('API_KEY') == 'k'
    assert env.get_int('BATCH_SIZE', default=32) == 64
    assert env.get_float('LEARNING_RATE', default=0.001) == 0.01
    assert env.get_bool('DEBUG', default=False) is True
    assert env.get_list('GPU_IDS', default=['0']) == ['0', '1', '2']
    empty = PluginEnvironment()
    assert empty.get_int('BATCH_SIZE', default=32) == 32
    assert empty.get_list('GPU_IDS', default=['0']) == ['0']
    assert empty.get_bool('DEBUG', default=False) is False


@pytest.mark.parametrize('value', ['true', 'TRUE', '1', 'yes', 'Y', 'on', ' t '])
def test_get_bool_true(value):
    assert PluginEnvironment({'X': value}).get_bool('X') is True


@pytest.mark.parametrize('value', ['false', '0', 'no', 'N', 'off', 'F'])
def test_get_bool_false(value):
    assert PluginEnvironment({'X': value}).get_bool('X') is False


def test_unrecognised_bool_is_an_error_naming_the_key():
    with pytest.raises(EnvironmentValueError, match=r'FLAG_X=.maybe.') as info:
        PluginEnvironment({'FLAG_X': 'maybe'}).get_bool('FLAG_X', default=False)
    assert isinstance(info.value, ValueError) and isinstance(info.value, PluginError)


def test_bad_int_and_float_name_the_key_and_mask_secrets():
    with pytest.raises(EnvironmentValueError, match='BATCH_SIZE'):
        PluginEnvironment({'BATCH_SIZE': 'many'}).get_int('BATCH_SIZE')
    with pytest.raises(EnvironmentValueError, match='LR'):
        PluginEnvironment({'LR': 'fast'}).get_float('LR')
    with pytest.raises(EnvironmentValueError) as info:
        PluginEnvironment({'SECRET_TOKEN': 'abc'}).get_int('SECRET_TOKEN')
    assert 'abc' not in str(info.value)


def test_empty_string_means_default():
    env = PluginEnvironment({'N': '', 'B': '  '})
    assert env.get_int('N', 5) == 5
    assert env.get_bool('B', True) is True


def test_repr_masks_secret_looking_keys():
    env = PluginEnvironment(
        {
            'SYNAPSE_ACCESS_TOKEN': 'syn_secret',
            'DB_PASSWORD': 'pw1',
            'AWS_SECRET_ACCESS_KEY': 's3',
            'API_KEY': 'k9',
            'EPOCHS': '3',
        }
    )
    text = repr(env)
    for secret in ('syn_secret', 'pw1', 's3', 'k9'):
        assert secret not in text
    assert "'EPOCHS': '3'" in text


def test_seed_003_attributes():
    env = PluginEnvironment({'STORAGE_PATH': '/data', 'SYNAPSE_HOST': 'https://api.test', 'DEBUG': 'true'})
    assert env.storage_path == '/data'
    assert env.api_url == 'https://api.test'
    assert env.debug is True
    assert PluginEnvironment().debug is False
    assert PluginEnvironment().storage_path is None


def test_from_environ_prefix_strips_and_prefixes_keep(monkeypatch):
    source = {'MYP_BATCH': '4', 'MYP_NAME': 'n', 'OTHER': 'o', 'RAY_X': '1'}
    assert PluginEnvironment.from_environ('MYP_', environ=source).to_dict() == {'BATCH': '4', 'NAME': 'n'}
    assert PluginEnvironment.from_environ(prefixes=('MYP_', 'RAY_'), environ=source).to_dict() == {
        'MYP_BATCH': '4',
        'MYP_NAME': 'n',
        'RAY_X': '1',
    }
    monkeypatch.setenv('SYN_TEST_VALUE', '42')
    assert PluginEnvironment.from_environ().get_int('SYN_TEST_VALUE') == 42


def test_from_file_formats(tmp_path):
    (tmp_path / 'a.toml').write_text('EPOCHS = 3\n[nested]\nx = 1\n')
    (tmp_path / 'a.json').write_text(json.dumps({'EPOCHS': 4}))
    (tmp_path / 'a.yaml').write_text('EPOCHS: 5\n')
    (tmp_path / 'a.env').write_text('# comment\nexport EPOCHS="6"\nNAME=x\n')
    assert PluginEnvironment.from_file(tmp_path / 'a.toml').get_int('EPOCHS') == 3
    assert PluginEnvironment.from_file(tmp_path / 'a.toml')['nested'] == {'x': 1}
    assert PluginEnvironment.from_file(tmp_path / 'a.json').get_int('EPOCHS') == 4
    assert PluginEnvironment.from_file(tmp_path / 'a.yaml').get_int('EPOCHS') == 5
    assert PluginEnvironment.from_file(tmp_path / 'a.env').to_dict() == {'EPOCHS': '6', 'NAME': 'x'}
    with pytest.raises(FileNotFoundError, match=r'missing\.toml'):
        PluginEnvironment.from_file(tmp_path / 'missing.toml')


def test_merge_later_wins_and_is_a_copy():
    a = PluginEnvironment({'A': '1', 'B': '1'})
    merged = a.merge({'B': '2'}, PluginEnvironment({'C': '3'}), None)
    assert merged.to_dict() == {'A': '1', 'B': '2', 'C': '3'}
    assert a.to_dict() == {'A': '1', 'B': '1'}
    assert 'A' in merged and len(merged) == 3
