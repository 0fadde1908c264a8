"""Refunds: the one way money paid for an order or a produce purchase goes back to the buyer.

Every refund (a cancellation, a trip that cannot carry it, a short handover, an after-sale)
calls `refund` inside its use case's transaction. The amount is added to the row's refunded_fen
by one conditional UPDATE (`refunded_fen + x <= paid_fen`), so two refunds racing can never give
back more than was paid. The money goes back where it came from: to the wallet at once
(BALANCE), or through the provider (PROVIDER): it leaves the source account for REFUNDS now,
with a REFUND payment the provider's signed notification settles (REFUNDS -> PAYMENTS_CLEARING,
services/money/payments.py). The source is PLATFORM_REVENUE for orders and PRODUCE_HELD for
purchases (held there until collection).
"""

from __future__ import annotations

from cungoods.db import sql
from cungoods.events.outbox import record
from cungoods.models import Order, Payment, ProducePurchase
from cungoods.models.enums import (
    AccountKind,
    LedgerKind,
    PaymentKind,
    PaymentState,
    PaymentStatus,
    PayWith,
)
from cungoods.services.errors import DomainError, ErrorCode
from cungoods.services.money import commission, ledger

ORDER_REFUNDED = "ORDER_REFUNDED"
PURCHASE_REFUNDED = "PURCHASE_REFUNDED"

_REFUND_SQL = (
    "UPDATE {table} SET refunded_fen = refunded_fen + $2, payment_status = CASE "
    "WHEN refunded_fen + $2 >= paid_fen THEN $3 ELSE $4 END "
    "WHERE id = $1 AND paid_fen > 0 AND refunded_fen + $2 <= paid_fen "
    "RETURNING buyer_id, pay_with, station_id, trip_id, number"
)
_LEFT_SQL = "SELECT paid_fen, refunded_fen FROM {table} WHERE id = $1"


def _target(order_id: int | None, purchase_id: int | None) -> tuple[str, AccountKind]:
    if (order_id is None) == (purchase_id is None):
        raise ValueError("a refund is for one order or one purchase")
    if order_id is not None:
        return Order._meta.db_table, AccountKind.PLATFORM_REVENUE
    return ProducePurchase._meta.db_table, AccountKind.PRODUCE_HELD


async def refundable_fen(*, order_id: int | None = None, purchase_id: int | None = None) -> int:
    """What is left to refund of what was paid for the order or purchase."""
    table, _ = _target(order_id, purchase_id)
    [row] = await sql.fetch(_LEFT_SQL.format(table=table), order_id or purchase_id)
    return int(row["paid_fen"]) - int(row["refunded_fen"])


async def refund(
    *,
    order_id: int | None = None,
    purchase_id: int | None = None,
    amount_fen: int,
    reason: str,
) -> int:
    """Give `amount_fen` of what was paid for the order or purchase back to where it came from;
    call inside the use case's transaction. Returns the ledger transaction id (0 when the
    amount is 0 or nothing was paid). More than paid − refunded is refused (INVALID_STATE)."""
    table, source_kind = _target(order_id, purchase_id)
    row_id = order_id if order_id is not None else purchase_id
    assert row_id is not None
    if amount_fen < 0:
        raise ValueError("a refund gives money back")
    if amount_fen == 0:
        return 0
    rows = await sql.fetch(
        _REFUND_SQL.format(table=table),
        row_id,
        amount_fen,
        PaymentStatus.REFUNDED.value,
        PaymentStatus.PARTLY_REFUNDED.value,
    )
    if not rows:
        [left] = await sql.fetch(_LEFT_SQL.format(table=table), row_id)
        if int(left["paid_fen"]) == 0:
            return 0  # nothing was paid: nothing to give back
        raise DomainError(
            ErrorCode.INVALID_STATE,
            f"only {int(left['paid_fen']) - int(left['refunded_fen'])} fen is left to refund",
        )
    [row] = rows
    buyer_id = int(row["buyer_id"])
    source = await ledger.account(source_kind)
    if row["pay_with"] == PayWith.PROVIDER.value:
        target = await ledger.account(AccountKind.REFUNDS)
        await sql.insert(
            Payment,
            kind=PaymentKind.REFUND,
            state=PaymentState.PENDING,
            buyer_id=buyer_id,
            order_id=order_id,
            purchase_id=purchase_id,
            amount_fen=amount_fen,
            idempotency_key=None,
            provider_txn_id=None,
            created_at=sql.now(),
            settled_at=None,
        )
        where = "through the payment provider"
    else:
        target = await ledger.account(AccountKind.BUYER_WALLET, buyer_id)
        where = "to the wallet"
    transaction_id = await ledger.post(
        LedgerKind.REFUND,
        ledger.transfer(source=source, target=target, amount_fen=amount_fen),
        order_id=order_id,
        purchase_id=purchase_id,
        memo=reason,
    )
    if order_id is not None:
        # A refund after pickup (after-sale) takes back the leader's commission in proportion;
        # before pickup none was accrued, and this moves nothing.
        await commission.reverse_for_order(order_id=order_id, refunded_fen=amount_fen)
    await record(
        ORDER_REFUNDED if order_id is not None else PURCHASE_REFUNDED,
        message=f"{amount_fen / 100:.2f} 元 of {row['number']} refunded {where}: {reason}",
        trip_id=int(row["trip_id"]),
        order_id=order_id,
        purchase_id=purchase_id,
        user_ids=(buyer_id,),
        trip_topic=False,
        params={
            "number": row["number"],
            "amount_fen": amount_fen,
            "reason": reason,
        },
    )
    return transaction_id
