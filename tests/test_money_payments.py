"""Paying through the provider (issue 12): startPayment, the signed notification at
POST /payments/notify and the sandbox provider's page whose Pay button sends it."""

from __future__ import annotations

import datetime as dt
import logging
import re

import httpx
import pytest

from builders import gql, token_for
from builders_orders import SERVICE_DATE, Shop, make_shop, place, viewer
from cungoods.api.ids import to_global_id
from cungoods.models import Event, LedgerTransaction, Order, Payment
from cungoods.models.enums import (
    AccountKind,
    OrderStatus,
    PaymentKind,
    PaymentState,
    PaymentStatus,
    PayWith,
)
from cungoods.services import orders
from cungoods.services.money import ledger, payments, signing
from cungoods.services.money.payments import Notification

RICE_FEN = 890
START = """mutation($input: StartPaymentInput!) { startPayment(input: $input) {
    payment { id amountFen status payUrl kind } errors { code field } } }"""
PLACE = """mutation($input: PlaceOrderInput!) { placeOrder(input: $input) {
    order { id paymentStatus } errors { code } } }"""


async def send(
    client: httpx.AsyncClient, note: Notification, *, secret: str = payments.SANDBOX_SECRET
) -> httpx.Response:
    body = note.body()
    return await client.post(
        "/payments/notify",
        content=body,
        headers={signing.SIGNATURE_HEADER: signing.sign(body, secret)},
    )


async def provider_order(rice: int = 2) -> tuple[Shop, Order, Payment]:
    shop = await make_shop()
    order = await place(shop, lines={"RICE": rice}, pay_with=PayWith.PROVIDER)
    intent = await payments.start_payment(
        viewer=viewer(shop.buyer), order_id=order.id, idempotency_key="pay-1"
    )
    return shop, order, intent


def paid(intent: Payment, txn: str = "WX-0001", amount: int | None = None) -> Notification:
    return Notification(
        payment_id=intent.id,
        provider_txn_id=txn,
        amount_fen=intent.amount_fen if amount is None else amount,
        status=payments.SUCCESS,
    )


async def money() -> tuple[int, int, int]:
    return (
        await ledger.balance_of(AccountKind.PAYMENTS_CLEARING),
        await ledger.balance_of(AccountKind.PLATFORM_REVENUE),
        await LedgerTransaction.all().count(),
    )


async def test_a_provider_order_is_paid_end_to_end_through_the_sandbox_pay_button(
    client: httpx.AsyncClient,
) -> None:
    # Given an order placed to be paid through the provider, through the API
    shop = await make_shop()
    token = token_for(shop.buyer)
    placed = await gql(
        client,
        PLACE,
        {
            "input": {
                "stationId": to_global_id("Station", shop.station(2).id),
                "serviceDate": SERVICE_DATE.isoformat(),
                "lines": [
                    {"saleItemId": to_global_id("SaleItem", shop.item("RICE").id), "quantity": 2}
                ],
                "payWith": "PROVIDER",
                "idempotencyKey": "order-1",
            }
        },
        token=token,
    )
    order_gid = placed["data"]["placeOrder"]["order"]["id"]
    assert placed["data"]["placeOrder"]["order"]["paymentStatus"] == "UNPAID"
    clearing, revenue, _ = await money()

    # When the buyer starts paying, opens the pay page and presses Pay
    started = await gql(
        client, START, {"input": {"orderId": order_gid, "idempotencyKey": "p1"}}, token=token
    )
    again = await gql(
        client, START, {"input": {"orderId": order_gid, "idempotencyKey": "p1"}}, token=token
    )
    payment = started["data"]["startPayment"]["payment"]
    assert again["data"]["startPayment"]["payment"] == payment
    assert payment["amountFen"] == 2 * RICE_FEN and payment["status"] == "PENDING"
    assert re.fullmatch(r"/payments/sandbox/\d+", payment["payUrl"])
    page = await client.get(payment["payUrl"])
    assert page.status_code == 200
    assert "17.80" in page.text and "<button" in page.text and "http" not in page.text.lower()
    pressed = await client.post(payment["payUrl"] + "/pay")

    # Then the signed notification went through /payments/notify and the order is paid
    assert pressed.status_code == 200, pressed.text
    [order] = await Order.all()
    assert order.payment_status == PaymentStatus.PAID and order.paid_fen == 2 * RICE_FEN
    assert order.pay_by is None
    [intent] = await Payment.all()
    assert intent.state == PaymentState.SUCCEEDED and intent.provider_txn_id
    assert await money() == (clearing - 2 * RICE_FEN, revenue + 2 * RICE_FEN, _ + 1)
    assert await Event.filter(kind=payments.ORDER_PAID, order_id=order.id).count() == 1
    assert await ledger.invariant_violations() == []
    # And paying again is refused
    third = await gql(
        client, START, {"input": {"orderId": order_gid, "idempotencyKey": "p2"}}, token=token
    )
    assert third["data"]["startPayment"]["errors"][0]["code"] == "INVALID_STATE"
    # And the cutoff confirms it
    await orders.cut_off(window_id=order.window_id)
    assert (await Order.get(id=order.id)).status == OrderStatus.CONFIRMED


