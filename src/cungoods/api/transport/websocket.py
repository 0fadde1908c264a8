"""graphql-transport-ws with our authentication rule on top of strawberry's handler.

A bad token in `connection_init` already closes the socket with 4403 (app.on_ws_connect). Every
subscription needs a signed-in viewer, so subscribing on a socket opened without a token closes
it with 4401, as the protocol does for a subscribe before `connection_init`. Queries and
mutations sent over the socket run as they would over HTTP.
"""

from __future__ import annotations

from typing import Any

from graphql import GraphQLError, OperationType, get_operation_ast, parse
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
)
from strawberry.subscriptions.protocols.graphql_transport_ws.types import SubscribeMessage

from cungoods.api.context import Context

UNAUTHORIZED = 4401


def _is_subscription(payload: Any) -> bool:
    if not isinstance(payload, dict) or not isinstance(payload.get("query"), str):
        return False
    try:
        operation = get_operation_ast(parse(payload["query"]), payload.get("operationName"))
    except GraphQLError:
        return False  # strawberry reports the syntax error itself
    return operation is not None and operation.operation is OperationType.SUBSCRIPTION


class TransportWSHandler(BaseGraphQLTransportWSHandler[Context, None]):
    async def handle_subscribe(self, message: SubscribeMessage) -> None:
        context = self.context
        if (
            self.connection_acknowledged
            and isinstance(context, Context)
            and context.viewer is None
            and _is_subscription(message.get("payload"))
        ):
            await self.websocket.close(code=UNAUTHORIZED, reason="Unauthorized: sign in first")
            return
        await super().handle_subscribe(message)
