"""What the SDL says of enum values and arguments, in one place: the domain enums are plain
Python (no strawberry below the API), so their GraphQL values get their descriptions here, and
the argument every mutation takes (`input`) is described once.

tests/test_contract.py walks the built schema and names any enum value, ErrorCode or
argument left without a description."""

from __future__ import annotations

from collections.abc import Mapping
from enum import Enum
from typing import Annotated, TypeVar

import strawberry

E = TypeVar("E", bound=Enum)
T = TypeVar("T")


def graphql_enum(enum: type[E], *, name: str, description: str, values: Mapping[E, str]) -> None:
    """Make the domain enum `enum` itself the GraphQL enum `name` (strawberry.enum marks the
    class and returns it, so the class stays a type for mypy), with `values` describing every
    value. A value left out fails at import, so a new domain value cannot reach the SDL
    undescribed."""
    missing = [member.name for member in enum if member not in values]
    if missing:
        raise TypeError(f"{name}: no description for {', '.join(missing)}")
    strawberry.enum(enum, name=name, description=description)
    definition = enum.__strawberry_definition__  # type: ignore[attr-defined]
    for value in definition.values:
        value.description = values[enum(value.value)]


# `fooBar(input: FooBarInput!)`: every mutation's one argument.
MutationInput = Annotated[
    T,
    strawberry.argument(
        description="What the mutation acts on and how; each field of the input type says what "
        "it takes. Every problem found is returned at once in the payload's `errors`."
    ),
]

# `stations(search)`, `products(search)`: the same text search (services/search.py).
SearchArg = Annotated[
    str | None,
    strawberry.argument(
        description="Text the names and codes must contain, matched as one phrase (at most 8 "
        "words and 64 characters, else INVALID_INPUT). Each word adds to the query's cost."
    ),
]
