"""unlockPickupCode: the order's station leader or a dispatcher lets a locked pickup code be
tried again (services/orders/unlock.py)."""

from __future__ import annotations

import strawberry

from cungoods.api.context import Info
from cungoods.api.descriptions import MutationInput
from cungoods.api.errors import UserError, mutation_payload
from cungoods.api.ids import pk_of
from cungoods.api.orders.types import Order
from cungoods.services import orders


@strawberry.input(description="Unlock an order's pickup code after wrong tries locked it.")
class UnlockPickupCodeInput:
    order_id: strawberry.ID = strawberry.field(description="The order.")


@strawberry.type(description="The result of unlockPickupCode.")
class UnlockPickupCodePayload:
    order: Order | None = strawberry.field(description="The order, its code open to tries again.")
    errors: list[UserError] = strawberry.field(description="Why it failed, if it did.")


@strawberry.type
class PickupCodeMutation:
    @strawberry.mutation(
        description="Let a pickup code locked by wrong tries be tried again (the LEADER of the "
        "order's station, or a DISPATCHER); recorded as a PICKUP_CODE_UNLOCKED event."
    )
    async def unlock_pickup_code(
        self, info: Info, input: MutationInput[UnlockPickupCodeInput]
    ) -> UnlockPickupCodePayload:
        return await mutation_payload(
            UnlockPickupCodePayload,
            lambda: orders.unlock_pickup_code(
                viewer=info.context.viewer, order_id=pk_of(input.order_id, "Order", "orderId")
            ),
            order=lambda order: Order.of(order, info),
        )
