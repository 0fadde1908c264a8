"""Issue 13 at the villages: a farmer who never hands over, goods nobody picks up, and the
guards on running a trip (its service date, LOADED, the hub receipt only once the bus is back).
Money is checked to the fen, capacity by the legs, both invariants at the end."""

from __future__ import annotations

import datetime as dt
from typing import Any

import httpx

from builders import gql, moves_name_the_trip_they_left, token_for
from builders_dispatch import Scene, make_scene
from builders_orders import ORDER_DAY, SERVICE_DATE, set_clock
from cungoods.api.ids import to_global_id
from cungoods.models import (
    Event,
    EventTopic,
    Leg,
    Order,
    ProduceListing,
    ProducePurchase,
    Shipment,
    Trip,
)
from cungoods.models.enums import (
    AccountKind,
    OrderStatus,
    PaymentStatus,
    PurchaseStatus,
    ShipmentState,
    TripStatus,
)
from cungoods.services import capacity, orders, purchases, returns, trips
from cungoods.services.money import ledger

RECORD = """
mutation($input: RecordTripEventInput!) {
  recordTripEvent(input: $input) { trip { status } errors { code field message } }
}"""
MARK_LOADED = """
mutation($input: MarkLoadedInput!) {
  markLoaded(input: $input) { trip { status } errors { code field message } }
}"""
OVERDUE = """
query { overdueProduce(first: 10) { totalCount edges { node { id status } } } }
"""


async def run(scene: Scene, trip: Trip, *steps: tuple[str, int | None]) -> None:
    for kind, seq in steps:
        await trips.record_trip_event(
            viewer=scene.dispatcher, trip_id=trip.id, kind=kind, stop_seq=seq
        )


def whole_run(last: int) -> list[tuple[str, int | None]]:
    steps: list[tuple[str, int | None]] = [("DEPARTED", None)]
    for seq in range(1, last):
        steps += [("ARRIVED", seq), ("LEFT", seq)]
    return steps + [("ARRIVED", last)]


async def trips_of(scene: Scene) -> list[Trip]:
    return await Trip.filter(route_id=scene.trip.route_id).order_by("service_date")


async def up_used(trip_id: int) -> list[int]:
    """Per leg, the grams reserved going up (produce, returns)."""
    legs = await Leg.filter(trip_id=trip_id).order_by("seq")
    live = await Shipment.filter(trip_id=trip_id, state=ShipmentState.RESERVED, direction="UP")
    return [sum(s.weight_g for s in live if s.from_seq <= leg.seq < s.to_seq) for leg in legs]


async def invariants_hold() -> None:
    assert await capacity.invariant_violations() == []
    assert await ledger.invariant_violations() == []


# --- the farmer who never hands over --------------------------------------------------------


async def test_produce_never_handed_over_moves_to_the_next_bus_or_is_refunded() -> None:
    scene = await make_scene(days=2)
    today, tomorrow = await trips_of(scene)
    set_clock(SERVICE_DATE, "06:00")
    buyer = scene.shop.buyer
    p1, p2, p3 = (scene.purchases[name] for name in ("P1", "P2", "P3"))
    wallet = await ledger.balance_of(AccountKind.BUYER_WALLET, buyer.id)
    p3_sold_before = (await ProduceListing.get(id=p3.listing_id)).sold

    # The bus calls at stations 1 and 2 and leaves station 2 without P2 (never handed over)
    await run(scene, today, ("DEPARTED", None), ("ARRIVED", 1), ("LEFT", 1), ("ARRIVED", 2))
    before_left = await up_used(today.id)
    await run(scene, today, ("LEFT", 2))

    # Then P2 rides tomorrow's bus (ready until tomorrow): released here, reserved there
    moved = await ProducePurchase.get(id=p2.id)
    assert (moved.status, moved.trip_id) == (PurchaseStatus.RESERVED, tomorrow.id)
    assert (await Shipment.get(id=p2.shipment_id)).state is ShipmentState.RELEASED
    p2_g = (await Shipment.get(id=moved.shipment_id)).weight_g
    after_left = await up_used(today.id)
    assert [b - a for b, a in zip(before_left, after_left, strict=True)] == [
        p2_g if 2 <= seq < 5 else 0 for seq in range(len(before_left))
    ]
    told = await Event.filter(purchase_id=p2.id).order_by("-id").first()
    assert told is not None and "not handed over" in told.message
    topics = set(await EventTopic.filter(event_id=told.id).values_list("topic", flat=True))
    assert {f"user:{buyer.id}", f"user:{scene.farmers[2].id}"} <= topics

    # When it leaves station 4 with neither of the farmer's two purchases handed over
    await run(scene, today, ("ARRIVED", 3), ("LEFT", 3), ("ARRIVED", 4), ("LEFT", 4))

    # Then P1 moves to tomorrow, and P3 (ready until today only) is cancelled: refunded to the
    # fen, its stock back on the listing, its room released
    assert (await ProducePurchase.get(id=p1.id)).trip_id == tomorrow.id
    cancelled = await ProducePurchase.get(id=p3.id)
    assert cancelled.status is PurchaseStatus.CANCELLED
    assert cancelled.payment_status is PaymentStatus.REFUNDED
    assert cancelled.refunded_fen == cancelled.paid_fen == p3.total_fen
    assert await ledger.balance_of(AccountKind.BUYER_WALLET, buyer.id) == wallet + p3.total_fen
    listing = await ProduceListing.get(id=p3.listing_id)
    assert listing.sold == p3_sold_before - p3.quantity
    # and nothing is left booked going up on the bus that has left the villages
    assert await up_used(today.id) == [0] * len(after_left)
    assert not await ProducePurchase.filter(trip_id=today.id, status=PurchaseStatus.RESERVED)
    await invariants_hold()


