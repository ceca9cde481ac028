"""The layout stays as docs/ and the README describe it (issue #14).

Read from the source with `ast`, never by importing: no module of the project
imports another that (directly or not) imports it back, the apps never import
the wiring package `config`, and nothing cites a file outside the repository.
Imports inside functions count too: hiding one there to dodge a circle is the
very thing this guards against.
"""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("config", "reception", "visitors", "customers", "bench")
APPS = ("reception", "visitors", "customers")


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def project_modules() -> dict[str, Path]:
    modules = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")) if (ROOT / package).is_dir() else []:
            modules[_module_name(path)] = path
    return modules


def _resolve(name: str, modules: dict[str, Path]) -> str | None:
    """The longest project module that `name` names (a.b.c → a.b if c is a
    function of a.b); None outside the project."""
    while name:
        if name in modules:
            return name
        name = name.rpartition(".")[0]
    return None


def imports_of(module: str, path: Path, modules: dict[str, Path]) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            # `from visitors import audit` imports the module visitors.audit.
            names = [f"{base}.{alias.name}" for alias in node.names] + [base]
        else:
            continue
        for name in names:
            target = _resolve(name, modules)
            if target is not None and target != module:
                found.add(target)
    return found


def import_graph() -> dict[str, set[str]]:
    modules = project_modules()
    return {module: imports_of(module, path, modules) for module, path in modules.items()}


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for successor in graph.get(node, ()):
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
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_the_walker_sees_a_circle_when_there_is_one():
    graph = {"a.x": {"a.y"}, "a.y": {"a.z"}, "a.z": {"a.x"}, "a.w": {"a.x"}}
    assert circles(graph) == [["a.x", "a.y", "a.z"]]


def test_the_walker_reads_function_level_and_relative_imports(tmp_path, monkeypatch):
    source = "from . import sibling\n\ndef f():\n    from pkg.other import thing\n"
    path = tmp_path / "pkg" / "mod.py"
    path.parent.mkdir()
    path.write_text(source)
    modules = {"pkg": tmp_path / "pkg/__init__.py", "pkg.mod": path, "pkg.sibling": path, "pkg.other": path}
    assert imports_of("pkg.mod", path, modules) == {"pkg", "pkg.sibling", "pkg.other"}


def test_the_project_has_modules_to_check():
    graph = import_graph()
    assert "visitors.services" in graph
    assert "reception.models" in graph["visitors.services"]


def test_no_module_imports_itself_back_through_others():
    assert circles(import_graph()) == []


@pytest.mark.parametrize("app", APPS)
def test_apps_never_import_the_wiring_package(app):
    offenders = {
        module: sorted(target for target in targets if target == "config" or target.startswith("config."))
        for module, targets in import_graph().items()
        if module == app or module.startswith(app + ".")
    }
    assert {module: targets for module, targets in offenders.items() if targets} == {}


# The steering folder beside a checkout, which a user's clone does not have;
# spelt in two parts so that this file does not cite it itself.
OUTSIDE = "../" + "shared"


def test_nothing_cites_a_file_outside_the_repository():
    citing = []
    for folder in ("config", "reception", "visitors", "customers", "templates", "docs", "bench", "tests"):
        for path in (ROOT / folder).rglob("*") if (ROOT / folder).is_dir() else []:
            if path.suffix in {".py", ".html", ".txt", ".md"}:
                if OUTSIDE in path.read_text(encoding="utf-8", errors="replace"):
                    citing.append(str(path.relative_to(ROOT)))
    for name in ("README.md", "SECURITY.md", "Makefile", "pyproject.toml"):
        if OUTSIDE in (ROOT / name).read_text(encoding="utf-8"):
            citing.append(name)
    assert citing == []
