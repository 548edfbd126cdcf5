"""The package's modules, and its top-level packages, import each other without cycles."""

from __future__ import annotations

import ast
from collections.abc import Iterator, Mapping
from graphlib import CycleError, TopologicalSorter
from pathlib import Path

import {{ cookiecutter.package_name }}

PACKAGE = {{ cookiecutter.package_name }}.__name__
SOURCE = Path({{ cookiecutter.package_name }}.__file__).parent


def module_names() -> dict[str, Path]:
    names: dict[str, Path] = {}
    for path in SOURCE.rglob("*.py"):
        parts = [PACKAGE, *path.relative_to(SOURCE).with_suffix("").parts]
        if parts[-1] == "__init__":
            parts.pop()
        names[".".join(parts)] = path
    return names


def imported_names(module: str, path: Path) -> Iterator[str]:
    """Every name an import statement of the module reaches, type-checking ones too."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{anchor}.{base}" if base else anchor
            yield base
            yield from (f"{base}.{alias.name}" for alias in node.names)


def import_graph() -> dict[str, set[str]]:
    """Module -> the package's modules it imports."""
    modules = module_names()
    graph: dict[str, set[str]] = {}
    for module, path in modules.items():
        targets = set()
        for name in imported_names(module, path):
            while name and name not in modules:  # a name inside a module: the module
                name = name.rpartition(".")[0]
            if name and name not in (module, PACKAGE):
                targets.add(name)
        graph[module] = targets
    return graph


def top_level(module: str) -> str:
    return ".".join(module.split(".")[:2])


def cycle_in(graph: Mapping[str, set[str]]) -> list[str] | None:
    try:
        tuple(TopologicalSorter(graph).static_order())
    except CycleError as exc:
        cycle: list[str] = exc.args[1]
        return cycle
    return None


def test_the_import_graph_sees_the_package() -> None:
    graph = import_graph()
    assert f"{PACKAGE}.main" in graph
    assert f"{PACKAGE}.settings" in graph[f"{PACKAGE}.main"]


def test_no_module_imports_itself_through_others() -> None:
    assert cycle_in(import_graph()) is None


def test_no_top_level_package_imports_itself_through_others() -> None:
    # main.py and services.py put every concern together, and routes reach the
    # services through services.py: they are the one place allowed above the rest.
    composition = {f"{PACKAGE}.main", f"{PACKAGE}.services"}
    packages: dict[str, set[str]] = {}
    for module, targets in import_graph().items():
        own = top_level(module)
        if own in composition:
            continue
        packages.setdefault(own, set()).update(
            top_level(target) for target in targets if top_level(target) not in (own, *composition)
        )
    assert f"{PACKAGE}.users" in packages[f"{PACKAGE}.auth"]
    assert cycle_in(packages) is None
