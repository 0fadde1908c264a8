"""Money under real concurrency (PostgreSQL): many orders from one wallet, one notification sent
twenty times at once, a cancellation racing the cutoff and the expiry.

Each race holds a row the racers need (tests/races.py) until as many of them as the pool allows
wait for it inside their transactions, so the overlap is certain."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Awaitable
from typing import Any

import pytest

from builders import make_user
from builders_orders import make_shop, place, sold, used_g, viewer
from cungoods.models import Account, Event, LedgerTransaction, Order, SaleWindow, Shipment
from cungoods.models.enums import (
    AccountKind,
    LedgerKind,
    OrderStatus,
    PaymentStatus,
    PayWith,
    Role,
    ShipmentState,
)
from cungoods.services import capacity, orders
from cungoods.services.errors import DomainError
from cungoods.services.money import ledger, payments, signing
from cungoods.services.money.payments import Notification, Outcome
from races import holding, pool_size

pytestmark = pytest.mark.pg_only

RICE_FEN = 890


async def outcomes(calls: list[Awaitable[Any]]) -> Counter[str]:
    """Count successes ("OK", or the value returned when it is a str or an int) and error codes."""
    counted: Counter[str] = Counter()
    for result in await asyncio.gather(*calls, return_exceptions=True):
        if isinstance(result, DomainError):
            counted[result.code.value] += 1
        elif isinstance(result, BaseException):
            raise result
        elif isinstance(result, (str, int)):
            counted[str(result)] += 1
        else:
            counted["OK"] += 1
    return counted


async def test_fifty_orders_from_a_wallet_that_pays_for_ten_accept_exactly_ten(
    is_postgres: bool,
) -> None:
    shop = await make_shop(stock=100)
    buyer = await make_user(Role.BUYER, wallet_fen=10 * RICE_FEN)
    wallet = await ledger.account(AccountKind.BUYER_WALLET, buyer.id)

    # Every placement takes its stock and room, then waits at the wallet (locked here).
    async with holding(Account, id=wallet) as race:
        racers = race.start(place(shop, buyer=buyer, lines={"RICE": 1}) for _ in range(50))
        await race.blocked(min(50, pool_size()))
    counted = await outcomes(racers)

    assert counted == Counter({"OK": 10, "INSUFFICIENT_FUNDS": 40})
    assert await ledger.balance(wallet) == 0
    assert await ledger.balance_of(AccountKind.PLATFORM_REVENUE) == 10 * RICE_FEN
    assert await Order.filter(buyer_id=buyer.id).count() == 10
    assert await LedgerTransaction.filter(kind=LedgerKind.PAYMENT).count() == 10
    assert await sold(shop.item("RICE")) == 10
    assert await used_g(shop.trip) == [10_000, 10_000, 0, 0, 0]
    assert await Shipment.filter(state=ShipmentState.RESERVED).count() == 10
    assert await ledger.invariant_violations() == []
    assert await capacity.invariant_violations() == []


async def test_the_same_notification_twenty_times_at_once_pays_once(is_postgres: bool) -> None:
    shop = await make_shop()
    order = await place(shop, lines={"RICE": 2}, pay_with=PayWith.PROVIDER)
    intent = await payments.start_payment(
        viewer=viewer(shop.buyer), order_id=order.id, idempotency_key="k"
    )
    body = Notification(intent.id, "WX-42", intent.amount_fen, payments.SUCCESS).body()
    signature = signing.sign(body, payments.SANDBOX_SECRET)

    # Every notification locks the order first (held here) and waits there.
    async with holding(Order, id=order.id) as race:
        racers = race.start(
            payments.notify(body=body, signature=signature, secret=payments.SANDBOX_SECRET)
            for _ in range(20)
        )
        await race.blocked(20)
    counted = await outcomes(racers)

    assert counted == Counter({Outcome.SETTLED.value: 1, Outcome.ALREADY.value: 19})
    fresh = await Order.get(id=order.id)
    assert fresh.payment_status == PaymentStatus.PAID and fresh.paid_fen == intent.amount_fen
    assert await LedgerTransaction.filter(kind=LedgerKind.PAYMENT).count() == 1
    assert await ledger.balance_of(AccountKind.PLATFORM_REVENUE) == intent.amount_fen
    assert await ledger.invariant_violations() == []


async def test_cancels_racing_the_cutoff_refund_at_most_once(is_postgres: bool) -> None:
    shop = await make_shop()
    start = await ledger.balance_of(AccountKind.BUYER_WALLET, shop.buyer.id)
    order = await place(shop, lines={"RICE": 3})

    # The cancellations (FOR SHARE) and the cutoff (UPDATE) all wait for the window row.
    async with holding(SaleWindow, id=shop.window.id) as race:
        cancels = race.start(
            orders.cancel_order(viewer=viewer(shop.buyer), order_id=order.id) for _ in range(10)
        )
        [cutoff] = race.start([orders.cut_off(window_id=shop.window.id)])
        await race.blocked(11)
    counted = await outcomes(cancels)
    confirmed = await cutoff

    fresh = await Order.get(id=order.id)
    refunds = await LedgerTransaction.filter(kind=LedgerKind.REFUND).count()
    wallet = await ledger.balance_of(AccountKind.BUYER_WALLET, shop.buyer.id)
    if fresh.status == OrderStatus.CANCELLED:  # a cancellation got in before the cutoff
        assert counted["OK"] == 1 and confirmed == 0
        assert (refunds, wallet, fresh.refunded_fen) == (1, start, 3 * RICE_FEN)
        assert await sold(shop.item("RICE")) == 0
        assert await used_g(shop.trip) == [0, 0, 0, 0, 0]
    else:  # the cutoff won: the goods are being packed, nothing is given back
        assert fresh.status == OrderStatus.CONFIRMED and confirmed == 1
        assert counted == Counter({"CUTOFF_PASSED": 10})
        assert (refunds, wallet, fresh.refunded_fen) == (0, start - 3 * RICE_FEN, 0)
        assert await sold(shop.item("RICE")) == 3
    assert await Event.filter(kind="ORDER_REFUNDED").count() == refunds
    assert await ledger.invariant_violations() == []
    assert await capacity.invariant_violations() == []


async def test_cancels_racing_the_expiry_give_back_stock_and_room_once(is_postgres: bool) -> None:
    shop = await make_shop()
    order = await place(shop, lines={"RICE": 3}, pay_with=PayWith.PROVIDER)
    assert order.pay_by is not None
    due = order.pay_by

    # Cancellations and expiry runs all reach the order's conditional update (locked here).
    async with holding(Order, id=order.id) as race:
        cancels = race.start(
            orders.cancel_order(viewer=viewer(shop.buyer), order_id=order.id) for _ in range(10)
        )
        expiries = race.start(orders.expire_unpaid(now=due) for _ in range(5))
        await race.blocked(15)
    cancelled = await outcomes(cancels)
    released = sum(await asyncio.gather(*expiries))

    assert cancelled["OK"] + released == 1
    assert cancelled["INVALID_STATE"] == 10 - cancelled["OK"]
    fresh = await Order.get(id=order.id)
    assert fresh.status == OrderStatus.CANCELLED
    assert await sold(shop.item("RICE")) == 0
    assert await used_g(shop.trip) == [0, 0, 0, 0, 0]
    assert (await Shipment.get(id=order.shipment_id)).state == ShipmentState.RELEASED
    assert await Event.filter(kind="ORDER_CANCELLED", order_id=order.id).count() == 1
    assert await LedgerTransaction.filter(kind=LedgerKind.REFUND).count() == 0
    assert await capacity.invariant_violations() == []
    assert await ledger.invariant_violations() == []
