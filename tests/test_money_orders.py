"""Paying for orders (issue 12): from the wallet in the placing transaction, or UNPAID through
the provider until pay-by or the cutoff; refunds on cancellation and on a trip that cannot carry
the order; unpaid orders released with their stock and room given back exactly."""

from __future__ import annotations

import datetime as dt

import httpx
import pytest
from tortoise.transactions import in_transaction

from builders import gql, make_user, token_for
from builders_orders import (
    ORDER_DAY,
    SERVICE_DATE,
    after_cutoff,
    make_shop,
    place,
    set_clock,
    sold,
    used_g,
    viewer,
)
from cungoods.api.ids import to_global_id
from cungoods.jobs.payments import PaymentExpiry
from cungoods.models import Event, LedgerTransaction, Order, Payment, Shipment
from cungoods.models.enums import (
    AccountKind,
    LedgerKind,
    OrderStatus,
    PaymentState,
    PaymentStatus,
    PayWith,
    Role,
    ShipmentState,
)
from cungoods.services import capacity, orders, trip_changes
from cungoods.services.errors import DomainError
from cungoods.services.money import ledger, payments, refunds

RICE_FEN = 890


async def wallet(user_id: int) -> int:
    return await ledger.balance_of(AccountKind.BUYER_WALLET, user_id)


async def revenue() -> int:
    return await ledger.balance_of(AccountKind.PLATFORM_REVENUE)


async def test_an_order_is_paid_from_the_wallet_in_the_same_transaction() -> None:
    shop = await make_shop()
    before = await wallet(shop.buyer.id)

    order = await place(shop, lines={"RICE": 3})

    assert order.payment_status == PaymentStatus.PAID
    assert order.pay_with == PayWith.BALANCE
    assert order.paid_fen == order.total_fen == 3 * RICE_FEN
    assert await wallet(shop.buyer.id) == before - 3 * RICE_FEN
    assert await revenue() == 3 * RICE_FEN
    [paid] = await LedgerTransaction.filter(kind=LedgerKind.PAYMENT)
    assert paid.order_id == order.id
    assert await ledger.invariant_violations() == []


async def test_a_wallet_that_cannot_pay_refuses_the_order_and_takes_nothing() -> None:
    shop = await make_shop()
    poor = await make_user(Role.BUYER, wallet_fen=1_000)

    with pytest.raises(DomainError) as refused:
        await place(shop, buyer=poor, lines={"RICE": 2})  # 1,780 fen

    assert refused.value.code.value == "INSUFFICIENT_FUNDS"
    assert refused.value.shortfall_fen == 780
    assert await Order.all().count() == 0
    assert await Shipment.all().count() == 0
    assert await sold(shop.item("RICE")) == 0
    assert await used_g(shop.trip) == [0, 0, 0, 0, 0]
    assert await wallet(poor.id) == 1_000
    assert await LedgerTransaction.filter(kind=LedgerKind.PAYMENT).count() == 0
    assert await ledger.invariant_violations() == []


async def test_place_order_through_the_api_reports_insufficient_funds_with_the_shortfall(
    client: httpx.AsyncClient,
) -> None:
    shop = await make_shop()
    poor = await make_user(Role.BUYER, wallet_fen=0)
    body = await gql(
        client,
        """mutation($input: PlaceOrderInput!) { placeOrder(input: $input) {
            order { id } errors { code shortfallFen field } } }""",
        {
            "input": {
                "stationId": to_global_id("Station", shop.station(2).id),
                "serviceDate": SERVICE_DATE.isoformat(),
                "lines": [
                    {"saleItemId": to_global_id("SaleItem", shop.item("RICE").id), "quantity": 1}
                ],
            }
        },
        token=token_for(poor),
    )

    payload = body["data"]["placeOrder"]
    assert payload["order"] is None
    assert payload["errors"][0]["code"] == "INSUFFICIENT_FUNDS"
    assert payload["errors"][0]["shortfallFen"] == RICE_FEN


