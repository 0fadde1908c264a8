"""The money mutations: top-ups at the station, commission rates, settlement and payouts."""

from __future__ import annotations

import strawberry

from cungoods.api.context import Info
from cungoods.api.descriptions import MutationInput
from cungoods.api.errors import mutation_payload
from cungoods.api.ids import pk_of
from cungoods.api.money.inputs import (
    MarkPaidOutInput,
    SetCommissionRateInput,
    SettleInput,
    TopUpInput,
)
from cungoods.api.money.payloads import (
    MarkPaidOutPayload,
    SetCommissionRatePayload,
    SettlePayload,
    TopUpPayload,
)
from cungoods.api.money.types import CommissionRate, LedgerEntry, Statement
from cungoods.api.money.wallet import Wallet
from cungoods.api.scalars import Long
from cungoods.services.money import commission, settlement, topups


@strawberry.type
class MoneyMutation:
    @strawberry.mutation(
        description="Credit a buyer's wallet with cash taken at the station (村站代充, LEADER): "
        "the leader then owes the hub that cash."
    )
    async def top_up(self, info: Info, input: MutationInput[TopUpInput]) -> TopUpPayload:
        return await mutation_payload(
            TopUpPayload,
            lambda: topups.top_up_wallet(
                viewer=info.context.viewer,
                buyer_phone=input.buyer_phone,
                amount_fen=input.amount_fen,
                idempotency_key=input.idempotency_key,
            ),
            wallet=lambda receipt: Wallet(balance_fen=Long(receipt.balance_fen)),
            entry=lambda receipt: LedgerEntry.of(receipt.entry),
        )

    @strawberry.mutation(
        description="Set the leader's commission on a product category (DISPATCHER)."
    )
    async def set_commission_rate(
        self, info: Info, input: MutationInput[SetCommissionRateInput]
    ) -> SetCommissionRatePayload:
        return await mutation_payload(
            SetCommissionRatePayload,
            lambda: commission.set_commission_rate(
                viewer=info.context.viewer, category=input.category, rate_bp=input.rate_bp
            ),
            rate=CommissionRate.of,
        )

    @strawberry.mutation(
        description="Make the statements of a period (DISPATCHER): one per leader and farmer "
        "account that moved in it."
    )
    async def settle(self, info: Info, input: MutationInput[SettleInput]) -> SettlePayload:
        return await mutation_payload(
            SettlePayload,
            lambda: settlement.settle(viewer=info.context.viewer, start=input.from_, end=input.to),
            statements=lambda made: [Statement.of(statement) for statement in made],
        )

    @strawberry.mutation(
        description="Record the bank transfer that pays a statement (DISPATCHER); once."
    )
    async def mark_paid_out(
        self, info: Info, input: MutationInput[MarkPaidOutInput]
    ) -> MarkPaidOutPayload:
        return await mutation_payload(
            MarkPaidOutPayload,
            lambda: settlement.mark_paid_out(
                viewer=info.context.viewer,
                statement_id=pk_of(input.statement_id, "Statement", "statementId"),
                reference=input.reference,
            ),
            statement=Statement.of,
        )
