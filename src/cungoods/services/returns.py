"""Goods nobody came for (issue 13): an order left AT_STATION past the pickup grace period
goes back to the hub, and produce left AT_HUB past it is flagged for the dispatcher.

- An order AT_STATION longer than `grace` (CUNGOODS_PICKUP_GRACE_DAYS after the bus arrived
  there) becomes RETURNED: it rides the next trip serving its station back to the hub, as an UP
  shipment reserved through the one capacity mechanism (rides.book), and the reservation that
  brought it down is over. When that bus arrives back at the hub the order is refunded in full
  (through money/refunds.py, which takes back the leader's commission if any accrued) and its
  reservation released: RETURNED and REFUNDED is where it ends. The goods are perishable, so
  they are not put back on sale. When no bus within the outlook has room, it is refunded and
  written off at the station at once (the leader disposes of it), so it never waits.
- Produce AT_HUB longer than `grace` after the bus brought it is flagged once
  (`overdue_at`, event PRODUCE_UNCOLLECTED to the buyer) and listed for the dispatcher
  (`overdue_produce`); the buyer can still collect it.

Each order is handled in its own transaction, claimed by a conditional update (several
processes may run the timer: jobs/returns.py)."""

from __future__ import annotations

import datetime as dt

from tortoise.transactions import in_transaction

from cungoods.events import outbox
from cungoods.models import Order, ProducePurchase, RouteStop, Shipment, Trip, TripStop
from cungoods.models.enums import (
    Direction,
    OrderStatus,
    PurchaseStatus,
    ShipmentState,
    TripStatus,
)
from cungoods.services import capacity, clock
from cungoods.services.auth import Viewer, require_dispatcher
from cungoods.services.capacity import NoCapacity, Way
from cungoods.services.money import refunds
from cungoods.services.pagination import Page, PageArgs, page

DEFAULT_GRACE = dt.timedelta(days=2)
BATCH = 200


async def sweep(*, now: dt.datetime, grace: dt.timedelta = DEFAULT_GRACE) -> tuple[int, int]:
    """Return what is overdue at the stations, flag what is overdue at the hub; returns how
    many orders were returned and how many purchases flagged."""
    returned = 0
    for order_id in await _overdue_orders(now - grace):
        returned += await return_order(order_id, now=now)
    flagged = await flag_overdue_produce(now=now, grace=grace)
    return returned, flagged


async def _overdue_orders(arrived_before: dt.datetime, limit: int | None = BATCH) -> list[int]:
    at_station = await Order.filter(status=OrderStatus.AT_STATION).values_list(
        "id", "trip_id", "station_id"
    )
    if not at_station:
        return []
    arrived = {
        (stop.trip_id, stop.station_id): stop.arrived_at
        for stop in await TripStop.filter(
            trip_id__in={trip_id for _, trip_id, _ in at_station}, arrived_at__not_isnull=True
        )
    }
    # Compared in Python: SQLite compares stored datetimes as text.
    return [
        order_id
        for order_id, trip_id, station_id in at_station
        if (when := arrived.get((trip_id, station_id))) is not None and when < arrived_before
    ][:limit]


async def return_order(order_id: int, *, now: dt.datetime) -> int:
    """Send one overdue order back to the hub (1), or nothing if someone handed it out or
    returned it meanwhile (0)."""
    async with in_transaction():
        order = await Order.filter(id=order_id).select_for_update().first()
        if order is None or order.status is not OrderStatus.AT_STATION:
            return 0
        down = await Shipment.get(id=order.shipment_id)
        load = capacity.shipment_load(down)
        ways = [
            Way(stop.route_id, Direction.UP, stop.seq, stop.minutes_from_departure)
            for stop in await RouteStop.filter(station_id=order.station_id)
        ]
        today = clock.local(now).date()
        ride = None
        if ways:
            try:
                ride = await capacity.book(
                    ways=ways,
                    load=load,
                    start=today,
                    end=today + dt.timedelta(days=capacity.OUTLOOK_DAYS),
                )
            except NoCapacity:
                ride = None
        if down.state is ShipmentState.RESERVED:
            await capacity.release(down)
        order.status = OrderStatus.RETURNED
        if ride is None:
            await Order.filter(id=order.id).update(status=OrderStatus.RETURNED)
            await _refund(order, reason="never collected; no bus back within the outlook")
            await outbox.record_order_status(
                order,
                message=f"order {order.number} was not picked up within the grace period: "
                "refunded in full",
            )
            return 1
        left = order.trip_id
        await Order.filter(id=order.id).update(
            status=OrderStatus.RETURNED, trip_id=ride.trip_id, shipment_id=ride.shipment.id
        )
        order.trip_id, order.shipment_id = ride.trip_id, ride.shipment.id
        await outbox.record_order_status(
            order,
            message=f"order {order.number} was not picked up within the grace period: it goes "
            "back to the hub and is refunded when it arrives",
            stop_seq=ride.stop_seq,
            from_trip_id=left,
        )
        return 1


