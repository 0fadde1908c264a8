"""The hub's reads of a trip: the pick list adds up to the confirmed orders, the loading plan
loads the last stop first, every station manifest matches that station's orders and purchases,
and only the people who need them may read them."""

from __future__ import annotations

from collections import Counter
from typing import Any

import httpx
import pytest

from builders import gql, token_for
from builders_dispatch import make_scene
from builders_live import statements
from builders_orders import before_cutoff, make_user, place, viewer
from builders_produce import gid
from cungoods.models import Leg, Order, OrderLine, ProducePurchase, SaleItem, SaleWindow
from cungoods.models.enums import OrderStatus, Role, Temperature
from cungoods.services import dispatch, orders
from cungoods.services.dispatch_plans import Space
from cungoods.services.errors import DomainError, ErrorCode


async def units_ordered(order_ids: list[int]) -> Counter[int]:
    """Per product id, the units of the given orders, straight from the rows."""
    totals: Counter[int] = Counter()
    for line in await OrderLine.filter(order_id__in=order_ids):
        item = await SaleItem.get(id=line.sale_item_id)
        totals[item.product_id] += line.quantity
    return totals


async def test_the_pick_list_adds_up_to_the_confirmed_orders() -> None:
    # Given a trip with confirmed orders for three stations and one order cancelled
    scene = await make_scene()

    # When the dispatcher asks for the pick list
    picks = await dispatch.pick_list(viewer=scene.dispatcher, trip_id=scene.trip.id)

    # Then it has every confirmed order and not the cancelled one
    assert sorted(picks.orders) == sorted(order.id for order in scene.confirmed)
    # and per product, the units of those orders
    expected = await units_ordered([order.id for order in scene.confirmed])
    assert {total.product_id: total.quantity for total in picks.totals} == dict(expected)
    # and the crates hold the same units, each crate's orders going to its station
    in_crates: Counter[int] = Counter()
    for crate in picks.crates:
        for packed in crate.orders:
            assert picks.orders[packed.order_id].station_id == crate.station_id
            for line in packed.lines:
                assert line.temperature is crate.temperature
                in_crates[line.product_id] += line.quantity
    assert in_crates == expected
    # one crate per station per class: station 3 gets rice and dumplings, station 2 fish only
    assert [(c.stop_seq, c.temperature) for c in picks.crates] == [
        (1, Temperature.AMBIENT),
        (1, Temperature.CHILLED),
        (2, Temperature.CHILLED),
        (3, Temperature.AMBIENT),
        (3, Temperature.FROZEN),
    ]


async def test_orders_not_yet_confirmed_or_already_gone_are_not_picked() -> None:
    # Given the trip's orders: one back to PLACED (as if the cutoff had not run) and one on
    # the road already
    scene = await make_scene()
    await Order.filter(id=scene.orders["A"].id).update(status=OrderStatus.PLACED)
    await Order.filter(id=scene.orders["B"].id).update(status=OrderStatus.IN_TRANSIT)
    await Order.filter(id=scene.orders["C"].id).update(status=OrderStatus.LOADED)

    picks = await dispatch.pick_list(viewer=scene.dispatcher, trip_id=scene.trip.id)

    assert sorted(picks.orders) == sorted(scene.orders[name].id for name in ("C", "D", "E"))


async def test_the_loading_plan_loads_the_last_stop_first() -> None:
    scene = await make_scene()

    # When the trip's driver asks for the loading plan
    plan = await dispatch.loading_plan(viewer=scene.driver, trip_id=scene.trip.id)

    # Then the crates go on from the last stop to the first, in each space
    seqs = [step.crate.stop_seq for step in plan.steps]
    assert seqs == sorted(seqs, reverse=True) == [3, 3, 2, 1, 1]
    for space in Space:
        in_space = [step for step in plan.steps if step.space is space]
        assert [step.position for step in in_space] == list(range(1, len(in_space) + 1))
    # chilled and frozen in the chilled compartment
    assert {(step.crate.temperature, step.space) for step in plan.steps} == {
        (Temperature.AMBIENT, Space.AMBIENT),
        (Temperature.CHILLED, Space.CHILLED),
        (Temperature.FROZEN, Space.CHILLED),
    }
    # And the produce to collect is listed at its stops
    assert [(c.stop_seq, sorted(p.purchase_id for p in c.produce)) for c in plan.collections] == [
        (2, [scene.purchases["P2"].id]),
        (4, sorted([scene.purchases["P1"].id, scene.purchases["P3"].id])),
    ]
    assert plan.collections[1].load.weight_g == (10 + 6) * 500
    # And the load profile of every leg is what the legs hold
    legs = await Leg.filter(trip_id=scene.trip.id).order_by("seq")
    assert [(p.seq, p.down.weight_g, p.used.weight_g, p.capacity.weight_g) for p in plan.legs] == [
        (leg.seq, leg.down_g, leg.used_g, leg.capacity_g) for leg in legs
    ]
    assert [p.up.weight_g for p in plan.legs] == [0, 0, 2000, 2000, 10_000]
    assert plan.fullest is not None and plan.fullest.seq == 0  # everything going out


