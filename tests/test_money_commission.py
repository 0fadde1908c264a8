"""The leader's commission on an order (issue 12), on the services: accrued at pickup per
category to the fen, once; reversed in proportion by later refunds, never more than accrued."""

from __future__ import annotations

from tortoise.transactions import in_transaction

from builders_orders import bring_to_station, make_leader, make_shop, place, viewer
from cungoods.models import CommissionRate, LedgerTransaction
from cungoods.models.enums import AccountKind, LedgerKind
from cungoods.services import orders
from cungoods.services.money import commission, ledger, refunds


def test_an_orders_commission_is_each_lines_share_rounded_down_and_summed() -> None:
    lines = [(3, 890, "粮油"), (2, 2580, "水产"), (1, 999, "新品类")]
    # 2670 × 8 % = 213.6 → 213; 5160 × 12 % = 619.2 → 619; 999 × 8 % (default) = 79.92 → 79
    assert commission.order_commission(lines, {"水产": 1_200}) == 213 + 619 + 79


async def test_a_pickup_accrues_the_commission_once_and_refunds_reverse_it_in_proportion() -> None:
    # Given fish at 10 % and an order of 2 rice and 1 fish (1780 + 2580 = 4360 fen) picked up
    shop = await make_shop()
    leader = await make_leader(shop.station(2))
    await CommissionRate.create(category="水产", rate_bp=1_000)
    order = await bring_to_station(await place(shop, station=2, lines={"RICE": 2, "FISH": 1}))
    await orders.confirm_pickup(
        viewer=viewer(leader), order_id=order.id, pickup_code=order.pickup_code
    )
    earned = 1_780 * 800 // 10_000 + 2_580 * 1_000 // 10_000  # 142 + 258
    assert await ledger.balance_of(AccountKind.LEADER_COMMISSION, leader.id) == earned == 400

    # When the accrual is asked for again, then a quarter (1090 fen) is refunded, then the rest,
    # then more than the order is refunded once more
    async with in_transaction():
        again = await commission.accrue_for_order(order_id=order.id, leader_id=leader.id)
        quarter = await commission.reverse_for_order(order_id=order.id, refunded_fen=1_090)
        rest = await commission.reverse_for_order(order_id=order.id, refunded_fen=3_270)
        beyond = await commission.reverse_for_order(order_id=order.id, refunded_fen=4_360)

    # Then nothing is accrued twice, 400 × 1090 / 4360 = 100 is taken back, then the 300 left,
    # then nothing: never more than was accrued
    assert (again, quarter, rest, beyond) == (0, 100, 300, 0)
    assert await ledger.balance_of(AccountKind.LEADER_COMMISSION, leader.id) == 0
    kinds = (
        await LedgerTransaction.filter(order_id=order.id)
        .order_by("id")
        .values_list("kind", flat=True)
    )
    assert kinds == [
        LedgerKind.PAYMENT,
        LedgerKind.COMMISSION,
        LedgerKind.COMMISSION_REVERSAL,
        LedgerKind.COMMISSION_REVERSAL,
    ]
    assert await ledger.invariant_violations() == []


async def test_an_order_never_picked_up_has_nothing_to_reverse() -> None:
    shop = await make_shop()
    order = await place(shop, station=2)

    async with in_transaction():
        reversed_fen = await commission.reverse_for_order(order_id=order.id, refunded_fen=500)

    assert reversed_fen == 0
    assert await LedgerTransaction.filter(kind=LedgerKind.COMMISSION_REVERSAL).count() == 0


async def test_a_refund_after_pickup_takes_back_the_leaders_commission_in_proportion() -> None:
    # Given an order of 2 rice and 1 fish (4360 fen) picked up: 8 % earned = 348 fen
    shop = await make_shop()
    leader = await make_leader(shop.station(2))
    order = await bring_to_station(await place(shop, station=2, lines={"RICE": 2, "FISH": 1}))
    await orders.confirm_pickup(
        viewer=viewer(leader), order_id=order.id, pickup_code=order.pickup_code
    )
    assert await ledger.balance_of(AccountKind.LEADER_COMMISSION, leader.id) == 348
    wallet_before = await ledger.balance_of(AccountKind.BUYER_WALLET, order.buyer_id)

    # When the fish (2580 fen) is refunded after the pickup (an after-sale refund)
    async with in_transaction():
        await refunds.refund(order_id=order.id, amount_fen=2_580, reason="鱼不新鲜")

    # Then the buyer has the 2580 back and the leader gives back 348 × 2580 / 4360 = 205 fen
    assert await ledger.balance_of(AccountKind.BUYER_WALLET, order.buyer_id) == (
        wallet_before + 2_580
    )
    assert await ledger.balance_of(AccountKind.LEADER_COMMISSION, leader.id) == 348 - 205
    assert await ledger.invariant_violations() == []
