"""The order mutations' inputs, and what they mean to the services."""

from __future__ import annotations

import datetime as dt

import strawberry

from cungoods.api.ids import pk_of
from cungoods.api.payments.enums import PayWith
from cungoods.services import orders
from cungoods.services.errors import DomainError


@strawberry.input(description="A line of an order.")
class OrderLineInput:
    sale_item_id: strawberry.ID = strawberry.field(description="The sale item.")
    quantity: int = strawberry.field(description="Units, 1 to 99.")


@strawberry.input(description="Order goods for pickup at a station.")
class PlaceOrderInput:
    station_id: strawberry.ID = strawberry.field(description="Where to pick up.")
    service_date: dt.date = strawberry.field(description="The pickup day.")
    lines: list[OrderLineInput] = strawberry.field(description="What to order.")
    idempotency_key: str | None = strawberry.field(
        default=None,
        description="Any unique string per order attempt: a retry with the same key and input "
        "returns the same order.",
    )
    pay_with: PayWith = strawberry.field(
        default=PayWith.BALANCE,
        description="BALANCE (default): paid from the wallet at once, INSUFFICIENT_FUNDS (with "
        "shortfallFen) when it cannot. PROVIDER: placed UNPAID; pay it with startPayment before "
        "payBy or it is cancelled.",
    )


@strawberry.input(description="Cancel an order before the cutoff.")
class CancelOrderInput:
    order_id: strawberry.ID = strawberry.field(description="The order.")


@strawberry.input(description="Hand an order out at the station against its pickup code.")
class ConfirmPickupInput:
    order_id: strawberry.ID = strawberry.field(description="The order.")
    pickup_code: str = strawberry.field(description="The code the buyer shows.")


def line_requests(lines: list[OrderLineInput]) -> list[orders.LineRequest]:
    """The lines to order; a bad sale item id is reported at its place in the list."""
    parsed = []
    for i, line in enumerate(lines):
        try:
            sale_item_id = pk_of(line.sale_item_id, "SaleItem")
        except DomainError as error:
            raise DomainError(error.code, error.message, ["lines", str(i), "saleItemId"]) from error
        parsed.append(orders.LineRequest(sale_item_id=sale_item_id, quantity=line.quantity))
    return parsed
