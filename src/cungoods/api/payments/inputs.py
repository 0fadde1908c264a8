"""startPayment's input."""

from __future__ import annotations

import strawberry


@strawberry.input(
    description="Pay for an order or a produce purchase placed with payWith PROVIDER: give "
    "exactly one of orderId and purchaseId."
)
class StartPaymentInput:
    order_id: strawberry.ID | None = strawberry.field(
        default=None, description="The order to pay for."
    )
    purchase_id: strawberry.ID | None = strawberry.field(
        default=None, description="The produce purchase to pay for."
    )
    idempotency_key: str = strawberry.field(
        description="Any unique string per payment attempt: the same key returns the same "
        "payment intent."
    )
