"""The double-entry ledger: the one way money moves.

`post` writes one transaction whose entries sum to zero, inside the caller's database
transaction (the use case's, as with capacity), so the money moves exactly when the change it
pays for commits. Each entry moves its account's balance by one conditional UPDATE that refuses
to take an account with a floor (a buyer's wallet) below it, the same rule as a leg's capacity:
correct under PostgreSQL's READ COMMITTED and SQLite's single writer, with a CHECK constraint
behind it. Accounts are updated in ascending id order, so concurrent postings never deadlock.

The whole ledger is checked by one query (`invariant_violations`): every transaction sums to
zero, every balance equals the sum of its entries, no balance is below its floor.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from tortoise.transactions import in_transaction

from cungoods.db import sql
from cungoods.models import Account, LedgerEntry, LedgerTransaction
from cungoods.models.enums import AccountKind, LedgerKind
from cungoods.services import clock
from cungoods.services.errors import DomainError, ErrorCode

# Accounts that belong to one party; the others are the platform's own, one of each kind.
PARTY_KINDS = frozenset(
    {
        AccountKind.BUYER_WALLET,
        AccountKind.LEADER_COMMISSION,
        AccountKind.LEADER_CASH,
        AccountKind.FARMER_PAYABLE,
    }
)
# Where a balance below 0 means something is wrong rather than something owed.
FLOORED_KINDS = frozenset({AccountKind.BUYER_WALLET})

_ACCOUNTS = Account._meta.db_table
_TRANSACTIONS = LedgerTransaction._meta.db_table
_ENTRIES = LedgerEntry._meta.db_table

FIND_SQL = f"SELECT id FROM {_ACCOUNTS} WHERE key = $1"
CREATE_SQL = (
    f"INSERT INTO {_ACCOUNTS} (key, kind, owner_id, balance_fen, floor_fen, created_at) "
    "VALUES ($1, $2, $3, 0, $4, $5) ON CONFLICT (key) DO NOTHING"
)
MOVE_SQL = (
    f"UPDATE {_ACCOUNTS} SET balance_fen = balance_fen + $2 "
    "WHERE id = $1 AND (floor_fen IS NULL OR balance_fen + $2 >= floor_fen) "
    "RETURNING balance_fen"
)
BALANCE_SQL = f"SELECT balance_fen, floor_fen FROM {_ACCOUNTS} WHERE id = $1"
TRANSACTION_SQL = (
    f"INSERT INTO {_TRANSACTIONS} (kind, order_id, purchase_id, memo, created_at) "
    "VALUES ($1, $2, $3, $4, $5) RETURNING id"
)


class InsufficientFunds(DomainError):
    """An account with a floor cannot pay: `shortfall_fen` is what it lacks."""

    def __init__(self, *, account_id: int, shortfall_fen: int) -> None:
        super().__init__(
            ErrorCode.INSUFFICIENT_FUNDS,
            f"the balance is {shortfall_fen} fen short",
            shortfall_fen=shortfall_fen,
        )
        self.account_id = account_id
        self.shortfall_fen = shortfall_fen


@dataclass(frozen=True)
class Leg:
    """One side of a transaction: `amount_fen` onto `account_id` (negative to take)."""

    account_id: int
    amount_fen: int


def account_key(kind: AccountKind, owner_id: int | None = None) -> str:
    if kind in PARTY_KINDS:
        if owner_id is None:
            raise ValueError(f"a {kind} account belongs to someone")
        return f"{kind.value}:{owner_id}"
    if owner_id is not None:
        raise ValueError(f"the {kind} account is the platform's")
    return kind.value


async def account(kind: AccountKind, owner_id: int | None = None) -> int:
    """The id of the account of `kind` (of `owner_id`, for a party's), opened on first use;
    concurrent first uses open it once (the unique key decides)."""
    key = account_key(kind, owner_id)
    rows = await sql.fetch(FIND_SQL, key)
    if not rows:
        floor = 0 if kind in FLOORED_KINDS else None
        await sql.execute(CREATE_SQL, key, kind, owner_id, floor, sql.now())
        rows = await sql.fetch(FIND_SQL, key)
    return int(rows[0]["id"])


async def accounts(*wanted: tuple[AccountKind, int | None]) -> list[int]:
    """The ids of several accounts (as `account`, in the order asked), read with one query;
    only the ones never opened cost more (they are opened one by one)."""
    keys = [account_key(kind, owner_id) for kind, owner_id in wanted]
    rows = await sql.fetch(
        f"SELECT id, key FROM {_ACCOUNTS} WHERE key IN ({sql.placeholders(1, len(keys))})", *keys
    )
    found = {str(row["key"]): int(row["id"]) for row in rows}
    return [
        found[key] if key in found else await account(kind, owner_id)
        for key, (kind, owner_id) in zip(keys, wanted, strict=True)
    ]


async def post(
    kind: LedgerKind,
    legs: Sequence[Leg],
    *,
    order_id: int | None = None,
    purchase_id: int | None = None,
    memo: str = "",
) -> int:
    """Move money: one transaction of `legs` that sum to zero, inside the caller's database
    transaction. Raises InsufficientFunds, having changed nothing (its own savepoint), when an
    account would go below its floor. Returns the ledger transaction's id."""
    moves = [leg for leg in legs if leg.amount_fen != 0]
    if sum(leg.amount_fen for leg in legs) != 0:
        raise ValueError("a ledger transaction sums to zero")
    if not moves:
        raise ValueError("a ledger transaction moves some money")
    async with in_transaction():
        # A savepoint: a refusal half-way leaves no account moved, whatever the caller does.
        # Stamped by the service clock, as the periods settlement reads are its dates.
        [row] = await sql.fetch(
            TRANSACTION_SQL, kind, order_id, purchase_id, memo[:200], clock.now()
        )
        transaction_id = int(row["id"])
        entries: list[tuple[int, int, int, int]] = []
        for leg in sorted(moves, key=lambda leg: leg.account_id):
            balance = await _move(leg)
            entries.append((transaction_id, leg.account_id, leg.amount_fen, balance))
        await sql.insert_many(
            LedgerEntry,
            ("transaction_id", "account_id", "amount_fen", "balance_after_fen"),
            entries,
        )
    return transaction_id


async def _move(leg: Leg) -> int:
    rows = await sql.fetch(MOVE_SQL, leg.account_id, leg.amount_fen)
    if rows:
        return int(rows[0]["balance_fen"])
    [account_row] = await sql.fetch(BALANCE_SQL, leg.account_id)
    shortfall = int(account_row["floor_fen"]) - (int(account_row["balance_fen"]) + leg.amount_fen)
    raise InsufficientFunds(account_id=leg.account_id, shortfall_fen=shortfall)


def transfer(*, source: int, target: int, amount_fen: int) -> list[Leg]:
    """The legs of moving `amount_fen` from one account to another."""
    return [Leg(source, -amount_fen), Leg(target, amount_fen)]


async def balance(account_id: int) -> int:
    [row] = await sql.fetch(BALANCE_SQL, account_id)
    return int(row["balance_fen"])


async def balance_of(kind: AccountKind, owner_id: int | None = None) -> int:
    """The balance of an account, 0 if it was never opened (reads open nothing)."""
    rows = await sql.fetch(
        f"SELECT balance_fen FROM {_ACCOUNTS} WHERE key = $1", account_key(kind, owner_id)
    )
    return int(rows[0]["balance_fen"]) if rows else 0


INVARIANT_SQL = f"""
SELECT 'transaction' AS what, t.id AS id, SUM(e.amount_fen) AS off_by
FROM {_TRANSACTIONS} t LEFT JOIN {_ENTRIES} e ON e.transaction_id = t.id
GROUP BY t.id HAVING COALESCE(SUM(e.amount_fen), 0) <> 0 OR COUNT(e.id) = 0
UNION ALL
SELECT 'account', a.id, a.balance_fen - COALESCE(SUM(e.amount_fen), 0)
FROM {_ACCOUNTS} a LEFT JOIN {_ENTRIES} e ON e.account_id = a.id
GROUP BY a.id, a.balance_fen HAVING a.balance_fen <> COALESCE(SUM(e.amount_fen), 0)
UNION ALL
SELECT 'floor', a.id, a.balance_fen - a.floor_fen
FROM {_ACCOUNTS} a WHERE a.floor_fen IS NOT NULL AND a.balance_fen < a.floor_fen
"""


async def invariant_violations() -> list[dict[str, object]]:
    """The ledger invariant as one query: every transaction that does not sum to zero (or has
    no entries), every account whose balance is not the sum of its entries, every balance below
    its floor. Empty when all is well."""
    return await sql.fetch(INVARIANT_SQL)
