"""The executor's fast paths (api/extensions/plain_fields.py) answer exactly what graphql-core
answers: the same data in the same order, and the same errors at the same paths, whether a
plain subtree reads cleanly or holds a value the fast path must not vouch for."""

from __future__ import annotations

import enum
from typing import Any

import pytest
import strawberry
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from cungoods.api.extensions.plain_fields import PlainFieldExecution


@strawberry.enum
class Colour(enum.Enum):
    RED = "RED"
    GREEN = "GREEN"


@strawberry.type
class Weight:
    grams: int
    label: str | None


@strawberry.type
class Line:
    quantity: int
    colour: Colour
    weights: list[Weight]
    note: str | None = None

    @strawberry.field
    def doubled(self) -> int:
        return self.quantity * 2


@strawberry.type
class Crate:
    name: str
    lines: list[Line]
    share: float

    @strawberry.field
    async def later(self) -> str:
        return self.name.upper()


def _crates(quantity: Any = 3, grams: Any = 500, label: Any = "bag") -> list[Crate]:
    weight = Weight(grams=grams, label=label)
    line = Line(quantity=quantity, colour=Colour.GREEN, weights=[weight, weight])
    return [Crate(name="c1", lines=[line], share=0.5), Crate(name="c2", lines=[], share=1.0)]


def _schemas(crates: list[Crate]) -> tuple[strawberry.Schema, strawberry.Schema]:
    @strawberry.type
    class Query:
        @strawberry.field
        def crates(self) -> list[Crate]:
            return crates

    fast = strawberry.Schema(query=Query, execution_context_class=PlainFieldExecution)
    ordinary = strawberry.Schema(
        query=Query, execution_context_class=StrawberryGraphQLCoreExecutionContext
    )
    return fast, ordinary


QUERY = """{
  crates {
    __typename name share later
    lines { quantity doubled colour note kg: weights { g: grams label __typename } }
  }
}"""


async def _both(crates: list[Crate], query: str = QUERY) -> tuple[Any, Any]:
    fast, ordinary = _schemas(crates)
    ours, theirs = await fast.execute(query), await ordinary.execute(query)
    return ours, theirs


def _errors(result: Any) -> list[tuple[str, list[Any] | None]]:
    return [(error.message, error.path) for error in result.errors or []]


async def test_a_plain_selection_reads_the_same_data_in_the_same_order() -> None:
    ours, theirs = await _both(_crates())
    assert ours.errors is None
    assert ours.data == theirs.data
    assert list(ours.data["crates"][0]) == ["__typename", "name", "share", "later", "lines"]
    assert list(ours.data["crates"][0]["lines"][0]) == list(theirs.data["crates"][0]["lines"][0])
    assert ours.data["crates"][0]["lines"][0]["kg"][0] == {
        "g": 500,
        "label": "bag",
        "__typename": "Weight",
    }


async def test_a_fully_plain_query_reads_the_same() -> None:
    query = "{ crates { name lines { colour weights { grams label } } } }"
    ours, theirs = await _both(_crates(), query)
    assert ours.errors is None
    assert ours.data == theirs.data


@pytest.mark.parametrize(
    ("quantity", "grams", "label"),
    [
        (3, None, "bag"),  # null on a non-null field inside a plain subtree
        (3, 2**40, "bag"),  # an Int beyond 32 bits
        ("3", 500, "bag"),  # a value of another type (graphql-core coerces or refuses it)
        (3, 500, None),  # null where null is allowed
        (3.5, 500, 7),  # a float for an Int, an int for a String
    ],
)
async def test_a_value_the_fast_path_does_not_vouch_for_gets_graphql_cores_answer(
    quantity: Any, grams: Any, label: Any
) -> None:
    ours, theirs = await _both(_crates(quantity, grams, label))
    assert ours.data == theirs.data
    assert _errors(ours) == _errors(theirs)
