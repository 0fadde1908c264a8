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
from cungoods.models.enums import (
    AccountKind,
    LedgerKind,
    PaymentKind,
    PaymentState,
    StatementParty,
)


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
        indexes = (("created_at",),)  # reports and statements by period


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


class Payment(Model):
    """A payment through the provider: a charge the buyer makes for an order or a purchase, or a
    refund the platform sends back. It is settled by the provider's signed notification, once:
    `provider_txn_id` is unique, so a notification sent twice (or twenty times at once) pays once.
    """

    id = fields.IntField(primary_key=True)
    kind = fields.CharEnumField(PaymentKind, max_length=8)
    state = fields.CharEnumField(PaymentState, default=PaymentState.PENDING, max_length=12)
    buyer: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="payments", on_delete=fields.RESTRICT, db_index=True
    )
    order_id = fields.IntField(null=True, db_index=True)
    purchase_id = fields.IntField(null=True, db_index=True)
    amount_fen = fields.BigIntField()
    idempotency_key = fields.CharField(max_length=100, null=True)
    provider_txn_id = fields.CharField(max_length=64, null=True, unique=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    settled_at = fields.DatetimeField(null=True)

    buyer_id: int

    class Meta:
        table = "payment"


class CommissionRate(Model):
    """The leader's commission on a product category, in basis points of the line's price
    (800 = 8 %). A category with no row earns the default."""

    id = fields.IntField(primary_key=True)
    category = fields.CharField(max_length=32, unique=True)
    rate_bp = fields.IntField()
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "commission_rate"


class Statement(Model):
    """What a leader or a farmer earned in a period: the opening balance of their account, the
    entries of the period, and what is due; paid out once, by a recorded transfer."""

    id = fields.IntField(primary_key=True)
    party = fields.CharEnumField(StatementParty, max_length=8)
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="statements", on_delete=fields.RESTRICT, db_index=True
    )
    account: fields.ForeignKeyRelation[Account] = fields.ForeignKeyField(
        "models.Account", related_name="statements", on_delete=fields.RESTRICT, db_index=True
    )
    period_from = fields.DateField()
    period_to = fields.DateField()
    opening_fen = fields.BigIntField()
    credits_fen = fields.BigIntField()
    debits_fen = fields.BigIntField()
    due_fen = fields.BigIntField()
    first_entry_id = fields.IntField(null=True)
    last_entry_id = fields.IntField(null=True)
    paid_out_at = fields.DatetimeField(null=True)
    payout_reference = fields.CharField(max_length=100, null=True)
    payout_transaction_id = fields.IntField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    user_id: int
    account_id: int

    class Meta:
        table = "statement"
        unique_together = (("account", "period_from", "period_to"),)