# --- goods nobody picks up -------------------------------------------------------------------


async def test_an_order_nobody_picks_up_rides_back_and_is_refunded_at_the_hub(
    client: httpx.AsyncClient,
) -> None:
    scene = await make_scene(days=4)
    first, _, _, fourth = await trips_of(scene)
    buyer = scene.shop.buyer
    a, e = scene.orders["A"], scene.orders["E"]  # both to station 1
    set_clock(SERVICE_DATE, "06:00")
    await run(scene, first, *whole_run(5))
    picked = await orders.confirm_pickup(
        viewer=scene.leader(1), order_id=e.id, pickup_code=e.pickup_code
    )
    assert picked.status is OrderStatus.PICKED_UP
    wallet = await ledger.balance_of(AccountKind.BUYER_WALLET, buyer.id)

    # Within the grace period nothing happens
    set_clock(SERVICE_DATE + dt.timedelta(days=1), "07:00")
    assert await returns.sweep(now=returns.clock.now()) == (0, 0)

    # Past it, every order still waiting (A among them) goes back to the hub on the next bus
    # that still passes its station
    set_clock(SERVICE_DATE + dt.timedelta(days=2), "07:00")
    waiting = await Order.filter(status=OrderStatus.AT_STATION).count()
    assert waiting == len(scene.confirmed) - 1
    returned = await Order.filter(status=OrderStatus.AT_STATION)
    assert (await returns.sweep(now=returns.clock.now()))[0] == waiting
    back = await Order.get(id=a.id)
    assert back.status is OrderStatus.RETURNED
    assert back.trip_id == fourth.id  # the 2 December bus has passed the station already
    ride = await Shipment.get(id=back.shipment_id)
    assert (ride.direction, ride.from_seq, ride.to_seq, ride.state) == ("UP", 1, 5, "RESERVED")
    assert (await Shipment.get(id=a.shipment_id)).state is ShipmentState.RELEASED
    assert (await Order.get(id=e.id)).status is OrderStatus.PICKED_UP  # handed out: stays
    assert await returns.sweep(now=returns.clock.now()) == (0, 0)  # once
    # and each return's event names the trip the order left, as do the moves of P1 and P2
    # (never handed over: they went on to the next bus as this one left their stations)
    assert await moves_name_the_trip_they_left() == waiting + 2

    # When that bus is back at the hub, A is refunded to the fen and its room released
    set_clock(SERVICE_DATE + dt.timedelta(days=3), "06:00")
    await run(scene, fourth, *whole_run(5))
    done = await Order.get(id=a.id)
    assert (done.status, done.payment_status) == (OrderStatus.RETURNED, PaymentStatus.REFUNDED)
    assert done.refunded_fen == done.paid_fen == a.total_fen
    # (the same buyer placed every order: each returned one is refunded in full)
    refunded = sum(order.total_fen for order in returned)
    assert await ledger.balance_of(AccountKind.BUYER_WALLET, buyer.id) == wallet + refunded
    assert (await Shipment.get(id=done.shipment_id)).state is ShipmentState.RELEASED
    assert not await Order.filter(status=OrderStatus.AT_STATION, trip_id=first.id)
    await invariants_hold()


async def test_produce_left_at_the_hub_is_flagged_once_for_the_dispatcher(
    client: httpx.AsyncClient,
) -> None:
    scene = await make_scene(days=1)
    set_clock(SERVICE_DATE, "06:00")
    p1 = scene.purchases["P1"]
    await run(scene, scene.trip, ("DEPARTED", None))
    for seq in (1, 2, 3):
        await run(scene, scene.trip, ("ARRIVED", seq), ("LEFT", seq))
    await run(scene, scene.trip, ("ARRIVED", 4))
    await purchases.confirm_handover(viewer=scene.leader(4), purchase_id=p1.id, quantity=10)
    await run(scene, scene.trip, ("LEFT", 4), ("ARRIVED", 5))
    assert (await ProducePurchase.get(id=p1.id)).status is PurchaseStatus.AT_HUB
    dispatcher = token_for(scene.shop.dispatcher)

    set_clock(SERVICE_DATE + dt.timedelta(days=2), "07:00")
    waiting = await Order.filter(status=OrderStatus.AT_STATION).count()
    assert await returns.sweep(now=returns.clock.now()) == (waiting, 1)
    assert await returns.sweep(now=returns.clock.now()) == (0, 0)

    listed = (await gql(client, OVERDUE, token=dispatcher))["data"]["overdueProduce"]
    assert listed["totalCount"] == 1
    assert listed["edges"][0]["node"]["status"] == "AT_HUB"
    flag = await Event.get(kind="PRODUCE_UNCOLLECTED", purchase_id=p1.id)
    topics = set(await EventTopic.filter(event_id=flag.id).values_list("topic", flat=True))
    assert f"user:{scene.shop.buyer.id}" in topics
    refused = await gql(client, OVERDUE, token=token_for(scene.shop.buyer), expect_errors=True)
    assert [e["extensions"]["code"] for e in refused["errors"]] == ["NOT_ALLOWED"]


