"""``synapse plugin create``: scaffold a plugin for one category from the bundled templates.

The generated plugin passes ``synapse plugin validate`` and each of its actions runs with its
default params, so an author starts from something that works and changes it step by step.
"""

from __future__ import annotations

import json
import re
import shutil
import tempfile
from pathlib import Path
from string import Template

import click

from synapse_sdk.cli.errors import EXIT_INPUT, CliError
from synapse_sdk.cli.localized import LocalizedCommand
from synapse_sdk.cli.messages import t
from synapse_sdk.cli.options import debug_option, json_option, lang_option
from synapse_sdk.cli.output import get_output, is_interactive

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
    """Scaffold a new plugin in PATH/<code>/ (config.yaml, an actions package, ignore files).

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
        'version': '0.1.0',
    }
    files = render_plugin(category, values)
    write_atomically(target, files)
    if out.json_mode:
        out.emit_json(
            {'ok': True, 'path': str(target), 'code': code, 'category': category, 'files': sorted(files)}
        )
        return
    out.success(t('cli.create.done', category=category, code=repr(code), path=target))
    for relative in sorted(files):
        out.echo(f'  {relative}')
    out.echo(t('cli.create.next', path=target, action=values['first_action']))


def render_plugin(category: str, values: dict[str, str]) -> dict[str, str]:
    """``{relative path: content}`` of a new plugin of `category` (base templates, then the category's)."""
    from importlib import resources

    root = resources.files('synapse_sdk.cli') / 'templates'
    actions_yaml = Template((root / category / 'actions.yaml.tmpl').read_text(encoding='utf-8'))
    actions_text = actions_yaml.substitute(values)
    values['first_action'] = re.search(r'^  (\w+):', actions_text, re.MULTILINE).group(1)
    files: dict[str, str] = {}
    for layer in ('base', category):
        for relative, text in _walk(root / layer):
            if relative == 'actions.yaml.tmpl':
                continue
            parts = relative.removesuffix('.tmpl').split('/')
            path = '/'.join(values['module'] if p == 'package' else _RENAMES.get(p, p) for p in parts)
            files[path] = Template(text).substitute(values)
    files['config.yaml'] += actions_text
    return files


def _walk(folder, prefix: str = ''):
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        relative = f'{prefix}{entry.name}'
        if entry.is_dir():
            yield from _walk(entry, relative + '/')
        elif entry.name.endswith('.tmpl'):
            yield relative, entry.read_text(encoding='utf-8')


def write_atomically(target: Path, files: dict[str, str]) -> None:
    """Write every file into a temp dir beside `target`, then rename it into place (all or nothing)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f'.{target.name}-', dir=target.parent))
    try:
        for relative, content in files.items():
            path = staging / relative
            path.parent.mkdir(parents=True, exist_ok=True)
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
