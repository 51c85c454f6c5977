"""Execution modes plug in through the ``synapse_sdk.executors`` entry-point group (issue #17 point 3).

Every test goes through the real entry-point machinery (`importlib.metadata` reading ``entry_points.txt``
of a distribution found on ``sys.path``): a toy distribution is a dist-info folder written into a temp
dir put on ``sys.path``; "synapse-executors-ray is not installed" is a Python started with a view of the
venv's site-packages from which that distribution was left out.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
import textwrap
from importlib.metadata import version
from pathlib import Path

import pytest

from synapse_sdk.plugins.errors import ExecutionError, InvalidModeError
from synapse_sdk.plugins.executors.registry import ENTRY_POINT_GROUP, available_modes, load_mode_executor
from synapse_sdk.plugins.runner import run_plugin

HELLO = Path(__file__).resolve().parents[2] / 'examples' / 'hello_plugin'
QUIET = {'console': False, 'client': None, 'v2_client': None, 'agent_client': None}

TOY_MODULE = '''
def run(resolved, params, /, **executor_kwargs):
    """A toy executor: reports what run_plugin handed it, and runs the action locally."""
    from synapse_sdk.plugins.executors.local import LocalExecutor

    result = LocalExecutor(console=False, client=None, v2_client=None, agent_client=None).execute(
        resolved.load(), params, name=resolved.name
    )
    return {
        'result': result,
        'name': resolved.name,
        'source': resolved.source,
        'entrypoint': resolved.entrypoint,
        'plugin_dir': str(resolved.plugin_dir) if resolved.plugin_dir else None,
        'kwargs': executor_kwargs,
    }
'''


def install_toy_distribution(
    root: Path, name: str, entry_points: dict[str, str], module: str | None = None, module_name: str = ''
) -> Path:
    """Write a distribution (dist-info with METADATA and entry_points.txt, plus a module) under `root`."""
    root.mkdir(parents=True, exist_ok=True)
    dist_info = root / f'{name.replace("-", "_")}-0.1.dist-info'
    dist_info.mkdir()
    (dist_info / 'METADATA').write_text(f'Metadata-Version: 2.1\nName: {name}\nVersion: 0.1\n')
    lines = [f'[{ENTRY_POINT_GROUP}]', *(f'{k} = {v}' for k, v in entry_points.items())]
    (dist_info / 'entry_points.txt').write_text('\n'.join(lines) + '\n')
    if module is not None:
        (root / f'{module_name}.py').write_text(textwrap.dedent(module))
    return root


@pytest.fixture
def toy(tmp_path, monkeypatch):
    site = install_toy_distribution(
        tmp_path / 'site', 'toy-executor', {'toy': 'toy_executor:run'}, TOY_MODULE, 'toy_executor'
    )
    monkeypatch.syspath_prepend(str(site))
    yield site
    sys.modules.pop('toy_executor', None)


def test_a_toy_distribution_adds_a_mode_run_plugin_runs(toy):
    out = run_plugin(str(HELLO), 'greet', {'name': 'Ada'}, mode='toy', language='ko', extra=1)
    assert out['result'] == run_plugin(str(HELLO), 'greet', {'name': 'Ada'}, **QUIET)
    assert out['result']['message'] == 'Hello, Ada!'
    assert out['name'] == 'greet'
    assert out['source'] == 'path'
    assert out['entrypoint'] == 'hello.actions:greet'
    assert out['plugin_dir'] == str(HELLO.resolve())
    assert out['kwargs'] == {'language': 'ko', 'extra': 1}  # handed over untouched
    assert run_plugin(str(HELLO), 'greet', {'name': 'B'}, mode='TOY')['result']['message'] == 'Hello, B!'


def test_the_runner_command_line_takes_a_registered_mode(toy):
    env = {**os.environ, 'PYTHONPATH': os.pathsep.join([str(toy), os.environ.get('PYTHONPATH', '')])}
    args = [
        sys.executable,
        '-m',
        'synapse_sdk.plugins.runner',
        str(HELLO),
        'greet',
        '--params',
        '{"name": "Ada"}',
    ]
    proc = subprocess.run([*args, '--mode', 'toy'], capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)['result']['message'] == 'Hello, Ada!'
    proc = subprocess.run([*args, '--mode', 'remote'], capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode == 2
    assert "Unknown execution mode 'remote'; expected one of: 'local', 'task', 'job', 'toy'" in proc.stderr


def test_the_toy_mode_gets_action_objects_as_given(toy):
    sys.path.insert(0, str(HELLO))
    try:
        from hello.counter import CountAction

        out = run_plugin('anything', 'count', {'to': 3}, mode='toy', action_cls=CountAction)
    finally:
        sys.path.remove(str(HELLO))
    assert out['source'] == 'object'
    assert out['result'] == {'total': 6, 'count': 3}


def test_registered_modes_are_listed_and_unknown_ones_name_them(toy):
    assert available_modes() == ['local', 'task', 'job', 'toy']
    with pytest.raises(
        InvalidModeError, match=r"Unknown execution mode 'remote'.*'local', 'task', 'job', 'toy'"
    ):
        run_plugin(str(HELLO), 'greet', {'name': 'A'}, mode='remote')
    with pytest.raises(InvalidModeError, match=r'Unknown execution mode 3;'):
        run_plugin(str(HELLO), 'greet', {'name': 'A'}, mode=3)


def test_synapse_executors_ray_registers_task_and_job():
    from importlib.metadata import entry_points

    from synapse_sdk.plugins.executors.ray import modes

    found = {ep.name: ep for ep in entry_points(group=ENTRY_POINT_GROUP)}
    assert {found['task'].dist.name, found['job'].dist.name} == {'synapse-executors-ray'}
    assert load_mode_executor('task') is modes.run_task
    assert load_mode_executor('job') is modes.submit_job


def test_two_distributions_registering_one_mode_are_refused(toy, tmp_path, monkeypatch):
    other = install_toy_distribution(tmp_path / 'other', 'other-executor', {'toy': 'other_executor:run'})
    monkeypatch.syspath_prepend(str(other))
    with pytest.raises(
        ExecutionError, match=r"'toy' is registered by more than one.*other-executor 0\.1.*toy-executor 0\.1"
    ):
        load_mode_executor('toy')


def test_an_entry_point_that_cannot_be_imported_names_its_distribution(tmp_path, monkeypatch):
    site = install_toy_distribution(
        tmp_path / 'broken', 'broken-executor', {'broken': 'no_such_module_xyz:run'}
    )
    monkeypatch.syspath_prepend(str(site))
    with pytest.raises(
        ImportError, match=r"'broken' is registered by broken-executor 0\.1.*no_such_module_xyz"
    ):
        run_plugin(str(HELLO), 'greet', {'name': 'A'}, mode='broken')


def test_the_local_mode_cannot_be_replaced(tmp_path, monkeypatch):
    site = install_toy_distribution(tmp_path / 'hijack', 'hijack', {'local': 'no_such_module_xyz:run'})
    monkeypatch.syspath_prepend(str(site))
    assert 'local' not in available_modes()[1:]
    assert run_plugin(str(HELLO), 'greet', {'name': 'Ada'}, mode='local', **QUIET)['message'] == 'Hello, Ada!'


# -- a Python whose site-packages lacks synapse-executors-ray --------------------------------------------
def _site_view(tmp_path: Path, drop: str, keep_without_entry_points: bool = False) -> Path:
    """A folder of symlinks to the venv's site-packages, without distribution `drop` (its dist-info and its
    editable-install .pth); with `keep_without_entry_points`, its dist-info stays but registers nothing."""
    site = Path(sysconfig.get_path('purelib'))
    view = tmp_path / 'view'
    view.mkdir()
    prefix = drop.replace('-', '_')
    for entry in site.iterdir():
        if entry.name.startswith(f'{prefix}-') and entry.name.endswith('.dist-info'):
            if keep_without_entry_points:
                copy = view / entry.name
                copy.mkdir()
                for item in entry.iterdir():
                    if item.name != 'entry_points.txt':
                        (copy / item.name).write_bytes(item.read_bytes())
            continue
        if entry.name.endswith('.pth') and prefix in entry.name and not keep_without_entry_points:
            continue
        (view / entry.name).symlink_to(entry)
    return view


PROBE = """
import importlib.metadata, site, sys
site.addsitedir(sys.argv[1])
calls = []
real = importlib.metadata.entry_points
def spy(**kw):
    if kw.get('group') == 'synapse_sdk.executors':  # (pydantic reads its own group for plugins)
        calls.append(kw)
    return real(**kw)
