"""The import graph of ``pggit_sql``: no circle, and no import inside a function that could hide one.

Every module of the package is parsed with :mod:`ast` (nothing is imported), and every
``import``/``from ... import`` of a ``pggit_sql`` module becomes an edge, those inside
functions and classes included.  The graph must have no cycle, and an import of a
``pggit_sql`` module anywhere but at a module's top level must be listed in
:data:`ALLOWED_INNER_IMPORTS` with the reason it is there.  Imports of optional
third-party libraries inside functions (hypothesis, psutil in the
test layer) are not pggit_sql imports and are not counted.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "pggit_sql"

#: (importing module, function, imported module) of every pggit_sql import inside a function,
#: each with the reason it is not at the top of its module.  Empty: the connection core
#: (pggit_sql.db) and the split of catalog snapshots (read: pggit_sql.snapshots; write:
#: pggit_sql.snapshot_writer) and of the server account (pggit_sql.accounts) removed the
#: circles these imports used to hide.
ALLOWED_INNER_IMPORTS: dict[tuple[str, str, str], str] = {}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, Path]:
    return {module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


def imported(node: ast.Import | ast.ImportFrom, package: str, known: dict[str, Path]) -> list[str]:
    """The pggit_sql modules ``node`` imports (``from pggit_sql import db`` names the module pggit_sql.db)."""
    if isinstance(node, ast.Import):
        names = [alias.name for alias in node.names]
    else:
        base = node.module or ""
        if node.level:
            anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
            base = ".".join([*anchor, base] if base else anchor)
        names = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base for alias in node.names]
    return [name for name in names if name in known]


def import_edges() -> tuple[dict[str, set[str]], list[tuple[str, str, str, int]]]:
    """Every module's pggit_sql imports, and those not at a module's top level (module, function, target, line)."""
    known = modules()
    edges: dict[str, set[str]] = {name: set() for name in known}
    inner: list[tuple[str, str, str, int]] = []
    for name, path in known.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]

        def visit(node: ast.AST, scope: str | None, name: str = name, package: str = package) -> None:
            for child in ast.iter_child_nodes(node):
                if isinstance(child, ast.Import | ast.ImportFrom):
                    for target in imported(child, package, known):
                        if target != name:
                            edges[name].add(target)
                            if scope is not None:
                                inner.append((name, scope, target, child.lineno))
                inner_scope = scope
                if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                    inner_scope = f"{scope}.{child.name}" if scope else child.name
                visit(child, inner_scope)

        visit(ast.parse(path.read_text(encoding="utf-8"), str(path)), None)
    return edges, inner


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def connect(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(edges[v]):
            if w not in index:
                connect(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(edges):
        if v not in index:
            connect(v)
    return found


def test_the_graph_sees_every_module_and_its_imports() -> None:
    edges, _ = import_edges()
    assert {"pggit_sql.db", "pggit_sql.migrate", "pggit_sql.cli", "pggit_sql.testing.plugin"} <= edges.keys()
    assert "pggit_sql.db" in edges["pggit_sql.migrate"]
    assert "pggit_sql.migrate" in edges["pggit_sql.cli"]


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_pggit_sql_has_no_import_circle() -> None:
    edges, _ = import_edges()
    assert cycles(edges) == [], "import circles in pggit_sql (function-level imports included)"


def test_every_function_level_import_of_pggit_sql_is_allowed_with_a_reason() -> None:
    _, inner = import_edges()
    unlisted = [f"{module}:{line} {scope} imports {target}" for module, scope, target, line in inner
                if (module, scope, target) not in ALLOWED_INNER_IMPORTS]
    assert unlisted == [], "move these imports to the top of their module (or list them, with the reason)"
    stale = sorted(set(ALLOWED_INNER_IMPORTS) - {(module, scope, target) for module, scope, target, _ in inner})
    assert stale == [], "allowed inner imports that no longer exist: remove them from the list"
    assert all(reason.strip() for reason in ALLOWED_INNER_IMPORTS.values())


def test_the_connection_core_imports_nothing_but_the_errors() -> None:
    edges, _ = import_edges()
    assert edges["pggit_sql.db"] <= {"pggit_sql.errors"}
    assert edges["pggit_sql.errors"] == set()