async def test_the_same_notification_again_pays_once(client: httpx.AsyncClient) -> None:
    _, order, intent = await provider_order()
    before = await money()

    answers = [(await send(client, paid(intent))).status_code for _ in range(3)]

    assert answers == [200, 200, 200]
    assert await money() == (
        before[0] - intent.amount_fen,
        before[1] + intent.amount_fen,
        before[2] + 1,
    )
    assert (await Order.get(id=order.id)).paid_fen == intent.amount_fen


@pytest.mark.parametrize("signature", [None, "", "0" * 64, "signed-with-another-secret"])
async def test_a_bad_or_missing_signature_gets_401_and_changes_nothing(
    client: httpx.AsyncClient, signature: str | None
) -> None:
    _, order, intent = await provider_order()
    before = await money()
    body = paid(intent).body()
    headers = {} if signature is None else {signing.SIGNATURE_HEADER: signature}
    if signature == "signed-with-another-secret":
        headers[signing.SIGNATURE_HEADER] = signing.sign(body, "another-secret")

    answer = await client.post("/payments/notify", content=body, headers=headers)

    assert answer.status_code == 401
    assert await money() == before
    assert (await Payment.get(id=intent.id)).state == PaymentState.PENDING
    assert (await Order.get(id=order.id)).payment_status == PaymentStatus.UNPAID


async def test_a_signed_body_changed_on_the_way_gets_401(client: httpx.AsyncClient) -> None:
    _, _, intent = await provider_order()
    body = paid(intent).body()
    signature = signing.sign(body, payments.SANDBOX_SECRET)
    tampered = body.replace(b'"WX-0001"', b'"WX-0002"')

    answer = await client.post(
        "/payments/notify", content=tampered, headers={signing.SIGNATURE_HEADER: signature}
    )

    assert answer.status_code == 401
    assert (await Payment.get(id=intent.id)).state == PaymentState.PENDING


async def test_an_unknown_payment_gets_404(client: httpx.AsyncClient) -> None:
    _, _, intent = await provider_order()
    before = await money()

    answer = await send(
        client, Notification(intent.id + 1000, "WX-9", intent.amount_fen, payments.SUCCESS)
    )

    assert answer.status_code == 404
    assert await money() == before


async def test_an_amount_that_does_not_match_the_intent_is_refused_and_logged(
    client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    _, order, intent = await provider_order()
    before = await money()

    with caplog.at_level(logging.WARNING, logger="cungoods.services.money.payments"):
        answer = await send(client, paid(intent, amount=intent.amount_fen - 1))

    assert answer.status_code == 409
    assert await money() == before
    assert (await Payment.get(id=intent.id)).state == PaymentState.PENDING
    assert (await Order.get(id=order.id)).payment_status == PaymentStatus.UNPAID
    [warning] = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert str(intent.id) in warning.getMessage()
    assert getattr(warning, "payment_id", None) == intent.id


async def test_money_arriving_after_the_order_expired_goes_straight_back_through_the_provider(
    client: httpx.AsyncClient,
) -> None:
    # Given a provider order released unpaid at its pay-by
    _, order, intent = await provider_order()
    assert order.pay_by is not None
    assert await orders.expire_unpaid(now=order.pay_by + dt.timedelta(seconds=1)) == 1
    assert (await Payment.get(id=intent.id)).state == PaymentState.EXPIRED
    clearing = await ledger.balance_of(AccountKind.PAYMENTS_CLEARING)

    # When the provider reports the payment after all
    answer = await send(client, paid(intent))

    # Then it is taken into the books and refunded through the provider at once
    assert answer.status_code == 200
    fresh = await Order.get(id=order.id)
    assert fresh.status == OrderStatus.CANCELLED
    assert fresh.payment_status == PaymentStatus.REFUNDED
    assert fresh.paid_fen == fresh.refunded_fen == intent.amount_fen
    [back] = await Payment.filter(kind=PaymentKind.REFUND)
    assert back.state == PaymentState.PENDING and back.amount_fen == intent.amount_fen
    assert await ledger.balance_of(AccountKind.REFUNDS) == intent.amount_fen
    assert await ledger.balance_of(AccountKind.PLATFORM_REVENUE) == 0

    # And when the provider confirms the refund (the sandbox's button), the money is out
    confirmed = await client.post(payments.pay_url(back.id) + "/pay")
    assert confirmed.status_code == 200
    assert (await Payment.get(id=back.id)).state == PaymentState.SUCCEEDED
    assert await ledger.balance_of(AccountKind.REFUNDS) == 0
    assert await ledger.balance_of(AccountKind.PAYMENTS_CLEARING) == clearing
    assert await ledger.invariant_violations() == []


async def test_cancelling_a_provider_paid_order_refunds_through_the_provider(
    client: httpx.AsyncClient,
) -> None:
    shop, order, intent = await provider_order()
    assert (await send(client, paid(intent))).status_code == 200

    await orders.cancel_order(viewer=viewer(shop.buyer), order_id=order.id)

    fresh = await Order.get(id=order.id)
    assert fresh.payment_status == PaymentStatus.REFUNDED
    [back] = await Payment.filter(kind=PaymentKind.REFUND)
    assert back.amount_fen == intent.amount_fen and back.order_id == order.id
    assert await ledger.balance_of(AccountKind.PLATFORM_REVENUE) == 0
    assert await ledger.balance_of(AccountKind.REFUNDS) == intent.amount_fen
    assert await ledger.invariant_violations() == []
