"""The arrival check at the station (到货验收, issue 13 item 2) through GraphQL: missing or damaged
units are refunded to the fen, recorded as claims against the hub, written off, the buyers told;
the rest waits for pickup. Refused cases change nothing; a leader who never confirms leaves
nothing in limbo."""

from __future__ import annotations

from typing import Any

import httpx

from builders import gql, make_user, token_for
from builders_claims import ARRIVAL, MY_CLAIMS, commission_of, leave, run_to, snapshot, wallet
from builders_orders import Shop, make_leader, make_shop, place, used_g, viewer
from cungoods.api.ids import to_global_id
from cungoods.models import Claim, Event, Order, SaleItem
from cungoods.models.enums import ClaimKind, ClaimStatus, OrderStatus, Role
from cungoods.services import capacity, orders
from cungoods.services.money import ledger

RICE, FISH = 890, 2_580


def check(shop: Shop, station: int, missing: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "input": {
            "tripId": to_global_id("Trip", shop.trip.id),
            "stationId": to_global_id("Station", shop.station(station).id),
            "missing": missing,
        }
    }


def gone(order: Order, shop: Shop, sku: str, units: int, reason: str) -> dict[str, Any]:
    return {
        "orderId": to_global_id("Order", order.id),
        "saleItemId": to_global_id("SaleItem", shop.item(sku).id),
        "units": units,
        "reason": reason,
    }


async def test_missing_units_are_refunded_claimed_against_the_hub_and_the_rest_is_handed_out(
    client: httpx.AsyncClient,
) -> None:
    # Given A's order of 3 rice + 1 fish and B's of 1 rice at station 2, C's at station 3, and
    # the bus standing at station 2
    shop = await make_shop()
    leader = await make_leader(shop.station(2))
    a, b, c = [await make_user(Role.BUYER, name=name) for name in ("甲", "乙", "丙")]
    order_a = await place(shop, buyer=a, station=2, lines={"RICE": 3, "FISH": 1})
    order_b = await place(shop, buyer=b, station=2, lines={"RICE": 1})
    order_c = await place(shop, buyer=c, station=3, lines={"RICE": 1})
    start = {user.id: await wallet(user.id) for user in (a, b, c)}
    await run_to(shop, 2)
    legs_before = await used_g(shop.trip)

    # When its leader confirms the arrival: 1 of A's rice damaged, B's rice missing
    body = await gql(
        client,
        ARRIVAL,
        check(
            shop,
            2,
            [gone(order_a, shop, "RICE", 1, "袋子破了"), gone(order_b, shop, "RICE", 1, "缺件")],
        ),
        token=token_for(leader),
    )
    result = body["data"]["confirmArrival"]

    # Then both units are refunded to the fen and recorded as approved claims against the hub
    assert result["errors"] == []
    arrival = result["arrival"]
    assert (arrival["missingUnits"], arrival["refundedFen"]) == (2, 2 * RICE)
    assert arrival["station"]["code"] == shop.station(2).code
    claims = {claim["order"]["id"]: claim for claim in arrival["claims"]}
    claim_a = claims[to_global_id("Order", order_a.id)]
    assert (claim_a["kind"], claim_a["status"], claim_a["refundFen"], claim_a["reason"]) == (
        "ARRIVAL",
        "APPROVED",
        RICE,
        "袋子破了",
    )
    assert claim_a["lines"] == [{"units": 1, "unitPriceFen": RICE, "product": {"sku": "RICE"}}]
    assert claims[to_global_id("Order", order_b.id)]["order"]["status"] == "CANCELLED"
    assert await wallet(a.id) == start[a.id] + RICE
    assert await wallet(b.id) == start[b.id] + RICE
    assert await wallet(c.id) == start[c.id]
    fresh_c = await Order.get(id=order_c.id)  # still on the bus to station 3, untouched
    assert (fresh_c.status, fresh_c.refunded_fen) == (OrderStatus.IN_TRANSIT, 0)
    fresh_a = await Order.get(id=order_a.id)
    assert (fresh_a.status, fresh_a.total_fen, fresh_a.refunded_fen) == (
        OrderStatus.AT_STATION,
        2 * RICE + FISH,
        RICE,
    )
    assert await Claim.filter(kind=ClaimKind.ARRIVAL, status=ClaimStatus.APPROVED).count() == 2
    # Written off the stock; the bus room is as it was: the units rode to the station
    item = await SaleItem.get(id=shop.item("RICE").id)
    assert (item.stock, item.sold) == (98, 3)
    assert await used_g(shop.trip) == legs_before
    # Each buyer is told
    told = {e.order_id: e.message for e in await Event.filter(kind="ORDER_ARRIVAL_SHORT")}
    assert set(told) == {order_a.id, order_b.id}
    assert "1 袋 本地晚稻米 1kg missing or damaged on arrival, 8.90 元 refunded" in told[order_a.id]
    mine = (await gql(client, MY_CLAIMS, token=token_for(a)))["data"]["myClaims"]
    assert mine["totalCount"] == 1 and mine["nodes"][0]["kind"] == "ARRIVAL"

    # And the rest is handed out: the leader earns commission on what A took home
    await orders.confirm_pickup(
        viewer=viewer(leader), order_id=order_a.id, pickup_code=order_a.pickup_code
    )
    assert await commission_of(leader.id) == (2 * RICE) * 800 // 10_000 + FISH * 800 // 10_000
    assert await capacity.invariant_violations() == []
    assert await ledger.invariant_violations() == []


