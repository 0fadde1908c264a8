"""A payment through the provider, as the buyer sees it."""

from __future__ import annotations

import strawberry

from cungoods import models
from cungoods.api.ids import to_global_id
from cungoods.api.payments.enums import PaymentKind, PaymentState
from cungoods.api.scalars import Long
from cungoods.services.money import payments


@strawberry.type(description="A payment through the payment provider: a charge or a refund.")
class Payment:
    id: strawberry.ID = strawberry.field(description="The payment's global id.")
    kind: PaymentKind = strawberry.field(description="A charge or a refund.")
    amount_fen: Long = strawberry.field(description="How much, in fen.")
    status: PaymentState = strawberry.field(
        description="PENDING until the provider's signed notification, then SUCCEEDED (or "
        "EXPIRED: the order or purchase was released unpaid)."
    )
    pay_url: str = strawberry.field(
        description="Where the buyer pays: the provider's page (in development the sandbox "
        "provider at /payments/sandbox/{paymentId}, whose Pay button sends the signed "
        "notification)."
    )

    @classmethod
    def of(cls, payment: models.Payment) -> Payment:
        return cls(
            id=strawberry.ID(to_global_id("Payment", payment.id)),
            kind=PaymentKind(payment.kind),
            amount_fen=payment.amount_fen,
            status=PaymentState(payment.state),
            pay_url=payments.pay_url(payment.id),
        )
