"""The money: a double-entry ledger of accounts, transactions and their entries.

Every amount is an integer number of fen. A transaction's entries always sum to zero, and an
account's balance is the sum of its entries (kept on the account row, moved by conditional
updates, checked by `services.money.ledger.invariant_violations`).
"""

from __future__ import annotations

from tortoise import fields
from tortoise.migrations.constraints import CheckConstraint
from tortoise.models import Model

from cungoods.models.accounts import User
from cungoods.models.enums import AccountKind, LedgerKind


class Account(Model):
    """One account of one party (a buyer's wallet, a leader's commission, ...) or of the
    platform (`owner` empty). `key` names it uniquely ("BUYER_WALLET:42", "PLATFORM_REVENUE"),
    so concurrent first uses create it once. Where `floor_fen` is set the balance may never go
    below it (a wallet: 0), by a conditional update and a CHECK constraint behind it."""

    id = fields.IntField(primary_key=True)
    key = fields.CharField(max_length=64, unique=True)
    kind = fields.CharEnumField(AccountKind, max_length=24)
    owner: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "models.User",
        related_name="money_accounts",
        null=True,
        on_delete=fields.RESTRICT,
        db_index=True,
    )
    balance_fen = fields.BigIntField(default=0)
    floor_fen = fields.BigIntField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    owner_id: int | None

    class Meta:
        table = "money_account"  # "account" is the users table
        constraints = (
            CheckConstraint(
                check="floor_fen IS NULL OR balance_fen >= floor_fen",
                name="account_balance_above_floor",
            ),
        )


class LedgerTransaction(Model):
    """One movement of money: what it was for, and the order or purchase it concerns."""

    id = fields.IntField(primary_key=True)
    kind = fields.CharEnumField(LedgerKind, max_length=24)
    order_id = fields.IntField(null=True, db_index=True)
    purchase_id = fields.IntField(null=True, db_index=True)
    memo = fields.CharField(max_length=200, default="")
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "ledger_transaction"


class LedgerEntry(Model):
    """One side of a transaction on one account, with the account's balance right after it."""

    id = fields.IntField(primary_key=True)
    transaction: fields.ForeignKeyRelation[LedgerTransaction] = fields.ForeignKeyField(
        "models.LedgerTransaction", related_name="entries", on_delete=fields.RESTRICT, db_index=True
    )
    account: fields.ForeignKeyRelation[Account] = fields.ForeignKeyField(
        "models.Account", related_name="entries", on_delete=fields.RESTRICT
    )
    amount_fen = fields.BigIntField()
    balance_after_fen = fields.BigIntField()

    transaction_id: int
    account_id: int

    class Meta:
        table = "ledger_entry"
        indexes = (("account_id", "id"),)
