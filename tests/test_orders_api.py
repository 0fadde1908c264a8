"""Orders through GraphQL: placing, who sees what, the status history, handing out at the
station, and the capacity outlook."""

from __future__ import annotations

import datetime as dt

import httpx
import pytest

from builders import gql, token_for
from builders_orders import (
    SERVICE_DATE,
    Shop,
    after_cutoff,
    bring_to_station,
    make_leader,
    make_shop,
    make_user,
    place,
    sold,
    viewer,
)
from cungoods.api.ids import to_global_id
from cungoods.models import Leg, Order
from cungoods.models.enums import Direction, OrderStatus, Role
from cungoods.services import capacity, orders
from cungoods.services.capacity import Load
from cungoods.services.errors import DomainError

PLACE = """
mutation($input: PlaceOrderInput!) {
  placeOrder(input: $input) {
    order {
      id number status serviceDate totalFen pickupCode
      station { code } trip { id serviceDate }
      lines { quantity unitPriceFen totalFen product { sku name temperature } }
      history { status message }
    }
    errors { code message field }
  }
}
"""
CANCEL = """
mutation($input: CancelOrderInput!) {
  cancelOrder(input: $input) { order { status } errors { code message field } }
}
"""
PICKUP = """
mutation($input: ConfirmPickupInput!) {
  confirmPickup(input: $input) { order { status history { status } } errors { code message field } }
}
"""
ORDER = """
query($id: ID!) { order(id: $id) { number status pickupCode buyer { name } } }
"""
NODE = """
query($id: ID!) { node(id: $id) { id ... on Order { number pickupCode } } }
"""
MY_ORDERS = """
query($first: Int, $after: String) {
  myOrders(first: $first, after: $after) {
    totalCount pageInfo { hasNextPage endCursor } nodes { number }
  }
}
"""


def gid(type_name: str, pk: int) -> str:
    return to_global_id(type_name, pk)


def order_input(shop: Shop, station: int = 2, **lines: int) -> dict[str, object]:
    return {
        "stationId": gid("Station", shop.station(station).id),
        "serviceDate": SERVICE_DATE.isoformat(),
        "lines": [
            {"saleItemId": gid("SaleItem", shop.item(sku).id), "quantity": quantity}
            for sku, quantity in (lines or {"RICE": 2}).items()
        ],
    }


async def test_a_villager_orders_and_sees_her_order(client: httpx.AsyncClient) -> None:
    shop = await make_shop()
    token = token_for(shop.buyer)

    body = await gql(client, PLACE, {"input": order_input(shop, RICE=2, FISH=1)}, token=token)

    result = body["data"]["placeOrder"]
    assert result["errors"] == []
    order = result["order"]
    assert order["status"] == "PLACED"
    assert order["serviceDate"] == "2026-11-30"
    assert order["totalFen"] == 2 * 890 + 2580
    assert len(order["pickupCode"]) == 6
    assert order["station"]["code"] == shop.station(2).code
    assert order["trip"]["serviceDate"] == "2026-11-30"
    assert [(line["product"]["sku"], line["totalFen"]) for line in order["lines"]] == [
        ("RICE", 1780),
        ("FISH", 2580),
    ]
    assert order["lines"][1]["product"]["temperature"] == "CHILLED"
    assert [h["status"] for h in order["history"]] == ["PLACED"]


