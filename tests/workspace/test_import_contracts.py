"""Layering contracts between the distributions, read from every import in their source (lazy ones too).

Two rules (issue #17 point 4, docs/development.md "Dependencies between distributions"):

1. **No private imports across distributions.** A module of one distribution never imports a ``_private``
   module or name of another (``synapse_sdk.clients._sse``, ``from synapse_sdk.plugins.x import _helper``):
   what a sibling may use is its public surface, so that surface can be kept stable and the rest changed.
2. **Only the allowed arrows.** A distribution imports another only if it declares it as a dependency in its
   ``pyproject.toml`` (module level or lazily), or, inside a function only, along one of the optional arrows
   in ``LAZY_ARROWS`` (the importer degrades or raises an ``ImportError`` naming what to install). Anything
   else, such as storage importing converters, is a sideways import between siblings and fails.

Imports are found with ``ast`` in every ``.py`` file under ``packages/*/src``: module level, inside functions
and methods, under ``if TYPE_CHECKING:``, relative ones resolved. The owner of an imported module is the
distribution whose ``src`` folder holds it.
"""

from __future__ import annotations

import ast
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ROOT / 'packages'

# Optional arrows: allowed inside functions only, never at module level.
LAZY_ARROWS: dict[str, frozenset[str]] = {
    # design.md: core never imports a sibling at import time; it builds clients for a RuntimeContext, uses
    # storage for uploads and converters for dataset steps when they are installed. Executors (task, job ...)
    # are found through the `synapse_sdk.executors` entry points, so core names no executor distribution.
    'synapse-core': frozenset({'synapse-clients', 'synapse-storage', 'synapse-converters'}),
    # The CLI's publish, convert and Ray-job commands need these and say what to install without them.
    'synapse-cli': frozenset({'synapse-storage', 'synapse-converters', 'synapse-executors-ray'}),
}


@dataclass(frozen=True)
class Import:
    importer: str  # distribution
    path: str  # relative to the folder holding packages/
    line: int
    target: str  # dotted name as written, resolved if relative: module or module.name
    module: str  # the longest known module that `target` starts with
    owner: str  # distribution of `module`
    lazy: bool  # inside a function or under `if TYPE_CHECKING:`

    def where(self) -> str:
        return f'{self.path}:{self.line}'


def module_owners(packages: Path = PACKAGES) -> dict[str, str]:
    """``{dotted module: distribution}`` for every module under ``packages/*/src``."""
    owners: dict[str, str] = {}
    for src in sorted(packages.glob('*/src')):
        for path in src.rglob('*.py'):
            parts = list(path.relative_to(src).with_suffix('').parts)
            if parts[-1] == '__init__':
                parts = parts[:-1]
            owners['.'.join(parts)] = src.parent.name
    return owners


def _lazy_nodes(tree: ast.AST) -> set[int]:
    """ids of the nodes that do not run at import time: in function bodies, under ``if TYPE_CHECKING:``."""
    lazy: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            lazy.update(id(sub) for sub in ast.walk(node) if sub is not node)
        elif isinstance(node, ast.If) and 'TYPE_CHECKING' in ast.unparse(node.test):
            for statement in node.body:
                lazy.update(id(sub) for sub in ast.walk(statement))
    return lazy


def imports_in(source: str, module: str, is_package: bool) -> Iterator[tuple[int, str, bool]]:
    """``(line, dotted target, lazy)`` for every ``synapse_sdk`` import in ``source`` (module ``module``)."""
    tree = ast.parse(source)
    lazy = _lazy_nodes(tree)
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ''
            if node.level:
                package = module.split('.') if is_package else module.split('.')[:-1]
                package = package[: len(package) - (node.level - 1)]
                base = '.'.join([*package, base] if base else package)
            targets = [f'{base}.{alias.name}' for alias in node.names]
        else:
            continue
        for target in targets:
            if target == 'synapse_sdk' or target.startswith('synapse_sdk.'):
                yield node.lineno, target, id(node) in lazy


