"""Strings no field may take: the NUL character (U+0000), refused for every String (and ID)
input, in the query text's literals and in the variables, before anything runs.

PostgreSQL cannot store NUL in text (asyncpg fails the statement: an INTERNAL error for what is
only bad input), and no name, note, code or search term of ours means anything with one. One
check here covers every field, present and future, on HTTP and WebSocket alike. It is a request
error (nothing ran) with `extensions.code = INVALID_INPUT` and the variable's path.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from graphql import DocumentNode, GraphQLError, GraphQLSchema, StringValueNode, ValidationRule
from strawberry.extensions import SchemaExtension

from cungoods.api.extensions.validation_cache import add_request_check

NUL = "\x00"
INVALID_INPUT = "INVALID_INPUT"


def nul_paths(variables: Mapping[str, object]) -> list[str]:
    """The paths (`$input.lines.0.note`) of the strings holding NUL in the variables (keys
    too). Iterative, so no nesting the transport let through can overflow the stack."""
    found: list[str] = []
    stack: list[tuple[object, str]] = [(value, f"${name}") for name, value in variables.items()]
    while stack:
        item, path = stack.pop()
        if isinstance(item, str):
            if NUL in item:
                found.append(path)
        elif isinstance(item, Mapping):
            for key, child in item.items():
                if isinstance(key, str) and NUL in key:
                    found.append(path)
                stack.append((child, f"{path}.{key}"))
        elif isinstance(item, list | tuple):
            stack.extend((child, f"{path}.{i}") for i, child in enumerate(item))
    return sorted(found)


def _error(message: str, path: str | None = None) -> GraphQLError:
    extensions: dict[str, Any] = {"code": INVALID_INPUT}
    if path is not None:
        extensions["field"] = path
    return GraphQLError(message, extensions=extensions)


class NoNulInLiterals(ValidationRule):
    """A string literal of the query text (`"a\\u0000b"`) holding NUL. It depends only on the
    document, so api/extensions/validation_cache.py runs it once per query text."""

    def enter_string_value(self, node: StringValueNode, *_args: Any) -> None:
        if NUL in node.value:
            self.report_error(
                GraphQLError(
                    "A string may not contain the NUL character (U+0000).",
                    node,
                    extensions={"code": INVALID_INPUT},
                )
            )


class RefuseNulStrings(SchemaExtension):
    """Adds the literal rule, and a per-request check of the variables."""

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        variables = context.variables

        def variable_errors(_schema: GraphQLSchema, _document: DocumentNode) -> list[GraphQLError]:
            if not variables:
                return []
            return [
                _error(f"{path} may not contain the NUL character (U+0000).", path)
                for path in nul_paths(variables)
            ]

        context.validation_rules = (*context.validation_rules, NoNulInLiterals)
        add_request_check(context, variable_errors)
        yield
