"""The handover chain: station leader takes the produce in, the hub receives it, the buyer
collects it with the code; and who sees which purchase."""

from __future__ import annotations

from typing import Any

import httpx

from builders import SETUP_EVENT_KINDS, change_events, gql, make_network, schedule, token_for
from builders_produce import (
    PURCHASE_FIELDS,
    buy,
    codes,
    legs_of,
    make_buyer,
    make_dispatcher,
    make_farmer,
    make_leader,
    make_listing,
    make_person,
    pin_clock,
)
from cungoods.models import Event, ProducePurchase, Shipment, TripStop, User
from cungoods.models.enums import PurchaseStatus, Role
from cungoods.services import capacity, clock

HANDOVER = f"""
mutation($input: ConfirmHandoverInput!) {{
  confirmHandover(input: $input) {{ purchase {{ {PURCHASE_FIELDS} }} errors {{ code field }} }}
}}
"""
HUB = f"""
mutation($input: ConfirmHubReceiptInput!) {{
  confirmHubReceipt(input: $input) {{ purchase {{ {PURCHASE_FIELDS} }} errors {{ code field }} }}
}}
"""
COLLECT = f"""
mutation($input: ConfirmCollectionInput!) {{
  confirmCollection(input: $input) {{ purchase {{ {PURCHASE_FIELDS} }} errors {{ code field }} }}
}}
"""
MINE = """
query { myPurchases { totalCount nodes { number collectCode buyer { name } } } }
"""
NODE = """
query($id: ID!) {
  node(id: $id) { ... on ProducePurchase { number collectCode history { status message } } }
}
"""


async def run(
    client: httpx.AsyncClient, mutation: str, user: User, **values: Any
) -> dict[str, Any]:
    body = await gql(client, mutation, {"input": values}, token=token_for(user))
    payload: dict[str, Any] = next(iter(body["data"].values()))
    return payload


async def test_produce_goes_from_the_farmer_to_the_buyer_step_by_step(
    client: httpx.AsyncClient,
) -> None:
    pin_clock("05:00")
    net = await make_network(stations=3)
    trips = await schedule(net)
    station = net.stations[1]  # seq 2; the hub arrival is seq 4
    farmer = await make_farmer(station)
    leader = await make_leader(station)
    dispatcher = await make_dispatcher()
    buyer = await make_buyer(name="衢州饭店采购")
    listing = await make_listing(farmer, price_fen=350, unit_weight_g=500, unit_volume_cm3=1000)
    bought = (await buy(client, buyer, listing, 20))["purchase"]
    pid = bought["id"]

    # The farmer brought 15 斤, not 20: the unused room goes back to the bus.
    handed = await run(client, HANDOVER, leader, purchaseId=pid, quantity=15)
    assert handed["errors"] == []
    assert handed["purchase"]["status"] == "HANDED_OVER"
    assert handed["purchase"]["handedOverQuantity"] == 15
    assert handed["purchase"]["totalFen"] == 15 * 350
    assert handed["purchase"]["load"] == {"weightG": 7500, "volumeCm3": 15_000, "chilledG": 0}
    assert handed["purchase"]["collectCode"] is None  # the leader does not see it
    assert [leg.used_g for leg in await legs_of(trips[0].id)] == [0, 0, 7500, 7500]
    assert await capacity.invariant_violations() == []

    again = await run(client, HANDOVER, leader, purchaseId=pid, quantity=15)
    assert codes(again) == [("INVALID_STATE", ["purchaseId"])]

    early = await run(
        client, COLLECT, dispatcher, purchaseId=pid, collectCode=bought["collectCode"]
    )
    assert codes(early) == [("INVALID_STATE", ["purchaseId"])]

    # Not while the bus is still out: the hub cannot have it yet
    out = await run(client, HUB, dispatcher, purchaseId=pid)
    assert codes(out) == [("INVALID_STATE", ["purchaseId"])]
    back = await TripStop.filter(trip_id=trips[0].id).order_by("-seq").first()
    assert back is not None
    await TripStop.filter(id=back.id).update(arrived_at=clock.now())  # the bus is back

    received = await run(client, HUB, dispatcher, purchaseId=pid)
    assert received["purchase"]["status"] == "AT_HUB"

    wrong = "000000" if bought["collectCode"] != "000000" else "111111"
    refused = await run(client, COLLECT, dispatcher, purchaseId=pid, collectCode=wrong)
    assert codes(refused) == [("WRONG_CODE", ["collectCode"])]
    assert (await ProducePurchase.get()).status is PurchaseStatus.AT_HUB

    collected = await run(
        client, COLLECT, dispatcher, purchaseId=pid, collectCode=bought["collectCode"]
    )
    assert collected["purchase"]["status"] == "COLLECTED"

    history = (await gql(client, NODE, {"id": pid}, token=token_for(buyer)))["data"]["node"]
    assert [h["status"] for h in history["history"]] == [
        "RESERVED",
        "HANDED_OVER",
        "AT_HUB",
        "COLLECTED",
    ]
    kinds = [e.kind for e in await Event.exclude(kind__in=SETUP_EVENT_KINDS).order_by("id")]
    assert kinds == [
        "PURCHASE_RESERVED",
        "PURCHASE_HANDED_OVER",
        "PURCHASE_REFUNDED",  # the 5 斤 not handed over (tests/test_money_produce.py)
        "PURCHASE_AT_HUB",
        "MONEY_RECEIVED",  # the farmer is credited (issue 13: they are told)
        "MONEY_RECEIVED",  # and the leader's collection fee
        "PURCHASE_COLLECTED",
    ]


