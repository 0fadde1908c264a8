"""The money mutations' inputs."""

from __future__ import annotations

import datetime as dt

import strawberry


@strawberry.input(description="Credit a buyer's wallet with cash taken at the station (LEADER).")
class TopUpInput:
    buyer_phone: str = strawberry.field(description="The buyer's phone number.")
    amount_fen: int = strawberry.field(
        description="The cash taken, in fen: 1 to 500000 (5,000 元) per top-up."
    )
    idempotency_key: str | None = strawberry.field(
        default=None,
        description="Send the same key when retrying: the wallet is credited at most once.",
    )


@strawberry.input(description="Set the leader's commission on a product category (DISPATCHER).")
class SetCommissionRateInput:
    category: str = strawberry.field(description="The product category, e.g. 粮油 (1 to 32).")
    rate_bp: int = strawberry.field(
        description="Basis points of each line's total, 0 to 10000 (800 = 8 %); applies to "
        "orders picked up from now."
    )


@strawberry.input(description="Make the statements of a period (DISPATCHER).")
class SettleInput:
    from_: dt.date = strawberry.field(name="from", description="The first day of the period.")
    to: dt.date = strawberry.field(
        description="The last day of the period (inclusive; at most 93 days in all)."
    )


@strawberry.input(description="Record the bank transfer that pays a statement (DISPATCHER).")
class MarkPaidOutInput:
    statement_id: strawberry.ID = strawberry.field(description="The statement.")
    reference: str = strawberry.field(description="The transfer's reference, 1 to 100 characters.")
