"""``synapse plugin create``: scaffold a plugin for one category from the bundled templates.

The generated plugin passes ``synapse plugin validate``; every action runs with the sample params in
``samples/params/`` (against the fake backend and ``samples/backend.json`` where it needs one), and
``pytest`` passes in its folder. An author starts from something that works and changes it step by step.
"""

from __future__ import annotations

import json
import re
import shlex
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from string import Template
from typing import TYPE_CHECKING

import click

from synapse_sdk.cli.errors import EXIT_INPUT, CliError
from synapse_sdk.cli.localized import LocalizedCommand
from synapse_sdk.cli.messages import t
from synapse_sdk.cli.options import debug_option, json_option, lang_option
from synapse_sdk.cli.output import get_output, is_interactive

if TYPE_CHECKING:
    from importlib.resources.abc import Traversable

CATEGORIES = (
    'neural_net',
    'export',
    'upload',
    'smart_tool',
    'pre_annotation',
    'post_annotation',
    'data_validation',
    'custom',
)
# Actions whose printed run command uses --fake-backend (they read from or write to the backend).
USES_BACKEND = {
    'neural_net': ('train',),
    'export': ('export',),
    'upload': ('upload',),
    'pre_annotation': ('to_task',),
}
# The plugin's own pyproject dependencies: what its actions import at run time.
_DEPENDENCIES = {
    'neural_net': ('synapse-core', 'synapse-clients'),
    'export': ('synapse-core', 'synapse-clients'),
    'upload': ('synapse-core', 'synapse-clients', 'synapse-storage'),
    'pre_annotation': ('synapse-core', 'synapse-clients'),
    'smart_tool': ('synapse-core',),
    'post_annotation': ('synapse-core',),
    'data_validation': ('synapse-core',),
    'custom': ('synapse-core',),
}
_CODE_RE = re.compile(r'^[a-z][a-z0-9_-]{1,62}$')
_RENAMES = {'gitignore': '.gitignore', 'synapseignore': '.synapseignore'}


@click.command(cls=LocalizedCommand)
@click.option('--name', '-n', help='Human-readable plugin name (e.g. "YOLO Trainer").')
@click.option('--code', help='Plugin code: lowercase letters, digits, - and _ (default: from the name).')
@click.option('--category', '-c', type=click.Choice(CATEGORIES), help='Plugin category (default: custom).')
@click.option('--description', '-d', help='One-line description.')
@click.option(
    '--path',
    '-p',
    'parent',
    type=click.Path(file_okay=False, path_type=Path),
    default=Path('.'),
    show_default=True,
    help='Directory in which the plugin folder <code>/ is created.',
)
@click.option('--yes', '-y', is_flag=True, help='Accept defaults for everything not given; never prompt.')
@lang_option
@json_option
@debug_option
def create(
    name: str | None,
    code: str | None,
    category: str | None,
    description: str | None,
    parent: Path,
    yes: bool,
    language: str,
) -> None:
    """Scaffold a new plugin in PATH/<code>/ (config.yaml, an actions package, samples, tests, ignore files).

    It prints the commands to try next, each of which works as printed: validate, run every action
    with its sample params (against the fake backend where the action needs one), and pytest.

    \b
    Examples:
      synapse plugin create                                   # asks on a terminal
      synapse plugin create --name "YOLO Trainer" --category neural_net --yes
    """
    out = get_output()
    ask = is_interactive() and not yes
    if ask:
        name = name or click.prompt(
            t('cli.create.prompt.name'), default=_title(code) if code else 'My Plugin'
        )
        code = code or click.prompt(t('cli.create.prompt.code'), default=_slug(name))
        category = category or click.prompt(
            t('cli.create.prompt.category'), type=click.Choice(CATEGORIES), default='custom'
        )
        description = description or click.prompt(
            t('cli.create.prompt.description'), default=f'{name} plugin'
        )
    elif not (name or code or yes):
        raise CliError(t('cli.create.no_name'), hint=t('cli.create.no_name_hint'), exit_code=EXIT_INPUT)
    name = name or (_title(code) if code else 'My Plugin')
    code = code or _slug(name)
    category = category or 'custom'
    description = description or f'{name} plugin'
    if not _CODE_RE.match(code):
        raise CliError(t('cli.create.bad_code', code=repr(code)), exit_code=EXIT_INPUT)
    target = (parent / code).resolve()
    if target.exists():
        raise CliError(t('cli.create.exists', path=target), exit_code=EXIT_INPUT)

    values = {
        'name': name,
        'name_yaml': json.dumps(name, ensure_ascii=False),
        'code': code,
        'module': _module_name(code),
        'category': category,
        'description': description,
        'description_yaml': json.dumps(description, ensure_ascii=False),
        'description_toml': json.dumps(description, ensure_ascii=False),
        'version': '0.1.0',
    }
    files, actions = render_plugin(category, values)
    write_atomically(target, files)
    steps = [f'cd {shlex.quote(str(target))}', *next_commands(category, actions)]
    if out.json_mode:
        out.emit_json(
            {
                'ok': True,
                'path': str(target),
                'code': code,
                'category': category,
                'files': sorted(files),
                'next': steps,
            }
        )
        return
    out.success(t('cli.create.done', category=category, code=repr(code), path=target))
    for relative in sorted(files):
        out.echo(f'  {relative}')
    out.echo(t('cli.create.next'), bold=True)
    for step in steps:
        out.echo(f'  {step}')


