"""Settlement (结算): per period, a statement for every leader's and farmer's account that moved,
with its opening balance, its entries and what is due at the end; then the transfer that pays
it, recorded once.

A statement is a reading of the ledger, not a second ledger: its figures are sums of entries,
and paying it out is one more ledger transaction (the party's account to or from PAYOUTS, the
bank). A balance left unpaid is carried into the next period's opening balance."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from tortoise.transactions import in_transaction

from cungoods.db import sql
from cungoods.models import Account, LedgerEntry, LedgerTransaction, Statement
from cungoods.models.enums import AccountKind, LedgerKind, StatementParty
from cungoods.services import clock
from cungoods.services.auth import Viewer, require_dispatcher, require_viewer
from cungoods.services.errors import DomainError, ErrorCode, invalid, not_allowed, not_found
from cungoods.services.money import ledger

MAX_PERIOD_DAYS = 93
MAX_REFERENCE = 100
SETTLED_KINDS = {
    AccountKind.LEADER_COMMISSION: StatementParty.LEADER,
    AccountKind.LEADER_CASH: StatementParty.LEADER,
    AccountKind.FARMER_PAYABLE: StatementParty.FARMER,
}

_A, _T, _E = (
    Account._meta.db_table,
    LedgerTransaction._meta.db_table,
    LedgerEntry._meta.db_table,
)
PERIOD_SQL = f"""
SELECT e.account_id, a.owner_id, a.kind, MIN(e.id) AS first_id, MAX(e.id) AS last_id,
       SUM(CASE WHEN e.amount_fen > 0 THEN e.amount_fen ELSE 0 END) AS credits,
       SUM(CASE WHEN e.amount_fen < 0 THEN -e.amount_fen ELSE 0 END) AS debits
FROM {_E} e JOIN {_T} t ON t.id = e.transaction_id JOIN {_A} a ON a.id = e.account_id
WHERE t.created_at >= $1 AND t.created_at < $2 AND a.kind IN ($3, $4, $5)
GROUP BY e.account_id, a.owner_id, a.kind
ORDER BY e.account_id
"""
OPENING_SQL = f"""
SELECT balance_after_fen FROM {_E} WHERE account_id = $1 AND id < $2 ORDER BY id DESC LIMIT 1
"""


@dataclass(frozen=True)
class StatementEntry:
    """One line of a statement: what moved, by how much, the balance after it, and what it
    concerns."""

    entry_id: int
    kind: LedgerKind
    account_kind: AccountKind
    at: dt.datetime
    amount_fen: int
    balance_after_fen: int
    order_id: int | None
    purchase_id: int | None
    memo: str


def _bounds(start: dt.date, end: dt.date) -> tuple[dt.datetime, dt.datetime]:
    if end < start:
        raise invalid("a period ends on or after its start", "to")
    if (end - start).days >= MAX_PERIOD_DAYS:
        raise invalid(f"a period is at most {MAX_PERIOD_DAYS} days", "to")
    return clock.at(start, "00:00"), clock.at(end + dt.timedelta(days=1), "00:00")


async def settle(*, viewer: Viewer | None, start: dt.date, end: dt.date) -> list[Statement]:
    """Make the statements of a period (DISPATCHER): one per leader and farmer account that
    moved in it. Settling the same period again returns the same statements."""
    require_dispatcher(viewer)
    since, until = _bounds(start, end)
    kinds = list(SETTLED_KINDS)
    made: list[Statement] = []
    async with in_transaction():
        rows = await sql.fetch(PERIOD_SQL, since, until, *kinds)
        for row in rows:
            account_id = int(row["account_id"])
            existing = await Statement.get_or_none(
                account_id=account_id, period_from=start, period_to=end
            )
            if existing is not None:
                made.append(existing)
                continue
            first_id, last_id = int(row["first_id"]), int(row["last_id"])
            before = await sql.fetch(OPENING_SQL, account_id, first_id)
            opening = int(before[0]["balance_after_fen"]) if before else 0
            credits, debits = int(row["credits"]), int(row["debits"])
            made.append(
                await Statement.create(
                    party=SETTLED_KINDS[AccountKind(row["kind"])],
                    user_id=int(row["owner_id"]),
                    account_id=account_id,
                    period_from=start,
                    period_to=end,
                    opening_fen=opening,
                    credits_fen=credits,
                    debits_fen=debits,
                    due_fen=opening + credits - debits,
                    first_entry_id=first_id,
                    last_entry_id=last_id,
                )
            )
    return made


async def entries(statement: Statement) -> list[StatementEntry]:
    """Every entry of a statement's period on its account, oldest first."""
    if statement.first_entry_id is None or statement.last_entry_id is None:
        return []
    rows = (
        await LedgerEntry.filter(
            account_id=statement.account_id,
            id__gte=statement.first_entry_id,
            id__lte=statement.last_entry_id,
        )
        .order_by("id")
        .prefetch_related("transaction", "account")
    )
    return [
        StatementEntry(
            entry_id=row.id,
            kind=LedgerKind(row.transaction.kind),
            account_kind=AccountKind(row.account.kind),
            at=row.transaction.created_at,
            amount_fen=row.amount_fen,
            balance_after_fen=row.balance_after_fen,
            order_id=row.transaction.order_id,
            purchase_id=row.transaction.purchase_id,
            memo=row.transaction.memo,
        )
        for row in rows
    ]


def may_see_statement(viewer: Viewer | None, *, user_id: int) -> bool:
    """A statement is seen by its party and by dispatchers."""
    return viewer is not None and (viewer.id == user_id or viewer.is_dispatcher)


async def mark_paid_out(*, viewer: Viewer | None, statement_id: int, reference: str) -> Statement:
    """Record the bank transfer that settles a statement (DISPATCHER): what is due leaves the
    party's account (or, where the party owes, comes into it), once."""
    require_dispatcher(viewer)
    reference = reference.strip()
    if not 1 <= len(reference) <= MAX_REFERENCE:
        raise invalid(f"a reference has 1 to {MAX_REFERENCE} characters", "reference")
    async with in_transaction():
        statement = await Statement.filter(id=statement_id).select_for_update().first()
        if statement is None:
            raise not_found("statement", "statementId")
        if statement.paid_out_at is not None:
            raise DomainError(
                ErrorCode.INVALID_STATE, "this statement is already paid out", ["statementId"]
            )
        transaction_id = None
        if statement.due_fen != 0:
            bank = await ledger.account(AccountKind.PAYOUTS)
            transaction_id = await ledger.post(
                LedgerKind.PAYOUT,
                ledger.transfer(
                    source=statement.account_id, target=bank, amount_fen=statement.due_fen
                ),
                memo=f"statement {statement.id}: {reference}",
            )
        statement.paid_out_at = clock.now()
        statement.payout_reference = reference
        statement.payout_transaction_id = transaction_id
        await statement.save(
            update_fields=["paid_out_at", "payout_reference", "payout_transaction_id"]
        )
    return statement


async def statements(
    *, viewer: Viewer | None, start: dt.date, end: dt.date, mine: bool
) -> list[Statement]:
    """Statements overlapping a period: the viewer's own (`mine`), or everyone's (DISPATCHER)."""
    signed_in = require_viewer(viewer)
    query = Statement.filter(period_from__lte=end, period_to__gte=start)
    if mine:
        query = query.filter(user_id=signed_in.id)
    elif not signed_in.is_dispatcher:
        raise not_allowed("only a DISPATCHER may see everyone's statements")
    return await query.order_by("period_from", "id")
