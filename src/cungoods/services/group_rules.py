"""Group-buy rules of a sale item (issue 13, item 7).

- 限购 (`max_per_buyer`): placeOrder refuses more units of an item than one buyer may order in
  its window (LIMIT_EXCEEDED with the units still allowed as `remaining`). The check runs after
  the stock was taken: that conditional UPDATE holds the sale item's row lock until the order
  commits, so a second order of the same buyer for the same item waits for it and then counts
  it. Two concurrent orders can never together pass the limit.
- 成团 (`min_units`): at the cutoff, an item whose placed units across the window fell short is
  cancelled in every order: its line refunded (services/money/refunds.py, commission reversed
  with it), its stock given back (services/stock.py), its room on the bus released
  (services/capacity); an order left with nothing becomes CANCELLED. Each buyer is told
  (GROUP_BUY_UNMET).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from cungoods.db import sql
from cungoods.events.outbox import record, record_order_status
from cungoods.models import Order, OrderLine, Product, SaleItem, Shipment
from cungoods.models.enums import OrderStatus, Temperature
from cungoods.services import capacity, stock
from cungoods.services.capacity import Load
from cungoods.services.errors import DomainError, DomainErrors, ErrorCode
from cungoods.services.money import refunds
from cungoods.services.orders import expiry

GROUP_BUY_UNMET = "GROUP_BUY_UNMET"

_ORDERED_SQL = (
    f"SELECT ol.sale_item_id, SUM(ol.quantity) AS units FROM {OrderLine._meta.db_table} ol "
    f"JOIN {Order._meta.db_table} o ON o.id = ol.order_id "
    "WHERE o.buyer_id = $1 AND o.status <> $2 AND ol.sale_item_id IN ({items}) "
    "GROUP BY ol.sale_item_id"
)


@dataclass(frozen=True)
class Wanted:
    """A line of an order being placed: the item, its per-buyer limit, the units, where."""

    sale_item_id: int
    max_per_buyer: int | None
    quantity: int
    field: tuple[str, ...]


async def check_limits(*, buyer_id: int, wanted: Sequence[Wanted]) -> None:
    """Refuse every line that would take the buyer past the item's limit (inside placeOrder's
    transaction, after the stock is taken: see the module's docstring)."""
    limited = [want for want in wanted if want.max_per_buyer is not None]
    if not limited:
        return
    ids = [want.sale_item_id for want in limited]
    rows = await sql.fetch(
        _ORDERED_SQL.format(items=sql.placeholders(3, len(ids))),
        buyer_id,
        OrderStatus.CANCELLED,
        *ids,
    )
    ordered = {int(row["sale_item_id"]): int(row["units"] or 0) for row in rows}
    problems = []
    for want in limited:
        assert want.max_per_buyer is not None
        already = ordered.get(want.sale_item_id, 0)
        if already + want.quantity > want.max_per_buyer:
            left = max(0, want.max_per_buyer - already)
            problems.append(
                DomainError(
                    ErrorCode.LIMIT_EXCEEDED,
                    f"at most {want.max_per_buyer} per buyer: {left} more allowed",
                    want.field,
                    remaining=left,
                )
            )
    if problems:
        raise problems[0] if len(problems) == 1 else DomainErrors(problems)


def is_formed(item: SaleItem) -> bool:
    """Whether the item's group has formed: no minimum, or the units placed reach it."""
    return item.min_units is None or item.sold >= item.min_units


async def cancel_unmet(*, window_id: int, orders: Sequence[Order]) -> set[int]:
    """At the cutoff (inside its transaction, the placed `orders` locked): cancel the lines of
    every item of the window whose group did not form. Returns the ids of the orders left
    empty, which are CANCELLED and refunded in full."""
    unmet = {
        item.id: item
        for item in await SaleItem.filter(window_id=window_id, min_units__isnull=False).order_by(
            "id"
        )
        if not is_formed(item)
    }
    if not unmet or not orders:
        return set()
    by_id = {order.id: order for order in orders}
    lines = await OrderLine.filter(order_id__in=list(by_id)).order_by("order_id", "id")
    products = {
        p.id: p
        for p in await Product.filter(id__in=sorted({item.product_id for item in unmet.values()}))
    }
    of_order: dict[int, list[OrderLine]] = {}
    for line in lines:
        of_order.setdefault(line.order_id, []).append(line)
    emptied: set[int] = set()
    for order_id, order_lines in sorted(of_order.items()):
        hit = [line for line in order_lines if line.sale_item_id in unmet and line.quantity > 0]
        if not hit:
            continue
        order = by_id[order_id]
        left = [line for line in order_lines if line not in hit and line.quantity > 0]
        for line in hit:
            item = unmet[line.sale_item_id]
            await record(
                GROUP_BUY_UNMET,
                message=f"{products[item.product_id].name}: only {item.sold} of the "
                f"{item.min_units} units the group needed; cancelled in {order.number}",
                trip_id=order.trip_id,
                order_id=order.id,
                station_id=order.station_id,
                user_ids=(order.buyer_id,),
                trip_topic=False,
                params={
                    "product": products[item.product_id].name,
                    "units": item.sold,
                    "min_units": item.min_units,
                    "number": order.number,
                },
            )
        if not left:
            await _cancel_order(order)
            emptied.add(order.id)
        else:
            await _cancel_lines(order, hit, unmet, products)
    return emptied


async def _cancel_order(order: Order) -> None:
    await Order.filter(id=order.id, status=OrderStatus.PLACED).update(status=OrderStatus.CANCELLED)
    await stock.give_back_order(order.id)
    await capacity.release(await Shipment.get(id=order.shipment_id))
    order.status = OrderStatus.CANCELLED
    await record_order_status(order, message=f"order {order.number} cancelled: group not formed")
    await expiry.settle_cancelled(order, reason="the group buy did not form")


async def _cancel_lines(
    order: Order,
    lines: Sequence[OrderLine],
    items: Mapping[int, SaleItem],
    products: Mapping[int, Product],
) -> None:
    """Cancel some lines of an order that keeps others: stock back, room back, money back."""
    await stock.give_back(stock.SALE_ITEMS, ((line.sale_item_id, line.quantity) for line in lines))
    freed = capacity.total(
        Load.of_units(
            quantity=line.quantity,
            weight_g=product.weight_g,
            volume_cm3=product.volume_cm3,
            temperature=Temperature(product.temperature),
        )
        for line in lines
        for product in [products[items[line.sale_item_id].product_id]]
    )
    shipment = await Shipment.get(id=order.shipment_id)
    await capacity.shrink(shipment, capacity.shipment_load(shipment) - freed)
    # The line stays, at 0 units, so the pick list, the stock given back on a later
    # cancellation and the order's history all agree; the money says what was refunded.
    await OrderLine.filter(id__in=[line.id for line in lines]).update(quantity=0)
    amount = sum(line.quantity * line.unit_price_fen for line in lines)
    await refunds.refund(order_id=order.id, amount_fen=amount, reason="the group buy did not form")
