"""Live updates for a station's leader and for a person: the bus's delays and progress on the
trips that serve them, and a new subscriber replaying the day so far (replayToday), then live
events, without gap or repeat."""

from __future__ import annotations

import datetime as dt
from typing import Any

from tortoise.transactions import in_transaction

from builders import token_for
from builders_live import (
    EVENT_FIELDS,
    gid,
    live_server,
    make_line,
    make_user,
    place_order,
)
from cungoods.api.ids import pk_of, to_cursor
from cungoods.config import Settings
from cungoods.events import outbox
from cungoods.models import Event
from cungoods.models.enums import OrderStatus, Role

STATION_TODAY = (
    "subscription($id: ID!, $after: String) { stationUpdates(stationId: $id, after: $after, "
    f"replayToday: true) {{ {EVENT_FIELDS} }} }}"
)
MY_TODAY = f"subscription {{ myUpdates(replayToday: true) {{ {EVENT_FIELDS} }} }}"


def ids(events: list[dict[str, Any]]) -> list[int]:
    return [pk_of(event["id"], "DeliveryEvent") for event in events]


def kinds(events: list[dict[str, Any]]) -> list[str]:
    return [event["kind"] for event in events]


async def yesterdays_event(station_id: int) -> Event:
    """An event of the station recorded yesterday (its time moved back a day)."""
    async with in_transaction():
        event = await outbox.record("TRIP_DELAYED", message="yesterday", station_id=station_id)
    await Event.filter(id=event.id).update(at=event.at - dt.timedelta(days=1))
    return event


async def test_a_leader_replays_the_day_then_follows_the_bus_live(settings: Settings) -> None:
    # Given a trip through 3 stations, an order to station 2, an event of station 2 from
    # yesterday, and a morning so far: the bus left and is late
    line = await make_line(stations=3)
    leader = await make_user(Role.LEADER, station=line.station(2))
    buyer = await make_user(Role.BUYER)
    old = await yesterdays_event(line.station(2).id)
    await place_order(line, 2, buyer, status=OrderStatus.CONFIRMED)
    driver = token_for(line.driver)
    async with live_server(settings) as live:
        assert (await live.record(driver, tripId=line.trip_gid, kind="DEPARTED"))["errors"] == []
        delayed = await live.record(driver, tripId=line.trip_gid, kind="DELAYED", minutes=20)
        assert delayed["errors"] == []

        # When the leader subscribes, replaying today, and the bus goes on
        async with live.socket(token_for(leader)) as socket:
            await socket.follow("s", STATION_TODAY, {"id": gid("Station", line.station(2).id)})
            replayed = await socket.events("s", "stationUpdates", 6)
            await live.record(driver, tripId=line.trip_gid, kind="ARRIVED", stopSeq=1)
            await live.record(driver, tripId=line.trip_gid, kind="LEFT", stopSeq=1)
            following = await socket.events("s", "stationUpdates", 2)

    # Then she has had today's events of her station, the delay among them, then the live ones,
    # each once and in order, and nothing from yesterday
    assert kinds(replayed) == [
        "ORDER_PLACED",
        "ORDER_CONFIRMED",
        "TRIP_DEPARTED",
        "ORDER_LOADED",  # the departure passes it through LOADED
        "ORDER_IN_TRANSIT",
        "TRIP_DELAYED",
    ]
    assert replayed[5]["message"] == "R1 is running 20 min late"
    assert kinds(following) == ["TRIP_ARRIVED", "TRIP_LEFT"]
    seen = ids(replayed + following)
    assert seen == sorted(set(seen))
    assert old.id not in seen
    today = await Event.filter(id__gt=old.id).order_by("id").values_list("id", flat=True)
    assert seen == list(today)  # every event of today reached her station's topic: no gap


async def test_a_buyer_replays_her_day_and_the_bus_carrying_her_order(settings: Settings) -> None:
    line = await make_line(stations=2)
    buyer = await make_user(Role.BUYER)
    bystander = await make_user(Role.BUYER)
    other_line = await make_line(stations=2, code="R2")
    await place_order(line, 1, buyer, status=OrderStatus.CONFIRMED)
    driver = token_for(line.driver)
    async with live_server(settings) as live:
        await live.record(driver, tripId=line.trip_gid, kind="DEPARTED")
        await live.record(driver, tripId=line.trip_gid, kind="DELAYED", minutes=5)

        async with (
            live.socket(token_for(buyer)) as mine,
            live.socket(token_for(bystander)) as not_mine,
        ):
            await mine.follow("m", MY_TODAY)
            await not_mine.follow("n", MY_TODAY)
            replayed = await mine.events("m", "myUpdates", 6)
            await live.record(driver, tripId=line.trip_gid, kind="ARRIVED", stopSeq=1)
            live_ones = await mine.events("m", "myUpdates", 2)
            # The bystander has no goods on that bus: her stream holds none of it, only her
            # own order on another route's bus.
            await place_order(other_line, 1, bystander)
            theirs = await not_mine.events("n", "myUpdates", 1)

    assert kinds(replayed) == [
        "ORDER_PLACED",
        "ORDER_CONFIRMED",
        "TRIP_DEPARTED",
        "ORDER_LOADED",  # the departure passes it through LOADED
        "ORDER_IN_TRANSIT",
        "TRIP_DELAYED",
    ]
    assert kinds(live_ones) == ["TRIP_ARRIVED", "ORDER_AT_STATION"]
    assert ids(replayed + live_ones) == sorted(set(ids(replayed + live_ones)))
    assert kinds(theirs) == ["ORDER_PLACED"]


async def test_a_cursor_wins_over_replaying_the_day(settings: Settings) -> None:
    line = await make_line(stations=2)
    leader = await make_user(Role.LEADER, station=line.station(1))
    buyer = await make_user(Role.BUYER)
    first = await place_order(line, 1, buyer)
    await place_order(line, 1, buyer)
    after = await Event.get(order_id=first.id)
    async with live_server(settings) as live, live.socket(token_for(leader)) as socket:
        await socket.subscribe(
            "s",
            STATION_TODAY,
            {"id": gid("Station", line.station(1).id), "after": to_cursor(after.id)},
        )
        [event] = await socket.events("s", "stationUpdates", 1)

    assert pk_of(event["id"], "DeliveryEvent") == after.id + 1
