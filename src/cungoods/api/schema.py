"""The schema: each API area's Query and Mutation merged, with the limits and error mask."""

from __future__ import annotations

from collections.abc import Iterator

import strawberry
from strawberry.extensions import (
    MaxAliasesLimiter,
    MaxTokensLimiter,
    QueryDepthLimiter,
    SchemaExtension,
)
from strawberry.tools import merge_types

from cungoods.api.accounts import AccountMutation, AccountQuery
from cungoods.api.context import Context, Info
from cungoods.api.errors import MaskUnexpectedErrors
from cungoods.api.network import NetworkMutation, NetworkQuery
from cungoods.api.node import Node, resolve_node
from cungoods.config import Settings


@strawberry.type
class NodeQuery:
    @strawberry.field(description="Any object by its global id.")
    async def node(self, info: Info, id: strawberry.ID) -> Node | None:
        return await resolve_node(info, id)


class FreshLoadersPerOperation(SchemaExtension):
    """A WebSocket's context lives as long as the socket: give each operation its own loaders,
    or one subscription would serve another's cached (and stale) rows."""

    def on_operation(self) -> Iterator[None]:
        context = self.execution_context.context
        if isinstance(context, Context):
            self.execution_context.context = context.fresh()
        yield


QUERY_TYPES = (NodeQuery, AccountQuery, NetworkQuery)
MUTATION_TYPES = (AccountMutation, NetworkMutation)


def build_schema(settings: Settings) -> strawberry.Schema:
    query = merge_types("Query", QUERY_TYPES)
    mutation = merge_types("Mutation", MUTATION_TYPES)
    return strawberry.Schema(
        query=query,
        mutation=mutation,
        extensions=[
            FreshLoadersPerOperation,
            QueryDepthLimiter(max_depth=settings.max_query_depth),
            MaxAliasesLimiter(max_alias_count=settings.max_aliases),
            MaxTokensLimiter(max_token_count=settings.max_tokens),
            MaskUnexpectedErrors(),
        ],
    )
