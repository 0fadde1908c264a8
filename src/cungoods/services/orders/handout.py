"""On the way and at the station: orders move with their trip, and the station leader hands
each out against its pickup code."""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Sequence

from tortoise.expressions import F
from tortoise.transactions import in_transaction

from cungoods.events.outbox import record_order_status
from cungoods.models import Order
from cungoods.models.enums import OrderStatus
from cungoods.services import clock
from cungoods.services.auth import Viewer, require_viewer
from cungoods.services.errors import DomainError, ErrorCode, not_allowed, not_found
from cungoods.services.money import commission

MAX_WRONG_CODES = 5


async def advance_trip_orders(
    *,
    trip_id: int,
    from_statuses: Sequence[OrderStatus],
    to_status: OrderStatus,
    station_id: int | None = None,
    stop_seq: int | None = None,
    message: str = "",
) -> list[Order]:
    """Move the trip's orders (optionally one station's) that are in `from_statuses` to
    `to_status`, one event each. Call inside the caller's transaction (a trip event)."""
    query = Order.filter(trip_id=trip_id, status__in=list(from_statuses))
    if station_id is not None:
        query = query.filter(station_id=station_id)
    orders = await query.select_for_update().order_by("id")
    if not orders:
        return []
    await Order.filter(
        id__in=[order.id for order in orders], status__in=list(from_statuses)
    ).update(status=to_status)
    for order in orders:
        order.status = to_status
        await record_order_status(order, message=message, stop_seq=stop_seq)
    return orders


async def mark_loaded(*, trip_id: int) -> list[Order]:
    """The trip's confirmed orders are on the bus (call inside the trip event's transaction)."""
    return await advance_trip_orders(
        trip_id=trip_id,
        from_statuses=(OrderStatus.CONFIRMED,),
        to_status=OrderStatus.LOADED,
        stop_seq=0,
        message="loaded on the bus at the hub",
    )


async def confirm_pickup(*, viewer: Viewer | None, order_id: int, pickup_code: str) -> Order:
    """The station leader hands an order out against its pickup code. Each try is counted
    before the code is compared, so even concurrent guesses stop at the limit."""
    signed_in = require_viewer(viewer)
    order = await Order.get_or_none(id=order_id)
    if order is None:
        raise not_found("order", "orderId")
    if not signed_in.leads(order.station_id):
        raise not_allowed("only the leader of the order's station hands it out")
    if order.status is not OrderStatus.AT_STATION:
        raise DomainError(
            ErrorCode.INVALID_STATE,
            "the order was already picked up"
            if order.status is OrderStatus.PICKED_UP
            else f"the order is not at the station yet ({order.status})",
            ["orderId"],
        )
    outcome: DomainError | None = None
    async with in_transaction():
        claimed = await Order.filter(id=order.id, wrong_code_attempts__lt=MAX_WRONG_CODES).update(
            wrong_code_attempts=F("wrong_code_attempts") + 1
        )
        if claimed != 1:
            outcome = DomainError(
                ErrorCode.RATE_LIMITED,
                f"{MAX_WRONG_CODES} wrong codes: this order is locked, ask the hub to help",
                ["pickupCode"],
            )
        elif secrets.compare_digest(pickup_code.strip().encode(), order.pickup_code.encode()):
            handed_out = clock.now().astimezone(dt.UTC)
            flipped = await Order.filter(id=order.id, status=OrderStatus.AT_STATION).update(
                status=OrderStatus.PICKED_UP,
                picked_up_at=handed_out,
                wrong_code_attempts=F("wrong_code_attempts") - 1,  # a right code is no strike
            )
            if flipped != 1:
                raise DomainError(
                    ErrorCode.INVALID_STATE, "the order changed meanwhile: look again", ["orderId"]
                )
            order.status = OrderStatus.PICKED_UP
            order.picked_up_at = handed_out
            await record_order_status(order, message=f"order {order.number} picked up")
            await commission.accrue_for_order(order_id=order.id, leader_id=signed_in.id)
        else:
            left = MAX_WRONG_CODES - order.wrong_code_attempts - 1
            outcome = DomainError(
                ErrorCode.WRONG_CODE,
                f"wrong pickup code ({max(left, 0)} tries left)",
                ["pickupCode"],
            )
    # Raised after the commit: the counted try must stay counted.
    if outcome is not None:
        raise outcome
    return order