async def back_at_hub(*, trip_id: int) -> int:
    """The bus is back: the returned orders it carried are refunded and their reservations
    released. Call inside the trip event's transaction."""
    returned = (
        await Order.filter(trip_id=trip_id, status=OrderStatus.RETURNED)
        .select_for_update()
        .order_by("id")
    )
    if not returned:
        return 0
    shipments = await Shipment.filter(
        id__in=[order.shipment_id for order in returned], state=ShipmentState.RESERVED
    )
    riding_on = {shipment.id for shipment in shipments}
    riding = [order for order in returned if order.shipment_id in riding_on]
    if shipments:
        await capacity.release_many(shipments)
    done = 0
    for order in riding:
        if await refunds.refundable_fen(order_id=order.id) == 0:
            continue
        await _refund(order, reason="never collected: back at the hub")
        await outbox.record_order_status(
            order, message=f"order {order.number} is back at the hub: refunded in full"
        )
        done += 1
    return done


async def _refund(order: Order, *, reason: str) -> None:
    await refunds.refund(
        order_id=order.id,
        amount_fen=await refunds.refundable_fen(order_id=order.id),
        reason=reason,
    )


async def flag_overdue_produce(*, now: dt.datetime, grace: dt.timedelta = DEFAULT_GRACE) -> int:
    """Flag, once each, the purchases AT_HUB longer than `grace` after their bus arrived."""
    waiting = await ProducePurchase.filter(
        status=PurchaseStatus.AT_HUB, overdue_at__isnull=True
    ).values_list("id", "trip_id")
    if not waiting:
        return 0
    back: dict[int, dt.datetime] = {}
    for stop in await TripStop.filter(
        trip_id__in={trip_id for _, trip_id in waiting}, station_id__isnull=True, seq__gt=0
    ):
        if stop.arrived_at is not None:
            back[stop.trip_id] = stop.arrived_at
    due = [pid for pid, trip_id in waiting if (at := back.get(trip_id)) and at < now - grace]
    flagged = 0
    for purchase_id in due[:BATCH]:
        async with in_transaction():
            claimed = await ProducePurchase.filter(
                id=purchase_id, status=PurchaseStatus.AT_HUB, overdue_at__isnull=True
            ).update(overdue_at=now)
            if not claimed:
                continue
            purchase = await ProducePurchase.get(id=purchase_id)
            await outbox.record(
                "PRODUCE_UNCOLLECTED",
                message=f"purchase {purchase.number} has waited at the hub for more than "
                f"{grace.days} days: please collect it",
                trip_id=purchase.trip_id,
                purchase_id=purchase.id,
                status=purchase.status.value,
                user_ids=(purchase.buyer_id,),
                trip_topic=False,
                params={"number": purchase.number, "days": grace.days},
            )
            flagged += 1
    return flagged


async def overdue_produce(
    *, viewer: Viewer | None, page_args: PageArgs, max_size: int
) -> Page[ProducePurchase]:
    """Produce waiting at the hub past the grace period (DISPATCHER): call its buyer."""
    require_dispatcher(viewer)
    query = ProducePurchase.filter(status=PurchaseStatus.AT_HUB, overdue_at__not_isnull=True)
    return await page(query, window=page_args, max_size=max_size)


async def limbo(*, now: dt.datetime, grace: dt.timedelta = DEFAULT_GRACE) -> dict[str, int]:
    """What must never be (issue 13), counted: produce purchases still RESERVED on a bus that
    has left their station (or finished), and orders AT_STATION past the grace period."""
    reserved = await ProducePurchase.filter(status=PurchaseStatus.RESERVED).values_list(
        "trip_id", "station_id"
    )
    left = {
        (stop.trip_id, stop.station_id)
        for stop in await TripStop.filter(
            trip_id__in={trip_id for trip_id, _ in reserved}, departed_at__not_isnull=True
        )
    }
    finished = set(
        await Trip.filter(
            id__in={trip_id for trip_id, _ in reserved},
            status__in=[TripStatus.COMPLETED, TripStatus.CANCELLED],
        ).values_list("id", flat=True)
    )
    stuck = sum(1 for key in reserved if key in left or key[0] in finished)
    overdue = await _overdue_orders(now - grace, limit=None)
    return {"reserved_after_departure": stuck, "overdue_at_station": len(overdue)}