async def test_refusals_come_back_as_coded_errors(client: httpx.AsyncClient) -> None:
    shop = await make_shop(stock=3)
    token = token_for(shop.buyer)
    bad_item = order_input(shop)
    bad_item["lines"] = [{"saleItemId": gid("Product", 1), "quantity": 1}]

    cases = [
        (order_input(shop, RICE=5), "OUT_OF_STOCK", ["lines", "0", "quantity"]),
        (bad_item, "INVALID_INPUT", ["lines", "0", "saleItemId"]),
        ({**order_input(shop), "stationId": "nonsense"}, "INVALID_INPUT", ["stationId"]),
        ({**order_input(shop), "serviceDate": "2026-12-24"}, "NOT_FOUND", ["serviceDate"]),
    ]
    for data, code, field in cases:
        result = (await gql(client, PLACE, {"input": data}, token=token))["data"]["placeOrder"]
        assert result["order"] is None, data
        assert [(e["code"], e["field"]) for e in result["errors"]] == [(code, field)], data
    assert (
        "only 3 袋 left"
        in (await gql(client, PLACE, {"input": order_input(shop, RICE=5)}, token=token))["data"][
            "placeOrder"
        ]["errors"][0]["message"]
    )

    anonymous = (await gql(client, PLACE, {"input": order_input(shop)}))["data"]["placeOrder"]
    assert [e["code"] for e in anonymous["errors"]] == ["UNAUTHENTICATED"]
    assert await Order.all().count() == 0


async def test_no_capacity_tells_the_next_date_with_room(client: httpx.AsyncClient) -> None:
    shop = await make_shop(capacity_g=5000, days=2)
    await capacity.reserve(
        trip_id=shop.trip.id, direction=Direction.DOWN, from_seq=0, to_seq=1, load=Load(4500)
    )

    body = await gql(
        client, PLACE, {"input": order_input(shop, RICE=1)}, token=token_for(shop.buyer)
    )

    [error] = body["data"]["placeOrder"]["errors"]
    assert error["code"] == "NO_CAPACITY"
    assert error["field"] == ["serviceDate"]
    assert "leg 0" in error["message"] and "2026-12-01" in error["message"]


async def test_the_same_idempotency_key_returns_the_same_order(client: httpx.AsyncClient) -> None:
    shop = await make_shop()
    token = token_for(shop.buyer)
    data = {**order_input(shop), "idempotencyKey": "k-20261129-1"}

    first = (await gql(client, PLACE, {"input": data}, token=token))["data"]["placeOrder"]
    again = (await gql(client, PLACE, {"input": data}, token=token))["data"]["placeOrder"]
    other = (
        await gql(
            client,
            PLACE,
            {"input": {**order_input(shop, RICE=3), "idempotencyKey": "k-20261129-1"}},
            token=token,
        )
    )["data"]["placeOrder"]

    assert again["order"]["id"] == first["order"]["id"]
    assert [e["code"] for e in other["errors"]] == ["IDEMPOTENCY_KEY_REUSED"]
    assert await Order.all().count() == 1


async def test_cancel_through_the_api(client: httpx.AsyncClient) -> None:
    shop = await make_shop()
    order = await place(shop)
    order_id = gid("Order", order.id)
    stranger = await make_user(Role.BUYER)

    refused = await gql(client, CANCEL, {"input": {"orderId": order_id}}, token=token_for(stranger))
    done = await gql(client, CANCEL, {"input": {"orderId": order_id}}, token=token_for(shop.buyer))

    assert [e["code"] for e in refused["data"]["cancelOrder"]["errors"]] == ["NOT_ALLOWED"]
    assert done["data"]["cancelOrder"] == {"order": {"status": "CANCELLED"}, "errors": []}
    assert await sold(shop.item("RICE")) == 0


async def test_who_sees_an_order_and_its_pickup_code(client: httpx.AsyncClient) -> None:
    shop = await make_shop()
    order = await place(shop, station=2)
    leader = await make_leader(shop.station(2))
    other_leader = await make_leader(shop.station(1))
    neighbour = await make_user(Role.BUYER)
    variables = {"id": gid("Order", order.id)}

    async def look(token: str) -> dict:
        return await gql(client, ORDER, variables, token=token, expect_errors=True)

    buyer_view = (await look(token_for(shop.buyer)))["data"]["order"]
    leader_view = (await look(token_for(leader)))["data"]["order"]
    dispatcher_view = (await look(token_for(shop.dispatcher)))["data"]["order"]
    assert buyer_view["pickupCode"] == order.pickup_code
    assert leader_view["pickupCode"] == order.pickup_code
    assert dispatcher_view["number"] == order.number
    assert dispatcher_view["pickupCode"] is None

    for outsider in (neighbour, other_leader):
        body = await look(token_for(outsider))
        assert body["data"] == {"order": None}  # the field is nullable: only it is blanked
        assert [e["extensions"]["code"] for e in body["errors"]] == ["NOT_ALLOWED"]
        node = await gql(client, NODE, variables, token=token_for(outsider))
        assert node["data"]["node"] is None
    anonymous = await gql(client, ORDER, variables, expect_errors=True)
    assert [e["extensions"]["code"] for e in anonymous["errors"]] == ["UNAUTHENTICATED"]
    mine = await gql(client, NODE, variables, token=token_for(shop.buyer))
    assert mine["data"]["node"]["pickupCode"] == order.pickup_code


