"""Units of an order the buyer will not get after all (short at the hub, missing or damaged at
the station's arrival check): taken off the order's lines, refunded, written off the stock.

The lines always say what the buyer gets: a line shrinks or goes, and the order's total with it,
so the pick list, the loading plan, the manifest and the commission at pickup all follow. An
order left with no lines is CANCELLED. Call `take_off` inside the use case's transaction with
the orders locked (FOR UPDATE, in id order); it then takes the other locks in the global order:
sale items by id (the write-off), legs (the capacity), accounts (the refunds).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from tortoise.expressions import F

from cungoods.events.outbox import record_order_status
from cungoods.models import Order, OrderLine, SaleItem, Shipment
from cungoods.models.enums import OrderStatus, ShipmentState
from cungoods.services import capacity, stock
from cungoods.services.capacity import Load
from cungoods.services.money import refunds


def yuan(fen: int) -> str:
    """An amount as buyers read it in a message: 17.80 元."""
    return f"{fen / 100:.2f} 元"


@dataclass(frozen=True)
class Item:
    """A sale item as taking units off needs it: its product's name, unit and unit load."""

    id: int
    name: str
    unit: str
    unit_load: Load


@dataclass(frozen=True)
class Cut:
    """`units` of the order's line of `item` go; `unit_price_fen` is what the buyer paid."""

    order: Order
    item: Item
    units: int
    unit_price_fen: int

    @property
    def refund_fen(self) -> int:
        return self.units * self.unit_price_fen


@dataclass
class Outcome:
    """What happened to one order: its cuts, the money refunded, whether it was cancelled."""

    order: Order
    cuts: list[Cut] = field(default_factory=list)
    cancelled: bool = False

    @property
    def units(self) -> int:
        return sum(cut.units for cut in self.cuts)

    @property
    def refund_fen(self) -> int:
        return sum(cut.refund_fen for cut in self.cuts)


async def items_of(ids: Sequence[int]) -> dict[int, Item]:
    """The sale items with their products' names, units and unit loads."""
    rows = await SaleItem.filter(id__in=list(ids)).values(
        "id",
        "product__name",
        "product__unit",
        "product__weight_g",
        "product__volume_cm3",
        "product__temperature",
    )
    return {
        int(row["id"]): Item(
            id=int(row["id"]),
            name=str(row["product__name"]),
            unit=str(row["product__unit"]),
            unit_load=Load.of_units(
                quantity=1,
                weight_g=int(row["product__weight_g"]),
                volume_cm3=int(row["product__volume_cm3"]),
                temperature=str(row["product__temperature"]),
            ),
        )
        for row in rows
    }


async def take_off(
    cuts: Sequence[Cut],
    *,
    reason: Callable[[Cut], str],
    free_capacity: bool,
    cancel_message: Callable[[Order], str],
) -> list[Outcome]:
    """Take the cuts off their orders' lines (each at most the line's quantity: the caller
    checked, with the orders locked), write the units off the stock, refund each cut through
    the refund path, and cancel the orders left empty. With `free_capacity` (the bus has not
    left) each order's shipment shrinks by the units' load, or is released when cancelled.
    Returns one outcome per order, in order id order."""
    outcomes: dict[int, Outcome] = {}
    for cut in sorted(cuts, key=lambda c: (c.order.id, c.item.id)):
        outcome = outcomes.setdefault(cut.order.id, Outcome(order=cut.order))
        outcome.cuts.append(cut)
        line = await OrderLine.get(order_id=cut.order.id, sale_item_id=cut.item.id)
        if cut.units >= line.quantity:
            await OrderLine.filter(id=line.id).delete()
        else:
            await OrderLine.filter(id=line.id).update(quantity=F("quantity") - cut.units)
    for outcome in outcomes.values():
        order = outcome.order
        await Order.filter(id=order.id).update(total_fen=F("total_fen") - outcome.refund_fen)
        order.total_fen -= outcome.refund_fen
        outcome.cancelled = not await OrderLine.exists(order_id=order.id)
    written_off: dict[int, int] = defaultdict(int)
    for cut in cuts:
        written_off[cut.item.id] += cut.units
    await stock.write_off(stock.SALE_ITEMS, written_off.items())
    if free_capacity:
        await _free_capacity(list(outcomes.values()))
    for outcome in outcomes.values():
        for cut in outcome.cuts:
            await refunds.refund(
                order_id=cut.order.id, amount_fen=cut.refund_fen, reason=reason(cut)
            )
        if outcome.cancelled:
            await Order.filter(id=outcome.order.id).update(status=OrderStatus.CANCELLED)
            outcome.order.status = OrderStatus.CANCELLED
            await record_order_status(outcome.order, message=cancel_message(outcome.order))
    for outcome in outcomes.values():
        fresh = await Order.get(id=outcome.order.id)
        outcome.order = fresh
    return list(outcomes.values())


async def _free_capacity(outcomes: Sequence[Outcome]) -> None:
    """Shrink (or release, for a cancelled order) the shipments, in shipment id order."""
    shipments = {
        shipment.id: shipment
        for shipment in await Shipment.filter(
            id__in=[o.order.shipment_id for o in outcomes], state=ShipmentState.RESERVED
        )
    }
    released = [
        shipments[o.order.shipment_id]
        for o in outcomes
        if o.cancelled and o.order.shipment_id in shipments
    ]
    await capacity.release_many(released)
    for outcome in sorted(outcomes, key=lambda o: o.order.shipment_id):
        shipment = shipments.get(outcome.order.shipment_id)
        if outcome.cancelled or shipment is None:
            continue
        freed = capacity.total(
            Load(
                cut.item.unit_load.weight_g * cut.units,
                cut.item.unit_load.volume_cm3 * cut.units,
                cut.item.unit_load.chilled_g * cut.units,
            )
            for cut in outcome.cuts
        )
        now = capacity.shipment_load(shipment)
        await capacity.shrink(
            shipment,
            Load(
                max(now.weight_g - freed.weight_g, 0),
                max(now.volume_cm3 - freed.volume_cm3, 0),
                max(now.chilled_g - freed.chilled_g, 0),
            ),
        )
