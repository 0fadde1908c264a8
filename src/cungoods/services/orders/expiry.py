"""Orders paid through the provider that never were: at their pay-by instant (and at the
cutoff at the latest) they are cancelled, their stock and bus room given back exactly, their
payment intents EXPIRED, and the buyer told. Money that still arrives is refunded at once
(services/money/payments.py).

An order is released by one conditional UPDATE (PLACED and UNPAID -> CANCELLED), so the
expiry timer, the cutoff, a buyer's cancellation and a paying notification racing for the same
order decide it once: whichever changes the row first wins, and the others find nothing to do.
"""

from __future__ import annotations

import datetime as dt

from tortoise.transactions import in_transaction

from cungoods.events.outbox import record_order_status
from cungoods.models import Order, Shipment
from cungoods.models.enums import OrderStatus, PaymentStatus
from cungoods.services import capacity, stock
from cungoods.services.money import payments, refunds


async def expire_unpaid(*, now: dt.datetime) -> int:
    """Release every order still UNPAID at its pay-by instant; returns how many."""
    moment = now.astimezone(dt.UTC)
    due = await Order.filter(
        status=OrderStatus.PLACED, payment_status=PaymentStatus.UNPAID, pay_by__lte=moment
    ).order_by("id")
    released = 0
    for order in due:
        async with in_transaction():
            if await release_unpaid(order, message=f"order {order.number} was not paid in time"):
                released += 1
    return released


async def release_unpaid(order: Order, *, message: str) -> bool:
    """Cancel an unpaid order and give back its stock and room, inside the caller's
    transaction; False when it is no longer PLACED and UNPAID (someone else decided it)."""
    flipped = await Order.filter(
        id=order.id, status=OrderStatus.PLACED, payment_status=PaymentStatus.UNPAID
    ).update(status=OrderStatus.CANCELLED, pay_by=None)
    if flipped != 1:
        return False
    await stock.give_back_order(order.id)
    await capacity.release(await Shipment.get(id=order.shipment_id))
    await payments.expire_intents(order_id=order.id)
    order.status = OrderStatus.CANCELLED
    await record_order_status(order, message=message)
    return True


async def settle_cancelled(order: Order, *, reason: str) -> int:
    """The money of an order just cancelled (its row locked by the caller's UPDATE): whatever was
    paid goes back in full, and its payment intents expire. Returns the refund's ledger
    transaction id (0 when nothing was paid)."""
    await payments.expire_intents(order_id=order.id)
    left = await refunds.refundable_fen(order_id=order.id)
    return await refunds.refund(order_id=order.id, amount_fen=left, reason=reason)
