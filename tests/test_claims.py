"""After-sale claims (售后, issue 13 item 3) through GraphQL: the buyer files within
CUNGOODS_CLAIM_HOURS of pickup, a dispatcher approves (a refund to the fen, the leader's
commission taken back in proportion) or rejects (no money moves); one open claim per line,
never more units than bought less those settled; late, wrong or foreign claims change nothing."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

import httpx
import pytest

from builders import gql, make_user, token_for
from builders_claims import (
    CLAIMS,
    FILE,
    MY_CLAIMS,
    RESOLVE,
    commission_of,
    run_to,
    snapshot,
    wallet,
)
from builders_orders import Shop, make_leader, make_shop, place, viewer
from cungoods.api.ids import to_global_id
from cungoods.models import Event, LedgerTransaction, Notification, Order, User
from cungoods.models.enums import LedgerKind, Role
from cungoods.services import claims, clock, orders
from cungoods.services.errors import DomainError, ErrorCode
from cungoods.services.money import ledger
from races import holding

RICE, FISH = 890, 2_580


async def picked_up(shop: Shop, lines: dict[str, int]) -> tuple[Order, User]:
    """The shop's buyer's order at station 2, handed out by its leader."""
    leader = await make_leader(shop.station(2))
    order = await place(shop, station=2, lines=lines)
    await run_to(shop, 2)
    await orders.confirm_pickup(
        viewer=viewer(leader), order_id=order.id, pickup_code=order.pickup_code
    )
    return order, leader


def filing(
    order: Order,
    shop: Shop,
    lines: dict[str, int],
    reason: str = "泥鳅到家已经死了",
    photos: list[str] | None = None,
) -> dict[str, Any]:
    return {
        "input": {
            "orderId": to_global_id("Order", order.id),
            "lines": [
                {"saleItemId": to_global_id("SaleItem", shop.item(sku).id), "units": units}
                for sku, units in lines.items()
            ],
            "reason": reason,
            "photoUrls": photos if photos is not None else ["https://img.example/fish.jpg"],
        }
    }


def deciding(claim_id: str, approve: bool, refund_fen: int | None = None) -> dict[str, Any]:
    return {
        "input": {"claimId": claim_id, "approve": approve, "refundFen": refund_fen, "note": "核实"}
    }


async def test_an_approved_claim_refunds_and_takes_the_commission_back_in_proportion(
    client: httpx.AsyncClient,
) -> None:
    # Given an order of 3 rice + 1 fish (2670 + 2580 = 5250 fen) picked up: 213 + 206 commission
    shop = await make_shop()
    order, leader = await picked_up(shop, {"RICE": 3, "FISH": 1})
    assert await commission_of(leader.id) == 419
    paid = await wallet(shop.buyer.id)
    buyer, dispatcher = token_for(shop.buyer), token_for(shop.dispatcher)

    # When the buyer claims the fish, and a dispatcher approves 20.00 元 of its 25.80 元
    filed = (await gql(client, FILE, filing(order, shop, {"FISH": 1}), token=buyer))["data"][
        "fileClaim"
    ]
    assert filed["errors"] == []
    claim = filed["claim"]
    assert (claim["kind"], claim["status"], claim["claimedFen"], claim["refundFen"]) == (
        "AFTER_SALE",
        "FILED",
        FISH,
        0,
    )
    assert claim["photoUrls"] == ["https://img.example/fish.jpg"]
    queue = (await gql(client, CLAIMS, {"status": "FILED"}, token=dispatcher))["data"]["claims"]
    assert [node["id"] for node in queue["nodes"]] == [claim["id"]]
    decided = (await gql(client, RESOLVE, deciding(claim["id"], True, 2_000), token=dispatcher))[
        "data"
    ]["resolveClaim"]

    # Then 2000 fen go back to the wallet, and 419 × 2000 / 5250 = 159 commission comes back
    assert decided["errors"] == []
    assert (decided["claim"]["status"], decided["claim"]["refundFen"]) == ("APPROVED", 2_000)
    assert decided["claim"]["order"]["refundedFen"] == 2_000
    assert decided["claim"]["resolvedBy"]["name"] == shop.dispatcher.name
    assert await wallet(shop.buyer.id) == paid + 2_000
    assert await commission_of(leader.id) == 419 - 159
    fresh = await Order.get(id=order.id)
    assert fresh.refunded_fen == 2_000
    assert (
        await LedgerTransaction.filter(
            order_id=order.id, kind=LedgerKind.COMMISSION_REVERSAL
        ).count()
        == 1
    )
    kinds = await Event.filter(order_id=order.id, kind__startswith="CLAIM_").values_list(
        "kind", flat=True
    )
    assert sorted(kinds) == ["CLAIM_FILED", "CLAIM_RESOLVED"]
    resolved = await Event.get(order_id=order.id, kind="CLAIM_RESOLVED")
    assert "20.00 元 refunded" in resolved.message
    # and the buyer reads the decision in their language (Chinese by default)
    told = await Notification.get(event_id=resolved.id, user_id=shop.buyer.id)
    assert told.text.startswith(f"订单 {order.number} 的售后申请已通过，退款 20.00 元。")
    mine = (await gql(client, MY_CLAIMS, token=buyer))["data"]["myClaims"]
    assert [(n["status"], n["refundFen"]) for n in mine["nodes"]] == [("APPROVED", 2_000)]

    # And the fish is settled: it cannot be claimed again
    again = (await gql(client, FILE, filing(order, shop, {"FISH": 1}), token=buyer))["data"][
        "fileClaim"
    ]
    [error] = again["errors"]
    assert (error["code"], error["field"], error["remaining"]) == (
        "INVALID_INPUT",
        ["lines", "0", "units"],
        0,
    )
    assert await ledger.invariant_violations() == []


async def test_a_rejected_claim_moves_no_money_and_frees_its_units(
    client: httpx.AsyncClient,
) -> None:
    shop = await make_shop()
    order, leader = await picked_up(shop, {"RICE": 3})
    buyer, dispatcher = token_for(shop.buyer), token_for(shop.dispatcher)
    paid, earned = await wallet(shop.buyer.id), await commission_of(leader.id)
    filed = (await gql(client, FILE, filing(order, shop, {"RICE": 2}), token=buyer))["data"][
        "fileClaim"
    ]["claim"]

    # One open claim per line: a second one waits for the first
    second = (await gql(client, FILE, filing(order, shop, {"RICE": 1}), token=buyer))["data"][
        "fileClaim"
    ]
    assert [(e["code"], e["field"]) for e in second["errors"]] == [
        ("ALREADY_EXISTS", ["lines", "0", "saleItemId"])
    ]

    rejected = (await gql(client, RESOLVE, deciding(filed["id"], False), token=dispatcher))["data"][
        "resolveClaim"
    ]
    assert (rejected["claim"]["status"], rejected["claim"]["refundFen"]) == ("REJECTED", 0)
    assert await wallet(shop.buyer.id) == paid
    assert await commission_of(leader.id) == earned
    assert (await Order.get(id=order.id)).refunded_fen == 0
    # Deciding again is refused
    twice = (await gql(client, RESOLVE, deciding(filed["id"], True), token=dispatcher))["data"][
        "resolveClaim"
    ]
    assert [e["code"] for e in twice["errors"]] == ["INVALID_STATE"]
    # The units are free again: all 3 may be claimed
    refiled = (await gql(client, FILE, filing(order, shop, {"RICE": 3}), token=buyer))["data"][
        "fileClaim"
    ]
    assert refiled["errors"] == [] and refiled["claim"]["claimedFen"] == 3 * RICE


async def test_refused_claims_change_nothing(client: httpx.AsyncClient) -> None:
    shop = await make_shop()
    waiting = await place(shop, station=3, lines={"RICE": 1})  # on the bus, not picked up
    order, _leader = await picked_up(shop, {"RICE": 3, "FISH": 1})
    other = await make_user(Role.BUYER, name="别人")
    buyer = token_for(shop.buyer)

    async def refused(variables: dict[str, Any], token: str) -> list[dict[str, Any]]:
        before = await snapshot(shop.trip)
        result = (await gql(client, FILE, variables, token=token))["data"]["fileClaim"]
        assert result["claim"] is None
        assert await snapshot(shop.trip) == before
        errors: list[dict[str, Any]] = result["errors"]
        return errors

    def codes(errors: list[dict[str, Any]]) -> list[tuple[str, list[str] | None]]:
        return [(e["code"], e["field"]) for e in errors]

    assert codes(await refused(filing(order, shop, {"FISH": 1}), token_for(other))) == [
        ("NOT_ALLOWED", None)
    ]
    assert codes(await refused(filing(waiting, shop, {"RICE": 1}), buyer)) == [
        ("INVALID_STATE", ["orderId"])
    ]
    assert codes(await refused(filing(order, shop, {"RICE": 4, "DUMP": 1}), buyer)) == [
        ("INVALID_INPUT", ["lines", "0", "units"]),
        ("NOT_FOUND", ["lines", "1", "saleItemId"]),
    ]
    assert codes(
        await refused(filing(order, shop, {"FISH": 1}, photos=["ftp://x/y.jpg"]), buyer)
    ) == [("INVALID_INPUT", ["photoUrls"])]
    too_many = [f"https://img.example/{i}.jpg" for i in range(10)]
    assert codes(await refused(filing(order, shop, {"FISH": 1}, photos=too_many), buyer)) == [
        ("INVALID_INPUT", ["photoUrls"])
    ]
    assert codes(await refused(filing(order, shop, {"FISH": 1}, reason="坏" * 501), buyer)) == [
        ("INVALID_INPUT", ["reason"])
    ]
    assert codes(await refused(filing(order, shop, {"FISH": 1}, reason=" "), buyer)) == [
        ("INVALID_INPUT", ["reason"])
    ]
    # Late: 24 hours after pickup the window closes
    clock.shift(clock.now() - dt.datetime.now(clock.tz()) + dt.timedelta(hours=24, minutes=1))
    [error] = await refused(filing(order, shop, {"FISH": 1}), buyer)
    assert (error["code"], error["field"]) == ("CLAIM_WINDOW_CLOSED", ["orderId"])
    assert "were taken until" in error["message"]


async def test_only_dispatchers_decide_and_within_what_the_units_cost(
    client: httpx.AsyncClient,
) -> None:
    shop = await make_shop()
    order, _leader = await picked_up(shop, {"FISH": 1})
    filed = (
        await gql(client, FILE, filing(order, shop, {"FISH": 1}), token=token_for(shop.buyer))
    )["data"]["fileClaim"]["claim"]
    dispatcher = token_for(shop.dispatcher)

    async def refused(variables: dict[str, Any], token: str) -> list[tuple[str, Any]]:
        before = await snapshot(shop.trip)
        result = (await gql(client, RESOLVE, variables, token=token))["data"]["resolveClaim"]
        assert result["claim"] is None
        assert await snapshot(shop.trip) == before
        return [(e["code"], e["field"]) for e in result["errors"]]

    assert await refused(deciding(filed["id"], True), token_for(shop.buyer)) == [
        ("NOT_ALLOWED", None)
    ]
    assert await refused(deciding(filed["id"], True, FISH + 1), dispatcher) == [
        ("INVALID_INPUT", ["refundFen"])
    ]
    assert await refused(deciding(filed["id"], True, 0), dispatcher) == [
        ("INVALID_INPUT", ["refundFen"])
    ]
    assert await refused(deciding(filed["id"], False, 100), dispatcher) == [
        ("INVALID_INPUT", ["refundFen"])
    ]
    # The buyer's claims query is their own; the queue is the dispatchers'
    body = await gql(client, CLAIMS, {}, token=token_for(shop.buyer), expect_errors=True)
    assert body["errors"][0]["extensions"]["code"] == "NOT_ALLOWED"
    # Approving without an amount refunds what the claimed units cost
    full = (await gql(client, RESOLVE, deciding(filed["id"], True), token=dispatcher))["data"][
        "resolveClaim"
    ]
    assert full["claim"]["refundFen"] == FISH
    assert (await Order.get(id=order.id)).refunded_fen == FISH


@pytest.mark.pg_only
async def test_racing_filings_and_decisions_hold_one_claim_and_refund_once(
    is_postgres: bool,
) -> None:
    # Given a picked-up order of 3 rice
    shop = await make_shop()
    order, leader = await picked_up(shop, {"RICE": 3})
    paid, earned = await wallet(shop.buyer.id), await commission_of(leader.id)

    def file() -> Any:
        return claims.file_claim(
            viewer=viewer(shop.buyer),
            order_id=order.id,
            lines=[claims.ClaimLineRequest(sale_item_id=shop.item("RICE").id, units=2)],
            reason="米发霉了",
        )

    # When ten filings of the same line wait on the order's row together
    async with holding(Order, id=order.id) as race:
        filings = race.start(file() for _ in range(10))
        await race.blocked(10)
    filed = await asyncio.gather(*filings, return_exceptions=True)

    # Then one claim holds the line; the others were told it is taken
    made = [result for result in filed if not isinstance(result, BaseException)]
    codes = [result.code for result in filed if isinstance(result, DomainError)]
    assert len(made) == 1 and codes == [ErrorCode.ALREADY_EXISTS] * 9

    # When ten dispatchers approve it at once
    async with holding(Order, id=order.id) as race:
        decisions = race.start(
            claims.resolve_claim(viewer=viewer(shop.dispatcher), claim_id=made[0].id, approve=True)
            for _ in range(10)
        )
        await race.blocked(10)
    decided = await asyncio.gather(*decisions, return_exceptions=True)

    # Then it is refunded once, and the commission taken back once
    assert sum(not isinstance(result, BaseException) for result in decided) == 1
    assert [r.code for r in decided if isinstance(r, DomainError)] == [ErrorCode.INVALID_STATE] * 9
    assert await wallet(shop.buyer.id) == paid + 2 * RICE
    assert await commission_of(leader.id) == earned - earned * 2 // 3
    assert (await Order.get(id=order.id)).refunded_fen == 2 * RICE
    assert await ledger.invariant_violations() == []
