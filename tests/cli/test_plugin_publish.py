"""``synapse plugin publish`` against the fake backend (a real HTTP server on loopback)."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import pytest
import yaml


def _module(plugin: Path) -> str:
    """The generated package name (suffixed when an earlier test already imported the plain one)."""
    config = yaml.safe_load((plugin / 'config.yaml').read_text(encoding='utf-8'))
    return config['actions']['train']['entrypoint'].split('.')[0]


def _snapshot(root: Path) -> dict[str, tuple[int, bytes]]:
    return {
        str(p.relative_to(root)): (p.stat().st_mode, p.read_bytes() if p.is_file() else b'')
        for p in sorted(root.rglob('*'))
    }


@pytest.fixture
def plugin(invoke, tmp_path):
    result = invoke(
        'plugin', 'create', '--code', 'pub-demo', '-c', 'neural_net', '--path', str(tmp_path), '-y'
    )
    assert result.exit_code == 0, result.stderr
    root = tmp_path / 'pub-demo'
    (root / 'requirements.txt').write_text(
        'numpy>=1.20\n--extra-index-url https://deploy:s3cr3t-token@pypi.example.com/simple\n',
        encoding='utf-8',
    )
    (root / 'notes.log').write_text('ignored by .synapseignore', encoding='utf-8')
    (root / '.env').write_text('SECRET=1', encoding='utf-8')
    (root / 'local_only.txt').write_text('x', encoding='utf-8')
    (root / '.gitignore').write_text((root / '.gitignore').read_text() + 'local_only.txt\n', encoding='utf-8')
    return root


def test_dry_run_changes_no_file_and_uploads_nothing(invoke, plugin, synapse_backend):
    before = _snapshot(plugin)
    result = invoke('plugin', 'publish', '--path', str(plugin), '--dry-run')
    assert result.exit_code == 0, result.stderr
    assert _snapshot(plugin) == before  # byte-identical, no __pycache__ either
    assert 'Dry run: would publish pub-demo@0.1.0 (neural_net)' in result.stdout
    assert 'Nothing was uploaded.' in result.stdout
    assert 'notes.log' not in result.stdout and 'local_only.txt' not in result.stdout
    assert '.env' not in result.stdout
    assert 's3cr3t-token' not in result.stdout + result.stderr
    assert not synapse_backend.state.plugin_releases
    assert not [r for r in synapse_backend.state.requests if r.method == 'POST']


def test_dry_run_json(invoke, plugin):
    result = invoke('plugin', 'publish', '--path', str(plugin), '--dry-run', '--json')
    payload = json.loads(result.stdout)
    assert payload['dry_run'] is True and payload['plugin'] == 'pub-demo'
    assert 'config.yaml' in payload['files'] and f'{_module(plugin)}/train.py' in payload['files']
    assert 's3cr3t-token' not in result.stdout


def test_publish_uploads_a_release_with_the_archive(invoke, plugin, synapse_backend):
    result = invoke('plugin', 'publish', '--path', str(plugin), '--json')
    assert result.exit_code == 0, result.stderr
    payload = json.loads(result.stdout)
    assert payload['ok'] is True and payload['release']['id'] is not None
    (release,) = synapse_backend.state.plugin_releases.values()
    assert release['plugin'] == 'pub-demo' and release['version'] == '0.1.0'
    with zipfile.ZipFile(io.BytesIO(release['_archive'])) as archive:
        names = set(archive.namelist())
    module = _module(plugin)
    assert {'config.yaml', f'{module}/train.py', f'{module}/inference.py'} <= names
    assert not names & {'notes.log', '.env', 'local_only.txt'}
    assert 's3cr3t-token' not in result.stdout + result.stderr

    again = invoke('plugin', 'publish', '--path', str(plugin))
    assert again.exit_code == 1
    assert 'refused release pub-demo@0.1.0' in again.stderr and 'bump `version`' in again.stderr


def test_publish_without_credentials_says_how_to_log_in(invoke, plugin):
    result = invoke('plugin', 'publish', '--path', str(plugin))
    assert result.exit_code == 2
    assert 'no access token' in result.stderr and 'synapse login' in result.stderr


def test_invalid_plugin_is_not_published(invoke, plugin, synapse_backend):
    (plugin / 'config.yaml').write_text(
        (plugin / 'config.yaml').read_text().replace('.train:TrainAction', '.nope:TrainAction'),
        encoding='utf-8',
    )
    result = invoke('plugin', 'publish', '--path', str(plugin), '--yes')
    assert result.exit_code == 2
    assert 'nothing was published' in result.stderr and "action 'train'" in result.stderr
    assert not synapse_backend.state.plugin_releases
