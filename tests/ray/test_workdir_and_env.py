"""Pure logic: the working-dir measurement, the environment allow-list and the runtime env plan."""

from __future__ import annotations

import pytest

from synapse_sdk.plugins.executors.ray.env import DEFAULT_ENV_ALLOWLIST, collect_worker_env
from synapse_sdk.plugins.executors.ray.errors import WorkingDirTooLargeError
from synapse_sdk.plugins.executors.ray.runtime_env import plan_runtime_env
from synapse_sdk.plugins.executors.ray.workdir import check_working_dir


def _file(path, size=0, text=None):
    path.parent.mkdir(parents=True, exist_ok=True)
    if text is not None:
        path.write_text(text)
    else:
        with open(path, 'wb') as f:
            f.truncate(size)


def test_default_exclusions_and_ignore_files(tmp_path):
    _file(tmp_path / 'plugin' / 'main.py', 100)
    _file(tmp_path / '.git' / 'objects' / 'pack', 50 * 2**20)
    _file(tmp_path / '.venv' / 'lib' / 'torch.so', 50 * 2**20)
    _file(tmp_path / 'myenv' / 'pyvenv.cfg', text='home = /usr\n')
    _file(tmp_path / 'myenv' / 'lib' / 'big.so', 50 * 2**20)
    _file(tmp_path / 'plugin' / '__pycache__' / 'main.cpython-311.pyc', 10 * 2**20)
    _file(tmp_path / '.gitignore', text='outputs/\n*.ckpt\n')
    _file(tmp_path / 'outputs' / 'run1.bin', 80 * 2**20)
    _file(tmp_path / 'plugin' / 'weights.ckpt', 80 * 2**20)
    _file(tmp_path / 'data' / '.rayignore', text='raw\n')
    _file(tmp_path / 'data' / 'raw' / 'x.bin', 80 * 2**20)
    _file(tmp_path / 'data' / 'small.json', 20)

    report = check_working_dir(tmp_path)
    # Left: plugin/main.py (100), .gitignore (16), data/.rayignore (4), data/small.json (20).
    assert report.file_count == 4
    assert report.total_bytes == 140
    assert '/myenv/' in report.excludes and '.git' in report.excludes


def test_over_the_limit_lists_the_largest_paths(tmp_path):
    _file(tmp_path / 'models' / 'a.bin', 70 * 2**20)
    _file(tmp_path / 'models' / 'b.bin', 40 * 2**20)
    _file(tmp_path / 'notes.txt', 5)
    with pytest.raises(WorkingDirTooLargeError) as info:
        check_working_dir(tmp_path)
    err = info.value
    assert isinstance(err, ValueError)
    assert err.largest[0] == ('models/', 110 * 2**20)
    assert ('models/a.bin', 70 * 2**20) in err.largest
    assert 'models/a.bin' in str(err) and '110.0 MiB' in str(err)
    # An explicit exclusion brings it under the limit.
    assert check_working_dir(tmp_path, excludes=['models/a.bin']).total_bytes == 40 * 2**20 + 5


def test_missing_working_dir(tmp_path):
    with pytest.raises(FileNotFoundError, match='does not exist'):
        check_working_dir(tmp_path / 'nope')


def test_allow_list_splits_public_and_secret_values():
    environ = {
        'SYNAPSE_HOST': 'https://api.example',
        'SYNAPSE_ACCESS_TOKEN': 'syn_abc',
        'GITHUB_TOKEN': 'ghp_leak',
        'HOME': '/root',
        'MY_FLAG': '1',
    }
    we = collect_worker_env({'DEBUG': True, 'DB_PASSWORD': 'pw'}, allowlist=['MY_FLAG'], environ=environ)
    assert we.public == {'SYNAPSE_HOST': 'https://api.example', 'MY_FLAG': '1', 'DEBUG': 'true'}
    assert we.secret == {'SYNAPSE_ACCESS_TOKEN': 'syn_abc', 'DB_PASSWORD': 'pw'}
    assert 'syn_abc' not in repr(we) and 'pw' not in repr(we)
    assert 'GITHUB_TOKEN' not in DEFAULT_ENV_ALLOWLIST


def test_runtime_env_plan_keeps_secrets_out(tmp_path):
    _file(
        tmp_path / 'requirements.txt',
        text='# comment\nnumpy>=1.26\n--extra-index-url https://idx/simple\n',
    )
    plan = plan_runtime_env(
        runtime_env={'env_vars': {'API_KEY': 'k-123', 'MODE': 'fast'}, 'excludes': ['*.tmp']},
        working_dir=tmp_path,
        environ={'SYNAPSE_AGENT_TOKEN': 'agent-secret'},
    )
    renv = plan.runtime_env
    assert renv['env_vars'] == {'MODE': 'fast'}
    assert plan.worker_env.secret == {'API_KEY': 'k-123', 'SYNAPSE_AGENT_TOKEN': 'agent-secret'}
    assert renv['working_dir'] == str(tmp_path.resolve())
    assert '*.tmp' in renv['excludes'] and '.git' in renv['excludes']
    assert renv['pip'] == ['numpy>=1.26', '--extra-index-url https://idx/simple']
    assert 'agent-secret' not in repr(plan) and 'k-123' not in repr(plan)


def test_credentials_in_requirement_urls_are_refused(tmp_path):
    _file(tmp_path / 'requirements.txt', text='numpy\n--extra-index-url https://user:s3cret@idx/simple\n')
    with pytest.raises(ValueError, match=r'Requirement 2 of .*requirements\.txt') as info:
        plan_runtime_env(working_dir=tmp_path, environ={})
    assert 's3cret' not in str(info.value)
    with pytest.raises(ValueError, match='embeds credentials'):
        plan_runtime_env(runtime_env={'pip': {'packages': ['git+https://tok@github.com/x/y']}}, environ={})


def test_explicit_requirements_file_must_exist(tmp_path):
    with pytest.raises(FileNotFoundError, match='Requirements file not found'):
        plan_runtime_env(working_dir=tmp_path, requirements_file=tmp_path / 'missing.txt', environ={})