async def test_the_order_type_shows_how_it_is_paid(client: httpx.AsyncClient) -> None:
    shop = await make_shop()
    body = await gql(
        client,
        """mutation($input: PlaceOrderInput!) { placeOrder(input: $input) {
            order { payWith paymentStatus paidFen refundedFen totalFen payBy }
            errors { code } } }""",
        {
            "input": {
                "stationId": to_global_id("Station", shop.station(2).id),
                "serviceDate": SERVICE_DATE.isoformat(),
                "lines": [
                    {"saleItemId": to_global_id("SaleItem", shop.item("RICE").id), "quantity": 2}
                ],
                "payWith": "PROVIDER",
            }
        },
        token=token_for(shop.buyer),
    )

    order = body["data"]["placeOrder"]["order"]
    assert order["payWith"] == "PROVIDER"
    assert order["paymentStatus"] == "UNPAID"
    assert order["paidFen"] == 0 and order["refundedFen"] == 0
    assert order["totalFen"] == 2 * RICE_FEN
    assert order["payBy"] is not None


async def test_cancelling_before_the_cutoff_refunds_the_wallet_in_full_with_an_event() -> None:
    shop = await make_shop()
    before = await wallet(shop.buyer.id)
    order = await place(shop, lines={"RICE": 2})

    cancelled = await orders.cancel_order(viewer=viewer(shop.buyer), order_id=order.id)

    assert cancelled.status == OrderStatus.CANCELLED
    assert cancelled.payment_status == PaymentStatus.REFUNDED
    assert cancelled.refunded_fen == cancelled.paid_fen == 2 * RICE_FEN
    assert await wallet(shop.buyer.id) == before
    assert await revenue() == 0
    [event] = await Event.filter(kind=refunds.ORDER_REFUNDED)
    assert event.order_id == order.id
    assert await ledger.invariant_violations() == []


async def test_a_refund_never_gives_back_more_than_was_paid() -> None:
    shop = await make_shop()
    order = await place(shop, lines={"RICE": 2})
    before = await wallet(shop.buyer.id)

    async with in_transaction():
        await refunds.refund(order_id=order.id, amount_fen=500, reason="one bag bruised")
    with pytest.raises(DomainError) as too_much:
        async with in_transaction():
            await refunds.refund(order_id=order.id, amount_fen=2 * RICE_FEN, reason="again")

    assert too_much.value.code.value == "INVALID_STATE"
    fresh = await Order.get(id=order.id)
    assert fresh.refunded_fen == 500
    assert fresh.payment_status == PaymentStatus.PARTLY_REFUNDED
    assert await wallet(shop.buyer.id) == before + 500
    assert await ledger.invariant_violations() == []


async def test_a_refund_of_nothing_paid_moves_nothing() -> None:
    shop = await make_shop()
    order = await place(shop, pay_with=PayWith.PROVIDER)

    async with in_transaction():
        assert await refunds.refund(order_id=order.id, amount_fen=100, reason="x") == 0
        assert await refunds.refund(order_id=order.id, amount_fen=0, reason="x") == 0

    assert await LedgerTransaction.filter(kind=LedgerKind.REFUND).count() == 0


async def test_a_trip_cancelled_with_no_other_bus_refunds_its_orders() -> None:
    shop = await make_shop(days=1)
    before = await wallet(shop.buyer.id)
    order = await place(shop, lines={"RICE": 2})

    await trip_changes.cancel_trip(
        viewer=viewer(shop.dispatcher), trip_id=shop.trip.id, reason="bridge closed"
    )

    fresh = await Order.get(id=order.id)
    assert fresh.status == OrderStatus.CANCELLED
    assert fresh.payment_status == PaymentStatus.REFUNDED
    assert await wallet(shop.buyer.id) == before
    assert await Event.filter(kind=refunds.ORDER_REFUNDED, order_id=order.id).count() == 1
    assert await ledger.invariant_violations() == []


async def test_a_provider_order_waits_unpaid_until_the_timeout_at_the_latest_the_cutoff() -> None:
    shop = await make_shop()
    early = await place(shop, pay_with=PayWith.PROVIDER)
    set_clock(ORDER_DAY, "20:55")  # five minutes before the 21:00 cutoff
    late = await place(shop, pay_with=PayWith.PROVIDER)

    assert early.payment_status == PaymentStatus.UNPAID and early.paid_fen == 0
    assert early.pay_by is not None and late.pay_by is not None
    assert early.pay_by - early.created_at <= dt.timedelta(minutes=15, seconds=1)
    assert late.pay_by == shop.window.cutoff_at
    assert await revenue() == 0


