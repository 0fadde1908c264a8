"""Live delivery status: the subscriptions (graphql-transport-ws).

Each subscription asks services/live.py for its topic (who may watch it is decided there), then
streams that topic from the broker: with `after`, the missed events are replayed first, then live
ones follow, in order, each once. A socket's context lives as long as the socket, so the loaders
are renewed for every event: each one is resolved against the database as it is now.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import Annotated

import strawberry

from cungoods.api.context import Info
from cungoods.api.ids import from_cursor, pk_of
from cungoods.api.live.types import DeliveryEvent
from cungoods.api.loaders import Loaders
from cungoods.events.broker import Broker
from cungoods.services import live
from cungoods.services.errors import DomainError, ErrorCode

Events = AsyncGenerator[DeliveryEvent, None]


async def _follow(info: Info, topic: str, after: int | None) -> Events:
    """Stream a topic the viewer may watch, with fresh loaders for every event."""
    broker: Broker | None = info.context.broker
    if broker is None:
        raise DomainError(ErrorCode.INVALID_STATE, "live updates are not running on this server")
    async for record in broker.follow(topic, after=after):
        info.context.loaders = Loaders()
        yield DeliveryEvent.of(record, topic)


After = Annotated[
    str | None,
    strawberry.argument(
        description="Resume after this cursor (a DeliveryEvent's `cursor`): the events missed "
        "since come first."
    ),
]


@strawberry.type
class LiveSubscription:
    @strawberry.subscription(description="A trip's progress (anyone signed in).")
    async def trip_updates(
        self,
        info: Info,
        trip_id: strawberry.ID,
        after: After = None,
    ) -> Events:
        cursor = from_cursor(after)
        topic = await live.trip_topic(
            viewer=info.context.viewer, trip_id=pk_of(trip_id, "Trip", "tripId")
        )
        async for event in _follow(info, topic, cursor):
            yield event

    @strawberry.subscription(
        description="An order's status changes (its buyer, its station's leader, dispatchers)."
    )
    async def order_updates(
        self,
        info: Info,
        order_id: strawberry.ID,
        after: After = None,
    ) -> Events:
        cursor = from_cursor(after)
        topic = await live.order_topic(
            viewer=info.context.viewer, order_id=pk_of(order_id, "Order", "orderId")
        )
        async for event in _follow(info, topic, cursor):
            yield event

    @strawberry.subscription(
        description="A produce purchase's status changes (its buyer, the farmer, the handover "
        "station's leader, dispatchers)."
    )
    async def purchase_updates(
        self,
        info: Info,
        purchase_id: strawberry.ID,
        after: After = None,
    ) -> Events:
        cursor = from_cursor(after)
        topic = await live.purchase_topic(
            viewer=info.context.viewer,
            purchase_id=pk_of(purchase_id, "ProducePurchase", "purchaseId"),
        )
        async for event in _follow(info, topic, cursor):
            yield event

    @strawberry.subscription(
        description="Everything arriving at and leaving a station: the bus, its orders, the "
        "produce taken in (the station's leader, dispatchers)."
    )
    async def station_updates(
        self,
        info: Info,
        station_id: strawberry.ID,
        after: After = None,
    ) -> Events:
        cursor = from_cursor(after)
        topic = await live.station_topic(
            viewer=info.context.viewer, station_id=pk_of(station_id, "Station", "stationId")
        )
        async for event in _follow(info, topic, cursor):
            yield event

    @strawberry.subscription(
        description="The viewer's own orders and purchases (as buyer, or as farmer)."
    )
    async def my_updates(
        self,
        info: Info,
        after: After = None,
    ) -> Events:
        topic = live.own_topic(viewer=info.context.viewer)
        async for event in _follow(info, topic, from_cursor(after)):
            yield event