# --- guards ----------------------------------------------------------------------------------


async def record(client: httpx.AsyncClient, token: str, trip: Trip, kind: str) -> dict[str, Any]:
    body = await gql(
        client,
        RECORD,
        {"input": {"tripId": _gid(trip), "kind": kind}},
        token=token,
    )
    payload: dict[str, Any] = body["data"]["recordTripEvent"]
    return payload


def _gid(trip: Trip) -> str:
    return to_global_id("Trip", trip.id)


async def test_a_trip_runs_on_its_service_date_from_the_evening_before(
    client: httpx.AsyncClient,
) -> None:
    scene = await make_scene(days=2)
    _, tomorrow = await trips_of(scene)
    driver = token_for(scene.shop.net.driver)
    events = await Event.all().count()

    # The morning before, neither today's trip nor tomorrow's may depart
    set_clock(ORDER_DAY, "10:00")
    early = await record(client, driver, scene.trip, "DEPARTED")
    assert [e["code"] for e in early["errors"]] == ["INVALID_STATE"]
    # the evening before, today's trip may be loaded, tomorrow's may not run
    set_clock(ORDER_DAY, "18:30")
    loaded = (
        await gql(client, MARK_LOADED, {"input": {"tripId": _gid(scene.trip)}}, token=driver)
    )["data"]["markLoaded"]
    assert loaded["errors"] == []
    ahead = await record(client, driver, tomorrow, "DEPARTED")
    assert [e["code"] for e in ahead["errors"]] == ["INVALID_STATE"]
    assert (await Trip.get(id=tomorrow.id)).status is TripStatus.SCHEDULED
    statuses = {o.status for o in await Order.filter(trip_id=scene.trip.id)}
    assert statuses == {OrderStatus.LOADED, OrderStatus.CANCELLED}
    # the refusals changed nothing: only the loading wrote events (one per order, the trip's)
    loaded_orders = await Order.filter(trip_id=scene.trip.id, status=OrderStatus.LOADED).count()
    assert await Event.all().count() == events + loaded_orders + 1
    # a dispatcher may still cancel tomorrow's trip any time
    cancelled = await trips.record_trip_event(
        viewer=scene.dispatcher, trip_id=tomorrow.id, kind="CANCELLED"
    )
    assert cancelled.status is TripStatus.CANCELLED


async def test_mark_loaded_is_for_the_driver_or_a_dispatcher_before_departure(
    client: httpx.AsyncClient,
) -> None:
    scene = await make_scene()
    set_clock(SERVICE_DATE, "05:30")
    trip = {"input": {"tripId": _gid(scene.trip)}}

    buyer = (await gql(client, MARK_LOADED, trip, token=token_for(scene.shop.buyer)))["data"]
    assert [e["code"] for e in buyer["markLoaded"]["errors"]] == ["NOT_ALLOWED"]
    assert not await Order.filter(trip_id=scene.trip.id, status=OrderStatus.LOADED)

    await run(scene, scene.trip, ("DEPARTED", None))
    late = await gql(client, MARK_LOADED, trip, token=token_for(scene.shop.dispatcher))
    assert [e["code"] for e in late["data"]["markLoaded"]["errors"]] == ["INVALID_STATE"]
    # the departure itself passed every confirmed order through LOADED
    for order in scene.confirmed:
        kinds = await Event.filter(order_id=order.id).values_list("kind", flat=True)
        assert "ORDER_LOADED" in kinds and kinds.index("ORDER_LOADED") < kinds.index(
            "ORDER_IN_TRANSIT"
        )


async def test_the_hub_receives_produce_only_once_the_bus_is_back() -> None:
    scene = await make_scene()
    set_clock(SERVICE_DATE, "06:00")
    p1 = scene.purchases["P1"]
    await run(scene, scene.trip, ("DEPARTED", None))
    for seq in (1, 2, 3):
        await run(scene, scene.trip, ("ARRIVED", seq), ("LEFT", seq))
    await run(scene, scene.trip, ("ARRIVED", 4))
    await purchases.confirm_handover(viewer=scene.leader(4), purchase_id=p1.id, quantity=10)

    try:
        await purchases.confirm_hub_receipt(viewer=scene.dispatcher, purchase_id=p1.id)
        raise AssertionError("the hub took in produce still in the village")
    except purchases.DomainError as error:
        assert error.code.value == "INVALID_STATE"
    assert (await ProducePurchase.get(id=p1.id)).status is PurchaseStatus.HANDED_OVER
