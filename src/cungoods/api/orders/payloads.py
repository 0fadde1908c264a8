"""The order mutations' results."""

from __future__ import annotations

import strawberry

from cungoods.api.errors import UserError
from cungoods.api.orders.types import Order


@strawberry.type(description="The result of placeOrder.")
class PlaceOrderPayload:
    order: Order | None = strawberry.field(description="The order.")
    errors: list[UserError] = strawberry.field(description="Why it failed, if it did.")


@strawberry.type(description="The result of cancelOrder.")
class CancelOrderPayload:
    order: Order | None = strawberry.field(description="The cancelled order.")
    errors: list[UserError] = strawberry.field(description="Why it failed, if it did.")


@strawberry.type(description="The result of confirmPickup.")
class ConfirmPickupPayload:
    order: Order | None = strawberry.field(description="The order, picked up.")
    errors: list[UserError] = strawberry.field(description="Why it failed, if it did.")
