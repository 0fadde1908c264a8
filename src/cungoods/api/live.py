"""Live delivery status: DeliveryEvent and the subscriptions (graphql-transport-ws).

Each subscription asks services/live.py for its topic (who may watch it is decided there), then
streams that topic from the broker: with `after`, the missed events are replayed first, then live
ones follow, in order, each once. A socket's context lives as long as the socket, so the loaders
are renewed for every event: each one is resolved against the database as it is now.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import weakref
from collections.abc import AsyncGenerator
from typing import Annotated, Any

import strawberry

from cungoods.api.context import Info
from cungoods.api.fanout import SharedEvent
from cungoods.api.ids import from_cursor, pk_of, to_cursor, to_global_id
from cungoods.api.loaders import Loaders
from cungoods.api.network import Station, Trip, station_by_id, trip_by_id
from cungoods.api.node import resolve_node
from cungoods.api.orders import Order
from cungoods.api.produce import ProducePurchase
from cungoods.events.broker import Broker, EventRecord
from cungoods.services import live
from cungoods.services.errors import DomainError, ErrorCode


@strawberry.type(
    description="Something that happened on the way: a trip event (TRIP_DEPARTED, TRIP_ARRIVED, "
    "TRIP_LEFT, TRIP_DELAYED, TRIP_COMPLETED, TRIP_CANCELLED) or a status change of an order "
    "(ORDER_<status>) or a produce purchase (PURCHASE_<status>)."
)
class DeliveryEvent(SharedEvent):
    trip_db_id: strawberry.Private[int | None]
    order_db_id: strawberry.Private[int | None]
    purchase_db_id: strawberry.Private[int | None]
    station_db_id: strawberry.Private[int | None]
    id: strawberry.ID = strawberry.field(description="The event's global id.")
    cursor: str = strawberry.field(
        description="Pass as `after` when subscribing again to resume right after this event."
    )
    kind: str = strawberry.field(description="What happened, e.g. TRIP_ARRIVED, ORDER_AT_STATION.")
    at: dt.datetime = strawberry.field(description="When it was recorded.")
    topic: str = strawberry.field(
        description="The stream it came on: trip:ID, order:ID, purchase:ID, station:ID or user:ID."
    )
    stop_seq: int | None = strawberry.field(description="The trip stop it happened at, if any.")
    message: str = strawberry.field(description="What happened, for people.")
    status: str | None = strawberry.field(
        description="For an order or purchase, the status it moved to; for a trip event, the "
        "trip's status after it."
    )

    @strawberry.field(description="The trip concerned, if any.")
    async def trip(self, info: Info) -> Trip | None:
        return None if self.trip_db_id is None else await trip_by_id(info, self.trip_db_id)

    @strawberry.field(description="The station concerned, if any.")
    async def station(self, info: Info) -> Station | None:
        return None if self.station_db_id is None else await station_by_id(info, self.station_db_id)

    @strawberry.field(description="The order whose status changed (null for other events).")
    async def order(self, info: Info) -> Order | None:
        if self.order_db_id is None:
            return None
        found: Order | None = await resolve_node(info, to_global_id("Order", self.order_db_id))
        return found

    @strawberry.field(description="The purchase whose status changed (null for other events).")
    async def purchase(self, info: Info) -> ProducePurchase | None:
        if self.purchase_db_id is None:
            return None
        found: ProducePurchase | None = await resolve_node(
            info, to_global_id("ProducePurchase", self.purchase_db_id)
        )
        return found

    # Results of selections every subscriber of the topic shares (api/fanout.py).
    shared_results: strawberry.Private[dict[str, Any]] = dataclasses.field(default_factory=dict)

    @classmethod
    def of(cls, record: EventRecord, topic: str) -> DeliveryEvent:
        """The event on a topic: one object for all the topic's subscribers (as long as any of
        them is handling it), so they can share what they execute against it."""
        key = (record.id, topic)
        event = _delivered.get(key)
        if event is None:
            event = cls._make(record, topic)
            _delivered[key] = event
        return event

    @classmethod
    def _make(cls, record: EventRecord, topic: str) -> DeliveryEvent:
        return cls(
            trip_db_id=record.trip_id,
            order_db_id=record.order_id,
            purchase_db_id=record.purchase_id,
            station_db_id=record.station_id,
            id=strawberry.ID(to_global_id("DeliveryEvent", record.id)),
            cursor=to_cursor(record.id),
            kind=record.kind,
            at=record.at,
            topic=topic,
            stop_seq=record.stop_seq,
            message=record.message,
            status=record.status,
        )


_delivered: weakref.WeakValueDictionary[tuple[int, str], DeliveryEvent] = (
    weakref.WeakValueDictionary()
)
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
