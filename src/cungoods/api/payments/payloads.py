"""startPayment's result."""

from __future__ import annotations

import strawberry

from cungoods.api.errors import UserError
from cungoods.api.payments.types import Payment


@strawberry.type(description="The result of startPayment.")
class StartPaymentPayload:
    payment: Payment | None = strawberry.field(
        description="The payment intent: send the buyer to its payUrl."
    )
    errors: list[UserError] = strawberry.field(description="Why it failed, if it did.")
