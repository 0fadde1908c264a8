"""A shortage at the hub (缺货): fewer units of a sale item came in than were sold for a trip.

A dispatcher records it after the sale window's cutoff and before the trip departs. The missing
units come off the trip's latest-placed orders first (a line shrinks or goes; an order left with
no lines is cancelled), are refunded through the refund path, written off the stock, and the
orders' shipments shrink on the bus, so the pick list and the loading plan (made from the
lines) drop with them. Each buyer concerned is told (ORDER_SHORTAGE).

Concurrency (PostgreSQL): the trip row is locked first (FOR NO KEY UPDATE, as trip events and
trip changes do), so the departure, a trip change or another shortage of the trip wait for this
one or this one for them. Then the sale window: if the cutoff time has passed but the cutoff has
not run yet, it runs here first (its claim of the window row waits for the buyers'
cancellations in flight, which hold that row FOR SHARE), so a cancellation either committed
before (its order is no longer there to shorten) or is refused after (CUTOFF_PASSED). Then the
orders FOR UPDATE in id order, the sale item, the legs, the accounts: the global lock order.
"""

from __future__ import annotations

from dataclasses import dataclass

from tortoise.transactions import in_transaction

from cungoods.events.outbox import record
from cungoods.models import Order, OrderLine, SaleItem, SaleWindow, Trip
from cungoods.models.enums import OrderStatus, TripStatus
from cungoods.services import clock
from cungoods.services.auth import Viewer, require_dispatcher
from cungoods.services.errors import DomainError, ErrorCode, invalid, not_found
from cungoods.services.orders import cut_off
from cungoods.services.orders.cutoff import local_time
from cungoods.services.orders.shortfall import Cut, Outcome, items_of, take_off, yuan

ORDER_SHORTAGE = "ORDER_SHORTAGE"
MAX_SHORT_UNITS = 100_000
# Orders that are packed at the hub and not yet on their way.
SHORTENED = (OrderStatus.CONFIRMED, OrderStatus.LOADED)


@dataclass(frozen=True)
class Shortage:
    """What a recorded shortage did."""

    trip: Trip
    sale_item: SaleItem
    short_units: int
    outcomes: list[Outcome]

    @property
    def refunded_fen(self) -> int:
        return sum(outcome.refund_fen for outcome in self.outcomes)


async def record_shortage(
    *, viewer: Viewer | None, trip_id: int, sale_item_id: int, short_units: int
) -> Shortage:
    """Record that `short_units` of a sale item are missing for a trip (DISPATCHER): taken off
    the trip's latest-placed orders first, refunded, written off, the bus room given back."""
    require_dispatcher(viewer)
    if not 1 <= short_units <= MAX_SHORT_UNITS:
        raise invalid(f"shortUnits is 1 to {MAX_SHORT_UNITS}", "shortUnits")
    async with in_transaction():
        trip = await Trip.filter(id=trip_id).select_for_update(no_key=True).first()
        if trip is None:
            raise not_found("trip", "tripId")
        if trip.status is not TripStatus.SCHEDULED:
            raise DomainError(
                ErrorCode.INVALID_STATE,
                f"the trip is {trip.status.value.lower()}: a shortage is recorded before it "
                "departs",
                ["tripId"],
            )
        item = await SaleItem.get_or_none(id=sale_item_id)
        if item is None:
            raise not_found("sale item", "saleItemId")
        window = await SaleWindow.get(id=item.window_id)
        if window.cutoff_done_at is None:
            if clock.now() < window.cutoff_at:
                raise DomainError(
                    ErrorCode.INVALID_STATE,
                    f"orders are taken until {local_time(window.cutoff_at)}: a shortage is "
                    "recorded after the cutoff",
                    ["saleItemId"],
                )
            # The timer has not got to it yet: cut off now, inside this transaction.
            await cut_off(window_id=window.id)
        having = await OrderLine.filter(
            sale_item_id=item.id, order__trip_id=trip.id, order__status__in=list(SHORTENED)
        ).values_list("order_id", flat=True)
        # Locked, and their status read again under the lock: a change that committed
        # meanwhile (a trip change moving one away) counts.
        orders = (
            await Order.filter(id__in=list(having), trip_id=trip.id, status__in=list(SHORTENED))
            .select_for_update()
            .order_by("id")
        )
        lines = {
            line.order_id: line
            for line in await OrderLine.filter(
                order_id__in=[order.id for order in orders], sale_item_id=item.id
            )
        }
        ordered = sum(line.quantity for line in lines.values())
        [info] = (await items_of([item.id])).values()
        if short_units > ordered:
            raise DomainError(
                ErrorCode.INVALID_INPUT,
                f"only {ordered} {info.unit} of {info.name} are ordered on this trip",
                ["shortUnits"],
                remaining=ordered,
            )
        cuts: list[Cut] = []
        left = short_units
        # The latest-placed orders lose their units first.
        for order in sorted(orders, key=lambda o: (o.created_at, o.id), reverse=True):
            if left == 0:
                break
            line = lines[order.id]
            units = min(left, line.quantity)
            cuts.append(
                Cut(order=order, item=info, units=units, unit_price_fen=line.unit_price_fen)
            )
            left -= units
        outcomes = await take_off(
            cuts,
            reason=lambda cut: f"{info.name} short at the hub ({cut.units} {info.unit})",
            free_capacity=True,
            cancel_message=lambda order: (
                f"order {order.number} cancelled: nothing of it is left after a shortage at the hub"
            ),
        )
        for outcome in outcomes:
            order = outcome.order
            await record(
                ORDER_SHORTAGE,
                message=f"{info.name} is short at the hub: {outcome.units} {info.unit} taken off "
                f"order {order.number}, {yuan(outcome.refund_fen)} refunded",
                trip_id=trip.id,
                order_id=order.id,
                station_id=order.station_id,
                user_ids=(order.buyer_id,),
                trip_topic=False,
                params={
                    "product": info.name,
                    "units": outcome.units,
                    "unit": info.unit,
                    "number": order.number,
                    "amount_fen": outcome.refund_fen,
                },
            )
    return Shortage(trip=trip, sale_item=item, short_units=short_units, outcomes=outcomes)
