"""``synapse plugin create``: every category scaffolds a plugin that validates and runs."""

from __future__ import annotations

import json
import os
import pty
import select
import subprocess
import tempfile

import pytest
import yaml

from synapse_sdk.cli.commands.plugin_create import CATEGORIES

from .conftest import SYNAPSE_EXE, subprocess_env


def _params(action: str, backend, tmp_path) -> dict:
    """Params for each generated action, with the fake backend seeded with what it needs."""
    state = backend.state
    if action == 'export':
        project = state.add_project()
        for i in range(2):
            state.add_task(project['id'], data={'n': i}, files={'image_1': {'url': f'https://x/{i}.png'}})
        return {'target': 'task', 'filter': {'project': project['id']}, 'path': str(tmp_path / 'exported')}
    if action == 'upload':
        storage = tmp_path / 'storage'
        storage.mkdir()
        state.add_storage(
            name='default',
            category='internal',
            provider='local',
            configuration={'location': str(storage)},
            is_default=True,
        )
        source = tmp_path / 'to-upload'
        source.mkdir()
        for i in range(3):
            (source / f'img_{i}.jpg').write_bytes(b'jpeg' * (i + 1))
        return {'data_collection': state.add_data_collection()['id'], 'path': str(source)}
    if action == 'to_task':
        project = state.add_project()
        state.add_task(project['id'], meta={'expected_class': 'dog', 'width': 10, 'height': 5})
        return {'project': project['id'], 'method': 'inference'}
    return {}


@pytest.mark.parametrize('category', CATEGORIES)
def test_created_plugin_validates_and_runs(invoke, tmp_path, category, synapse_backend):
    code = f'cli-created-{category.replace("_", "-")}'
    result = invoke(
        'plugin', 'create', '--code', code, '--category', category, '--path', str(tmp_path), '--yes'
    )
    assert result.exit_code == 0, result.stderr
    plugin = tmp_path / code
    config = yaml.safe_load((plugin / 'config.yaml').read_text(encoding='utf-8'))
    assert config['code'] == code and config['category'] == category
    for name in ('.gitignore', '.synapseignore', 'requirements.txt', 'README.md'):
        assert (plugin / name).is_file(), name

    validated = invoke('plugin', 'validate', '--path', str(plugin), '--json')
    assert validated.exit_code == 0, validated.stdout
    assert json.loads(validated.stdout)['problems'] == []

    for action in config['actions']:
        params = _params(action, synapse_backend, tmp_path)
        ran = invoke('plugin', 'run', action, '--path', str(plugin), '--params', json.dumps(params), '--json')
        assert ran.exit_code == 0, (action, ran.stdout, ran.stderr)
        payload = json.loads(ran.stdout)
        assert payload['ok'] is True
        outcome = payload['result']
        if action == 'train':
            assert outcome['model_id'] in synapse_backend.state.models  # uploaded by model_upload
        elif action == 'export':
            assert outcome['exported'] == 2
        elif action == 'upload':
            assert outcome['data_units_created'] == 3
        elif action == 'to_task':
            assert outcome['succeeded'] == 1


def test_created_neural_net_plugin_runs_without_a_backend(invoke, tmp_path, monkeypatch):
    monkeypatch.setattr(tempfile, 'tempdir', str(tmp_path))  # where the offline run keeps its model
    assert (
        invoke(
            'plugin', 'create', '--code', 'offline-nn', '-c', 'neural_net', '--path', str(tmp_path), '-y'
        ).exit_code
        == 0
    )
    trained = invoke(
        'plugin',
        'run',
        'train',
        '--path',
        str(tmp_path / 'offline-nn'),
        '--params',
        '{"epochs": 2}',
        '--json',
    )
    assert trained.exit_code == 0, trained.stderr
    result = json.loads(trained.stdout)['result']
    assert result['model_id'] is None and result['steps_executed'] == ['train']
    assert f'No backend: model kept at {tmp_path}' in trained.stderr
    inferred = invoke('plugin', 'run', 'inference', '--path', str(tmp_path / 'offline-nn'), '--json')
    assert [r['label'] for r in json.loads(inferred.stdout)['result']['results']] == ['negative', 'positive']


def test_name_with_spaces_and_colons_round_trips_through_yaml(invoke, tmp_path):
    result = invoke(
        'plugin',
        'create',
        '--name',
        'YOLO: Trainer',
        '--description',
        'Trains: fast',
        '--path',
        str(tmp_path),
        '-y',
    )
    assert result.exit_code == 0, result.stderr
    config = yaml.safe_load((tmp_path / 'yolo-trainer' / 'config.yaml').read_text(encoding='utf-8'))
    assert config['name'] == 'YOLO: Trainer'
    assert config['description'] == 'Trains: fast'


def test_module_name_never_shadows_an_installed_module(invoke, tmp_path):
    result = invoke('plugin', 'create', '--code', 'json', '--path', str(tmp_path), '--yes', '--json')
    files = json.loads(result.stdout)['files']
    assert 'json_plugin/hello.py' in files


def test_refuses_to_overwrite_and_rejects_bad_codes(invoke, tmp_path):
    assert invoke('plugin', 'create', '--code', 'twice', '--path', str(tmp_path), '-y').exit_code == 0
    again = invoke('plugin', 'create', '--code', 'twice', '--path', str(tmp_path), '-y')
    assert again.exit_code == 2 and 'already exists' in again.stderr
    bad = invoke('plugin', 'create', '--code', 'Bad Code', '--path', str(tmp_path), '-y')
    assert bad.exit_code == 2 and "invalid plugin code 'Bad Code'" in bad.stderr


def test_without_a_terminal_it_never_prompts(invoke, tmp_path):
    target = tmp_path / 'plugins'
    result = invoke('plugin', 'create', '--path', str(target))
    assert result.exit_code == 2
    assert 'standard input is not a terminal' in result.stderr
    assert not target.exists()


@pytest.mark.integration
def test_prompts_on_a_terminal(tmp_path):
    """A real pseudo-terminal: the questions are asked and the answers used."""
    master, slave = pty.openpty()
    proc = subprocess.Popen(
        [str(SYNAPSE_EXE), 'plugin', 'create', '--path', str(tmp_path)],
        stdin=slave,
        stdout=slave,
        stderr=slave,
        env=subprocess_env(),
        close_fds=True,
    )
    os.close(slave)
    os.write(master, b'Pty Plugin\n\nexport\nMade in a pty\n')
    output = b''
    while True:
        ready, _, _ = select.select([master], [], [], 60)
        if not ready:
            proc.kill()
            raise AssertionError(f'no output for 60s: {output!r}')
        try:
            chunk = os.read(master, 4096)
        except OSError:  # EIO: the child closed the terminal
            break
        if not chunk:
            break
        output += chunk
    os.close(master)
    assert proc.wait(timeout=60) == 0, output
    text = output.decode()
    assert 'Plugin name' in text and 'Category' in text
    config = yaml.safe_load((tmp_path / 'pty-plugin' / 'config.yaml').read_text(encoding='utf-8'))
    assert config['category'] == 'export' and config['description'] == 'Made in a pty'
