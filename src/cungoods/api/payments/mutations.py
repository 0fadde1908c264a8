"""The payment mutation: startPayment."""

from __future__ import annotations

import strawberry

from cungoods.api.context import Info
from cungoods.api.descriptions import MutationInput
from cungoods.api.errors import mutation_payload
from cungoods.api.ids import pk_of
from cungoods.api.payments.inputs import StartPaymentInput
from cungoods.api.payments.payloads import StartPaymentPayload
from cungoods.api.payments.types import Payment
from cungoods.services.money import payments


@strawberry.type
class PaymentMutation:
    @strawberry.mutation(
        description="Start paying for an order or a purchase through the payment provider "
        "(the BUYER who owns it); paid already or cancelled: INVALID_STATE."
    )
    async def start_payment(
        self, info: Info, input: MutationInput[StartPaymentInput]
    ) -> StartPaymentPayload:
        return await mutation_payload(
            StartPaymentPayload,
            lambda: payments.start_payment(
                viewer=info.context.viewer,
                order_id=None
                if input.order_id is None
                else pk_of(input.order_id, "Order", "orderId"),
                purchase_id=None
                if input.purchase_id is None
                else pk_of(input.purchase_id, "ProducePurchase", "purchaseId"),
                idempotency_key=input.idempotency_key,
            ),
            payment=Payment.of,
        )