async def test_my_orders_are_mine_newest_first_in_pages(client: httpx.AsyncClient) -> None:
    shop = await make_shop()
    placed = [await place(shop) for _ in range(3)]
    neighbour = await make_user(Role.BUYER)
    await place(shop, buyer=neighbour)
    token = token_for(shop.buyer)

    page1 = (await gql(client, MY_ORDERS, {"first": 2}, token=token))["data"]["myOrders"]
    page2 = (
        await gql(
            client,
            MY_ORDERS,
            {"first": 2, "after": page1["pageInfo"]["endCursor"]},
            token=token,
        )
    )["data"]["myOrders"]

    assert page1["totalCount"] == 3
    assert [n["number"] for n in page1["nodes"]] == [placed[2].number, placed[1].number]
    assert page1["pageInfo"]["hasNextPage"] is True
    assert [n["number"] for n in page2["nodes"]] == [placed[0].number]
    assert page2["pageInfo"]["hasNextPage"] is False


async def test_the_leader_hands_out_an_order_against_its_code(client: httpx.AsyncClient) -> None:
    shop = await make_shop()
    order = await bring_to_station(await place(shop, station=2))
    leader = await make_leader(shop.station(2))
    other_leader = await make_leader(shop.station(1))
    order_id = gid("Order", order.id)

    async def pickup(token: str, code: str) -> dict:
        body = await gql(
            client, PICKUP, {"input": {"orderId": order_id, "pickupCode": code}}, token=token
        )
        return body["data"]["confirmPickup"]

    wrong_code = "000000" if order.pickup_code != "000000" else "111111"
    stranger = await pickup(token_for(other_leader), order.pickup_code)
    wrong = await pickup(token_for(leader), wrong_code)
    right = await pickup(token_for(leader), f" {order.pickup_code} ")
    again = await pickup(token_for(leader), order.pickup_code)

    assert [e["code"] for e in stranger["errors"]] == ["NOT_ALLOWED"]
    assert [(e["code"], e["field"]) for e in wrong["errors"]] == [("WRONG_CODE", ["pickupCode"])]
    assert "4 tries left" in wrong["errors"][0]["message"]
    assert right["errors"] == []
    assert [h["status"] for h in right["order"]["history"]] == [
        "PLACED",
        "CONFIRMED",
        "LOADED",
        "IN_TRANSIT",
        "AT_STATION",
        "PICKED_UP",
    ]
    assert [e["code"] for e in again["errors"]] == ["INVALID_STATE"]
    stored = await Order.get(id=order.id)
    assert (stored.status, stored.wrong_code_attempts) == (OrderStatus.PICKED_UP, 1)


async def test_five_wrong_codes_lock_the_order() -> None:
    shop = await make_shop()
    order = await bring_to_station(await place(shop, station=2))
    leader = await make_leader(shop.station(2))
    wrong_code = "000000" if order.pickup_code != "000000" else "111111"

    outcomes = []
    for _ in range(6):
        try:
            await orders.confirm_pickup(
                viewer=viewer(leader), order_id=order.id, pickup_code=wrong_code
            )
        except DomainError as error:
            outcomes.append(error.code.value)
    try:
        await orders.confirm_pickup(
            viewer=viewer(leader), order_id=order.id, pickup_code=order.pickup_code
        )
    except DomainError as error:
        outcomes.append(error.code.value)

    assert outcomes == ["WRONG_CODE"] * 5 + ["RATE_LIMITED", "RATE_LIMITED"]
    stored = await Order.get(id=order.id)
    assert (stored.status, stored.wrong_code_attempts) == (OrderStatus.AT_STATION, 5)


