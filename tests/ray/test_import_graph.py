"""The executors-ray package has no import cycle, lazy imports inside functions included.

Driver-side modules (`task`, `pipeline`, `serve`) and worker-side code (`worker`) used to import each
other from inside functions, which works only as long as nobody moves an import to module level. The
graph here is read from the source with `ast`: every ``import``/``from ... import`` anywhere in a
module (module level, functions, ``TYPE_CHECKING`` blocks) and every string literal that names a module
of the package where it is used to import it: in an ``import_module(...)``/``__import__(...)`` call, or
as a value of a dict literal (the package's lazy attribute map). A logger named after the package is
not an import.
"""

from __future__ import annotations

import ast
from pathlib import Path

import synapse_sdk.plugins.executors.ray as ray_pkg

PACKAGE = ray_pkg.__name__
DRIVER_SIDE = {'task', 'pipeline', 'serve', 'jobs_api', 'connection', 'modes', 'cluster'}


def _modules(root: Path, package: str) -> dict[str, Path]:
    found = {}
    for path in sorted(root.rglob('*.py')):
        parts = list(path.relative_to(root).with_suffix('').parts)
        if parts[-1] == '__init__':
            parts.pop()
        found['.'.join([package, *parts])] = path
    return found


def _is_package(path: Path) -> bool:
    return path.name == '__init__.py'


def _called_name(call: ast.Call) -> str:
    func = call.func
    return func.attr if isinstance(func, ast.Attribute) else getattr(func, 'id', '')


def import_graph(root: Path, package: str) -> dict[str, set[str]]:
    """``{module: {package modules it imports}}`` for every module under `root` (the package dir)."""
    modules = _modules(root, package)
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        tree = ast.parse(path.read_text(encoding='utf-8'), filename=str(path))
        base = name if _is_package(path) else name.rpartition('.')[0]
        for node in ast.walk(tree):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    anchor = base.split('.')
                    anchor = anchor[: len(anchor) - (node.level - 1)]
                    source = '.'.join([*anchor, node.module] if node.module else anchor)
                else:
                    source = node.module or ''
                for alias in node.names:
                    sub = f'{source}.{alias.name}'
                    targets.append(sub if sub in modules else source)
            elif isinstance(node, ast.Call) and _called_name(node) in ('import_module', '__import__'):
                targets = [a.value for a in node.args[:1] if isinstance(a, ast.Constant)]
            elif isinstance(node, ast.Dict):
                targets = [v.value for v in node.values if isinstance(v, ast.Constant)]
            targets = [t for t in targets if isinstance(t, str)]
            for target in targets:
                # `import a.b.c` makes `a.b.c` the dependency; walk up to the nearest package module.
                while target and target not in modules and '.' in target:
                    target = target.rpartition('.')[0]
                if target in modules and target != name:
                    graph[name].add(target)
    return graph


def find_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Every strongly connected group of more than one module (Tarjan), each as a sorted list."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in graph.get(node, ()):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                cycles.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return cycles


def _package_graph() -> dict[str, set[str]]:
    return import_graph(Path(ray_pkg.__file__).parent, PACKAGE)


def test_the_package_has_no_import_cycle():
    graph = _package_graph()
    assert len(graph) > 10  # every module was read
    assert find_cycles(graph) == []


def test_worker_side_code_imports_nothing_from_the_driver_side():
    graph = _package_graph()
    worker = f'{PACKAGE}.worker'
    driver = {f'{PACKAGE}.{name}' for name in DRIVER_SIDE}
    assert graph[worker] & driver == set()
    # Both driver-side users of the worker code import it (and not each other's internals).
    assert worker in graph[f'{PACKAGE}.task']
    assert f'{PACKAGE}.pipeline' not in graph[f'{PACKAGE}.task']


def test_the_checker_sees_lazy_relative_and_string_imports(tmp_path):
    """The same checker finds a cycle closed only by an import inside a function."""
    pkg = tmp_path / 'pkg'
    (pkg / 'sub').mkdir(parents=True)
    (pkg / '__init__.py').write_text("_LAZY = {'thing': 'pkg.c'}\n")
    (pkg / 'a.py').write_text('from pkg import b\n')
    (pkg / 'b.py').write_text('def later():\n    from .sub import deep\n')
    (pkg / 'sub' / '__init__.py').write_text('')
    (pkg / 'sub' / 'deep.py').write_text('def f():\n    import pkg.a.x\n')
    (pkg / 'c.py').write_text("import importlib, logging\nlog = logging.getLogger('pkg')\n")
    (pkg / 'd.py').write_text("import importlib\nimportlib.import_module('pkg.c')\n")
    graph = import_graph(pkg, 'pkg')
    assert graph['pkg'] == {'pkg.c'}
    assert graph['pkg.b'] == {'pkg.sub.deep'}
    assert graph['pkg.c'] == set()  # a logger name is not an import
    assert graph['pkg.d'] == {'pkg.c'}
    assert find_cycles(graph) == [['pkg.a', 'pkg.b', 'pkg.sub.deep']]