async def test_every_manifest_matches_its_stations_orders_and_purchases() -> None:
    scene = await make_scene()

    for seq in (1, 2, 3, 4):
        station = scene.shop.station(seq)
        # When the station's leader asks for their manifest
        manifest = await dispatch.station_manifest(
            viewer=scene.leader(seq), trip_id=scene.trip.id, station_id=station.id
        )

        # Then it lists the confirmed orders to that station and the produce handed over there
        expected_orders = [
            o.id
            for o in await Order.filter(
                trip_id=scene.trip.id, station_id=station.id, status=OrderStatus.CONFIRMED
            ).order_by("id")
        ]
        assert [item.order.id for item in manifest.orders] == expected_orders
        expected_produce = [
            p.id
            for p in await ProducePurchase.filter(
                trip_id=scene.trip.id, station_id=station.id
            ).order_by("id")
        ]
        assert [item.purchase_id for item in manifest.produce] == expected_produce
        assert manifest.stop.seq == seq and manifest.shows_codes
        # with every line of those orders
        lines = await OrderLine.filter(order_id__in=expected_orders)
        assert sum(line.quantity for item in manifest.orders for line in item.lines) == sum(
            line.quantity for line in lines
        )
    # The cancelled order is on no manifest; station 4 only takes produce in
    manifest = await dispatch.station_manifest(
        viewer=scene.dispatcher, trip_id=scene.trip.id, station_id=scene.shop.station(4).id
    )
    assert manifest.orders == [] and manifest.take_in.weight_g == 8000
    assert [(item.farmer_id, item.quantity) for item in manifest.produce] == [
        (scene.farmers[4].id, 10),
        (scene.farmers[4].id, 6),
    ]


async def expect_code(code: ErrorCode, coroutine: Any) -> None:
    with pytest.raises(DomainError) as raised:
        await coroutine
    assert raised.value.code is code


async def test_only_the_people_who_need_them_read_them() -> None:
    scene = await make_scene()
    trip_id = scene.trip.id
    buyer = viewer(scene.shop.buyer)
    station_1, station_2 = scene.shop.station(1).id, scene.shop.station(2).id

    # The pick list is the dispatchers'
    await expect_code(ErrorCode.UNAUTHENTICATED, dispatch.pick_list(viewer=None, trip_id=trip_id))
    await expect_code(ErrorCode.NOT_ALLOWED, dispatch.pick_list(viewer=buyer, trip_id=trip_id))
    await expect_code(
        ErrorCode.NOT_ALLOWED, dispatch.pick_list(viewer=scene.driver, trip_id=trip_id)
    )
    # The loading plan is the dispatchers' and the trip's driver's
    await expect_code(ErrorCode.NOT_ALLOWED, dispatch.loading_plan(viewer=buyer, trip_id=trip_id))
    await expect_code(
        ErrorCode.NOT_ALLOWED, dispatch.loading_plan(viewer=scene.leader(1), trip_id=trip_id)
    )
    # A manifest is the dispatchers' and that station's leader's
    await expect_code(
        ErrorCode.NOT_ALLOWED,
        dispatch.station_manifest(viewer=scene.leader(1), trip_id=trip_id, station_id=station_2),
    )
    await expect_code(
        ErrorCode.NOT_ALLOWED,
        dispatch.station_manifest(viewer=scene.driver, trip_id=trip_id, station_id=station_1),
    )
    # An unknown trip, or a station the trip does not stop at, is NOT_FOUND
    await expect_code(ErrorCode.NOT_FOUND, dispatch.pick_list(viewer=scene.dispatcher, trip_id=999))
    await expect_code(
        ErrorCode.NOT_FOUND,
        dispatch.station_manifest(viewer=scene.dispatcher, trip_id=trip_id, station_id=9999),
    )


PICK_LIST = """
query($trip: ID!) {
  pickList(tripId: $trip) {
    trip { id }
    orderCount load { weightG }
    products { product { sku } quantity orders load { weightG chilledG } }
    crates { stopSeq station { code } temperature space units
             orders { number order { id } lines { product { sku } quantity } } }
  }
}
"""
LOADING_PLAN = """
query($trip: ID!) {
  loadingPlan(tripId: $trip) {
    steps { step position space crate { stopSeq temperature units } }
    collections { stopSeq station { code } load { weightG }
                  produce { number title quantity weightG farmer { name } } }
    legs { seq capacity { weightG } down { weightG } up { weightG } free { weightG } fill }
    fullestLeg { seq }
  }
}
"""
MANIFEST = """
query($trip: ID!, $station: ID!) {
  stationManifest(tripId: $trip, stationId: $station) {
    stopSeq station { code } handOut { weightG } takeIn { weightG }
    orders { number status pickupCode buyer { name } lines { product { name } quantity }
             order { pickupCode } }
    produce { number status title unit quantity weightG farmer { name } }
  }
}
"""
STOPS_WITH_MANIFESTS = """
query($trip: ID!) {
  trip(id: $trip) {
    stops { seq station { name }
            manifest { orders { number buyer { name } lines { product { name } quantity } }
                       produce { title quantity } } }
  }
}
"""


