"""The Relay `Node` interface and the registry `node(id)` resolves through."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import strawberry

from cungoods.api.context import Info
from cungoods.api.ids import from_global_id


@strawberry.interface(description="An object with a global id.")
class Node:
    id: strawberry.ID = strawberry.field(description="The global id (Relay).")


NodeResolver = Callable[[Info, int], Awaitable[Any]]
_resolvers: dict[str, NodeResolver] = {}


def register_node(type_name: str, resolver: NodeResolver) -> None:
    """Each API area registers how to load (and who may see) its node types."""
    _resolvers[type_name] = resolver


async def node_of(info: Info, type_name: str, pk: int) -> Any:
    """The `type_name` object with primary key `pk` as `node(id)` shows it to the viewer (None if
    it is missing or hidden). A type uses it for an object of an API area that builds on its own
    (one it cannot import without an import circle), e.g. a user's station."""
    resolver = _resolvers.get(type_name)
    return None if resolver is None else await resolver(info, pk)


async def resolve_node(info: Info, global_id: str) -> Any:
    type_name, pk = from_global_id(global_id)
    return await node_of(info, type_name, pk)
