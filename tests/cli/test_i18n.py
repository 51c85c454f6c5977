"""Issue #16 point 8: every command speaks Korean, and nothing English is left in what it prints.

Four proofs, from the data to the terminal:
- the catalogues have the same keys and placeholders in every language, and every help text (every
  command, every option) has its Korean;
- every command (groups too) takes ``--lang``/``-l``;
- no user-facing text is written as an English literal in the command modules (an AST check: what
  reaches ``echo``, ``CliError``, a prompt or a usage error comes from the catalogue);
- a battery of real invocations of every command, run in Korean, prints none of the English
  catalogue texts, and exercises nearly every catalogue key (the few it cannot reach are listed).
"""

from __future__ import annotations

import ast
import json
import os
import re
import string
from pathlib import Path

import click
import pytest

from synapse_sdk import i18n
from synapse_sdk.cli import messages
from synapse_sdk.cli.app import cli
from synapse_sdk.cli.help_texts import HELP
from synapse_sdk.cli.localized import option_key

from .test_convert import write_dm_dataset

CLI_SOURCES = Path(messages.__file__).parent
ENGLISH = messages._MESSAGES['en']
KOREAN = messages._MESSAGES['ko']


def _commands():
    """``(key, command, context)`` for every command of the tree, groups included."""
    found = []

    def walk(command, key, parent):
        ctx = click.Context(command, info_name=command.name, parent=parent)
        found.append((key, command, ctx))
        if isinstance(command, click.Group):
            for name in command.list_commands(ctx):
                walk(command.get_command(ctx, name), f'{key} {name}', ctx)

    walk(cli, 'synapse', None)
    return found


def test_catalogues_have_the_same_keys_and_placeholders():
    def fields(text):
        return sorted(name for _, name, _, _ in string.Formatter().parse(text) if name)

    assert KOREAN.keys() == ENGLISH.keys()
    for key, text in KOREAN.items():
        assert fields(text) == fields(ENGLISH[key]), key


def test_every_command_and_option_has_korean_help():
    korean = HELP['ko']
    wanted = set()
    for key, command, ctx in _commands():
        assert command.help, key
        wanted.add(key)
        assert key in korean, f'no Korean help for {key!r}'
        for param in command.get_params(ctx):
            if isinstance(param, click.Option) and param.help:
                option = option_key(param)
                assert f'{key} {option}' in korean or f'* {option}' in korean, f'{key} {option}'
                wanted.add(f'{key} {option}' if f'{key} {option}' in korean else f'* {option}')
    assert set(korean) - wanted == set(), 'translations of help that no longer exists'


def test_every_command_takes_lang():
    for key, command, ctx in _commands():
        opts = {opt for param in command.get_params(ctx) for opt in param.opts}
        assert {'-l', '--lang'} <= opts, key


# What reaches the user: the first argument of these calls must not be English prose.
_SINKS = {'echo', 'success', 'warn', 'CliError', 'prompt', 'confirm', 'UsageError', 'BadParameter'}


def _literal_prose(node: ast.AST) -> str | None:
    """The English words in a str constant or an f-string's constant parts, if any."""
    parts = []
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        parts = [node.value]
    elif isinstance(node, ast.JoinedStr):
        parts = [v.value for v in node.values if isinstance(v, ast.Constant) and isinstance(v.value, str)]
    words = re.findall(r'[A-Za-z]{2,}', ' '.join(parts))
    return ' '.join(words) if words else None


def test_no_english_literal_reaches_the_user():
    offenders = []
    for path in sorted(CLI_SOURCES.rglob('*.py')):
        tree = ast.parse(path.read_text(encoding='utf-8'))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call) or not node.args:
                continue  # (the CLI's sinks take the text first)
            name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, 'id', '')
            if name not in _SINKS:
                continue
            shown = [node.args[0]] + [k.value for k in node.keywords if k.arg in ('hint', 'details')]
            for value in shown:
                items = value.elts if isinstance(value, ast.List) else [value]
                for item in items:
                    prose = _literal_prose(item)
                    if prose:
                        offenders.append(f'{path.name}:{node.lineno}: {prose}')
    assert offenders == []


def _english_fragments() -> dict[str, list[str]]:
    """Per key, the literal pieces of its English text (two words or more) that its Korean text lacks.

    Single words ('plugin', 'backend', 'python') also occur in data (paths, names, pydantic's
    "Field required"); the one-word labels that start a line are checked apart (`_LINE_STARTS`).
    """
    fragments = {}
    for key, text in ENGLISH.items():
        pieces = [p.strip(' .,:;()') for p in re.split(r'\{[^}]*\}', text)]
        own = [p for p in pieces if re.search(r'[A-Za-z]{2,} +[A-Za-z]{2,}', p) and not _TECHNICAL.search(p)]
        if own:
            fragments[key] = own
    return fragments


