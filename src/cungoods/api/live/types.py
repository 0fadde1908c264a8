"""DeliveryEvent: one event of the live delivery status, shared by every subscriber of its
topic (api/extensions/fanout.py)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import weakref
from typing import Any

import strawberry

from cungoods.api.context import Info
from cungoods.api.extensions.fanout import SharedEvent
from cungoods.api.ids import to_cursor, to_global_id
from cungoods.api.network.types import Station, Trip, station_by_id, trip_by_id
from cungoods.api.node import Node, node_of, register_node
from cungoods.api.orders.types import Order
from cungoods.api.produce.types import ProducePurchase
from cungoods.events.broker import EventRecord
from cungoods.services import live


@strawberry.type(
    description="Something that happened on the way: a trip event (TRIP_DEPARTED, TRIP_ARRIVED, "
    "TRIP_LEFT, TRIP_DELAYED, TRIP_COMPLETED, TRIP_CANCELLED) or a status change of an order "
    "(ORDER_<status>) or a produce purchase (PURCHASE_<status>). A Node: `node(id)` shows it to "
    "those who may follow one of its topics."
)
class DeliveryEvent(SharedEvent, Node):
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
        description="The stream it came on: trip:ID, order:ID, purchase:ID, station:ID or user:ID "
        "(through `node`: the viewer's own stream if it is on it, else the first they may follow)."
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
        found: Order | None = await node_of(info, "Order", self.order_db_id)
        return found

    @strawberry.field(description="The purchase whose status changed (null for other events).")
    async def purchase(self, info: Info) -> ProducePurchase | None:
        if self.purchase_db_id is None:
            return None
        found: ProducePurchase | None = await node_of(info, "ProducePurchase", self.purchase_db_id)
        return found

    # Results of selections every subscriber of the topic shares (api/extensions/fanout.py).
    shared_results: strawberry.Private[dict[str, Any]] = dataclasses.field(default_factory=dict)
    shared_encoded: strawberry.Private[dict[str, bytes]] = dataclasses.field(default_factory=dict)

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


async def _delivery_event_by_id(info: Info, pk: int) -> DeliveryEvent | None:
    found = await live.visible_event(viewer=info.context.viewer, event_id=pk)
    if found is None:
        return None
    event, topic = found
    return DeliveryEvent.of(EventRecord.of(event), topic)


register_node("DeliveryEvent", _delivery_event_by_id)
