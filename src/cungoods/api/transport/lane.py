"""The direct lane: a shared subscription result sent straight to the subscriber's socket.

When 10,000 people follow one bus, each event is executed once for all of them
(api/extensions/fanout.py). Strawberry's per-event pipeline then still runs once per
subscriber: it wraps the result, enters the extension hooks, builds the `next` message and
encodes it. Together that costs more than the socket write itself. So every
graphql-transport-ws operation runs with a lane (api/transport/websocket.py). When the event a
subscription is about to deliver already has a shared result for its selection, the
subscription sends that payload through the lane itself (api/live/subscriptions.py). The payload
is encoded once for everyone, and the event is not handed to strawberry.

The lane sends what strawberry would have sent. The payload is the shared data plus the
`extensions` of the subscription's last `next` that went through strawberry: the cost report,
which is fixed for an operation. A subscription's first event always goes through strawberry, so
the lane learns the extensions there. A result with errors is never shared, so it is never sent
this way. The lane skips the per-event extension hooks. That is safe because the schema's hooks
(error masking, suggestion stripping) only act on errors. The message still goes through the
operation's own send (a completed operation sends nothing), so it reaches the socket the same
way as any other `next`.
"""

from __future__ import annotations

from collections.abc import Mapping
from contextvars import ContextVar
from typing import Any, cast

import orjson
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import Operation

from cungoods.api.extensions.fanout import SharedEvent

_UNKNOWN: Any = object()


class Lane:
    """One graphql-transport-ws operation's way to its socket, past strawberry's pipeline."""

    __slots__ = ("_extensions", "_operation")

    def __init__(self, operation: Operation[Any, Any]) -> None:
        self._operation = operation
        # The payload's `extensions` as JSON (b"" for none): unknown until a `next` went out.
        self._extensions: bytes = _UNKNOWN

    def learn(self, payload: Mapping[str, object]) -> None:
        """Remember the extensions of a `next` strawberry sent for this operation."""
        extensions = payload.get("extensions")
        self._extensions = orjson.dumps(extensions) if extensions else b""

    async def send_shared(self, event: SharedEvent, key: str) -> bool:
        """Send the event's shared result for selection `key` as this operation's `next`.
        False, with nothing sent, when there is none yet or the lane has not learnt the
        extensions; the event then goes through strawberry."""
        extensions = self._extensions
        if extensions is _UNKNOWN:
            return False
        data = event.shared_data_json(key)
        if data is None:
            return False
        body = b'{"data":' + data + (b',"extensions":' + extensions if extensions else b"") + b"}"
        operation = self._operation
        message = {"id": operation.id, "type": "next", "payload": orjson.Fragment(body)}
        await operation.send_operation_message(cast(Any, message))
        return True


# The lane of the graphql-transport-ws operation running in this task (None elsewhere: HTTP,
# or a subscription run outside a socket).
_current: ContextVar[Lane | None] = ContextVar("cungoods_lane", default=None)


def current() -> Lane | None:
    return _current.get()


def open_for(operation: Operation[Any, Any]) -> Lane:
    """Give the current task (an operation's task) its lane."""
    lane = Lane(operation)
    _current.set(lane)
    return lane