async def test_only_the_handover_stations_leader_takes_produce_in(
    client: httpx.AsyncClient,
) -> None:
    pin_clock("05:00")
    net = await make_network(stations=2)
    trips = await schedule(net)
    farmer = await make_farmer(net.stations[0])
    listing = await make_listing(farmer)
    pid = (await buy(client, await make_buyer(), listing, 20))["purchase"]["id"]
    other_leader = await make_leader(net.stations[1])
    leader = await make_leader(net.stations[0])

    cases = [
        (other_leader, 20, [("NOT_ALLOWED", None)]),
        (farmer, 20, [("NOT_ALLOWED", None)]),
        (leader, 21, [("INVALID_INPUT", ["quantity"])]),  # more than was bought
        (leader, 0, [("INVALID_INPUT", ["quantity"])]),
    ]
    for who, quantity, expected in cases:
        result = await run(client, HANDOVER, who, purchaseId=pid, quantity=quantity)
        assert codes(result) == expected
    assert (await ProducePurchase.get()).status is PurchaseStatus.RESERVED
    assert (await Shipment.get()).weight_g == 10_000
    assert [leg.used_g for leg in await legs_of(trips[0].id)] == [0, 10_000, 10_000]
    assert await change_events() == 1


async def test_hub_steps_are_for_dispatchers(client: httpx.AsyncClient) -> None:
    pin_clock("05:00")
    net = await make_network(stations=2)
    await schedule(net)
    listing = await make_listing(await make_farmer(net.stations[0]))
    buyer = await make_buyer()
    bought = (await buy(client, buyer, listing, 10))["purchase"]

    hub = await run(client, HUB, buyer, purchaseId=bought["id"])
    collect = await run(
        client, COLLECT, buyer, purchaseId=bought["id"], collectCode=bought["collectCode"]
    )

    assert codes(hub) == [("NOT_ALLOWED", None)]
    assert codes(collect) == [("NOT_ALLOWED", None)]
    assert (await ProducePurchase.get()).status is PurchaseStatus.RESERVED


async def test_buyers_see_their_purchases_and_farmers_those_of_their_listings(
    client: httpx.AsyncClient,
) -> None:
    pin_clock("05:00")
    net = await make_network(stations=2)
    await schedule(net)
    farmer = await make_farmer(net.stations[0])
    listing = await make_listing(farmer)
    alice, bob = await make_buyer(name="甲"), await make_buyer(name="乙")
    stranger = await make_person(Role.BUYER, Role.FARMER, name="路人")
    leader = await make_leader(net.stations[0])
    other_leader = await make_leader(net.stations[1])
    mine = (await buy(client, alice, listing, 10))["purchase"]
    await buy(client, bob, listing, 10)

    async def my(user: User) -> dict[str, Any]:
        result: dict[str, Any] = (await gql(client, MINE, token=token_for(user)))["data"][
            "myPurchases"
        ]
        return result

    alices = await my(alice)
    farmers = await my(farmer)
    assert [n["number"] for n in alices["nodes"]] == [mine["number"]]
    assert alices["nodes"][0]["collectCode"] == mine["collectCode"]
    assert farmers["totalCount"] == 2
    assert {n["buyer"]["name"] for n in farmers["nodes"]} == {"甲", "乙"}
    assert all(n["collectCode"] is None for n in farmers["nodes"])
    assert (await my(stranger))["totalCount"] == 0

    async def node_as(user: User) -> dict[str, Any] | None:
        body = await gql(client, NODE, {"id": mine["id"]}, token=token_for(user))
        found: dict[str, Any] | None = body["data"]["node"]
        return found

    assert await node_as(stranger) is None
    assert await node_as(bob) is None
    assert await node_as(other_leader) is None
    assert (await node_as(leader) or {}).get("collectCode", "hidden") is None
    assert (await node_as(farmer) or {}).get("number") == mine["number"]
    assert (await node_as(await make_dispatcher()) or {}).get("collectCode") == mine["collectCode"]

    anonymous = await gql(client, MINE, expect_errors=True)
    assert anonymous["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