async def test_an_arrival_with_nothing_missing_is_confirmed_once(
    client: httpx.AsyncClient,
) -> None:
    shop = await make_shop()
    leader = await make_leader(shop.station(2))
    await place(shop, station=2)
    await run_to(shop, 2)

    first = await gql(client, ARRIVAL, check(shop, 2, []), token=token_for(leader))
    again = await gql(client, ARRIVAL, check(shop, 2, []), token=token_for(leader))

    assert first["data"]["confirmArrival"]["arrival"]["missingUnits"] == 0
    assert [e["code"] for e in again["data"]["confirmArrival"]["errors"]] == ["ALREADY_EXISTS"]


async def test_refused_arrival_checks_change_nothing(client: httpx.AsyncClient) -> None:
    shop = await make_shop()
    leader_2 = await make_leader(shop.station(2))
    leader_3 = await make_leader(shop.station(3))
    order = await place(shop, station=2, lines={"RICE": 2})
    elsewhere = await place(shop, station=3, lines={"RICE": 1})
    await run_to(shop, 2)

    async def refused(variables: dict[str, Any], token: str) -> list[dict[str, Any]]:
        before = await snapshot(shop.trip)
        result = (await gql(client, ARRIVAL, variables, token=token))["data"]["confirmArrival"]
        assert result["arrival"] is None
        assert await snapshot(shop.trip) == before
        errors: list[dict[str, Any]] = result["errors"]
        return errors

    damaged = [gone(order, shop, "RICE", 1, "破损")]
    # Another station's leader; a buyer
    assert [e["code"] for e in await refused(check(shop, 2, damaged), token_for(leader_3))] == [
        "NOT_ALLOWED"
    ]
    assert [e["code"] for e in await refused(check(shop, 2, damaged), token_for(shop.buyer))] == [
        "NOT_ALLOWED"
    ]
    # The bus is not at station 3 yet
    errors = await refused(check(shop, 3, []), token_for(leader_3))
    assert [(e["code"], e["field"]) for e in errors] == [("INVALID_STATE", ["tripId"])]
    # More than the line holds, an order for another station, a blank reason: all at once
    errors = await refused(
        check(
            shop,
            2,
            [gone(order, shop, "RICE", 3, "破损"), gone(elsewhere, shop, "RICE", 1, "破损")],
        ),
        token_for(leader_2),
    )
    assert [(e["code"], e["field"]) for e in errors] == [
        ("INVALID_INPUT", ["missing", "0", "units"]),
        ("NOT_FOUND", ["missing", "1", "orderId"]),
    ]
    errors = await refused(
        check(shop, 2, [gone(order, shop, "RICE", 1, "  ")]), token_for(leader_2)
    )
    assert [(e["code"], e["field"]) for e in errors] == [
        ("INVALID_INPUT", ["missing", "0", "reason"])
    ]
    # A malformed id
    bad = [{**gone(order, shop, "RICE", 1, "破损"), "orderId": "nope"}]
    errors = await refused(check(shop, 2, bad), token_for(leader_2))
    assert [(e["code"], e["field"]) for e in errors] == [
        ("INVALID_INPUT", ["missing", "0", "orderId"])
    ]


async def test_a_leader_who_never_confirms_leaves_nothing_in_limbo(
    client: httpx.AsyncClient,
) -> None:
    # Given the bus at station 2 and its leader saying nothing
    shop = await make_shop()
    leader = await make_leader(shop.station(2))
    order = await place(shop, station=2, lines={"RICE": 2})
    await run_to(shop, 2)

    # When the bus leaves the station
    await leave(shop, 2)

    # Then the delivery stands as it came: the order is ready and is handed out in full, and
    # the check is closed
    late = await gql(
        client,
        ARRIVAL,
        check(shop, 2, [gone(order, shop, "RICE", 1, "破损")]),
        token=token_for(leader),
    )
    [error] = late["data"]["confirmArrival"]["errors"]
    assert (error["code"], error["field"]) == ("INVALID_STATE", ["tripId"])
    assert "after-sale" in error["message"]
    picked = await orders.confirm_pickup(
        viewer=viewer(leader), order_id=order.id, pickup_code=order.pickup_code
    )
    assert picked.status is OrderStatus.PICKED_UP
    assert (await Order.get(id=order.id)).refunded_fen == 0