def _resolve(target: str, owners: dict[str, str]) -> str | None:
    parts = target.split('.')
    while parts:
        if '.'.join(parts) in owners:
            return '.'.join(parts)
        parts.pop()
    return None


def scan(packages: Path = PACKAGES) -> tuple[list[Import], list[str]]:
    """Every cross-distribution import, and the ``synapse_sdk`` imports that name no module we ship."""
    owners = module_owners(packages)
    found: list[Import] = []
    unresolved: list[str] = []
    for src in sorted(packages.glob('*/src')):
        distribution = src.parent.name
        for path in sorted(src.rglob('*.py')):
            parts = list(path.relative_to(src).with_suffix('').parts)
            is_package = parts[-1] == '__init__'
            module = '.'.join(parts[:-1] if is_package else parts)
            shown = str(path.relative_to(packages.parent))
            for line, target, lazy in imports_in(path.read_text(encoding='utf-8'), module, is_package):
                resolved = _resolve(target, owners)
                if resolved is None:
                    if target not in ('synapse_sdk', 'synapse_sdk.utils'):  # the shared namespaces
                        unresolved.append(f'{shown}:{line}: {target}')
                    continue
                if owners[resolved] != distribution:
                    found.append(Import(distribution, shown, line, target, resolved, owners[resolved], lazy))
    return found, unresolved


def is_private(target: str) -> bool:
    """A ``_name`` anywhere in the dotted path (``__dunder__`` names are public)."""
    return any(part.startswith('_') and not part.startswith('__') for part in target.split('.')[1:])


def declared_dependencies(packages: Path = PACKAGES) -> dict[str, set[str]]:
    """``{distribution: synapse-* distributions it requires}``, extras included."""
    declared: dict[str, set[str]] = {}
    for pyproject in sorted(packages.glob('*/pyproject.toml')):
        project = tomllib.loads(pyproject.read_text(encoding='utf-8'))['project']
        requirements = list(project.get('dependencies', []))
        for extra in project.get('optional-dependencies', {}).values():
            requirements.extend(extra)
        names = set()
        for requirement in requirements:
            name = requirement.split(';')[0].split('[')[0]
            for stop in '<>=!~ ':
                name = name.split(stop)[0]
            if name.startswith('synapse-'):
                names.add(name)
        declared[project['name']] = names
    return declared


def violations(imports: list[Import], declared: dict[str, set[str]]) -> tuple[list[str], list[str]]:
    """(private imports across distributions, imports along arrows that are not allowed)."""
    private, sideways = [], []
    for found in imports:
        if is_private(found.target):
            private.append(
                f'{found.where()}: {found.importer} imports {found.target} (private to {found.owner})'
            )
        if found.owner in declared.get(found.importer, set()):
            continue
        if found.owner in LAZY_ARROWS.get(found.importer, frozenset()):
            if not found.lazy:
                sideways.append(
                    f'{found.where()}: {found.importer} imports {found.target} at module level; '
                    f'{found.owner} is optional for it: import it inside the function that needs it'
                )
            continue
        sideways.append(
            f'{found.where()}: {found.importer} imports {found.target} from {found.owner}, '
            f'which it does not depend on'
        )
    return private, sideways


@pytest.fixture(scope='module')
def scanned() -> tuple[list[Import], list[str]]:
    return scan()


def test_no_private_imports_across_distributions(scanned) -> None:
    private, _ = violations(scanned[0], declared_dependencies())
    assert not private, 'private imports across distributions:\n' + '\n'.join(private)


def test_imports_follow_the_allowed_arrows(scanned) -> None:
    _, sideways = violations(scanned[0], declared_dependencies())
    assert not sideways, 'imports along arrows the design does not allow:\n' + '\n'.join(sideways)


