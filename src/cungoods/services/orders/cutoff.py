"""The sale window's cutoff: until it, a buyer may still cancel; at it, the placed orders are
confirmed and nothing more is placed or cancelled.

On PostgreSQL placing and cancelling read the window FOR SHARE while its cutoff is ahead, and the
cutoff claims that row by an UPDATE, which waits for them: so it never misses an order still
being placed.
"""

from __future__ import annotations

import datetime as dt

from tortoise.transactions import in_transaction

from cungoods.db import sql
from cungoods.events.outbox import record_order_status
from cungoods.models import Order, SaleWindow, Shipment
from cungoods.models.enums import OrderStatus, PaymentStatus
from cungoods.services import capacity, clock, group_rules, stock
from cungoods.services.auth import Viewer, require_dispatcher, require_viewer
from cungoods.services.errors import DomainError, ErrorCode, not_allowed, not_found
from cungoods.services.orders import expiry


async def window_before_cutoff(
    *, now: dt.datetime, service_date: dt.date | None = None, window_id: int | None = None
) -> SaleWindow | None:
    """The sale window if its cutoff has neither passed nor run, else None.

    On PostgreSQL the row is read FOR SHARE, so the cutoff (an UPDATE of this row) waits until
    this transaction ends and never misses an order placed meanwhile; many placements share the
    lock at once. A window past its cutoff matches no row and is not locked, so once the cutoff
    time has come, late requests do not hold the cutoff up."""
    utc = now.astimezone(dt.UTC)
    if not sql.is_postgres():
        query = SaleWindow.filter(cutoff_done_at=None, cutoff_at__gt=utc)
        if window_id is not None:
            return await query.get_or_none(id=window_id)
        return await query.get_or_none(service_date=service_date)
    # Tortoise has no FOR SHARE: plain SQL (db/sql.py), read back as the model.
    value: int | dt.date
    if window_id is not None:
        column, value = "id", window_id
    else:
        assert service_date is not None
        column, value = "service_date", service_date
    windows = await sql.fetch_models(
        SaleWindow,
        f"SELECT * FROM sale_window WHERE {column} = $1 AND cutoff_done_at IS NULL "
        "AND cutoff_at > $2 FOR SHARE",
        value,
        utc,
    )
    return windows[0] if windows else None


async def cancel_order(*, viewer: Viewer | None, order_id: int) -> Order:
    """The buyer withdraws an order before the cutoff: stock and bus room go back."""
    signed_in = require_viewer(viewer)
    async with in_transaction():
        order = await Order.get_or_none(id=order_id)
        if order is None:
            raise not_found("order", "orderId")
        if order.buyer_id != signed_in.id:
            raise not_allowed("only the buyer may cancel an order")
        if order.status is OrderStatus.CANCELLED:
            raise DomainError(
                ErrorCode.INVALID_STATE, "the order is already cancelled", ["orderId"]
            )
        window = await window_before_cutoff(now=clock.now(), window_id=order.window_id)
        if window is None:
            closed = await SaleWindow.get(id=order.window_id)
            raise DomainError(
                ErrorCode.CUTOFF_PASSED,
                f"orders for {order.service_date} closed at {local_time(closed.cutoff_at)}: "
                "the goods are being packed",
                ["orderId"],
            )
        flipped = await Order.filter(id=order.id, status=OrderStatus.PLACED).update(
            status=OrderStatus.CANCELLED
        )
        if flipped != 1:
            current = await Order.get(id=order.id)
            raise DomainError(
                ErrorCode.INVALID_STATE, f"the order is {current.status}", ["orderId"]
            )
        await stock.give_back_order(order.id)
        await capacity.release(await Shipment.get(id=order.shipment_id))
        # Read again under the row lock our UPDATE holds: a payment that landed meanwhile counts.
        order = await Order.get(id=order.id)
        await record_order_status(order, message=f"order {order.number} cancelled by the buyer")
        await expiry.settle_cancelled(order, reason="cancelled by the buyer before the cutoff")
        order = await Order.get(id=order.id)
    return order


async def run_cutoff(*, viewer: Viewer | None, service_date: dt.date) -> SaleWindow:
    """Close the window of a service date and confirm its orders (DISPATCHER). The server also
    does this by itself at each cutoff time; running it again changes nothing."""
    require_dispatcher(viewer)
    window = await SaleWindow.get_or_none(service_date=service_date)
    if window is None:
        raise DomainError(
            ErrorCode.NOT_FOUND, f"no sale window for {service_date}", ["serviceDate"]
        )
    if window.cutoff_done_at is None and clock.now() < window.cutoff_at:
        raise DomainError(
            ErrorCode.INVALID_STATE,
            f"orders for {service_date} are taken until {local_time(window.cutoff_at)}",
            ["serviceDate"],
        )
    await cut_off(window_id=window.id)
    return await SaleWindow.get(id=window.id)


async def cut_off(*, window_id: int) -> int:
    """Mark the window cut off and confirm its placed orders that are paid, one event each,
    release the unpaid ones (expired: stock and room go back) and cancel the lines of items
    whose group did not form (group_rules.py); returns how many were confirmed.
    Claiming the window row first makes concurrent runs (another server process) a no-op."""
    async with in_transaction():
        claimed = await SaleWindow.filter(id=window_id, cutoff_done_at=None).update(
            cutoff_done_at=clock.now().astimezone(dt.UTC)
        )
        if claimed != 1:
            return 0
        placed = (
            await Order.filter(window_id=window_id, status=OrderStatus.PLACED)
            .select_for_update()
            .order_by("id")
        )
        orders = [order for order in placed if order.payment_status != PaymentStatus.UNPAID]
        for order in placed:
            if order.payment_status == PaymentStatus.UNPAID:
                await expiry.release_unpaid(
                    order, message=f"order {order.number} was not paid by the cutoff"
                )
        # 成团: items short of their group size are cancelled now the window's units are final.
        emptied = await group_rules.cancel_unmet(window_id=window_id, orders=orders)
        orders = [order for order in orders if order.id not in emptied]
        if orders:
            await Order.filter(
                id__in=[order.id for order in orders], status=OrderStatus.PLACED
            ).update(status=OrderStatus.CONFIRMED)
        for order in orders:
            order.status = OrderStatus.CONFIRMED
            await record_order_status(
                order, message=f"order {order.number} confirmed: ordering has closed"
            )
        return len(orders)


async def run_due_cutoffs(*, now: dt.datetime | None = None) -> list[int]:
    """Cut off every window whose cutoff time has come; returns their ids."""
    # In UTC: SQLite compares the stored text, which Tortoise writes in UTC.
    moment = (now or clock.now()).astimezone(dt.UTC)
    due = await SaleWindow.filter(cutoff_at__lte=moment, cutoff_done_at=None).order_by("cutoff_at")
    for window in due:
        await cut_off(window_id=window.id)
    return [window.id for window in due]


async def next_cutoff_at() -> dt.datetime | None:
    """When the next window still to be cut off closes."""
    window = await SaleWindow.filter(cutoff_done_at=None).order_by("cutoff_at").first()
    return None if window is None else window.cutoff_at


def local_time(moment: dt.datetime) -> str:
    return moment.astimezone(clock.tz()).strftime("%Y-%m-%d %H:%M")
