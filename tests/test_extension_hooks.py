"""The schema's extension lifecycle (api/extensions/hooks.py) runs every hook as strawberry's own
runner does: the same hooks, in the same order, around the same stages, for queries and for each
event of a subscription, with the same results reported."""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterator, Iterator
from typing import Any

import strawberry
from strawberry.extensions import SchemaExtension

from cungoods.api.errors import Schema

calls: list[str] = []


class Generators(SchemaExtension):
    def on_operation(self) -> Iterator[None]:
        calls.append("generators: operation in")
        yield
        calls.append("generators: operation out")

    def on_parse(self) -> Iterator[None]:
        calls.append("generators: parse in")
        yield
        calls.append("generators: parse out")

    def on_stream_result(self, result: Any) -> Iterator[None]:
        calls.append(f"generators: result {result.data}")
        yield


class AsyncGenerators(SchemaExtension):
    async def on_validate(self) -> AsyncIterator[None]:
        calls.append("async generators: validate in")
        yield
        calls.append("async generators: validate out")

    async def on_execute(self) -> AsyncIterator[None]:
        calls.append("async generators: execute in")
        yield
        calls.append("async generators: execute out")

    def get_results(self) -> dict[str, Any]:
        return {"async": len(calls)}


class Callables(SchemaExtension):
    async def on_operation(self) -> None:  # type: ignore[override]
        calls.append("callables: operation")

    def on_execute(self) -> None:  # type: ignore[override]
        calls.append("callables: execute")

    async def on_stream_result(self, result: Any) -> None:  # type: ignore[override]
        calls.append("callables: result")

    async def get_results(self) -> dict[str, Any]:  # type: ignore[override]
        return {"callables": "reported"}


class Silent(SchemaExtension):
    """No hook of its own: nothing runs for it, nothing is reported."""


@strawberry.type
class Query:
    @strawberry.field
    def hello(self) -> str:
        calls.append("resolver")
        return "村货"


@strawberry.type
class Subscription:
    @strawberry.subscription
    async def ticks(self) -> AsyncGenerator[int, None]:
        for tick in range(2):
            yield tick


EXTENSIONS = [Generators, Silent, AsyncGenerators, Callables]


def schemas() -> tuple[strawberry.Schema, strawberry.Schema]:
    kwargs: dict[str, Any] = {"query": Query, "subscription": Subscription}
    return strawberry.Schema(extensions=EXTENSIONS, **kwargs), Schema(
        extensions=EXTENSIONS, **kwargs
    )


async def test_a_query_runs_the_same_hooks_in_the_same_order_and_reports_the_same() -> None:
    seen = []
    for schema in schemas():
        calls.clear()
        result = await schema.execute("{ hello }")
        seen.append((list(calls), result.data, result.extensions))

    strawberry_own, ours = seen
    assert ours == strawberry_own
    assert "resolver" in ours[0] and ours[2] == {"async": ours[2]["async"], "callables": "reported"}


async def test_each_subscription_event_runs_the_same_result_hooks() -> None:
    seen = []
    for schema in schemas():
        calls.clear()
        stream = await schema.subscribe("subscription { ticks }")
        results = [(result.data, result.extensions) async for result in stream]  # type: ignore[union-attr]
        seen.append((list(calls), results))

    strawberry_own, ours = seen
    assert ours == strawberry_own
    assert [data for data, _ in ours[1]] == [{"ticks": 0}, {"ticks": 1}]
    assert "generators: result {'ticks': 1}" in ours[0]
