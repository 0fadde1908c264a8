"""The transactional outbox: write an event in the same transaction as the change it records.

On PostgreSQL the same transaction runs NOTIFY with the event id, which PostgreSQL delivers only
on commit, so listeners never hear of a change that rolled back.
"""

from __future__ import annotations

from collections.abc import Mapping

from tortoise import connections

from cungoods.db import sql
from cungoods.events import local, notices
from cungoods.models import Event, EventTopic, Order, ProducePurchase

NOTIFY_CHANNEL = "cungoods_events"


def topics_of(
    *,
    trip_id: int | None = None,
    trip_topic: bool = True,
    order_id: int | None = None,
    purchase_id: int | None = None,
    station_id: int | None = None,
    user_ids: tuple[int, ...] = (),
    station_ids: tuple[int, ...] = (),
) -> list[str]:
    topics = [
        f"{name}:{value}"
        for name, value in (
            ("trip", trip_id if trip_topic else None),
            ("order", order_id),
            ("purchase", purchase_id),
            ("station", station_id),
        )
        if value is not None
    ]
    topics += [f"station:{sid}" for sid in sorted(set(station_ids) - {station_id})]
    topics += [f"user:{user_id}" for user_id in sorted(set(user_ids))]
    return topics


async def record(
    kind: str,
    *,
    message: str = "",
    trip_id: int | None = None,
    from_trip_id: int | None = None,
    order_id: int | None = None,
    purchase_id: int | None = None,
    station_id: int | None = None,
    stop_seq: int | None = None,
    status: str | None = None,
    user_ids: tuple[int, ...] = (),
    trip_topic: bool = True,
    params: Mapping[str, object] | None = None,
    station_ids: tuple[int, ...] = (),
    followers: tuple[int, ...] = (),
    tell_leaders_of: tuple[int, ...] = (),
) -> Event:
    """Write one event, its topics and its notifications; call inside the use case's
    transaction.

    The trip topic is open to anyone signed in, so order and purchase events stay off it
    (`trip_topic=False`) while still recording which trip they ride. `user_ids` are the people
    told (a notification each, written from `params` in their language: events/notices.py);
    `followers` and `station_ids` only see it live (a trip's event on the topics of the
    stations it serves and of the people whose goods it carries); `tell_leaders_of` are the
    stations whose leaders are told too. A move (an order or purchase put on another trip)
    names the trip it left in `from_trip_id`: the response cache judges an event by every trip
    it changed."""
    # Two statements in plain SQL (db/sql.py): the event, then all its topics at once.
    event = await sql.insert(
        Event,
        kind=kind,
        at=sql.now(),
        message=message[:300],
        trip_id=trip_id,
        from_trip_id=from_trip_id,
        order_id=order_id,
        purchase_id=purchase_id,
        station_id=station_id,
        stop_seq=stop_seq,
        status=status,
    )
    topics = topics_of(
        trip_id=trip_id,
        trip_topic=trip_topic,
        order_id=order_id,
        purchase_id=purchase_id,
        station_id=station_id,
        user_ids=user_ids + followers,
        station_ids=station_ids,
    )
    await sql.insert_many(EventTopic, ("event_id", "topic"), ((event.id, t) for t in topics))
    await notices.write(event, user_ids=user_ids, leaders_of=tell_leaders_of, params=params)
    connection = connections.get("default")
    if connection.capabilities.dialect == "postgres":
        await connection.execute_query("SELECT pg_notify($1, $2)", [NOTIFY_CHANNEL, str(event.id)])
    else:
        local.announce()
    return event


# Event kinds. Order and purchase events carry the status they moved to; trip events the stop.
ORDER_PREFIX = "ORDER_"  # ORDER_PLACED, ORDER_CONFIRMED, … ORDER_CANCELLED (one per OrderStatus)
PURCHASE_PREFIX = "PURCHASE_"  # PURCHASE_RESERVED, … PURCHASE_COLLECTED (one per PurchaseStatus)
TRIP_PREFIX = "TRIP_"  # TRIP_DEPARTED, TRIP_ARRIVED, TRIP_LEFT, TRIP_DELAYED, …


async def record_order_status(
    order: Order,
    *,
    message: str = "",
    stop_seq: int | None = None,
    from_trip_id: int | None = None,
) -> Event:
    """An order moved to `order.status` (and, with `from_trip_id`, off that trip onto
    `order.trip_id`): its buyer, its station's leader (station topic) and whoever follows the
    order hear of it. Call in the transaction that changed it."""
    return await record(
        f"{ORDER_PREFIX}{order.status}",
        message=message,
        trip_id=order.trip_id,
        from_trip_id=from_trip_id,
        order_id=order.id,
        station_id=order.station_id,
        stop_seq=stop_seq,
        status=str(order.status),
        user_ids=(order.buyer_id,),
        trip_topic=False,
        params={
            "number": order.number,
            "pickup_code": order.pickup_code,
            "service_date": order.service_date,
        },
    )


async def record_purchase_status(
    purchase: ProducePurchase,
    *,
    farmer_id: int,
    message: str = "",
    stop_seq: int | None = None,
    from_trip_id: int | None = None,
) -> Event:
    """A produce purchase moved to `purchase.status` (and, with `from_trip_id`, off that trip):
    the buyer, the farmer and the handover station hear of it."""
    return await record(
        f"{PURCHASE_PREFIX}{purchase.status}",
        message=message,
        trip_id=purchase.trip_id,
        from_trip_id=from_trip_id,
        purchase_id=purchase.id,
        station_id=purchase.station_id,
        stop_seq=stop_seq,
        status=str(purchase.status),
        user_ids=(purchase.buyer_id, farmer_id),
        trip_topic=False,
        params={"number": purchase.number},
    )