async def test_the_reads_over_graphql(client: httpx.AsyncClient) -> None:
    scene = await make_scene()
    dispatcher = token_for(scene.shop.dispatcher)
    trip = gid("Trip", scene.trip.id)

    picks = (await gql(client, PICK_LIST, {"trip": trip}, token=dispatcher))["data"]["pickList"]
    assert picks["orderCount"] == 5
    assert {p["product"]["sku"]: p["quantity"] for p in picks["products"]} == {
        "RICE": 11,
        "FISH": 3,
        "DUMP": 1,
    }
    assert picks["crates"][0]["station"]["code"] == scene.shop.station(1).code
    assert picks["crates"][-1]["space"] == "CHILLED" and picks["crates"][-1]["temperature"] == (
        "FROZEN"
    )

    plan = (
        await gql(client, LOADING_PLAN, {"trip": trip}, token=token_for(scene.shop.net.driver))
    )["data"]["loadingPlan"]
    assert [s["crate"]["stopSeq"] for s in plan["steps"]] == [3, 3, 2, 1, 1]
    assert plan["collections"][0]["produce"][0]["farmer"]["name"] == "徐春花"
    assert plan["fullestLeg"] == {"seq": 0}

    # The leader sees the pickup codes on the manifest (the Order itself shows them to leaders
    # and buyers); so does a dispatcher, on the manifest only
    station = gid("Station", scene.shop.station(1).id)
    variables = {"trip": trip, "station": station}
    leader = (await gql(client, MANIFEST, variables, token=token_for(scene.leaders[1])))["data"][
        "stationManifest"
    ]
    assert [o["pickupCode"] for o in leader["orders"]] == [
        scene.orders["A"].pickup_code,
        scene.orders["E"].pickup_code,
    ]
    assert leader["orders"][0]["order"]["pickupCode"] == scene.orders["A"].pickup_code
    staff = (await gql(client, MANIFEST, variables, token=dispatcher))["data"]["stationManifest"]
    # dispatchers never hand goods out: no pickup codes for them (docs/authorization.md)
    assert staff["orders"][0]["pickupCode"] is None
    assert staff["orders"][0]["order"]["pickupCode"] is None
    assert staff["handOut"]["weightG"] == 3000 + 500

    # Another station's leader is refused with a code
    body = await gql(
        client, MANIFEST, variables, token=token_for(scene.leaders[2]), expect_errors=True
    )
    assert body["data"] == {"stationManifest": None}
    assert body["errors"][0]["extensions"]["code"] == "NOT_ALLOWED"

    # A trip's stops with their manifests: a dispatcher sees every station's, a leader their own
    stops = (await gql(client, STOPS_WITH_MANIFESTS, {"trip": trip}, token=dispatcher))["data"][
        "trip"
    ]["stops"]
    assert [s["manifest"] is None for s in stops] == [True, False, False, False, False, True]
    assert [len(s["manifest"]["orders"]) for s in stops[1:5]] == [2, 1, 2, 0]
    assert [len(s["manifest"]["produce"]) for s in stops[1:5]] == [0, 1, 0, 2]
    mine = (
        await gql(client, STOPS_WITH_MANIFESTS, {"trip": trip}, token=token_for(scene.leaders[2]))
    )["data"]["trip"]["stops"]
    assert [s["manifest"] is not None for s in mine] == [False, False, True, False, False, False]


async def test_reading_every_stops_manifest_takes_the_same_statements_for_more_orders(
    client: httpx.AsyncClient,
) -> None:
    # Given the trip, read once with its orders
    scene = await make_scene()
    dispatcher = token_for(scene.shop.dispatcher)
    trip = gid("Trip", scene.trip.id)
    with statements() as few:
        await gql(client, STOPS_WITH_MANIFESTS, {"trip": trip}, token=dispatcher)

    # When more orders (of other buyers) ride it
    await SaleWindow.filter(id=scene.shop.window.id).update(cutoff_done_at=None)
    before_cutoff()
    for seq in (1, 2, 3):
        other = await make_user(Role.BUYER, name=f"买家{seq}")
        await place(scene.shop, buyer=other, station=seq, lines={"RICE": 1, "FISH": 1})
    await orders.cut_off(window_id=scene.shop.window.id)
    with statements() as more:
        body = await gql(client, STOPS_WITH_MANIFESTS, {"trip": trip}, token=dispatcher)

    # Then the same number of statements reads them
    listed = sum(
        len(s["manifest"]["orders"]) for s in body["data"]["trip"]["stops"] if s["manifest"]
    )
    assert listed == 8
    assert len(more) == len(few), more
