"""graphql-transport-ws with our authentication rules on top of strawberry's handler.

A token that signs nobody in closes the socket with 4401 Unauthorized: at `connection_init`
(app.on_ws_connect raises TokenRefused; strawberry itself would close with 4403), when the token
expires, and when the account behind it is gone. graphql-ws clients (Apollo's GraphQLWsLink,
the board) treat 4401 as final and do not reconnect, while they retry 4403 Forbidden with the
same token (their `shouldRetryConnectOrThrow`); a retry cannot mend a bad token, so the client
signs in again. Every subscription needs a signed-in viewer, so subscribing on a socket opened
without a token closes it with 4401 too, as the protocol does for a subscribe before
`connection_init`. Queries and mutations sent over the socket run as they would over HTTP.

The identity does not go stale: before every operation the viewer is read again from the token
(roles and station as they are now; services/sessions.py), and a token that has expired or
whose account is gone closes the socket. The socket is also closed at the token's expiry, and
subscriptions check the viewer again before every event (api/live/subscriptions.py).

A subscribe may name its document by hash in `payload.extensions.persistedQuery`, as over HTTP
(api/persisted.py); a refusal (PERSISTED_QUERY_NOT_FOUND, and with trusted documents any
document not among them) is an `error` message for that operation, which does not run.

Each operation runs with a lane to the socket (api/transport/lane.py): a subscription whose
event has a result shared with other subscribers sends it through the lane, past strawberry's
per-event pipeline. The lane learns from the operation's `next` messages that do go through
strawberry which `extensions` they carry.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from typing import Any

from graphql import GraphQLError, OperationType, get_operation_ast, parse
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
    Operation,
)
from strawberry.subscriptions.protocols.graphql_transport_ws.types import (
    ConnectionInitMessage,
    ErrorMessage,
    Message,
    SubscribeMessage,
)

from cungoods.api.context import Context
from cungoods.api.persisted import PersistedQueryError
from cungoods.api.transport import lane
from cungoods.api.transport.http_view import GraphQLView
from cungoods.db.errors import DATABASE_UNAVAILABLE, RETRY_AFTER_SECONDS, is_database_unavailable
from cungoods.db.errors import MESSAGE as DB_UNAVAILABLE_MESSAGE
from cungoods.services import sessions
from cungoods.services.errors import DomainError

# graphql-ws's CloseCode.Unauthorized, one of the codes its client never retries.
UNAUTHORIZED = 4401


class TokenRefused(Exception):
    """The token of a `connection_init` signs nobody in (bad, expired, or its account gone).
    Not strawberry's ConnectionRejectionError, which it answers with 4403 itself."""


def _is_subscription(payload: Any) -> bool:
    if not isinstance(payload, dict) or not isinstance(payload.get("query"), str):
        return False
    try:
        operation = get_operation_ast(parse(payload["query"]), payload.get("operationName"))
    except GraphQLError:
        return False  # strawberry reports the syntax error itself
    return operation is not None and operation.operation is OperationType.SUBSCRIPTION


class TransportWSHandler(BaseGraphQLTransportWSHandler[Context, None]):
    expiry_task: asyncio.Task[None] | None = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Each running operation's lane to this socket (api/transport/lane.py), by id.
        self.lanes: dict[str, lane.Lane] = {}

    async def handle_connection_init(self, message: ConnectionInitMessage) -> None:
        try:
            await super().handle_connection_init(message)
        except TokenRefused as refused:  # raised before the acknowledgement
            await self._close_unauthorized(str(refused))
            return
        context = self.context
        if self.connection_acknowledged and isinstance(context, Context) and context.token:
            expires_at = sessions.token_expires_at(
                token=context.token, secret=context.settings.signing_key
            )
            if expires_at is not None and self.expiry_task is None:
                self.expiry_task = asyncio.create_task(self._close_at(expires_at))

    async def _close_at(self, expires_at: float) -> None:
        await asyncio.sleep(max(0.0, expires_at - time.time()))
        await self._close_unauthorized("the token has expired")

    async def _close_unauthorized(self, why: str) -> None:
        with contextlib.suppress(Exception):  # the socket may be closing by itself
            await self.websocket.close(code=UNAUTHORIZED, reason=f"Unauthorized: {why}"[:120])

    async def shutdown(self) -> None:
        if self.expiry_task is not None:
            self.expiry_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.expiry_task
        await super().shutdown()

    async def handle_subscribe(self, message: SubscribeMessage) -> None:
        if not await self._persisted_document(message):
            return
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

    async def _persisted_document(self, message: SubscribeMessage) -> bool:
        """Put the text the subscribe runs in its payload (the one its hash names, or its own
        once allowed); False, with an `error` message sent, when it may not run."""
        payload: Any = message.get("payload")
        view = self.view
        if (
            not self.connection_acknowledged
            or not isinstance(payload, dict)
            or message.get("id") in self.operations
            or not isinstance(payload.get("query"), str | None)
            or not isinstance(view, GraphQLView)
        ):
            return True  # strawberry refuses these itself (a non-text query never parses)
        try:
            document = view.persisted.document_of(
                query=payload.get("query"), extensions=payload.get("extensions")
            )
        except PersistedQueryError as error:
            refusal = GraphQLError(error.message, extensions={"code": error.code})
            await self.send_message(
                ErrorMessage(id=message["id"], type="error", payload=[refusal.formatted])
            )
            return False
        if document is not None:  # no text and no hash: strawberry's 4400, as ever
            payload["query"] = document
        return True

    async def run_operation(self, operation: Operation[Context, None]) -> None:
        """Run an operation as the viewer is now. Inside the operation's task, so a burst of
        subscribes (the board opens one per trip and station) is not read one after another,
        and their look-ups share one query (services/sessions.py)."""
        context = self.context
        if (
            isinstance(context, Context)
            and context.token
            and not await self._refresh_viewer(context, operation)
        ):
            return
        opened = self.lanes[operation.id] = lane.open_for(operation)
        try:
            await super().run_operation(operation)
        finally:
            if self.lanes.get(operation.id) is opened:  # an id may be reused once completed
                del self.lanes[operation.id]

    async def send_message(self, message: Message) -> None:
        if message["type"] == "next":
            payload = message["payload"]
            opened = self.lanes.get(message["id"])
            if opened is not None and isinstance(payload, dict):
                opened.learn(payload)  # what the lane sends must carry the same extensions
        await super().send_message(message)

    async def _refresh_viewer(self, context: Context, operation: Operation[Context, None]) -> bool:
        """Read the viewer again from the socket's token; False (and the socket closed, or the
        operation refused while the database is away) when the operation must not run."""
        assert context.token is not None
        try:
            viewer = await sessions.current_viewer(
                token=context.token, secret=context.settings.signing_key
            )
        except DomainError as error:
            context.viewer = None
            await self._close_unauthorized(error.message)
            return False
        except Exception as error:
            if not is_database_unavailable(error):
                raise
            await operation.send_operation_message(
                {
                    "id": operation.id,
                    "type": "error",
                    "payload": [
                        {
                            "message": DB_UNAVAILABLE_MESSAGE,
                            "extensions": {
                                "code": DATABASE_UNAVAILABLE,
                                "retryAfter": RETRY_AFTER_SECONDS,
                            },
                        }
                    ],
                }
            )
            return False
        context.viewer = viewer
        return True