importlib.metadata.entry_points = spy
from synapse_sdk.plugins.runner import run_plugin
quiet = dict(console=False, client=None, v2_client=None, agent_client=None)
assert run_plugin(sys.argv[2], 'greet', {'name': 'Ada'}, **quiet)['message'] == 'Hello, Ada!'
assert calls == [], 'local mode read entry points'
try:
    run_plugin(sys.argv[2], 'greet', {'name': 'Ada'}, mode=sys.argv[3])
except ImportError as exc:
    print(type(exc).__name__, exc)
assert calls, 'the mode was not looked up in the entry points'
"""


def _probe(view: Path, mode: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ('PYTHONPATH', 'VIRTUAL_ENV')}
    return subprocess.run(
        [sys.executable, '-S', '-c', PROBE, str(view), str(HELLO), mode],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )


@pytest.mark.parametrize('mode', ['task', 'job'])
def test_a_mode_whose_distribution_is_missing_says_what_to_install(tmp_path, mode):
    proc = _probe(_site_view(tmp_path, 'synapse-executors-ray'), mode)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == (
        f"ImportError Mode '{mode}' needs the synapse-executors-ray distribution, which is not installed: "
        'pip install synapse-executors-ray  (or: pip install "synapse-sdk[ray]")'
    )


def test_an_install_that_registers_no_executor_is_told_to_reinstall(tmp_path):
    proc = _probe(_site_view(tmp_path, 'synapse-executors-ray', keep_without_entry_points=True), 'task')
    assert proc.returncode == 0, proc.stderr
    installed = version('synapse-executors-ray')
    assert f'the installed synapse-executors-ray {installed} does not register it' in proc.stdout
    assert 'reinstall or upgrade it: pip install synapse-executors-ray' in proc.stdout