async def test_an_unpaid_order_expires_at_pay_by_giving_back_stock_and_room_exactly() -> None:
    shop = await make_shop()
    paid = await place(shop, lines={"RICE": 1})
    unpaid = await place(shop, lines={"RICE": 3}, pay_with=PayWith.PROVIDER)
    intent = await payments.start_payment(
        viewer=viewer(shop.buyer), order_id=unpaid.id, idempotency_key="k1"
    )
    assert await sold(shop.item("RICE")) == 4
    assert unpaid.pay_by is not None

    too_early = await orders.expire_unpaid(now=unpaid.pay_by - dt.timedelta(seconds=1))
    released = await orders.expire_unpaid(now=unpaid.pay_by)
    again = await orders.expire_unpaid(now=unpaid.pay_by + dt.timedelta(hours=1))

    assert (too_early, released, again) == (0, 1, 0)
    assert (await Order.get(id=unpaid.id)).status == OrderStatus.CANCELLED
    assert (await Order.get(id=paid.id)).status == OrderStatus.PLACED
    assert await sold(shop.item("RICE")) == 1
    assert await used_g(shop.trip) == [1000, 1000, 0, 0, 0]
    assert (await Shipment.get(id=unpaid.shipment_id)).state == ShipmentState.RELEASED
    assert (await Payment.get(id=intent.id)).state == PaymentState.EXPIRED
    assert await Event.filter(kind="ORDER_CANCELLED", order_id=unpaid.id).count() == 1
    assert await capacity.invariant_violations() == []


async def test_the_cutoff_confirms_paid_orders_only_and_releases_the_unpaid() -> None:
    shop = await make_shop()
    paid = await place(shop, lines={"RICE": 1})
    unpaid = await place(shop, lines={"RICE": 2}, pay_with=PayWith.PROVIDER)
    after_cutoff()

    confirmed = await orders.run_cutoff(viewer=viewer(shop.dispatcher), service_date=SERVICE_DATE)

    assert confirmed.cutoff_done_at is not None
    assert (await Order.get(id=paid.id)).status == OrderStatus.CONFIRMED
    assert (await Order.get(id=unpaid.id)).status == OrderStatus.CANCELLED
    assert await sold(shop.item("RICE")) == 1
    assert await used_g(shop.trip) == [1000, 1000, 0, 0, 0]
    assert await capacity.invariant_violations() == []


async def test_start_payment_is_for_the_owner_of_an_unpaid_order_only() -> None:
    shop = await make_shop()
    other = await make_user(Role.BUYER)
    paid = await place(shop)
    unpaid = await place(shop, pay_with=PayWith.PROVIDER)

    first = await payments.start_payment(
        viewer=viewer(shop.buyer), order_id=unpaid.id, idempotency_key="same"
    )
    again = await payments.start_payment(
        viewer=viewer(shop.buyer), order_id=unpaid.id, idempotency_key="same"
    )
    codes = []
    for who, order_id in ((shop.buyer, paid.id), (other, unpaid.id), (shop.dispatcher, unpaid.id)):
        with pytest.raises(DomainError) as refused:
            await payments.start_payment(viewer=viewer(who), order_id=order_id, idempotency_key="x")
        codes.append(refused.value.code.value)

    assert first.id == again.id
    assert first.amount_fen == unpaid.total_fen and first.state == PaymentState.PENDING
    assert codes == ["INVALID_STATE", "NOT_ALLOWED", "NOT_ALLOWED"]
    assert await Payment.all().count() == 1


async def test_the_payment_timer_releases_what_is_due_by_itself() -> None:
    shop = await make_shop()
    unpaid = await place(shop, lines={"RICE": 2}, pay_with=PayWith.PROVIDER)
    timer = PaymentExpiry()

    assert await timer.release_due() == 0  # not due yet
    set_clock(ORDER_DAY, "10:16")  # placed at 10:00, 15 minutes to pay
    assert await timer.release_due() == 1

    assert (await Order.get(id=unpaid.id)).status == OrderStatus.CANCELLED
    assert await sold(shop.item("RICE")) == 0
