"""Paying through the payment provider: a payment intent per order or purchase, settled by the
provider's signed server-to-server notification (the shape WeChat Pay and Alipay use).

- `start_payment` (the BUYER who owns it) makes a CHARGE intent for what is still unpaid; the
  same idempotency key returns the same intent.
- `notify` verifies the signature (HMAC-SHA256 of the raw body), finds the payment, checks the
  amount against it and settles it once: a CHARGE moves PAYMENTS_CLEARING -> PLATFORM_REVENUE
  (order) or -> PRODUCE_HELD (purchase) and marks it PAID; a REFUND moves REFUNDS ->
  PAYMENTS_CLEARING. Money arriving for an order or purchase that no longer takes it (cancelled,
  expired, paid already) is refunded through the provider at once: never kept, never lost.
- Idempotent by the provider's transaction id: the payment row is claimed by a conditional
  UPDATE (`state <> SUCCEEDED`), so the same notification twice, or twenty times at once, pays
  once; each is answered 200.

Locks, in the order every use case takes them: the order (or purchase) row, the payment row,
then the accounts (by the ledger).
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from cungoods.db import sql
from cungoods.events.outbox import record
from cungoods.models import Order, Payment, ProducePurchase
from cungoods.models.enums import (
    AccountKind,
    LedgerKind,
    OrderStatus,
    PaymentKind,
    PaymentState,
    PaymentStatus,
    PurchaseStatus,
    Role,
)
from cungoods.services import clock
from cungoods.services.auth import Viewer, require_role
from cungoods.services.errors import DomainError, ErrorCode, invalid, not_allowed, not_found
from cungoods.services.idempotency import run_once
from cungoods.services.money import ledger, refunds, signing

log = logging.getLogger(__name__)

START_PAYMENT = "startPayment"
SUCCESS = "SUCCESS"
# The sandbox provider's secret, used outside production when CUNGOODS_PAYMENT_SECRET is unset
# (documented in the README and API.md; never accepted in production).
SANDBOX_SECRET = "cungoods-sandbox-payment-secret"
ORDER_PAID = "ORDER_PAID"
PURCHASE_PAID = "PURCHASE_PAID"
REFUND_SETTLED = "REFUND_SETTLED"


def pay_url(payment_id: int) -> str:
    """Where the buyer pays: the sandbox provider's page (a real provider's would go here)."""
    return f"/payments/sandbox/{payment_id}"


async def start_payment(
    *,
    viewer: Viewer | None,
    order_id: int | None = None,
    purchase_id: int | None = None,
    idempotency_key: str | None,
) -> Payment:
    """A payment intent for what the buyer still owes on their order or purchase (BUYER who
    owns it); the same key returns the same intent. Paid, cancelled or not paid through the
    provider: INVALID_STATE."""
    buyer = require_role(viewer, Role.BUYER)
    if (order_id is None) == (purchase_id is None):
        raise invalid("give an order or a purchase", "orderId")
    field = "orderId" if order_id is not None else "purchaseId"

    async def work() -> int:
        thing = await _locked(order_id=order_id, purchase_id=purchase_id)
        if thing is None:
            raise not_found("order" if order_id is not None else "purchase", field)
        if thing.buyer_id != buyer.id:
            raise not_allowed("only its buyer pays for it")
        cancelled = OrderStatus.CANCELLED if order_id is not None else PurchaseStatus.CANCELLED
        if thing.status == cancelled:
            raise DomainError(ErrorCode.INVALID_STATE, "it is cancelled", [field])
        if thing.payment_status != PaymentStatus.UNPAID:
            raise DomainError(ErrorCode.INVALID_STATE, "it is paid already", [field])
        payment = await sql.insert(
            Payment,
            kind=PaymentKind.CHARGE,
            state=PaymentState.PENDING,
            buyer_id=buyer.id,
            order_id=order_id,
            purchase_id=purchase_id,
            amount_fen=thing.total_fen,
            idempotency_key=idempotency_key,
            provider_txn_id=None,
            created_at=sql.now(),
            settled_at=None,
        )
        return payment.id

    payment_id = await run_once(
        user_id=buyer.id,
        operation=START_PAYMENT,
        key=idempotency_key,
        request={"orderId": order_id, "purchaseId": purchase_id},
        work=work,
    )
    return await Payment.get(id=payment_id)


async def _locked(
    *, order_id: int | None, purchase_id: int | None
) -> Order | ProducePurchase | None:
    """The order or purchase row, locked (FOR UPDATE on PostgreSQL)."""
    if order_id is not None:
        return await Order.filter(id=order_id).select_for_update().get_or_none()
    return await ProducePurchase.filter(id=purchase_id).select_for_update().get_or_none()


async def expire_intents(*, order_id: int | None = None, purchase_id: int | None = None) -> int:
    """Mark the pending CHARGE intents of an order or purchase EXPIRED (it was released); call
    inside the use case's transaction, after locking the order or purchase. Money that still
    arrives for them is refunded at once."""
    query = Payment.filter(kind=PaymentKind.CHARGE, state=PaymentState.PENDING)
    if order_id is not None:
        query = query.filter(order_id=order_id)
    else:
        query = query.filter(purchase_id=purchase_id)
    return await query.update(state=PaymentState.EXPIRED)


class Outcome(StrEnum):
    """What became of a notification; the web layer turns it into an HTTP status."""

    SETTLED = "SETTLED"  # 200: paid (or refund confirmed) now
    ALREADY = "ALREADY"  # 200: the same notification again, nothing more done
    IGNORED = "IGNORED"  # 200: a status other than SUCCESS, nothing done
    BAD_SIGNATURE = "BAD_SIGNATURE"  # 401
    MALFORMED = "MALFORMED"  # 400
    UNKNOWN = "UNKNOWN"  # 404
    MISMATCH = "MISMATCH"  # 409: refused, logged


@dataclass(frozen=True)
class Notification:
    payment_id: int
    provider_txn_id: str
    amount_fen: int
    status: str

    def body(self) -> bytes:
        """The notification as the provider sends it (what the sandbox signs)."""
        return json.dumps(
            {
                "paymentId": str(self.payment_id),
                "providerTxnId": self.provider_txn_id,
                "amountFen": self.amount_fen,
                "status": self.status,
            },
            separators=(",", ":"),
        ).encode()


def _parse(body: bytes) -> Notification | None:
    try:
        data: Any = json.loads(body)
        notification = Notification(
            payment_id=int(data["paymentId"]),
            provider_txn_id=str(data["providerTxnId"]),
            amount_fen=int(data["amountFen"]),
            status=str(data["status"]),
        )
    except (ValueError, KeyError, TypeError):
        return None
    if (
        not 1 <= len(notification.provider_txn_id) <= 64
        or "\x00" in notification.provider_txn_id
        or not 1 <= notification.payment_id < 2**31  # the id column's range
    ):
        return None
    return notification


async def notify(*, body: bytes, signature: str | None, secret: str) -> Outcome:
    """Handle the provider's notification: verify, check, settle once."""
    if not signing.is_signed(body, signature, secret):
        return Outcome.BAD_SIGNATURE
    notification = _parse(body)
    if notification is None:
        return Outcome.MALFORMED
    payment = await Payment.get_or_none(id=notification.payment_id)
    if payment is None:
        return Outcome.UNKNOWN
    if notification.amount_fen != payment.amount_fen:
        log.warning(
            "payment notification refused: amount %s fen does not match payment %s (%s fen)",
            notification.amount_fen,
            payment.id,
            payment.amount_fen,
            extra={"payment_id": payment.id},
        )
        return Outcome.MISMATCH
    if notification.status != SUCCESS:
        return Outcome.IGNORED
    try:
        return await _settle(payment, notification)
    except IntegrityError:
        # This provider transaction id already settled another payment.
        log.warning(
            "payment notification refused: provider transaction %s already used (payment %s)",
            notification.provider_txn_id,
            payment.id,
            extra={"payment_id": payment.id},
        )
        return Outcome.MISMATCH


