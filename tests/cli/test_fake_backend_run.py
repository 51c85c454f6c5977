"""``synapse plugin run --fake-backend``: the fake backend served for one run, seeded, and nothing else touched."""

from __future__ import annotations

import json
import os

import pytest

SEED = {
    '_about': 'a comment, skipped',
    'projects': [{'id': 7, 'title': 'Seeded'}],
    'tasks': [{'id': 1, 'project': 7, 'data': {'n': 1}}, {'id': 2, 'project': 7, 'data': {'n': 2}}],
}

ACTIONS = """
from synapse_sdk.plugins.decorators import action


@action(name='greet')
def greet(params, ctx):
    tasks, count = ctx.client.list_tasks({'project': 7}, list_all=True)
    for task in tasks:
        ctx.v2_client.tasks.annotate_task_data(task['id'], data={'seen': True}, schema='dm_schema_v1')
    return {'tasks': count, 'host': ctx.client.base_url}


@action(name='fail')
def fail(params, ctx):
    return {}
"""


@pytest.fixture
def seeded_plugin(make_plugin):
    plugin = make_plugin('seeded', ACTIONS)
    (plugin / 'samples').mkdir()
    (plugin / 'samples' / 'backend.json').write_text(json.dumps(SEED), encoding='utf-8')
    return plugin


def test_runs_against_the_seeded_fake_backend_and_reports_what_changed(invoke, seeded_plugin):
    result = invoke('plugin', 'run', 'greet', '--path', str(seeded_plugin), '--fake-backend', '--json')
    assert result.exit_code == 0, result.stderr
    payload = json.loads(result.stdout)
    fake = payload['fake_backend']
    assert payload['result']['tasks'] == 2
    assert payload['result']['host'] == fake['url'] and fake['url'].startswith('http://127.0.0.1:')
    assert fake['seed'] == str(seeded_plugin / 'samples' / 'backend.json')
    assert fake['seeded'] == {'projects': 1, 'tasks': 2}
    assert fake['changed'] == {'tasks': 2}  # both annotated
    assert fake['requests'] >= 3
    human = invoke('plugin', 'run', 'greet', '--path', str(seeded_plugin), '--fake-backend')
    assert 'seeded from ' in human.stderr and '(projects 1, tasks 2)' in human.stderr
    assert 'rows added (+) or changed (~): ' in human.stderr and 'tasks ~2' in human.stderr


def test_the_users_credentials_stay_out_and_come_back(invoke, seeded_plugin, config_file, monkeypatch):
    """The run sees only the fake backend; the shell's token and the config file are untouched and restored."""
    monkeypatch.setenv('SYNAPSE_HOST', 'https://real.example.com')
    monkeypatch.setenv('SYNAPSE_ACCESS_TOKEN', 'syn_real_secret_token')
    monkeypatch.setenv('SYNAPSE_PLUGIN_RUN_TENANT', 'real-tenant')
    config_file.parent.mkdir(parents=True)
    config_file.write_text(
        '{"host": "https://real.example.com", "access_token": "syn_cfg_secret"}', encoding='utf-8'
    )
    result = invoke('plugin', 'run', 'greet', '--path', str(seeded_plugin), '--fake-backend', '--json')
    assert result.exit_code == 0, result.stderr
    assert 'real.example.com' not in result.stdout
    assert os.environ['SYNAPSE_ACCESS_TOKEN'] == 'syn_real_secret_token'  # restored after the run
    assert os.environ['SYNAPSE_PLUGIN_RUN_TENANT'] == 'real-tenant'
    assert 'syn_real_secret_token' not in result.stdout + result.stderr


def test_a_bad_seed_names_the_file_and_the_table(invoke, seeded_plugin, tmp_path):
    bad = tmp_path / 'bad.json'
    bad.write_text('{"projcts": [{"id": 1}]}', encoding='utf-8')
    result = invoke(
        'plugin', 'run', 'greet', '--path', str(seeded_plugin), '--fake-backend', '--seed', str(bad)
    )
    assert result.exit_code == 2
    assert f'cannot seed the fake backend from {bad}: {bad}: unknown table ' in result.stderr
    assert "'projcts'" in result.stderr
    bad.write_text('{"tasks": [{"id": 1}]}', encoding='utf-8')  # a task without its project
    result = invoke(
        'plugin', 'run', 'greet', '--path', str(seeded_plugin), '--fake-backend', '--seed', str(bad)
    )
    assert result.exit_code == 2 and 'tasks[0]' in result.stderr


def test_without_samples_the_backend_starts_empty(invoke, make_plugin):
    plugin = make_plugin()
    result = invoke(
        'plugin', 'run', 'greet', '--path', str(plugin), '--params', '{"name": "A"}', '--fake-backend'
    )
    assert result.exit_code == 0, result.stderr
    assert 'empty (no samples/backend.json)' in result.stderr
    assert 'rows added (+) or changed (~): none' in result.stderr


@pytest.mark.parametrize(
    ('extra', 'expected'),
    [
        (['--seed', 'SEED'], '--seed goes with --fake-backend'),
        (['--fake-backend', '--mode', 'task'], 'it cannot be used with --mode task'),
    ],
)
def test_options_it_does_not_go_with(invoke, seeded_plugin, extra, expected):
    args = [str(seeded_plugin / 'samples' / 'backend.json') if a == 'SEED' else a for a in extra]
    result = invoke('plugin', 'run', 'greet', '--path', str(seeded_plugin), *args)
    assert result.exit_code == 2 and expected in result.stderr