async def test_an_order_not_at_the_station_cannot_be_handed_out() -> None:
    shop = await make_shop()
    order = await place(shop, station=2)
    leader = await make_leader(shop.station(2))

    with pytest.raises(DomainError) as refused:
        await orders.confirm_pickup(
            viewer=viewer(leader), order_id=order.id, pickup_code=order.pickup_code
        )

    assert (refused.value.code.value, refused.value.field) == ("INVALID_STATE", ["orderId"])
    stored = await Order.get(id=order.id)
    assert (stored.status, stored.wrong_code_attempts) == (OrderStatus.PLACED, 0)


async def test_cutoff_through_the_api(client: httpx.AsyncClient) -> None:
    shop = await make_shop()
    await place(shop)
    after_cutoff()
    run = """
    mutation($d: Date!) {
      runCutoff(input: {serviceDate: $d}) {
        saleWindow { serviceDate cutoffDoneAt isOpen } errors { code }
      }
    }
    """

    by_buyer = await gql(client, run, {"d": "2026-11-30"}, token=token_for(shop.buyer))
    by_dispatcher = await gql(client, run, {"d": "2026-11-30"}, token=token_for(shop.dispatcher))

    assert [e["code"] for e in by_buyer["data"]["runCutoff"]["errors"]] == ["NOT_ALLOWED"]
    window = by_dispatcher["data"]["runCutoff"]["saleWindow"]
    assert window["cutoffDoneAt"].endswith("+08:00")
    assert window["isOpen"] is False
    assert await Order.filter(status=OrderStatus.CONFIRMED).count() == 1


async def test_the_capacity_outlook_shows_room_both_ways(client: httpx.AsyncClient) -> None:
    shop = await make_shop(stations=3, capacity_g=100_000, days=2)
    await place(shop, station=2, lines={"RICE": 10})  # legs 0 and 1: 10 kg down
    await capacity.reserve(  # produce from station 3 up to the hub: leg 3
        trip_id=shop.trip.id, direction=Direction.UP, from_seq=3, to_seq=4, load=Load(30_000)
    )
    query = """
    query($s: ID!, $from: Date!, $days: Int!) {
      capacityOutlook(stationId: $s, from: $from, days: $days) {
        date stopSeq trip { id } down { weightG } up { weightG }
      }
    }
    """
    variables = {
        "s": gid("Station", shop.station(2).id),
        "from": SERVICE_DATE.isoformat(),
        "days": 3,
    }

    days = (await gql(client, query, variables))["data"]["capacityOutlook"]

    assert [(d["date"], d["stopSeq"], d["down"]["weightG"], d["up"]["weightG"]) for d in days] == [
        ("2026-11-30", 2, 90_000, 70_000),
        ("2026-12-01", 2, 100_000, 100_000),
        ("2026-12-02", None, 0, 0),
    ]
    assert days[2]["trip"] is None
    too_long = await gql(client, query, {**variables, "days": 15}, expect_errors=True)
    assert [e["extensions"]["code"] for e in too_long["errors"]] == ["INVALID_INPUT"]


def test_the_outlook_arithmetic_takes_the_tightest_leg() -> None:
    def leg(seq: int, used: int) -> Leg:
        return Leg(
            trip_id=7,
            seq=seq,
            capacity_g=1000,
            capacity_cm3=1000,
            chilled_capacity_g=100,
            used_g=used,
        )

    stops = [{"trip_id": 7, "seq": 2, "trip__service_date": dt.date(2026, 11, 30)}]
    [day] = orders.outlook(
        start=dt.date(2026, 11, 30),
        days=1,
        stops=stops,
        legs=[leg(0, 100), leg(1, 700), leg(2, 50), leg(3, 900)],
    )

    assert (day.trip_id, day.stop_seq) == (7, 2)
    assert day.down == Load(300, 1000, 100)
    assert day.up == Load(100, 1000, 100)
