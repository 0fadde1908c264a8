"""Who sees an order, and reading orders."""

from __future__ import annotations

from cungoods.models import Event, Order
from cungoods.services import reads
from cungoods.services.auth import Viewer, require_viewer
from cungoods.services.errors import not_allowed, not_found
from cungoods.services.pagination import Page, PageArgs, page


def can_see(viewer: Viewer | None, order: Order) -> bool:
    """The buyer, the leader of the order's station, and dispatchers."""
    return viewer is not None and (
        order.buyer_id == viewer.id or viewer.leads(order.station_id) or viewer.is_dispatcher
    )


def sees_pickup_code(viewer: Viewer | None, order: Order) -> bool:
    """The code is the key to the goods: only the buyer and the leader handing them out."""
    return viewer is not None and (order.buyer_id == viewer.id or viewer.leads(order.station_id))


async def get_order(*, viewer: Viewer | None, order_id: int) -> Order:
    signed_in = require_viewer(viewer)
    [order] = await reads.rows_by_id(Order, [order_id])
    if order is None:
        raise not_found("order", "id")
    if not can_see(signed_in, order):
        raise not_allowed("this order belongs to someone else")
    return order


async def my_orders(*, viewer: Viewer | None, page_args: PageArgs, max_size: int) -> Page[Order]:
    """The viewer's own orders, newest first."""
    signed_in = require_viewer(viewer)
    query = Order.filter(buyer_id=signed_in.id)
    return await page(query, window=page_args, max_size=max_size, newest_first=True)


async def history(*, order_id: int) -> list[Event]:
    """The order's status events, oldest first."""
    return await Event.filter(order_id=order_id, status__not_isnull=True).order_by("id")
