"""The money mutations' results."""

from __future__ import annotations

import strawberry

from cungoods.api.errors import UserError
from cungoods.api.money.types import CommissionRate, LedgerEntry, Statement
from cungoods.api.money.wallet import Wallet


@strawberry.type(description="The result of topUp.")
class TopUpPayload:
    wallet: Wallet | None = strawberry.field(description="The buyer's wallet after the top-up.")
    entry: LedgerEntry | None = strawberry.field(
        description="The top-up's entry on the buyer's wallet."
    )
    errors: list[UserError] = strawberry.field(description="Why it failed, if it did.")


@strawberry.type(description="The result of setCommissionRate.")
class SetCommissionRatePayload:
    rate: CommissionRate | None = strawberry.field(description="The rate now in force.")
    errors: list[UserError] = strawberry.field(description="Why it failed, if it did.")


@strawberry.type(description="The result of settle.")
class SettlePayload:
    statements: list[Statement] = strawberry.field(
        description="One statement per leader and farmer account that moved in the period "
        "(settling a period again returns the same ones)."
    )
    errors: list[UserError] = strawberry.field(description="Why it failed, if it did.")


@strawberry.type(description="The result of markPaidOut.")
class MarkPaidOutPayload:
    statement: Statement | None = strawberry.field(description="The statement, paid out.")
    errors: list[UserError] = strawberry.field(description="Why it failed, if it did.")
