"""The money types: a wallet, ledger entries, commission rates and settlement statements.

Amounts that can pass 2^31 fen are `Long` (balances, a statement's figures, a balance after an
entry, and, for one type throughout, every ledger entry's amount: a payout entry is a whole
statement's due)."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Annotated

import strawberry

from cungoods import models
from cungoods.api.accounts.types import User, user_by_id
from cungoods.api.context import Info
from cungoods.api.descriptions import graphql_enum
from cungoods.api.ids import to_global_id
from cungoods.api.node import Node, node_of, register_node
from cungoods.api.scalars import Long
from cungoods.models.enums import AccountKind as DomainAccountKind
from cungoods.models.enums import LedgerKind as DomainLedgerKind
from cungoods.models.enums import StatementParty as DomainStatementParty
from cungoods.services.money import settlement

if TYPE_CHECKING:
    from cungoods.api.orders.types import Order
    from cungoods.api.produce.types import ProducePurchase

# The domain enum itself is the GraphQL enum (api/descriptions.graphql_enum).
LedgerKind = DomainLedgerKind
graphql_enum(
    LedgerKind,
    name="LedgerKind",
    description="What a movement of money was for: a top-up at a station, a payment, a refund, "
    "a leader's commission (or its reversal), a farmer credited, a payout.",
    values={
        LedgerKind.TOP_UP: "Cash paid into a buyer's wallet at a station (topUp).",
        LedgerKind.PAYMENT: "An order or purchase paid, from the wallet or through the provider.",
        LedgerKind.REFUND: "Money given back to a buyer (a cancellation, a trip change, a "
        "shortage, a claim).",
        LedgerKind.COMMISSION: "A leader's commission on an order handed out at their station.",
        LedgerKind.COMMISSION_REVERSAL: "Commission taken back in proportion to a later refund.",
        LedgerKind.FARMER_CREDIT: "A farmer credited for produce collected at the hub, less the "
        "fees.",
        LedgerKind.PAYOUT: "A statement's amount paid out to a leader or a farmer (markPaidOut).",
    },
)
AccountKind = DomainAccountKind
graphql_enum(
    AccountKind,
    name="AccountKind",
    description="Whose money an account holds: a buyer's wallet, a leader's commission, the cash "
    "a leader took for top-ups (below 0: owed to the hub), what is owed to a farmer, or one of "
    "the platform's own accounts.",
    values={
        AccountKind.BUYER_WALLET: "A buyer's prepaid balance; never below 0.",
        AccountKind.LEADER_COMMISSION: "Commission earned by a leader, owed to them until paid "
        "out.",
        AccountKind.LEADER_CASH: "Cash a leader took for top-ups: below 0, owed to the hub.",
        AccountKind.FARMER_PAYABLE: "Owed to a farmer for produce collected, until paid out.",
        AccountKind.PLATFORM_REVENUE: "The platform's takings: sales and fees.",
        AccountKind.PRODUCE_HELD: "Buyers' money for produce, held until it is collected.",
        AccountKind.PAYMENTS_CLEARING: "The payment provider: below 0, it holds our money.",
        AccountKind.REFUNDS: "Provider refunds sent out, awaiting the provider's confirmation.",
        AccountKind.PAYOUTS: "Transfers made to leaders and farmers.",
    },
)
StatementParty = DomainStatementParty
graphql_enum(
    StatementParty,
    name="StatementParty",
    description="Who a settlement statement is for.",
    values={
        StatementParty.LEADER: "A station leader's statement (commission and cash taken for "
        "top-ups).",
        StatementParty.FARMER: "A farmer's statement (produce collected, less the fees).",
    },
)


@strawberry.type(
    description="One entry of the ledger on one of the viewer's accounts: what moved, by how "
    "much, the account's balance right after it, and the order or purchase it concerns. "
    "A value type (no id): client caches keep it inside the object that holds it."
)
class LedgerEntry:
    order_db_id: strawberry.Private[int | None]
    purchase_db_id: strawberry.Private[int | None]
    kind: LedgerKind = strawberry.field(description="What the money moved for.")
    account_kind: AccountKind = strawberry.field(description="Which of the accounts it is on.")
    amount_fen: Long = strawberry.field(
        description="Fen onto the account (negative: taken from it); 64-bit Long, as every "
        "ledger amount."
    )
    balance_after_fen: Long = strawberry.field(
        description="The account's balance right after this entry, in fen (64-bit Long)."
    )
    at: dt.datetime = strawberry.field(description="When the money moved.")
    memo: str = strawberry.field(description="A note for people (e.g. the station of a top-up).")

    @strawberry.field(description="The order it concerns: null when none, or not visible to you.")
    async def order(
        self, info: Info
    ) -> Annotated[Order, strawberry.lazy("cungoods.api.orders.types")] | None:
        if self.order_db_id is None:
            return None
        order: Order | None = await node_of(info, "Order", self.order_db_id)
        return order

    @strawberry.field(
        description="The produce purchase it concerns: null when none, or not visible to you."
    )
    async def purchase(
        self, info: Info
    ) -> Annotated[ProducePurchase, strawberry.lazy("cungoods.api.produce.types")] | None:
        if self.purchase_db_id is None:
            return None
        purchase: ProducePurchase | None = await node_of(
            info, "ProducePurchase", self.purchase_db_id
        )
        return purchase

    @classmethod
    def of(cls, entry: models.LedgerEntry) -> LedgerEntry:
        """An entry loaded with its transaction and account."""
        transaction = entry.transaction
        return cls(
            order_db_id=transaction.order_id,
            purchase_db_id=transaction.purchase_id,
            kind=DomainLedgerKind(transaction.kind),
            account_kind=DomainAccountKind(entry.account.kind),
            amount_fen=Long(entry.amount_fen),
            balance_after_fen=Long(entry.balance_after_fen),
            at=transaction.created_at,
            memo=transaction.memo,
        )

    @classmethod
    def of_statement(cls, entry: settlement.StatementEntry) -> LedgerEntry:
        return cls(
            order_db_id=entry.order_id,
            purchase_db_id=entry.purchase_id,
            kind=entry.kind,
            account_kind=entry.account_kind,
            amount_fen=Long(entry.amount_fen),
            balance_after_fen=Long(entry.balance_after_fen),
            at=entry.at,
            memo=entry.memo,
        )


@strawberry.type(
    description="The leader's commission on a product category. "
    "A value type (no id): client caches keep it inside the object that holds it."
)
class CommissionRate:
    category: str = strawberry.field(description="The product category, e.g. 粮油.")
    rate_bp: int = strawberry.field(
        description="Basis points of each line's total (800 = 8 %, the default for a category "
        "without a rate)."
    )

    @classmethod
    def of(cls, rate: models.CommissionRate) -> CommissionRate:
        return cls(category=rate.category, rate_bp=rate.rate_bp)


@strawberry.type(
    description="A settlement statement (结算单): one leader's or farmer's account over a period, "
    "its opening balance, the entries of the period and what is due; paid out once. Every "
    "figure is in fen, as a 64-bit Long."
)
class Statement(Node):
    row: strawberry.Private[models.Statement]
    party: StatementParty = strawberry.field(description="A leader's or a farmer's statement.")
    period_from: dt.date = strawberry.field(description="The first day of the period.")
    period_to: dt.date = strawberry.field(description="The last day of the period (inclusive).")
    opening_fen: Long = strawberry.field(description="The account's balance before the period.")
    credits_fen: Long = strawberry.field(description="What came onto the account in the period.")
    debits_fen: Long = strawberry.field(description="What left the account in the period.")
    due_fen: Long = strawberry.field(
        description="Opening + credits − debits: paid to the party at payout (negative: the "
        "party owes it, e.g. a leader's cash taken for top-ups)."
    )
    paid_out_at: dt.datetime | None = strawberry.field(
        description="When the payout was recorded; null until then."
    )
    payout_reference: str | None = strawberry.field(
        description="The bank transfer's reference, once paid out."
    )

    @strawberry.field(
        description="The account it settles (a leader has one for commission, one for cash)."
    )
    async def account_kind(self, info: Info) -> AccountKind:
        account = await info.context.loaders.by_id(models.Account).load(self.row.account_id)
        assert account is not None
        return DomainAccountKind(account.kind)

    @strawberry.field(description="Whose statement it is.")
    async def user(self, info: Info) -> User:
        user = await user_by_id(info, self.row.user_id)
        assert user is not None
        return user

    @strawberry.field(description="Every entry of the period on the account, oldest first.")
    async def entries(self) -> list[LedgerEntry]:
        return [LedgerEntry.of_statement(entry) for entry in await settlement.entries(self.row)]

    @classmethod
    def of(cls, statement: models.Statement) -> Statement:
        return cls(
            id=strawberry.ID(to_global_id("Statement", statement.id)),
            row=statement,
            party=DomainStatementParty(statement.party),
            period_from=statement.period_from,
            period_to=statement.period_to,
            opening_fen=Long(statement.opening_fen),
            credits_fen=Long(statement.credits_fen),
            debits_fen=Long(statement.debits_fen),
            due_fen=Long(statement.due_fen),
            paid_out_at=statement.paid_out_at,
            payout_reference=statement.payout_reference,
        )


async def statement_by_id(info: Info, pk: int) -> Statement | None:
    """A statement, for its party and dispatchers (null for anyone else, as if missing)."""
    statement = await info.context.loaders.by_id(models.Statement).load(pk)
    if statement is None:
        return None
    visible = settlement.may_see_statement(info.context.viewer, user_id=statement.user_id)
    return Statement.of(statement) if visible else None


register_node("Statement", statement_by_id)
