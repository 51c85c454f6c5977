"""``synapse plugin create``: every category scaffolds a plugin that validates and runs."""

from __future__ import annotations

import json
import os
import subprocess
import tomllib

import pytest
import yaml
from packaging.requirements import Requirement

from synapse_sdk.cli.commands.plugin_create import CATEGORIES

from .conftest import (
    AUTHOR_PYTEST,
    PYTEST_ALL_PASSED,
    SYNAPSE_EXE,
    StepFailed,
    run_in_pty,
    run_steps,
    subprocess_env,
)

# Where each category's printed run command leaves proof of real work (beside exit code 0).
REAL_WORK = {
    'neural_net': ['Fake backend: ', 'models +1'],
    'export': ['Fake backend: ', '"exported": 3'],
    'upload': ['Fake backend: ', 'data_units +3', '"files_uploaded": 3'],
    'pre_annotation': ['Fake backend: ', 'tasks ~2', '"succeeded": 2'],
    'smart_tool': ['"label": "cat"'],
    'post_annotation': ['"changed": 2'],
    'data_validation': ['"valid": false'],
    'custom': ['"message": "Hello Ada!"'],
}


def _printed_steps(stdout: str) -> list[str]:
    """The commands under "Next, try:", as printed."""
    lines = stdout.splitlines()
    start = lines.index('Next, try:') + 1
    return [line[2:] for line in lines[start:] if line.startswith('  ')]


def _create_and_follow(category: str, root) -> dict:
    """`synapse plugin create` as a user runs it, then every printed command in a shell, as printed."""
    env = subprocess_env(
        **AUTHOR_PYTEST, PATH=f'{SYNAPSE_EXE.parent}{os.pathsep}{os.environ.get("PATH", "")}'
    )
    created = subprocess.run(
        [str(SYNAPSE_EXE), 'plugin', 'create', '--name', f'Sample {category}', '--category', category, '--yes'],
        cwd=root, env=env, capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=120,
    )  # fmt: skip
    assert created.returncode == 0, created.stderr
    steps = _printed_steps(created.stdout)
    try:
        walk, failure = run_steps(steps, cwd=root, env=env, timeout=120), None
    except StepFailed as exc:  # reported by this category's test, not by the fixture for all of them
        walk, failure = [], str(exc)
    return {'steps': steps, 'walk': walk, 'failure': failure, 'created': created}


@pytest.fixture(scope='module')
def followed_scaffolds(tmp_path_factory):
    """Every category created and its printed commands run, three at a time (each is several processes)."""
    from concurrent.futures import ThreadPoolExecutor

    roots = {category: tmp_path_factory.mktemp(category) for category in CATEGORIES}
    with ThreadPoolExecutor(max_workers=3) as pool:
        futures = {c: pool.submit(_create_and_follow, c, roots[c]) for c in CATEGORIES}
        return {c: {**f.result(), 'root': roots[c]} for c, f in futures.items()}


@pytest.mark.integration
@pytest.mark.parametrize('category', CATEGORIES)
def test_every_printed_command_succeeds_as_printed(followed_scaffolds, category):
    """validate, each action with its sample params (on the fake backend where needed), then pytest."""
    outcome = followed_scaffolds[category]
    steps, walk = outcome['steps'], outcome['walk']
    folder = outcome['root'] / f'sample-{category.replace("_", "-")}'
    assert steps[0] == f'cd {folder}'
    assert steps[1] == 'synapse plugin validate' and steps[-1] == 'pytest'
    assert all(s.startswith('synapse plugin run ') and '--params @samples/params/' in s for s in steps[2:-1])
    assert outcome['failure'] is None, outcome['failure']
    output = ''.join(step.stdout + step.stderr for step in walk)
    for proof in REAL_WORK[category]:
        assert proof in output, (proof, output[-3000:])
    summary = walk[-1].stdout.strip().splitlines()[-1]  # pytest's last line: every scaffold test passed
    assert PYTEST_ALL_PASSED.fullmatch(summary), walk[-1].stdout[-4000:]  # with its warnings summary, if any
    # Each scaffold carries what a plugin project needs, and the fixture-based tests.
    for name in ('pyproject.toml', 'README.md', 'tests/conftest.py', 'requirements.txt', '.gitignore'):
        assert (folder / name).is_file(), name
    tests = ''.join(p.read_text(encoding='utf-8') for p in (folder / 'tests').glob('test_*.py'))
    assert 'backend' in tests  # the seeded `backend` fixture, built on synapse_backend
    readme = (folder / 'README.md').read_text(encoding='utf-8')
    assert all(step in readme for step in steps[1:]), 'the README lists the same commands'
    # pyproject.toml read by independent parsers: TOML, and requirements as pip reads them.
    project = tomllib.loads((folder / 'pyproject.toml').read_text(encoding='utf-8'))['project']
    assert project['name'] == f'sample-{category.replace("_", "-")}'
    wanted = {Requirement(r).name for r in project['dependencies'] + project['optional-dependencies']['test']}
    assert {'synapse-core', 'pytest', 'synapse-testing'} <= wanted


@pytest.mark.integration
def test_json_output_lists_the_same_next_commands(invoke, tmp_path):
    result = invoke(
        'plugin', 'create', '--code', 'nxt', '-c', 'upload', '--path', str(tmp_path), '-y', '--json'
    )
    payload = json.loads(result.stdout)
    assert payload['next'] == [
        f'cd {tmp_path / "nxt"}',
        'synapse plugin validate',
        'synapse plugin run upload --params @samples/params/upload.json --fake-backend',
        'pytest',
    ]
    assert 'samples/upload/red.png' in payload['files']
    from PIL import Image  # an independent reader: the sample images are real PNGs

    with Image.open(tmp_path / 'nxt' / 'samples' / 'upload' / 'red.png') as image:
        assert image.size == (8, 8) and image.getpixel((0, 0)) == (220, 40, 40)


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
    status, text = run_in_pty(
        [str(SYNAPSE_EXE), 'plugin', 'create', '--path', str(tmp_path)],
        answers=[(b'', b'Pty Plugin\n\nexport\nMade in a pty\n')],
    )
    assert status == 0, text
    assert 'Plugin name' in text and 'Category' in text
    config = yaml.safe_load((tmp_path / 'pty-plugin' / 'config.yaml').read_text(encoding='utf-8'))
    assert config['category'] == 'export' and config['description'] == 'Made in a pty'