def next_commands(category: str, actions: list[str]) -> list[str]:
    """What to run in a new plugin's folder: validate, each action with its sample params, its tests.

    `plugin create` prints them and the plugin's README lists them; tests/cli runs them as printed.
    """
    commands = ['synapse plugin validate']
    for action in actions:
        flags = ' --fake-backend' if action in USES_BACKEND.get(category, ()) else ''
        commands.append(f'synapse plugin run {action} --params @samples/params/{action}.json{flags}')
    commands.append('pytest')
    return commands


def render_plugin(category: str, values: dict[str, str]) -> tuple[dict[str, str | bytes], list[str]]:
    """``({relative path: content}, action names)`` of a new plugin of `category`.

    The base templates, then the category's on top; ``.b64`` files are decoded to bytes (sample images).
    """
    import base64
    from importlib import resources

    root = resources.files('synapse_sdk.cli') / 'templates'
    actions_yaml = Template((root / category / 'actions.yaml.tmpl').read_text(encoding='utf-8'))
    actions_text = actions_yaml.substitute(values)
    actions = re.findall(r'^  (\w+):', actions_text, re.MULTILINE)
    flags = ' --fake-backend' if actions[0] in USES_BACKEND.get(category, ()) else ''
    values = {
        **values,
        'first_action': actions[0],
        'first_flags': flags,
        'next_commands': '\n'.join(next_commands(category, actions)),
        'dependencies': _requirements(_DEPENDENCIES[category]),
        'test_dependencies': _requirements(('pytest', 'synapse-testing')),
    }
    files: dict[str, str | bytes] = {}
    for layer in ('base', category):
        for relative, text in _walk(root / layer):
            if relative == 'actions.yaml.tmpl':
                continue
            parts = relative.removesuffix('.tmpl').removesuffix('.b64').split('/')
            path = '/'.join(values['module'] if p == 'package' else _RENAMES.get(p, p) for p in parts)
            if relative.endswith('.b64'):
                files[path] = base64.b64decode(text)
            else:
                files[path] = Template(text).substitute(values)
    config = files['config.yaml']
    if not isinstance(config, str):  # pragma: no cover - base/config.yaml.tmpl is a text template
        raise TypeError('the config.yaml template must be text')
    files['config.yaml'] = config + actions_text
    return files, actions


def _requirements(names: tuple[str, ...]) -> str:
    """TOML list items, each bounded below by the version installed here (the SDK it was made with)."""
    from synapse_sdk.cli.versions import installed_distributions

    installed = installed_distributions()
    floors = {'pytest': '8'}
    items = []
    for name in names:
        floor = installed.get(name) or floors.get(name)
        items.append(json.dumps(f'{name}>={floor}' if floor else name))
    return ', '.join(items)


def _walk(folder: Traversable, prefix: str = '') -> Iterator[tuple[str, str]]:
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        relative = f'{prefix}{entry.name}'
        if entry.is_dir():
            yield from _walk(entry, relative + '/')
        elif entry.name.endswith(('.tmpl', '.b64')):
            yield relative, entry.read_text(encoding='utf-8')


def write_atomically(target: Path, files: dict[str, str | bytes]) -> None:
    """Write every file into a temp dir beside `target`, then rename it into place (all or nothing)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f'.{target.name}-', dir=target.parent))
    try:
        for relative, content in files.items():
            path = staging / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, bytes):
                path.write_bytes(content)
            else:
                path.write_text(content, encoding='utf-8')
        staging.rename(target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def _slug(name: str) -> str:
    slug = re.sub(r'[^a-z0-9]+', '-', name.lower()).strip('-')
    if not slug or not slug[0].isalpha():
        slug = f'plugin-{slug}'.strip('-')
    return slug[:63]


def _title(code: str) -> str:
    return re.sub(r'[-_]+', ' ', code).title()


def _module_name(code: str) -> str:
    """The plugin's Python package name: the code in snake case, suffixed if it would shadow a module."""
    import importlib.util
    import keyword
    import sys

    module = code.replace('-', '_')
    taken = module in sys.stdlib_module_names or keyword.iskeyword(module) or module == 'synapse_sdk'
    if not taken:
        try:
            taken = importlib.util.find_spec(module) is not None
        except (ImportError, ValueError):
            taken = False
    return f'{module}_plugin' if taken else module
