"""The shape of the code: one direction of dependency, no import cycle, no hidden import.

``worker`` is the engine and runs alone (the RQ worker, the CLI); ``app`` is the web tier on
top of it. An import inside a function is how a cycle hides: the module graph looks acyclic
to a reader while two modules need each other at run time. So the rule is checked on the
graph that counts every import, at module level or not, and inner imports are allowed only
for optional packages that a deployment may not have installed.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("worker", "app")
# Imported inside a function because they are optional extras or development-only
# dependencies, loaded only where they are used.
OPTIONAL = {"sentry_sdk", "fakeredis"}


def modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            found[name] = path
    return found


def imports(path: Path, known: dict[str, Path]) -> Iterator[tuple[str, int, bool]]:
    """(module imported, line, whether inside a function) for each import of ours."""
    tree = ast.parse(path.read_text())
    inner = {
        id(node)
        for fn in ast.walk(tree)
        if isinstance(fn, ast.FunctionDef | ast.AsyncFunctionDef)
        for node in ast.walk(fn)
    }
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            # ``from worker.jobs import queue`` names a module; ``from worker.x import f`` not.
            names = [
                f"{node.module}.{alias.name}"
                if f"{node.module}.{alias.name}" in known
                else node.module
                for alias in node.names
            ]
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "import_module"
            and node.args
            and isinstance(node.args[0], ast.Constant)
        ):
            names = [str(node.args[0].value)]  # importlib's, by name: a hidden import too
        else:
            continue
        for name in names:
            yield name, node.lineno, id(node) in inner


def graph() -> dict[str, set[str]]:
    known = modules()
    return {
        name: {target for target, _, _ in imports(path, known) if target in known}
        for name, path in known.items()
    }


def test_the_engine_never_imports_the_web_tier() -> None:
    known = modules()
    upward = [
        f"{path.relative_to(ROOT)}:{line} imports {target}"
        for name, path in known.items()
        if name.startswith("worker")
        for target, line, _ in imports(path, known)
        if target == "app" or target.startswith("app.")
    ]
    assert not upward


def test_no_import_inside_a_function_but_optional_packages() -> None:
    known = modules()
    hidden = [
        f"{path.relative_to(ROOT)}:{line} imports {target}"
        for path in known.values()
        for target, line, inside in imports(path, known)
        if inside
        and target.partition(".")[0] not in OPTIONAL
        # The app factory registers its blueprints: each imports the app package.
        and not (path == ROOT / "app" / "__init__.py" and target.startswith("app."))
    ]
    assert not hidden


def test_the_module_graph_has_no_cycle() -> None:
    edges = graph()
    # A package's __init__ importing its own modules is how packages expose them, not a
    # dependency of the modules on the package.
    for name, targets in edges.items():
        edges[name] = {t for t in targets if not name.startswith(t + ".") and t != name}
    state: dict[str, int] = {}
    cycles: list[list[str]] = []

    def visit(node: str, trail: list[str]) -> None:
        state[node] = 1
        for target in sorted(edges[node]):
            if state.get(target) == 1:
                cycles.append([*trail[trail.index(target) :], target])
            elif target not in state:
                visit(target, [*trail, target])
        state[node] = 2

    for node in sorted(edges):
        if node not in state:
            visit(node, [node])
    assert not cycles, "\n".join(" → ".join(c) for c in cycles)


def test_no_two_modules_of_the_engine_share_a_file_name() -> None:
    names: dict[str, list[str]] = {}
    for path in (ROOT / "worker").rglob("*.py"):
        if path.name != "__init__.py":
            names.setdefault(path.name, []).append(str(path.relative_to(ROOT)))
    assert {name: paths for name, paths in names.items() if len(paths) > 1} == {}
