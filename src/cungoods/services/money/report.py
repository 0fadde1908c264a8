"""The money of a period, read off the ledger: what buyers paid, what went back, what leaders
and farmers earned, what the platform kept. One query, grouped by what a transaction was for and
whose account it moved; the figures are sums of entries, so they agree with the ledger."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from cungoods.db import sql
from cungoods.models import Account, LedgerEntry, LedgerTransaction
from cungoods.models.enums import AccountKind, LedgerKind

_A, _T, _E = (
    Account._meta.db_table,
    LedgerTransaction._meta.db_table,
    LedgerEntry._meta.db_table,
)
PERIOD_SQL = f"""
SELECT t.kind AS kind, a.kind AS account_kind, SUM(e.amount_fen) AS fen
FROM {_E} e JOIN {_T} t ON t.id = e.transaction_id JOIN {_A} a ON a.id = e.account_id
WHERE t.created_at >= $1 AND t.created_at < $2
GROUP BY t.kind, a.kind
"""
# Where buyers' money goes when they pay, and comes out of when it is refunded.
TAKINGS = (AccountKind.PLATFORM_REVENUE, AccountKind.PRODUCE_HELD)


@dataclass(frozen=True)
class MoneyOfPeriod:
    top_ups_fen: int  # cash leaders took in for wallets
    sales_fen: int  # paid by buyers, for orders and produce
    refunds_fen: int  # given back to buyers
    commissions_fen: int  # earned by leaders: order commission and produce collection fees
    farmer_credits_fen: int  # owed to farmers for produce collected
    platform_revenue_fen: int  # what the platform kept, net
    paid_out_fen: int  # transferred to leaders and farmers by settlement


async def money_of_period(*, since: dt.datetime, until: dt.datetime) -> MoneyOfPeriod:
    """The money moved from `since` (inclusive) to `until` (exclusive)."""
    moved: defaultdict[tuple[str, str], int] = defaultdict(int)
    for row in await sql.fetch(PERIOD_SQL, since, until):
        moved[(str(row["kind"]), str(row["account_kind"]))] = int(row["fen"])

    def on(kind: LedgerKind, *accounts: AccountKind) -> int:
        return sum(moved[(kind.value, account.value)] for account in accounts)

    return MoneyOfPeriod(
        top_ups_fen=on(LedgerKind.TOP_UP, AccountKind.BUYER_WALLET),
        sales_fen=on(LedgerKind.PAYMENT, *TAKINGS),
        refunds_fen=-on(LedgerKind.REFUND, *TAKINGS),
        commissions_fen=on(LedgerKind.COMMISSION, AccountKind.LEADER_COMMISSION)
        + on(LedgerKind.COMMISSION_REVERSAL, AccountKind.LEADER_COMMISSION)
        + on(LedgerKind.FARMER_CREDIT, AccountKind.LEADER_COMMISSION),
        farmer_credits_fen=on(LedgerKind.FARMER_CREDIT, AccountKind.FARMER_PAYABLE),
        platform_revenue_fen=sum(
            fen for (_, account), fen in moved.items() if account == AccountKind.PLATFORM_REVENUE
        ),
        paid_out_fen=on(LedgerKind.PAYOUT, AccountKind.PAYOUTS),
    )
