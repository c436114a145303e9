"""The layout is the architecture: the product's packages import one way only, the GraphQL
schema knows nothing of HTTP, and private library API is reached through `internals`
alone. Read from the code's own imports and names, as Python parses them."""

import ast
import importlib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# Each package may import those after it, never those before it.
LAYERS = ["project", "edge", "schema", "talks", "internals"]
LIBRARIES = ("django", "strawberry", "strawberry_django", "graphql")
# Django documents these underscore names as public API (the Model _meta API).
DOCUMENTED = {"_meta"}


def modules() -> dict[str, ast.Module]:
    found = {}
    for package in LAYERS:
        for path in sorted((ROOT / package).rglob("*.py")):
            name = ".".join(path.relative_to(ROOT).with_suffix("").parts)
            found[name.removesuffix(".__init__")] = ast.parse(path.read_text(), str(path))
    return found


MODULES = modules()


def imported(tree: ast.Module) -> list[tuple[str, list[str], int]]:
    """(module, names taken from it, line) for every import of a module."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(alias.name, [], node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            found.append((node.module, [alias.name for alias in node.names], node.lineno))
    return found


def layer(module: str) -> str:
    return module.split(".")[0]


def test_every_package_of_the_product_is_in_a_layer():
    packages = {path.parent.name for path in ROOT.glob("*/__init__.py")}
    assert packages - {"tests", "bench"} == set(LAYERS)


@pytest.mark.parametrize("module", sorted(MODULES))
def test_imports_point_down_the_layers(module):
    below = LAYERS[LAYERS.index(layer(module)) :]
    upward = [
        f"line {line}: {target}"
        for target, _, line in imported(MODULES[module])
        if layer(target) in LAYERS and layer(target) not in below
    ]
    assert not upward, f"{module} imports a layer above it: {upward}"


@pytest.mark.parametrize("module", sorted(m for m in MODULES if layer(m) == "schema"))
def test_the_schema_knows_nothing_of_http(module):
    tree = MODULES[module]
    http = [target for target, _, _ in imported(tree) if target.startswith("django.http")]
    headers = [
        f"line {node.lineno}: .{node.attr}"
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute) and node.attr in {"headers", "META", "COOKIES"}
    ]
    assert not http and not headers, f"{module} handles HTTP: {http + headers}"


def own_names() -> set[str]:
    """Every name the product itself defines: functions, classes, attributes, variables."""
    names = set()
    for tree in MODULES.values():
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                names.add(node.name)
            elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                names.add(node.id)
            elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store):
                names.add(node.attr)
            elif isinstance(node, ast.arg):
                names.add(node.arg)
    return names


OWN = own_names()


def is_private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__") and name not in DOCUMENTED


def public_names(module: str) -> set[str] | None:
    """The names a graphql-core module exports (its `__all__`, or the package's)."""
    exported = getattr(importlib.import_module(module), "__all__", None)
    top = importlib.import_module("graphql").__all__
    return None if exported is None else {*exported, *top}


@pytest.mark.parametrize("module", sorted(m for m in MODULES if layer(m) != "internals"))
def test_private_library_api_is_reached_through_internals_only(module):
    tree = MODULES[module]
    reached = [
        f"line {node.lineno}: .{node.attr}"
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute) and is_private(node.attr) and node.attr not in OWN
    ]
    for target, names, line in imported(tree):
        if layer(target) not in LIBRARIES:
            continue
        reached += [f"line {line}: {target}.{name}" for name in names if is_private(name)]
        reached += [f"line {line}: {target}" for part in target.split(".") if is_private(part)]
        if layer(target) == "graphql" and (exported := public_names(target)) is not None:
            reached += [f"line {line}: {target}.{name}" for name in names if name not in exported]
    assert not reached, f"{module} reaches private library API outside internals: {reached}"
