"""A shortage at the hub (缺货, issue 13 item 1) through GraphQL: the missing units come off the
trip's latest-placed orders first, refunded to the fen, written off the stock, the bus room
given back, the pick list smaller, each buyer told; the refused cases change nothing."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from builders import gql, make_user, token_for
from builders_claims import SHORTAGE, commission_of, depart, run_to, snapshot, wallet
from builders_orders import (
    after_cutoff,
    make_leader,
    make_shop,
    place,
    sold,
    used_g,
    viewer,
)
from cungoods.api.ids import to_global_id
from cungoods.models import (
    Event,
    EventTopic,
    LedgerTransaction,
    Leg,
    Notification,
    Order,
    SaleItem,
    SaleWindow,
)
from cungoods.models.enums import LedgerKind, OrderStatus, Role
from cungoods.services import capacity, orders, shortages
from cungoods.services.errors import DomainError, ErrorCode
from cungoods.services.money import ledger
from races import holding

RICE, FISH = 890, 2_580
PICK_LIST = """
query($trip: ID!) { pickList(tripId: $trip) { orderCount products { product { sku } quantity } } }
"""


def short(trip_id: int, item_id: int, units: int) -> dict[str, object]:
    return {
        "input": {
            "tripId": to_global_id("Trip", trip_id),
            "saleItemId": to_global_id("SaleItem", item_id),
            "shortUnits": units,
        }
    }


async def test_a_shortage_comes_off_the_latest_orders_first_refunded_to_the_fen(
    client: httpx.AsyncClient,
) -> None:
    # Given three buyers' orders on the trip, placed in this order: A 3 rice (station 2),
    # B 2 rice + 1 fish (station 3), C 1 rice (station 2); the window cut off
    shop = await make_shop()
    a, b, c = [await make_user(Role.BUYER, name=name) for name in ("甲", "乙", "丙")]
    order_a = await place(shop, buyer=a, station=2, lines={"RICE": 3})
    order_b = await place(shop, buyer=b, station=3, lines={"RICE": 2, "FISH": 1})
    order_c = await place(shop, buyer=c, station=2, lines={"RICE": 1})
    start = {user.id: await wallet(user.id) for user in (a, b, c)}
    await orders.cut_off(window_id=shop.window.id)
    after_cutoff()
    assert await used_g(shop.trip) == [6_500, 6_500, 2_500, 0, 0]

    # When the dispatcher records 4 rice short for the trip
    body = await gql(
        client,
        SHORTAGE,
        short(shop.trip.id, shop.item("RICE").id, 4),
        token=token_for(shop.dispatcher),
    )
    result = body["data"]["recordShortage"]

    # Then C loses its 1 rice (and is cancelled), B its 2 rice (the fish stays), A 1 of 3
    assert result["errors"] == []
    shortage = result["shortage"]
    assert (shortage["shortUnits"], shortage["refundedFen"]) == (4, 4 * RICE)
    assert [
        (o["order"]["number"], o["units"], o["refundedFen"], o["cancelled"])
        for o in shortage["orders"]
    ] == [
        (order_c.number, 1, RICE, True),
        (order_b.number, 2, 2 * RICE, False),
        (order_a.number, 1, RICE, False),
    ]
    fresh = {o.id: o for o in await Order.filter(id__in=[order_a.id, order_b.id, order_c.id])}
    assert (fresh[order_c.id].status, fresh[order_c.id].refunded_fen) == (
        OrderStatus.CANCELLED,
        RICE,
    )
    assert (fresh[order_b.id].status, fresh[order_b.id].total_fen) == (OrderStatus.CONFIRMED, FISH)
    assert (fresh[order_b.id].refunded_fen, fresh[order_a.id].refunded_fen) == (2 * RICE, RICE)
    assert fresh[order_a.id].total_fen == 2 * RICE
    # The money went back to each wallet to the fen
    assert await wallet(a.id) == start[a.id] + RICE
    assert await wallet(b.id) == start[b.id] + 2 * RICE
    assert await wallet(c.id) == start[c.id] + RICE
    # Stock written off (what is left to sell is unchanged), the bus room given back: A 2 kg,
    # B's fish 0.5 kg; C's shipment released
    item = await SaleItem.get(id=shop.item("RICE").id)
    assert (item.stock, item.sold) == (96, 2)
    assert await used_g(shop.trip) == [2_500, 2_500, 500, 0, 0]
    legs = await Leg.filter(trip_id=shop.trip.id).order_by("seq")
    assert [leg.used_chilled_g for leg in legs] == [500, 500, 500, 0, 0]
    # The pick list is made from what is left
    picks = (
        await gql(
            client,
            PICK_LIST,
            {"trip": to_global_id("Trip", shop.trip.id)},
            token=token_for(shop.dispatcher),
        )
    )["data"]["pickList"]
    assert picks["orderCount"] == 2
    assert {p["product"]["sku"]: p["quantity"] for p in picks["products"]} == {
        "RICE": 2,
        "FISH": 1,
    }
    # Each buyer is told on their own topic, with the item, the units and the yuan
    told = await Event.filter(kind="ORDER_SHORTAGE").order_by("id")
    assert len(told) == 3
    by_order = {event.order_id: event for event in told}
    assert "2 袋 taken off" in by_order[order_b.id].message
    assert "17.80 元 refunded" in by_order[order_b.id].message
    assert "本地晚稻米" in by_order[order_b.id].message
    told_b = await Notification.get(event_id=by_order[order_b.id].id)
    assert told_b.text == (
        f"仓库缺货：订单 {order_b.number} 中的「本地晚稻米 1kg」少了 2 袋，已退款 17.80 元。"
    )
    topics = await EventTopic.filter(event_id=by_order[order_b.id].id).values_list(
        "topic", flat=True
    )
    assert f"user:{b.id}" in topics
    assert await capacity.invariant_violations() == []
    assert await ledger.invariant_violations() == []


async def test_the_leader_earns_commission_only_on_what_is_left_after_a_shortage(
    client: httpx.AsyncClient,
) -> None:
    # Given an order of 3 rice + 1 fish, 2 rice short at the hub
    shop = await make_shop()
    leader = await make_leader(shop.station(2))
    order = await place(shop, station=2, lines={"RICE": 3, "FISH": 1})
    await orders.cut_off(window_id=shop.window.id)
    after_cutoff()
    body = await gql(
        client,
        SHORTAGE,
        short(shop.trip.id, shop.item("RICE").id, 2),
        token=token_for(shop.dispatcher),
    )
    assert body["data"]["recordShortage"]["errors"] == []

    # When it rides to its station and is picked up
    await run_to(shop, 2)
    await orders.confirm_pickup(
        viewer=viewer(leader), order_id=order.id, pickup_code=order.pickup_code
    )

    # Then commission is 8 % of the 1 rice and 1 fish handed out, per line rounded down
    assert await commission_of(leader.id) == RICE * 800 // 10_000 + FISH * 800 // 10_000
    assert await ledger.invariant_violations() == []


async def test_a_shortage_before_the_timer_cut_off_runs_the_cutoff_first(
    client: httpx.AsyncClient,
) -> None:
    shop = await make_shop()
    order = await place(shop, station=2, lines={"RICE": 2})
    after_cutoff()  # the cutoff time has passed; the timer has not run it yet

    body = await gql(
        client,
        SHORTAGE,
        short(shop.trip.id, shop.item("RICE").id, 1),
        token=token_for(shop.dispatcher),
    )

    assert body["data"]["recordShortage"]["errors"] == []
    assert (await SaleWindow.get(id=shop.window.id)).cutoff_done_at is not None
    fresh = await Order.get(id=order.id)
    assert (fresh.status, fresh.total_fen, fresh.refunded_fen) == (
        OrderStatus.CONFIRMED,
        RICE,
        RICE,
    )


async def test_refused_shortages_change_nothing(client: httpx.AsyncClient) -> None:
    shop = await make_shop()
    await place(shop, station=2, lines={"RICE": 3})
    rice = shop.item("RICE").id
    dispatcher = token_for(shop.dispatcher)

    async def refused(variables: dict[str, object], token: str) -> dict[str, object]:
        before = await snapshot(shop.trip)
        body = await gql(client, SHORTAGE, variables, token=token)
        result = body["data"]["recordShortage"]
        assert result["shortage"] is None
        assert await snapshot(shop.trip) == before
        [error] = result["errors"]
        return error

    # Before the cutoff
    error = await refused(short(shop.trip.id, rice, 1), dispatcher)
    assert error["code"] == "INVALID_STATE" and error["field"] == ["saleItemId"]
    # Not a dispatcher
    after_cutoff()
    error = await refused(short(shop.trip.id, rice, 1), token_for(shop.buyer))
    assert error["code"] == "NOT_ALLOWED"
    # More units than the trip's orders hold
    await orders.cut_off(window_id=shop.window.id)
    error = await refused(short(shop.trip.id, rice, 4), dispatcher)
    assert (error["code"], error["field"], error["remaining"]) == (
        "INVALID_INPUT",
        ["shortUnits"],
        3,
    )
    # A nonsensical number
    error = await refused(short(shop.trip.id, rice, 0), dispatcher)
    assert (error["code"], error["field"]) == ("INVALID_INPUT", ["shortUnits"])
    # After the bus has left the hub
    await depart(shop)
    error = await refused(short(shop.trip.id, rice, 1), dispatcher)
    assert (error["code"], error["field"]) == ("INVALID_STATE", ["tripId"])
    assert await sold(shop.item("RICE")) == 3


@pytest.mark.pg_only
async def test_a_shortage_racing_buyers_cancelling_refunds_every_unit_once(
    is_postgres: bool,
) -> None:
    # Given ten buyers' orders of 2 rice each, placed one after another
    shop = await make_shop()
    buyers = [await make_user(Role.BUYER, name=f"买家{i}") for i in range(10)]
    placed = [await place(shop, buyer=buyer, station=2, lines={"RICE": 2}) for buyer in buyers]
    start = {buyer.id: await wallet(buyer.id) for buyer in buyers}

    # When the five latest buyers cancel just before the cutoff, their cancellations holding the
    # window (FOR SHARE), and a shortage of 5 rice comes right after the cutoff time: its cutoff
    # waits for the same row. The holder keeps all of them waiting there at once.
    async with holding(SaleWindow, id=shop.window.id) as race:
        cancels = race.start(
            orders.cancel_order(viewer=viewer(order_buyer), order_id=order.id)
            for order_buyer, order in zip(buyers[5:], placed[5:], strict=True)
        )
        await race.blocked(5)
        after_cutoff()
        [shortage] = race.start(
            [
                shortages.record_shortage(
                    viewer=viewer(shop.dispatcher),
                    trip_id=shop.trip.id,
                    sale_item_id=shop.item("RICE").id,
                    short_units=5,
                )
            ]
        )
        await race.blocked(6)
    outcome = await asyncio.gather(*cancels, return_exceptions=True)
    done = await shortage

    # Then whichever got in first, every unit was refunded once: a cancelled order in full, the
    # shortage's 5 units off the latest orders that were still there
    cancelled = {
        order.id
        for order, result in zip(placed[5:], outcome, strict=True)
        if not isinstance(result, BaseException)
    }
    for result in outcome:
        if isinstance(result, DomainError):
            assert result.code is ErrorCode.CUTOFF_PASSED
        elif isinstance(result, BaseException):
            raise result
    expected_cut: dict[int, int] = {}
    left = 5
    for order in reversed(placed):
        if order.id in cancelled or left == 0:
            continue
        expected_cut[order.id] = min(2, left)
        left -= expected_cut[order.id]
    assert {o.order.id: o.units for o in done.outcomes} == expected_cut
    kept_units = 0
    for buyer, order in zip(buyers, placed, strict=True):
        fresh = await Order.get(id=order.id)
        if order.id in cancelled:
            refunded, units = 2 * RICE, 0
            assert fresh.status is OrderStatus.CANCELLED
        else:
            refunded = expected_cut.get(order.id, 0) * RICE
            units = 2 - expected_cut.get(order.id, 0)
            assert fresh.status is (OrderStatus.CANCELLED if units == 0 else OrderStatus.CONFIRMED)
        kept_units += units
        assert fresh.refunded_fen == refunded
        assert await wallet(buyer.id) == start[buyer.id] + refunded
    refunds = await LedgerTransaction.filter(kind=LedgerKind.REFUND).count()
    assert refunds == len(cancelled) + len(expected_cut)
    item = await SaleItem.get(id=shop.item("RICE").id)
    assert (item.stock, item.sold) == (95, kept_units)
    assert await used_g(shop.trip) == [1_000 * kept_units] * 2 + [0, 0, 0]
    assert await capacity.invariant_violations() == []
    assert await ledger.invariant_violations() == []
