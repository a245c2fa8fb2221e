"""No import cycle anywhere in src/ticketfakes (issue #18, docs/contract-checks.md "Layout").

Every module is parsed with `ast`; every `import` and `from ... import` counts, absolute or relative,
at module level or inside a function (a lazy import still makes one module depend on another), and so
do imports under `if TYPE_CHECKING:`. A cycle in the module graph fails the test, naming its modules.

`from package import name` depends on `package.name` when that is a module and on the package's
`__init__` otherwise. Importing `a.b` is not counted as depending on `a`: a package's `__init__` may
import its own submodules (that is where registration lives), never the other way round.
"""

from __future__ import annotations

import ast
from pathlib import Path

import ticketfakes

SOURCE_ROOT = Path(ticketfakes.__file__).resolve().parent


def module_names(root: Path) -> dict[str, Path]:
    """Dotted name of every module under the package directory `root`, e.g. `pkg.sub.mod`."""
    modules = {}
    for path in sorted(root.rglob("*.py")):
        parts = [root.name, *path.relative_to(root).with_suffix("").parts]
        if parts[-1] == "__init__":
            parts.pop()
        modules[".".join(parts)] = path
    return modules


def _imported_modules(node: ast.Import | ast.ImportFrom, module: str, is_package: bool, known: set[str]) -> set[str]:
    """The modules of `known` that one import statement in `module` depends on."""
    if isinstance(node, ast.Import):
        targets = [alias.name for alias in node.names]
    else:
        if node.level:
            package = module.split(".") if is_package else module.split(".")[:-1]
            base_parts = package[: len(package) - (node.level - 1)]
            base = ".".join([*base_parts, *([node.module] if node.module else [])])
        else:
            base = node.module or ""
        targets = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base for alias in node.names]
    found = set()
    for target in targets:
        # `import a.b.c` where only `a.b` is ours (c a name) still depends on `a.b`.
        while target and target not in known:
            target = target.rpartition(".")[0]
        if target:
            found.add(target)
    return found


def import_graph(root: Path) -> dict[str, set[str]]:
    """Module -> the modules of the same tree it imports anywhere in its source."""
    modules = module_names(root)
    known = set(modules)
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        is_package = path.name == "__init__.py"
        edges: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
            if isinstance(node, ast.Import | ast.ImportFrom):
                edges |= _imported_modules(node, name, is_package, known)
        edges.discard(name)
        graph[name] = edges
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan), each sorted, the list sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for successor in sorted(graph.get(node, ())):
            if successor not in index:
                visit(successor)
                low[node] = min(low[node], low[successor])
            elif successor in on_stack:
                low[node] = min(low[node], index[successor])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                components.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return sorted(components)


def test_no_import_cycle_in_src() -> None:
    graph = import_graph(SOURCE_ROOT)
    assert len(graph) > 50, sorted(graph)  # the scan really saw the package
    found = cycles(graph)
    assert found == [], "import cycles in src/ticketfakes:\n" + "\n".join(" <-> ".join(c) for c in found)


def _write_tree(root: Path, files: dict[str, str]) -> Path:
    for relative, text in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root / "pkg"


def test_scan_sees_lazy_relative_and_package_imports(tmp_path: Path) -> None:
    package = _write_tree(
        tmp_path,
        {
            "pkg/__init__.py": "",
            "pkg/a.py": "def f():\n    from .b import g\n    return g\n",
            "pkg/b.py": "from pkg import a\n",
            "pkg/rules/__init__.py": "from . import vendor\nSHARED = 1\n",
            "pkg/rules/vendor.py": "from .. import rules\n",
            "pkg/leaf.py": "import pkg.rules.vendor\nfrom pkg.rules import SHARED\n",
        },
    )
    graph = import_graph(package)
    assert graph["pkg.a"] == {"pkg.b"}
    assert graph["pkg.b"] == {"pkg.a"}
    assert graph["pkg.rules"] == {"pkg.rules.vendor"}
    assert graph["pkg.leaf"] == {"pkg.rules", "pkg.rules.vendor"}
    assert cycles(graph) == [["pkg.a", "pkg.b"], ["pkg.rules", "pkg.rules.vendor"]]


def test_scan_accepts_an_init_that_imports_its_own_submodules(tmp_path: Path) -> None:
    package = _write_tree(
        tmp_path,
        {
            "pkg/__init__.py": "from pkg.rules import registry\n",
            "pkg/rules/__init__.py": "from .base import Rule\nfrom . import vendor\nregistry = [vendor]\n",
            "pkg/rules/base.py": "class Rule: ...\n",
            "pkg/rules/vendor.py": "from .base import Rule\n",
        },
    )
    assert cycles(import_graph(package)) == []