async def _settle(payment: Payment, notification: Notification) -> Outcome:
    async with in_transaction():
        thing = None
        if payment.kind is PaymentKind.CHARGE:
            # The order or purchase first: the lock order of every use case.
            thing = await _locked(order_id=payment.order_id, purchase_id=payment.purchase_id)
        claimed = await Payment.filter(
            id=payment.id, state__in=(PaymentState.PENDING, PaymentState.EXPIRED)
        ).update(
            state=PaymentState.SUCCEEDED,
            provider_txn_id=notification.provider_txn_id,
            settled_at=clock.now(),
        )
        if claimed != 1:
            current = await Payment.get(id=payment.id)
            if current.provider_txn_id == notification.provider_txn_id:
                return Outcome.ALREADY
            log.warning(
                "payment notification refused: payment %s was settled by another transaction",
                payment.id,
                extra={"payment_id": payment.id},
            )
            return Outcome.MISMATCH
        clearing = await ledger.account(AccountKind.PAYMENTS_CLEARING)
        if payment.kind is PaymentKind.REFUND:
            await ledger.post(
                LedgerKind.REFUND,
                ledger.transfer(
                    source=await ledger.account(AccountKind.REFUNDS),
                    target=clearing,
                    amount_fen=payment.amount_fen,
                ),
                order_id=payment.order_id,
                purchase_id=payment.purchase_id,
                memo=f"refund {payment.id} confirmed by the provider",
            )
            await record(
                REFUND_SETTLED,
                message=f"{payment.amount_fen / 100:.2f} 元 refund confirmed by the provider",
                order_id=payment.order_id,
                purchase_id=payment.purchase_id,
                user_ids=(payment.buyer_id,),
                trip_topic=False,
            )
            return Outcome.SETTLED
        assert thing is not None  # a charge is for an order or a purchase
        await _take_charge(payment, thing, clearing)
        return Outcome.SETTLED


