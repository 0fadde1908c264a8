"""The layers (docs/DESIGN.md) as a test: arrows point down, api → services → models/db, events
beside. A module that imports across the rule, strawberry below the API, or SQL in the API fails
here, naming the file and the import."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "cungoods"

# What each layer may not import (module prefixes).
FORBIDDEN: dict[str, tuple[str, ...]] = {
    "models": (
        "strawberry",
        "cungoods.api",
        "cungoods.services",
        "cungoods.events",
        "cungoods.web",
    ),
    "db": ("strawberry", "cungoods.api", "cungoods.services", "cungoods.events", "cungoods.web"),
    "events": ("strawberry", "cungoods.api", "cungoods.services", "cungoods.web"),
    "services": ("strawberry", "graphql", "cungoods.api", "cungoods.web", "starlette"),
    "observability": ("cungoods.api", "cungoods.services", "cungoods.web"),
}
# The API reads and writes only through services: no connection, transaction or query here.
SQL_IN_API = (
    "tortoise.transactions",
    "tortoise.connections",
    "cungoods.db.sql",
    "asyncpg",
)
QUERY_CALLS = {"filter", "get_or_none", "select_for_update", "execute_query", "raw", "all"}


def _imports(path: Path) -> list[str]:
    names: list[str] = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names += [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
    return names


def _files(layer: str) -> list[Path]:
    return sorted((PACKAGE / layer).rglob("*.py"))


@pytest.mark.parametrize("layer", sorted(FORBIDDEN))
def test_a_layer_imports_nothing_above_it(layer: str) -> None:
    crossings = [
        f"{path.relative_to(PACKAGE)} imports {name}"
        for path in _files(layer)
        for name in _imports(path)
        if name.startswith(FORBIDDEN[layer])
    ]

    assert crossings == []


def test_the_api_writes_no_sql_and_runs_no_query_itself() -> None:
    found: list[str] = []
    for path in _files("api"):
        found += [
            f"{path.relative_to(PACKAGE)} imports {name}"
            for name in _imports(path)
            if name.startswith(SQL_IN_API)
        ]
        for node in ast.walk(ast.parse(path.read_text())):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in QUERY_CALLS
                and isinstance(node.func.value, ast.Attribute | ast.Name | ast.Call)
                and "models" in ast.unparse(node.func.value)
            ):
                found.append(f"{path.relative_to(PACKAGE)}:{node.lineno} {ast.unparse(node)}")

    assert found == []


def test_no_module_imports_inside_a_function_to_dodge_a_circle() -> None:
    # Cross-area GraphQL types go through strawberry.lazy; everything else imports at the top.
    # (The command line and the app's start load the big demo data only when they need it.)
    local = [
        f"{path.relative_to(PACKAGE)}:{node.lineno}"
        for layer in ("api", "services", "events", "db", "models", "web", "jobs")
        for path in _files(layer)
        for function in ast.walk(ast.parse(path.read_text()))
        if isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef)
        for node in ast.walk(function)
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("cungoods")
    ]

    assert local == []
