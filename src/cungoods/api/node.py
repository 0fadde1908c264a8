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


async def resolve_node(info: Info, global_id: str) -> Any:
    type_name, pk = from_global_id(global_id)
    resolver = _resolvers.get(type_name)
    return None if resolver is None else await resolver(info, pk)
