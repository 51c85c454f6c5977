"""The root command: help, version, lazy loading, error rendering."""

from __future__ import annotations

import json
import subprocess
import sys
from importlib import metadata

import pytest
from click.testing import CliRunner

from synapse_sdk.cli.app import cli
from synapse_sdk.cli.roothelp import render_root_help
from synapse_sdk.cli.versions import DISTRIBUTIONS, installed_distributions

from .conftest import SYNAPSE_EXE, subprocess_env

HEAVY = (
    'pydantic',
    'yaml',
    'requests',
    'ray',
    'boto3',
    'numpy',
    'urllib3',
    'synapse_sdk.plugins',
    'synapse_sdk.clients',
)


def test_help_lists_every_command(invoke):
    result = invoke('--help')
    assert result.exit_code == 0
    for command in ('plugin', 'convert', 'login', 'config', 'doctor'):
        assert f'  {command} ' in result.stdout


def test_plugin_help_lists_subcommands(invoke):
    result = invoke('plugin', '--help')
    assert result.exit_code == 0
    for command in ('run', 'list', 'validate', 'create', 'publish', 'job'):
        assert f'  {command} ' in result.stdout


def test_version_lists_installed_distributions(invoke):
    result = invoke('--version')
    assert result.exit_code == 0
    installed = {}
    for name, _ in DISTRIBUTIONS:
        try:
            installed[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    assert 'synapse-cli' in installed and 'synapse-core' in installed
    assert {n: v for n, v in installed_distributions().items() if v} == installed
    for name, version in installed.items():
        assert any(line.split() == [name, version] for line in result.stdout.splitlines()), name


def _modules_after(*args: str) -> set[str]:
    code = (
        'import sys\n'
        'from synapse_sdk.cli.main import main\n'
        'try:\n'
        f'    main({list(args)!r})\n'
        'except SystemExit:\n'
        '    pass\n'
        'sys.stderr.write("\\n".join(sorted(sys.modules)))\n'
    )
    proc = subprocess.run(
        [sys.executable, '-c', code], capture_output=True, text=True, env=subprocess_env(), check=True
    )
    return set(proc.stderr.split())


def test_help_and_version_import_no_heavy_library():
    for args in (['--help'], ['-h'], ['--version'], ['plugin', '--help'], ['--debug', '--help']):
        loaded = _modules_after(*args)
        assert 'synapse_sdk.cli.main' in loaded  # the probe itself works
        heavy = sorted(m for m in loaded if any(m == h or m.startswith(h + '.') for h in HEAVY))
        assert heavy == [], (args, heavy)
        # The root help and the version are answered without click; anything else needs it.
        assert ('click' in loaded) == (args not in (['--help'], ['-h'], ['--version'])), args


@pytest.mark.parametrize('width', range(50, 99))
def test_root_help_without_click_is_clicks_own_page(width):
    """`roothelp` lays out the page itself; at every width it must equal what click renders."""
    result = CliRunner().invoke(cli, ['--help'], prog_name='synapse', terminal_width=width)
    assert result.exit_code == 0
    assert render_root_help(width) + '\n' == result.stdout


def test_console_script_help_and_version_match_click(invoke):
    env = subprocess_env(COLUMNS='64')
    for args in (['--help'], ['-h'], ['--version']):
        proc = subprocess.run([str(SYNAPSE_EXE), *args], capture_output=True, text=True, env=env)
        assert proc.returncode == 0, proc.stderr
        # --debug first makes click handle the same request.
        through_click = subprocess.run(
            [str(SYNAPSE_EXE), '--debug', *args], capture_output=True, text=True, env=env
        )
        assert proc.stdout == through_click.stdout, args
        assert proc.stderr == ''


def test_console_script_runs():
    proc = subprocess.run(
        [str(SYNAPSE_EXE), '--version'], capture_output=True, text=True, env=subprocess_env()
    )
    assert proc.returncode == 0, proc.stderr
    assert 'synapse-cli' in proc.stdout


def test_unknown_command_is_a_usage_error(invoke):
    result = invoke('nope')
    assert result.exit_code == 2
    assert "No such command 'nope'" in result.stderr


def test_unexpected_error_is_one_paragraph_without_traceback(invoke, make_plugin):
    plugin = make_plugin()
    result = invoke('plugin', 'run', 'fail', '--path', str(plugin))
    assert result.exit_code == 1
    assert 'Traceback' not in result.stderr
    assert "action 'fail' failed: RuntimeError: the disk is full" in result.stderr
    assert '--debug' in result.stderr
    debug = invoke('plugin', 'run', 'fail', '--path', str(plugin), '--debug')
    assert debug.exit_code == 1
    assert 'Traceback (most recent call last)' in debug.stderr
    assert 'the disk is full' in debug.stderr


def test_root_debug_flag_and_env(invoke, make_plugin):
    plugin = make_plugin()
    assert 'Traceback' in invoke('--debug', 'plugin', 'run', 'fail', '--path', str(plugin)).stderr
    result = invoke('plugin', 'run', 'fail', '--path', str(plugin), env={'SYNAPSE_DEBUG': '1'})
    assert 'Traceback' in result.stderr


def test_json_error_is_machine_readable(invoke, make_plugin):
    plugin = make_plugin()
    result = invoke('plugin', 'run', 'fail', '--path', str(plugin), '--json')
    assert result.exit_code == 1
    payload = json.loads(result.stdout)
    assert payload['ok'] is False
    assert payload['error']['type'] == 'action_failed'
    assert 'the disk is full' in payload['error']['message']


def test_shell_completion_through_lazy_groups():
    """What the documented `eval "$(_SYNAPSE_COMPLETE=bash_source synapse)"` relies on."""

    def complete(words: str, cword: int) -> list[str]:
        env = subprocess_env(COMP_WORDS=words, COMP_CWORD=str(cword), _SYNAPSE_COMPLETE='bash_complete')
        proc = subprocess.run([str(SYNAPSE_EXE)], capture_output=True, text=True, env=env, check=True)
        return [line.split(',', 1)[1] for line in proc.stdout.splitlines()]

    assert complete('synapse pl', 1) == ['plugin']
    assert complete('synapse plugin run x --mode ', 5) == ['local', 'task', 'job']
    assert 'validate' in complete('synapse plugin ', 2)
    source = subprocess.run(
        [str(SYNAPSE_EXE)],
        capture_output=True,
        text=True,
        env=subprocess_env(_SYNAPSE_COMPLETE='bash_source'),
    )
    assert '_synapse_completion()' in source.stdout


def test_usage_error_under_json_is_still_one_json_object(invoke, make_plugin):
    result = invoke('plugin', 'run', 'greet', '--path', str(make_plugin()), '--params', '{bad', '--json')
    assert result.exit_code == 2
    error = json.loads(result.stdout)['error']
    assert error['type'] == 'usage' and 'not valid JSON' in error['message']


def test_error_prefix_follows_synapse_language(invoke, make_plugin):
    result = invoke('plugin', 'run', 'nope', '--path', str(make_plugin()), env={'SYNAPSE_LANGUAGE': 'ko'})
    assert result.stderr.splitlines()[-1].startswith('오류: ')
    assert invoke(
        'config', 'show', env={'SYNAPSE_LANGUAGE': 'ko', 'SYNAPSE_CONFIG_PATH': '/'}
    ).stderr.startswith('오류: ')


def test_interrupt_exits_130(invoke, tmp_path):
    (tmp_path / 'cli_interrupted_actions.py').write_text(
        'from synapse_sdk.plugins.decorators import action\n\n\n'
        "@action(name='stop')\ndef stop(params, ctx):\n    raise KeyboardInterrupt\n",
        encoding='utf-8',
    )
    (tmp_path / 'config.yaml').write_text(
        'name: I\ncode: i\nactions:\n  stop:\n    entrypoint: cli_interrupted_actions:stop\n',
        encoding='utf-8',
    )
    result = invoke('plugin', 'run', 'stop', '--path', str(tmp_path), '--json')
    assert result.exit_code == 130
    assert json.loads(result.stdout)['error']['type'] == 'interrupted'