# Commands, options, paths and variables are the same in every language.
_TECHNICAL = re.compile(r'--|synapse |_SYNAPSE|=|pip install|chmod|\$|/|`|\.json|\.yaml|^[a-z_]+ [a-z_|]+$')


def _english_help_pieces() -> set[str]:
    """Phrases of three words or more from every English help text (command and option)."""
    texts = []
    for _, command, ctx in _commands():
        texts.append(command.help or '')
        texts += [p.help or '' for p in command.get_params(ctx) if isinstance(p, click.Option)]
    pieces = set()
    for text in texts:
        for piece in re.split(r'[.;:()\n]|, ', text):
            piece = ' '.join(piece.split())
            if len(re.findall(r'[A-Za-z]{2,}', piece)) >= 3 and not _TECHNICAL.search(piece):
                pieces.add(piece)
    return pieces


def test_korean_texts_are_translations():
    """A Korean entry identical to the English one is an untranslated copy (technical ones aside)."""
    copies = [key for key, text in KOREAN.items() if text == ENGLISH[key] and _english_fragments().get(key)]
    assert copies == []


_LINE_STARTS = ('Error: ', 'Warning: ', 'Usage: ', 'Options:', 'Commands:', 'Result:', 'Try ')


@pytest.fixture
def korean_run(invoke, monkeypatch):
    """Invoke commands in Korean; collect everything printed and every catalogue key translated."""
    used: set[str] = set()
    translate = i18n.translate

    def recording(key, language=None, **kwargs):
        used.add(key)
        return translate(key, language, **kwargs)

    monkeypatch.setattr(i18n, 'translate', recording)
    shown: list[str] = []

    def run(*args: str, input: str | None = None, env: dict | None = None, lang: bool = True):
        """`args` with ``-l ko`` added (before a final ``--help``); with ``lang=False`` as given."""
        if lang:
            args = (*args[:-1], '-l', 'ko', '--help') if args[-1] == '--help' else (*args, '-l', 'ko')
        result = invoke(*args, input=input, env=env)
        shown.append(f'$ synapse {" ".join(args)}\n{result.stdout}{result.stderr}')
        return result

    run.used = used
    run.shown = shown
    return run


WARNING_ACTIONS = """
import warnings

from synapse_sdk.plugins.decorators import action


@action(name='greet')
def greet(params, ctx):
    warnings.warn('this helper is going away', FutureWarning)
    return {'name': params.get('name')}


@action(name='fail')
def fail(params, ctx):
    return {}
"""

# Keys the battery below cannot reach without a fault it cannot cause on a loopback machine.
UNREACHED = {
    'cli.verify.reason.dns',  # needs a resolver
    'cli.verify.reason.timeout',
    'cli.verify.reason.tls',
    'cli.verify.reason.other',
    'cli.verify.answered',
    'cli.error.interrupted',
    'cli.error.unknown_action',  # without a place: only plugins.utils.get_action_config, no command calls it
    'cli.error.missing_module',
    'cli.error.missing_module_hint',
    'cli.error.missing_distribution',  # every distribution is installed in the workspace
    'cli.error.install_hint',
    'cli.run.job_submitted',  # Ray jobs are covered in English by test_plugin_run_ray
    'cli.run.job_hint',
    'cli.job.stream_error',
    'cli.job.not_found',
    'cli.job.no_agent',
    'cli.job.no_agent_hint',
    'cli.publish.title',  # a terminal's confirmation
    'cli.publish.confirm',
    'cli.publish.refused',
    'cli.publish.refused_hint',
    'cli.backend.token_rejected',
    'cli.backend.token_rejected_hint',
    'cli.create.prompt.name',  # prompts: tests/cli/test_plugin_create.py on a pty
    'cli.create.prompt.code',
    'cli.create.prompt.category',
    'cli.create.prompt.description',
    'cli.login.prompt',
    'cli.usage.kind.option',
    'cli.usage.kind.parameter',
    'cli.usage.bad_value_unnamed',
    'cli.convert.more_problems',
    'cli.convert.row.carried_as',  # a dataset whose objects change representation
    'cli.convert.more_in_json',
    'cli.params.unreadable',
    'cli.source.missing',
    'cli.doctor.unknown_version',
    'cli.doctor.not_installed',
    'cli.doctor.optional',
    'cli.doctor.why.synapse-sdk',
    'cli.doctor.why.synapse-storage',
    'cli.doctor.why.synapse-converters',
    'cli.doctor.why.synapse-executors-ray',
    'cli.doctor.no_ray',
    'cli.doctor.ray_without_executors',
    'cli.doctor.config_broken_fix',
    'cli.validate.no_schema.params',
    'cli.validate.no_schema.result',
    'cli.validate.no_ui_schema',
    'cli.help.envvar',
    'cli.help.required',
}


