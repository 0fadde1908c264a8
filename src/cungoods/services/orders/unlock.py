"""Unlocking a pickup code that wrong tries locked (handout.py counts them).

After MAX_WRONG_CODES wrong codes confirmPickup refuses every further try, so a guesser cannot
go on; the buyer standing at the counter then needs a person to vouch for them: the leader of
the order's station or a dispatcher resets the count. The unlock is an event on the order's and
the station's topics (not a status change, so the order's history is unchanged), with who did it.
"""

from __future__ import annotations

from tortoise.transactions import in_transaction

from cungoods.events import outbox
from cungoods.models import Order
from cungoods.services.auth import Viewer, require_viewer
from cungoods.services.errors import DomainError, ErrorCode, not_allowed, not_found
from cungoods.services.orders.handout import MAX_WRONG_CODES

PICKUP_CODE_UNLOCKED = "PICKUP_CODE_UNLOCKED"


def may_unlock(viewer: Viewer, order: Order) -> bool:
    """The leader of the order's station, and dispatchers."""
    return viewer.leads(order.station_id) or viewer.is_dispatcher


async def unlock_pickup_code(*, viewer: Viewer | None, order_id: int) -> Order:
    """Let the order's pickup code be tried again after wrong tries locked it; INVALID_STATE
    when it is not locked."""
    signed_in = require_viewer(viewer)
    async with in_transaction():
        order = await Order.filter(id=order_id).select_for_update().first()
        if order is None:
            raise not_found("order", "orderId")
        if not may_unlock(signed_in, order):
            raise not_allowed("only the order's station leader or a dispatcher may unlock it")
        if order.wrong_code_attempts < MAX_WRONG_CODES:
            raise DomainError(ErrorCode.INVALID_STATE, "the pickup code is not locked", ["orderId"])
        order.wrong_code_attempts = 0
        await order.save(update_fields=["wrong_code_attempts"])
        await outbox.record(
            PICKUP_CODE_UNLOCKED,
            message=f"pickup code of order {order.number} unlocked by user {signed_in.id}",
            trip_id=order.trip_id,
            order_id=order.id,
            station_id=order.station_id,
            trip_topic=False,
        )
    return order