def test_every_synapse_import_names_a_module_we_ship(scanned) -> None:
    """An import the scanner cannot place would escape both rules; it must be a typo or a removed module."""
    assert not scanned[1], 'imports of synapse_sdk modules that no distribution ships:\n' + '\n'.join(
        scanned[1]
    )


def test_the_scanner_sees_every_kind_of_import(scanned) -> None:
    source = (
        'from __future__ import annotations\n'
        'from typing import TYPE_CHECKING\n'
        'import synapse_sdk.clients._http\n'
        'from . import sibling\n'
        'from ..plugins import errors\n'
        'if TYPE_CHECKING:\n'
        '    from synapse_sdk.utils.storage import get_storage\n'
        'def later():\n'
        '    from synapse_sdk.utils.converters import _private_helper\n'
        'class Holder:\n'
        '    def method(self):\n'
        '        import synapse_sdk.cli.main as main\n'
    )
    found = list(imports_in(source, 'synapse_sdk.utils.file.archive', is_package=False))
    assert found == [
        (3, 'synapse_sdk.clients._http', False),
        (4, 'synapse_sdk.utils.file.sibling', False),
        (5, 'synapse_sdk.utils.plugins.errors', False),
        (7, 'synapse_sdk.utils.storage.get_storage', True),
        (9, 'synapse_sdk.utils.converters._private_helper', True),
        (12, 'synapse_sdk.cli.main', True),
    ]
    assert is_private('synapse_sdk.clients._http') and is_private('synapse_sdk.plugins.x._helper')
    assert not is_private('synapse_sdk.version.__version__') and not is_private('synapse_sdk.clients.backend')
    # And on the real tree it finds the arrows we know exist (so an empty result means a broken scanner).
    arrows = {(i.importer, i.owner) for i in scanned[0]}
    assert ('synapse-cli', 'synapse-core') in arrows and ('synapse-testing', 'synapse-clients') in arrows
    assert any(i.lazy for i in scanned[0]) and any(not i.lazy for i in scanned[0])


def test_a_sideways_and_a_private_import_are_caught(tmp_path) -> None:
    """The rules fail on a tree that breaks them: storage importing converters, cli using a private module."""

    def write(relative: str, text: str = '') -> None:
        path = tmp_path / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)

    for name, deps in (
        ('synapse-storage', []),
        ('synapse-converters', []),
        ('synapse-cli', ['synapse-storage']),
    ):
        requirements = ', '.join(f'"{d}>=1"' for d in deps)
        write(f'{name}/pyproject.toml', f'[project]\nname = "{name}"\ndependencies = [{requirements}]\n')
    write('synapse-converters/src/synapse_sdk/utils/converters/__init__.py')
    write('synapse-storage/src/synapse_sdk/utils/storage/__init__.py')
    write('synapse-storage/src/synapse_sdk/utils/storage/_paths.py')
    write(
        'synapse-storage/src/synapse_sdk/utils/storage/upload.py',
        'def run():\n    from synapse_sdk.utils.converters import get_converter\n',
    )
    write(
        'synapse-cli/src/synapse_sdk/cli/__init__.py', 'from synapse_sdk.utils.storage._paths import clean\n'
    )
    imports, unresolved = scan(tmp_path)
    private, sideways = violations(imports, declared_dependencies(tmp_path))
    assert unresolved == []
    assert [p.split(': ', 1)[1] for p in private] == [
        'synapse-cli imports synapse_sdk.utils.storage._paths.clean (private to synapse-storage)'
    ]
    assert (
        len(sideways) == 1
        and 'synapse-storage imports synapse_sdk.utils.converters.get_converter' in sideways[0]
    )


def test_every_optional_arrow_is_used(scanned) -> None:
    """An optional arrow no import takes any more is an allowance to remove, not to keep for later."""
    used = {(i.importer, i.owner) for i in scanned[0] if i.lazy}
    unused = sorted((a, b) for a, owners in LAZY_ARROWS.items() for b in owners if (a, b) not in used)
    assert not unused, f'optional arrows nothing takes: {unused}'
