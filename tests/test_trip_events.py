"""recordTripEvent: a trip runs stop by stop, in order, reported by its driver or a dispatcher,
and each event moves what is on board, with an outbox event for every change."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

import httpx
import pytest

from builders import gql, token_for
from builders_live import (
    RECORD,
    Line,
    buy_produce,
    gid,
    make_line,
    make_user,
    place_order,
    statements,
    stops_of,
)
from cungoods.models import Event, EventTopic, Leg, Order, ProducePurchase, Trip
from cungoods.models.enums import OrderStatus, PurchaseStatus, Role, TripStatus
from cungoods.services import trips
from cungoods.services.auth import Viewer
from cungoods.services.capacity import invariant_violations
from cungoods.services.errors import DomainError, ErrorCode
from races import holding


async def record(
    client: httpx.AsyncClient, token: str | None, line: Line, kind: str, **fields: Any
) -> dict[str, Any]:
    body = await gql(
        client, RECORD, {"input": {"tripId": line.trip_gid, "kind": kind, **fields}}, token=token
    )
    payload: dict[str, Any] = body["data"]["recordTripEvent"]
    return payload


def codes(payload: dict[str, Any]) -> list[tuple[str, list[str] | None]]:
    return [(error["code"], error["field"]) for error in payload["errors"]]


async def statuses(model: type[Order] | type[ProducePurchase], *rows: Any) -> list[str]:
    found = {row.id: row.status.value for row in await model.filter(id__in=[r.id for r in rows])}
    return [found[row.id] for row in rows]


async def snapshot(line: Line) -> tuple[Any, ...]:
    """Everything a trip event may change."""
    trip = await Trip.get(id=line.trip.id)
    stops = [(s.seq, s.expected_at, s.arrived_at, s.departed_at) for s in await stops_of(line.trip)]
    orders = sorted(await Order.all().values_list("id", "status"))
    purchases = sorted(await ProducePurchase.all().values_list("id", "status"))
    return trip.status, trip.delay_minutes, stops, orders, purchases, await Event.all().count()


async def test_a_trip_runs_stop_by_stop_and_moves_what_is_on_board(
    client: httpx.AsyncClient,
) -> None:
    # Given a trip through 3 stations with orders to stations 1 and 2, produce at station 1
    # handed over, produce at station 2 never handed over, and an order the cutoff never confirmed
    line = await make_line(stations=3)
    buyer = await make_user(Role.BUYER)
    farmer = await make_user(Role.FARMER, station=line.station(1))
    to_1 = await place_order(line, 1, buyer, status=OrderStatus.CONFIRMED)
    to_1_loaded = await place_order(line, 1, buyer, status=OrderStatus.LOADED)
    to_2 = await place_order(line, 2, buyer, status=OrderStatus.CONFIRMED)
    unconfirmed = await place_order(line, 2, buyer)
    from_1 = await buy_produce(line, 1, buyer, farmer, status=PurchaseStatus.HANDED_OVER)
    from_2 = await buy_produce(line, 2, buyer, farmer)
    orders = (to_1, to_1_loaded, to_2, unconfirmed)
    driver = token_for(line.driver)
    first_event = await Event.all().count()

    # When the bus leaves the hub
    departed = await record(client, driver, line, "DEPARTED")
    # Then the trip is under way and the confirmed and loaded orders are on board
    assert departed["errors"] == []
    assert departed["trip"]["status"] == "IN_PROGRESS"
    assert departed["trip"]["stops"][0]["departedAt"] is not None
    assert await statuses(Order, *orders) == ["IN_TRANSIT", "IN_TRANSIT", "IN_TRANSIT", "PLACED"]

    # When it arrives at station 1: its orders are there, station 2's still on board
    await record(client, driver, line, "ARRIVED", stopSeq=1)
    assert await statuses(Order, *orders) == ["AT_STATION", "AT_STATION", "IN_TRANSIT", "PLACED"]
    assert await statuses(ProducePurchase, from_1, from_2) == ["HANDED_OVER", "RESERVED"]

    # When it leaves station 1: the produce handed over there rides to the hub
    await record(client, driver, line, "LEFT", stopSeq=1)
    assert await statuses(ProducePurchase, from_1, from_2) == ["IN_TRANSIT", "RESERVED"]

    # When it calls at stations 2 and 3
    for seq in (2, 3):
        assert (await record(client, driver, line, "ARRIVED", stopSeq=seq))["errors"] == []
        assert (await record(client, driver, line, "LEFT", stopSeq=seq))["errors"] == []
    assert await statuses(Order, *orders) == ["AT_STATION", "AT_STATION", "AT_STATION", "PLACED"]
    # produce never handed over does not stay booked on a bus that has left: with no later
    # trip to move to, it is cancelled (tests/test_no_shows.py: moved, refunded)
    assert await statuses(ProducePurchase, from_1, from_2) == ["IN_TRANSIT", "CANCELLED"]

    # When it is back at the hub and completes
    back = await record(client, driver, line, "ARRIVED", stopSeq=line.last_seq)
    assert back["trip"]["stops"][-1]["arrivedAt"] is not None
    assert await statuses(ProducePurchase, from_1, from_2) == ["AT_HUB", "CANCELLED"]
    completed = await record(client, driver, line, "COMPLETED")
    assert completed["errors"] == []
    assert completed["trip"]["status"] == "COMPLETED"

    # Then every change has its event, in the order it happened
    events = await Event.filter(id__gt=first_event).order_by("id")
    assert [(e.kind, e.stop_seq, e.order_id or e.purchase_id) for e in events] == [
        ("TRIP_DEPARTED", 0, None),
        ("ORDER_LOADED", 0, to_1.id),  # nobody marked it loaded: the departure does
        ("ORDER_LOADED", 0, to_2.id),
        ("ORDER_IN_TRANSIT", 0, to_1.id),
        ("ORDER_IN_TRANSIT", 0, to_1_loaded.id),
        ("ORDER_IN_TRANSIT", 0, to_2.id),
        ("TRIP_ARRIVED", 1, None),
        ("ORDER_AT_STATION", 1, to_1.id),
        ("ORDER_AT_STATION", 1, to_1_loaded.id),
        ("TRIP_LEFT", 1, None),
        ("PURCHASE_IN_TRANSIT", 1, from_1.id),
        ("TRIP_ARRIVED", 2, None),
        ("ORDER_AT_STATION", 2, to_2.id),
        ("TRIP_LEFT", 2, None),
        ("PURCHASE_CANCELLED", None, from_2.id),
        ("TRIP_ARRIVED", 3, None),
        ("TRIP_LEFT", 3, None),
        ("TRIP_ARRIVED", 4, None),
        ("PURCHASE_AT_HUB", 4, from_1.id),
        ("TRIP_COMPLETED", None, None),
    ]


async def test_each_event_reaches_the_topics_of_those_concerned(client: httpx.AsyncClient) -> None:
    # Given an order and produce at station 1
    line = await make_line(stations=2)
    buyer = await make_user(Role.BUYER)
    farmer = await make_user(Role.FARMER, station=line.station(1))
    order = await place_order(line, 1, buyer, status=OrderStatus.CONFIRMED)
    purchase = await buy_produce(line, 1, buyer, farmer, status=PurchaseStatus.HANDED_OVER)
    driver = token_for(line.driver)
    first_event = await Event.all().count()

    # When the bus departs, calls at station 1 and leaves it
    for kind, seq in (("DEPARTED", None), ("ARRIVED", 1), ("LEFT", 1)):
        assert (await record(client, driver, line, kind, stopSeq=seq))["errors"] == []

    # Then trip events go to the trip, to every station it serves and to the people whose
    # goods it carries (issue 13); order and purchase events go to the order or purchase, its
    # station and its people, never to the trip topic
    trip, station = f"trip:{line.trip.id}", f"station:{line.station(1).id}"
    served = {trip, station, f"station:{line.station(2).id}", f"user:{buyer.id}"}
    expected = {
        "TRIP_DEPARTED": served,
        "ORDER_LOADED": {f"order:{order.id}", station, f"user:{buyer.id}"},
        "ORDER_IN_TRANSIT": {f"order:{order.id}", station, f"user:{buyer.id}"},
        "TRIP_ARRIVED": served,
        "ORDER_AT_STATION": {f"order:{order.id}", station, f"user:{buyer.id}"},
        "TRIP_LEFT": served,
        "PURCHASE_IN_TRANSIT": {
            f"purchase:{purchase.id}",
            station,
            f"user:{buyer.id}",
            f"user:{farmer.id}",
        },
    }
    events = await Event.filter(id__gt=first_event).order_by("id")
    assert [event.kind for event in events] == list(expected)
    for event in events:
        topics = set(await EventTopic.filter(event_id=event.id).values_list("topic", flat=True))
        assert topics == expected[event.kind], event.kind


async def test_events_out_of_order_are_refused_and_change_nothing(
    client: httpx.AsyncClient,
) -> None:
    # Given a trip with an order on board
    line = await make_line(stations=3)
    buyer = await make_user(Role.BUYER)
    await place_order(line, 2, buyer, status=OrderStatus.CONFIRMED)
    driver = token_for(line.driver)

    async def refused(kind: str, reason: str, *, by: str | None = None, **fields: Any) -> None:
        before = await snapshot(line)
        payload = await record(client, by or driver, line, kind, **fields)
        assert payload["trip"] is None, reason
        assert codes(payload) == [("INVALID_STATE", None)], reason
        assert await snapshot(line) == before, reason

    # Before departure, nothing but a departure, a delay or a cancellation
    await refused("ARRIVED", "arriving before departing", stopSeq=1)
    await refused("LEFT", "leaving before departing", stopSeq=1)
    await refused("COMPLETED", "completing before departing")

    assert (await record(client, driver, line, "DEPARTED"))["errors"] == []
    await refused("DEPARTED", "departing twice")
    await refused("ARRIVED", "arriving at stop 2 before stop 1", stopSeq=2)
    await refused("LEFT", "leaving a stop not yet reached", stopSeq=1)
    await refused("COMPLETED", "completing on the way")

    assert (await record(client, driver, line, "ARRIVED", stopSeq=1))["errors"] == []
    await refused("ARRIVED", "arriving twice", stopSeq=1)
    await refused("ARRIVED", "arriving at stop 2 before stop 1 is left", stopSeq=2)

    assert (await record(client, driver, line, "LEFT", stopSeq=1))["errors"] == []
    await refused("LEFT", "leaving twice", stopSeq=1)
    await refused("ARRIVED", "arriving at stop 3 before stop 2", stopSeq=3)

    # After the run is over, nothing at all
    for seq in (2, 3):
        await record(client, driver, line, "ARRIVED", stopSeq=seq)
        await record(client, driver, line, "LEFT", stopSeq=seq)
    await record(client, driver, line, "ARRIVED", stopSeq=line.last_seq)
    assert (await record(client, driver, line, "COMPLETED"))["errors"] == []
    await refused("DELAYED", "a delay after the end", minutes=5)
    # (only a dispatcher may cancel a trip at all)
    await refused("CANCELLED", "cancelling a completed trip", by=token_for(line.dispatcher))
    await refused("COMPLETED", "completing twice")


async def test_only_the_trip_s_driver_or_a_dispatcher_reports_its_events(
    client: httpx.AsyncClient,
) -> None:
    # Given a trip, another route's driver, a buyer and the station's leader
    line = await make_line(stations=2)
    other_driver = await make_user(Role.DRIVER)
    buyer = await make_user(Role.BUYER)
    leader = await make_user(Role.LEADER, station=line.station(1))
    before = await snapshot(line)

    # When anyone else reports a departure, it is refused and nothing changes
    for user in (other_driver, buyer, leader):
        payload = await record(client, token_for(user), line, "DEPARTED")
        assert codes(payload) == [("NOT_ALLOWED", None)]
    anonymous = await record(client, None, line, "DEPARTED")
    assert codes(anonymous) == [("UNAUTHENTICATED", None)]
    assert await snapshot(line) == before

    # Then the driver may, and so may a dispatcher
    assert (await record(client, token_for(line.driver), line, "DEPARTED"))["errors"] == []
    dispatched = await record(client, token_for(line.dispatcher), line, "ARRIVED", stopSeq=1)
    assert dispatched["errors"] == []


async def test_bad_input_gets_coded_errors_and_changes_nothing(client: httpx.AsyncClient) -> None:
    line = await make_line(stations=2)
    driver = token_for(line.driver)
    before = await snapshot(line)
    cases: list[tuple[dict[str, Any], tuple[str, list[str] | None]]] = [
        ({"tripId": gid("Trip", 999)}, ("NOT_FOUND", ["tripId"])),
        ({"tripId": "not-an-id"}, ("INVALID_INPUT", ["tripId"])),
        ({"tripId": gid("Station", line.station(1).id)}, ("INVALID_INPUT", ["tripId"])),
        ({"stopSeq": 2}, ("INVALID_INPUT", ["stopSeq"])),
        ({"kind": "DELAYED"}, ("INVALID_INPUT", ["minutes"])),
        ({"kind": "DELAYED", "minutes": 0}, ("INVALID_INPUT", ["minutes"])),
        ({"kind": "DELAYED", "minutes": 24 * 60 + 1}, ("INVALID_INPUT", ["minutes"])),
        ({"kind": "DELAYED", "minutes": 5, "stopSeq": 9}, ("INVALID_INPUT", ["stopSeq"])),
        ({"kind": "DELAYED", "minutes": 5, "note": "x" * 201}, ("INVALID_INPUT", ["note"])),
        ({"kind": "ARRIVED"}, ("INVALID_INPUT", ["stopSeq"])),
        ({"kind": "ARRIVED", "stopSeq": 0}, ("INVALID_INPUT", ["stopSeq"])),
        ({"kind": "ARRIVED", "stopSeq": line.last_seq + 1}, ("INVALID_INPUT", ["stopSeq"])),
        # the last stop is the hub: the bus arrives there, it does not "leave" it
        ({"kind": "LEFT", "stopSeq": line.last_seq}, ("INVALID_INPUT", ["stopSeq"])),
    ]
    for fields, error in cases:
        variables = {"tripId": line.trip_gid, "kind": "DEPARTED", **fields}
        body = await gql(client, RECORD, {"input": variables}, token=driver)
        payload = body["data"]["recordTripEvent"]
        assert codes(payload) == [error], fields
    assert await snapshot(line) == before


async def test_a_delay_moves_the_stops_ahead_and_adds_up(client: httpx.AsyncClient) -> None:
    # Given a bus that has called at station 1
    line = await make_line(stations=3)
    driver = token_for(line.driver)
    await record(client, driver, line, "DEPARTED")
    await record(client, driver, line, "ARRIVED", stopSeq=1)
    planned = [stop.expected_at for stop in await stops_of(line.trip)]

    # When the driver reports 15 minutes late, then 5 more
    late = await record(client, driver, line, "DELAYED", minutes=15, note="修路", stopSeq=1)
    await record(client, driver, line, "DELAYED", minutes=5)

    # Then the stops it has reached keep their times and the stops ahead move by 20 minutes
    assert late["errors"] == []
    assert late["trip"]["delayMinutes"] == 15
    expected = [stop.expected_at for stop in await stops_of(line.trip)]
    shift = [
        round((after - before) / dt.timedelta(minutes=1))
        for before, after in zip(planned, expected, strict=True)
    ]
    assert shift == [0, 0, 20, 20, 20]
    trip = await Trip.get(id=line.trip.id)
    assert (trip.delay_minutes, trip.status) == (20, TripStatus.IN_PROGRESS)
    delays = await Event.filter(kind="TRIP_DELAYED").order_by("id")
    assert [(e.stop_seq, e.message) for e in delays] == [
        (1, "R1 is running 15 min late: 修路"),
        (None, "R1 is running 5 min late"),
    ]


async def test_a_delay_before_departure_moves_every_stop(client: httpx.AsyncClient) -> None:
    line = await make_line(stations=2)
    planned = [stop.expected_at for stop in await stops_of(line.trip)]

    payload = await record(client, token_for(line.dispatcher), line, "DELAYED", minutes=30)

    assert payload["errors"] == []
    assert payload["trip"]["status"] == "SCHEDULED"
    moved = [stop.expected_at for stop in await stops_of(line.trip)]
    assert [after - before for before, after in zip(planned, moved, strict=True)] == [
        dt.timedelta(minutes=30)
    ] * 4


async def test_cancelling_a_trip_gives_back_what_no_other_trip_can_take(
    client: httpx.AsyncClient,
) -> None:
    # Given the only trip of a route, with a confirmed order and produce reserved on it
    line = await make_line(stations=2)
    buyer = await make_user(Role.BUYER)
    farmer = await make_user(Role.FARMER, station=line.station(1))
    order = await place_order(line, 1, buyer, status=OrderStatus.CONFIRMED)
    purchase = await buy_produce(line, 1, buyer, farmer)

    # When a dispatcher cancels it
    payload = await record(client, token_for(line.dispatcher), line, "CANCELLED", note="车辆故障")

    # Then the trip is cancelled and its followers are told; with no later trip to move to,
    # the order and the purchase are cancelled and the bus's room is given back
    assert payload["errors"] == []
    assert payload["trip"]["status"] == "CANCELLED"
    assert await statuses(Order, order) == ["CANCELLED"]
    assert await statuses(ProducePurchase, purchase) == ["CANCELLED"]
    assert set(await Leg.filter(trip_id=line.trip.id).values_list("used_g", flat=True)) == {0}
    assert await invariant_violations() == []
    cancelled = await Event.get(kind="TRIP_CANCELLED")
    assert cancelled.message == "R1 is cancelled: 车辆故障"
    assert await Event.filter(kind="ORDER_CANCELLED", order_id=order.id).exists()
    assert codes(await record(client, token_for(line.driver), line, "DEPARTED")) == [
        ("INVALID_STATE", None)
    ]


async def test_a_stop_s_orders_move_in_one_update_whatever_their_number(
    client: httpx.AsyncClient,
) -> None:
    # Given 12 orders on board for station 1
    line = await make_line(stations=1)
    buyers = [await make_user(Role.BUYER) for _ in range(3)]
    for n in range(12):
        await place_order(line, 1, buyers[n % 3], status=OrderStatus.CONFIRMED, weight_g=100)
    driver = Viewer.of(line.driver)
    await trips.record_trip_event(viewer=driver, trip_id=line.trip.id, kind="DEPARTED")

    # When the bus arrives there
    with statements() as sql:
        await trips.record_trip_event(
            viewer=driver, trip_id=line.trip.id, kind="ARRIVED", stop_seq=1
        )

    # Then one UPDATE moves all twelve (and each gets its event)
    order_updates = [s for s in sql if s.lstrip().upper().startswith('UPDATE "CG_ORDER"')]
    assert len(order_updates) == 1, order_updates
    assert await Order.filter(status=OrderStatus.AT_STATION).count() == 12
    assert await Event.filter(kind="ORDER_AT_STATION").count() == 12


async def test_the_service_refuses_an_unknown_kind() -> None:
    with pytest.raises(ValueError):
        await trips.record_trip_event(viewer=Viewer(id=1), trip_id=1, kind="FLEW")


@pytest.mark.pg_only
async def test_driver_and_dispatcher_reporting_the_same_arrival_at_once_apply_it_once() -> None:
    # Given a bus on its way to station 1 with two orders for it
    line = await make_line(stations=2)
    buyer = await make_user(Role.BUYER)
    for _ in range(2):
        await place_order(line, 1, buyer, status=OrderStatus.CONFIRMED)
    driver, dispatcher = Viewer.of(line.driver), Viewer.of(line.dispatcher)
    await trips.record_trip_event(viewer=driver, trip_id=line.trip.id, kind="DEPARTED")

    # When both report the arrival at the same moment
    async def arrive(viewer: Viewer) -> str:
        try:
            await trips.record_trip_event(
                viewer=viewer, trip_id=line.trip.id, kind="ARRIVED", stop_seq=1
            )
        except DomainError as error:
            return error.code.value
        return "OK"

    # (each report waits for the trip's row, locked here, inside its transaction; then all go)
    async with holding(Trip, id=line.trip.id) as race:
        racers = race.start(arrive(v) for v in (driver, dispatcher) * 4)
        await race.blocked(8)
    outcomes = await asyncio.gather(*racers)

    # Then exactly one applies it, the others are told it already happened
    assert sorted(outcomes) == [ErrorCode.INVALID_STATE.value] * 7 + ["OK"]
    assert await Event.filter(kind="TRIP_ARRIVED").count() == 1
    assert await Event.filter(kind="ORDER_AT_STATION").count() == 2
