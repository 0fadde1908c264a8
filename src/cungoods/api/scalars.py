"""Shared value types."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Generic, TypeVar

import strawberry

from cungoods.api.ids import to_cursor
from cungoods.services.capacity import Load as DomainLoad
from cungoods.services.pagination import Page


@strawberry.type(description="A load: weight in grams, volume in cm³, and chilled weight in grams.")
class Load:
    weight_g: int = strawberry.field(description="Weight in grams.")
    volume_cm3: int = strawberry.field(description="Volume in cm³.")
    chilled_g: int = strawberry.field(description="Weight in grams needing chilled space.")

    @classmethod
    def of(cls, load: DomainLoad) -> Load:
        return cls(weight_g=load.weight_g, volume_cm3=load.volume_cm3, chilled_g=load.chilled_g)


@strawberry.type(description="Relay page information.")
class PageInfo:
    has_next_page: bool = strawberry.field(description="Whether more items follow.")
    end_cursor: str | None = strawberry.field(description="Pass as `after` for the next page.")


T = TypeVar("T")
M = TypeVar("M")


@strawberry.type(description="An item of a connection and its cursor.")
class Edge(Generic[T]):
    node: T = strawberry.field(description="The item.")
    cursor: str = strawberry.field(description="Its cursor.")


@strawberry.type(description="A page of a list that can grow (Relay connection).")
class Connection(Generic[T]):
    edges: list[Edge[T]] = strawberry.field(description="The items with their cursors.")
    nodes: list[T] = strawberry.field(description="The items.")
    page_info: PageInfo = strawberry.field(description="Where this page ends.")
    total_count: int = strawberry.field(description="How many items there are in all.")


def connection_of(page: Page[Any], convert: Callable[[Any], T]) -> Connection[T]:
    nodes = [convert(item) for item in page.items]
    edges = [
        Edge(node=node, cursor=to_cursor(item.pk))
        for node, item in zip(nodes, page.items, strict=True)
    ]
    return Connection(
        edges=edges,
        nodes=nodes,
        page_info=PageInfo(
            has_next_page=page.has_next, end_cursor=edges[-1].cursor if edges else None
        ),
        total_count=page.total,
    )