@pytest.mark.integration
def test_every_command_in_korean_prints_no_english_catalogue_text(
    korean_run, make_plugin, tmp_path, synapse_backend, refusing_url, unauthorized_url, monkeypatch
):
    plugin = make_plugin()
    run = korean_run
    # Help pages of every command.
    for key, _, _ in _commands():
        assert run(*key.split()[1:], '--help').exit_code == 0, key
    # plugin: create, list, validate, run (ok, bad params, failure, warnings), publish, job logs.
    created = tmp_path / 'made'
    assert run('plugin', 'create', '--code', 'made-ko', '--path', str(created), '--yes').exit_code == 0
    run('plugin', 'create', '--code', 'made-ko', '--path', str(created), '--yes')  # exists
    run('plugin', 'create', '--code', 'Bad Code', '--path', str(created), '--yes')
    run('plugin', 'create', '--path', str(created))  # no terminal to ask on
    assert run('plugin', 'list', '--path', str(plugin)).exit_code == 0
    (tmp_path / 'empty').mkdir()
    (tmp_path / 'empty' / 'config.yaml').write_text(
        'name: E\ncode: e\nbogus: 1\nactions: {}\n', encoding='utf-8'
    )
    run('plugin', 'list', '--path', str(tmp_path / 'empty'))
    assert run('plugin', 'validate', '--path', str(plugin)).exit_code == 0
    run('plugin', 'validate', '--path', str(tmp_path / 'empty'))
    assert run('plugin', 'run', 'greet', '--path', str(plugin), '--params', '{"name": "Ada"}').exit_code == 0
    run('plugin', 'run', 'greet', '--path', str(plugin), '--params', '{"times": 0}')
    run('plugin', 'run', 'fail', '--path', str(plugin))
    run('plugin', 'run', 'greet', '--path', str(plugin), '--params', '{bad')
    run('plugin', 'run', 'greet', '--path', str(plugin), '--params', '[1]')
    run('plugin', 'run', 'greet', '--path', str(plugin), '--plugin', 'x')
    run('plugin', 'run', 'greet', '--path', str(plugin), '--mode', 'remote')
    run('plugin', 'run', 'greet', '--path', str(plugin), '--nope')
    run('plugin', 'run', '--path', str(plugin))
    run('plugin', 'runn')
    run('plugin', 'run', 'gret', '--path', str(plugin))  # an action's name mistyped
    run('plugin', 'run', 'greet', '--path', str(tmp_path / 'empty'))  # a plugin without actions
    run('doctor', '--lang', 'fr', lang=False, env={'SYNAPSE_LANGUAGE': 'ko'})
    bad_config = tmp_path / 'bad-config'
    bad_config.mkdir()
    (bad_config / 'config.yaml').write_text(
        'name: B\ncode: b\nactions:\n  a:\n    entrypoint: m:a\n    method: flying\n', encoding='utf-8'
    )
    run('plugin', 'run', 'a', '--path', str(bad_config))
    warns = make_plugin('warns', WARNING_ACTIONS)
    assert run('plugin', 'run', 'greet', '--path', str(warns)).exit_code == 0
    # Params keys with typos: one the params model does not declare, one an action without a model never read.
    run('plugin', 'run', 'greet', '--path', str(plugin), '--params', '{"name": "Ada", "timez": 2}')
    run('plugin', 'run', 'greet', '--path', str(warns), '--params', '{"nmae": "Ada"}')
    monkeypatch.chdir(tmp_path)
    run('plugin', 'run', 'greet')  # no config.yaml here
    # --fake-backend: an empty one, a seeded one, a bad seed, and the options it does not go with.
    made = created / 'made-ko'
    assert run('plugin', 'run', 'hello', '--path', str(made), '--fake-backend').exit_code == 0
    run('plugin', 'create', '--code', 'made-export', '-c', 'export', '--path', str(created), '--yes')
    export = created / 'made-export'
    params = f'@{export / "samples" / "params" / "export.json"}'
    exported = run('plugin', 'run', 'export', '--path', str(export), '--params', params, '--fake-backend')
    assert exported.exit_code == 0, run.shown[-1]
    (tmp_path / 'bad-seed.json').write_text('{"projcts": []}', encoding='utf-8')
    run(
        'plugin',
        'run',
        'hello',
        '--path',
        str(made),
        '--fake-backend',
        '--seed',
        str(tmp_path / 'bad-seed.json'),
    )
    run('plugin', 'run', 'hello', '--path', str(made), '--seed', str(tmp_path / 'bad-seed.json'))
    run('plugin', 'run', 'hello', '--path', str(made), '--fake-backend', '--mode', 'task')
    with (created / 'made-ko' / 'requirements.txt').open('a', encoding='utf-8') as fh:
        fh.write('pydantic>=2\n')
    run('plugin', 'publish', '--path', str(created / 'made-ko'), '--dry-run')
    run('plugin', 'publish', '--path', str(tmp_path / 'empty'), '--dry-run')
    run('plugin', 'publish', '--path', str(plugin), '--yes', env={'SYNAPSE_ACCESS_TOKEN': ''})
    run('plugin', 'publish', '--path', str(created / 'made-ko'), '--yes')  # to the fake backend
    run('plugin', 'job', 'logs', 'job-1', env={'SYNAPSE_ACCESS_TOKEN': ''})
    # convert: a real conversion and a broken dataset
    source = write_dm_dataset(tmp_path / 'dm', count=3)
    assert run('convert', 'dm_v2', 'yolo', str(source), str(tmp_path / 'yolo')).exit_code == 0
    broken = write_dm_dataset(tmp_path / 'dm-broken', count=3, broken=3)
    run('convert', 'dm_v2', 'yolo', str(broken), str(tmp_path / 'yolo-2'))
    run('convert', 'dm_v2', 'yolo', str(broken), str(tmp_path / 'yolo-3'), '--on-error', 'skip')
    # login, config, doctor
    token = synapse_backend.access_token
    assert run('login', '--host', synapse_backend.url, '--token-stdin', input=token).exit_code == 0
    run('login', '--host', refusing_url, '--token-stdin', input='tok_abcdef123456')
    run('login', '--host', unauthorized_url, '--token-stdin', input='tok_abcdef123456')
    run('login', '--host', refusing_url, '--token-stdin', '--no-verify', input='tok_abcdef123456')
    run('login', '--host', 'ftp://x', '--token-stdin', input='t')
    run('login', '--token-stdin', input='')
    run('login', '--token-stdin', input='two words')
    run('login')
    run(
        'login',
        '--host',
        'http://synapse.example.com',
        '--token-stdin',
        '--no-verify',
        input='tok_abcdef123456',
    )
    run('config', 'show')
    no_file = {
        'SYNAPSE_CONFIG_PATH': str(tmp_path / 'none.json'),
        'SYNAPSE_ACCESS_TOKEN': None,
        'SYNAPSE_HOST': None,
    }
    run('config', 'show', env=no_file)
    run('doctor', env=no_file)
    Path(os.environ['SYNAPSE_CONFIG_PATH']).chmod(0o644)
    run('doctor', env={'SYNAPSE_HOST': refusing_url})
    run(
        'doctor',
        '--offline',
        env={'SYNAPSE_CONFIG_PATH': str(tmp_path / 'none.json'), 'SYNAPSE_ACCESS_TOKEN': ''},
    )
    run('doctor', env={'SYNAPSE_HOST': unauthorized_url})
    run('--nope')

    output = '\n'.join(run.shown)
    leaks = [
        f'{key}: {fragment!r}'
        for key, fragments in _english_fragments().items()
        for fragment in fragments
        if fragment in output
    ]
    assert leaks == [], '\n'.join(leaks) + '\n' + output
    starts = [line for line in output.splitlines() if line.lstrip().startswith(_LINE_STARTS)]
    assert starts == []
    flat = ' '.join(output.split())  # help pages are re-wrapped: compare with whitespace collapsed
    help_leaks = [piece for piece in _english_help_pieces() if piece in flat]
    assert help_leaks == []
    missed = sorted(set(ENGLISH) - run.used - UNREACHED)
    assert missed == [], f'catalogue keys this battery never printed: {missed}'
    assert not (UNREACHED & run.used), sorted(UNREACHED & run.used)  # keep the list honest
    assert '오류: ' in output and '사용법: ' in output


def test_korean_json_keeps_its_keys(invoke, make_plugin):
    """Machine-readable output does not change with the language: keys, types, check names."""
    english = json.loads(invoke('doctor', '--offline', '--json').stdout)
    korean = json.loads(invoke('doctor', '--offline', '--json', '-l', 'ko').stdout)
    assert [c['name'] for c in korean['checks']] == [c['name'] for c in english['checks']]
    assert korean['summary'] == english['summary']