async def _take_charge(payment: Payment, thing: Order | ProducePurchase, clearing: int) -> None:
    """The provider paid: the money enters our books and pays the order or purchase; if it no
    longer takes money (cancelled, expired, paid already), it goes straight back."""
    is_order = isinstance(thing, Order)
    held = AccountKind.PLATFORM_REVENUE if is_order else AccountKind.PRODUCE_HELD
    await ledger.post(
        LedgerKind.PAYMENT,
        ledger.transfer(
            source=clearing, target=await ledger.account(held), amount_fen=payment.amount_fen
        ),
        order_id=payment.order_id,
        purchase_id=payment.purchase_id,
        memo=f"payment {payment.id} through the provider",
    )
    cancelled = OrderStatus.CANCELLED if is_order else PurchaseStatus.CANCELLED
    takes_it = thing.status != cancelled and thing.payment_status == PaymentStatus.UNPAID
    model: type[Order] | type[ProducePurchase] = Order if is_order else ProducePurchase
    # The money is the row's either way, so a refund of it is bounded by what was paid.
    await model.filter(id=thing.id).update(
        paid_fen=thing.paid_fen + payment.amount_fen,
        payment_status=PaymentStatus.PAID if takes_it else thing.payment_status,
        pay_by=None if takes_it else thing.pay_by,
    )
    if takes_it:
        await record(
            ORDER_PAID if is_order else PURCHASE_PAID,
            message=f"{payment.amount_fen / 100:.2f} 元 paid for {thing.number}",
            trip_id=thing.trip_id,
            order_id=payment.order_id,
            purchase_id=payment.purchase_id,
            user_ids=(thing.buyer_id,),
            trip_topic=False,
            params={"number": thing.number, "amount_fen": payment.amount_fen},
        )
        return
    await refunds.refund(
        order_id=payment.order_id,
        purchase_id=payment.purchase_id,
        amount_fen=payment.amount_fen,
        reason="paid after it was released or paid already: sent straight back",
    )


def sandbox_notification(payment: Payment) -> Notification:
    """What the sandbox provider reports when the buyer presses Pay (or confirms a refund)."""
    return Notification(
        payment_id=payment.id,
        provider_txn_id=f"SANDBOX-{payment.id}",
        amount_fen=payment.amount_fen,
        status=SUCCESS,
    )


async def get_payment(*, payment_id: int) -> Payment | None:
    """A payment by id (for the sandbox page)."""
    return await Payment.get_or_none(id=payment_id)
