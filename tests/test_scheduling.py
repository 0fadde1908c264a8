"""Trips from timetables: `scheduleTrips` creates each dated run of a route with its stops and
legs, once, and only for a dispatcher."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from builders import gql, make_network, make_user, token_for
from cungoods.models import Leg, Route, Trip, TripStop
from cungoods.models.enums import Role
from cungoods.services import clock
from cungoods.services.scheduling import MAX_SCHEDULE_DAYS, ensure_trips
from races import holding

SHANGHAI = ZoneInfo("Asia/Shanghai")

SCHEDULE = """
mutation($input: ScheduleTripsInput!) {
  scheduleTrips(input: $input) {
    trips {
      id serviceDate departsAt status
      route { code }
      stops { seq isHub station { name } plannedAt expectedAt }
      legs { seq capacity { weightG volumeCm3 chilledG } used { weightG } }
    }
    errors { code message field }
  }
}
"""


def next_monday() -> dt.date:
    today = clock.today()
    return today + dt.timedelta(days=7 - today.weekday())


async def dispatcher_token() -> str:
    return token_for(await make_user(Role.DISPATCHER, name="调度员"))


async def schedule_trips(
    client: httpx.AsyncClient,
    route_code: str,
    start: dt.date,
    end: dt.date,
    *,
    token: str | None,
) -> dict[str, Any]:
    variables = {
        "input": {"routeCode": route_code, "from": start.isoformat(), "to": end.isoformat()}
    }
    body = await gql(client, SCHEDULE, variables, token=token)
    result: dict[str, Any] = body["data"]["scheduleTrips"]
    return result


async def row_counts() -> tuple[int, int, int]:
    return await Trip.all().count(), await TripStop.all().count(), await Leg.all().count()


def local_hhmm(iso: str) -> str:
    return dt.datetime.fromisoformat(iso).astimezone(SHANGHAI).strftime("%H:%M")


async def test_a_dispatcher_schedules_each_day_with_stops_and_legs_from_the_timetable(
    client: httpx.AsyncClient,
) -> None:
    # Given route R1: hub 06:30, three villages 20/30/40 minutes out, back at the hub after 60
    net = await make_network(
        stations=3,
        departure="06:30",
        capacity_g=1_200_000,
        capacity_cm3=9_000_000,
        chilled_g=250_000,
    )
    monday = next_monday()

    # When a dispatcher schedules Monday to Wednesday
    result = await schedule_trips(
        client, "R1", monday, monday + dt.timedelta(days=2), token=await dispatcher_token()
    )

    # Then there is one trip a day, on that local service date
    assert result["errors"] == []
    trips = result["trips"]
    assert [t["serviceDate"] for t in trips] == [
        (monday + dt.timedelta(days=i)).isoformat() for i in range(3)
    ]
    for trip in trips:
        assert trip["route"] == {"code": "R1"}
        assert trip["status"] == "SCHEDULED"
        # 06:30 in Qujiang is 22:30 UTC the evening before: the service date stays local
        departs = dt.datetime.fromisoformat(trip["departsAt"])
        assert departs.utcoffset() == dt.timedelta(hours=8)
        assert departs.astimezone(SHANGHAI).date().isoformat() == trip["serviceDate"]
        # stops: the hub, the villages in route order, the hub again, at timetable times
        stops = trip["stops"]
        assert [s["seq"] for s in stops] == [0, 1, 2, 3, 4]
        assert [s["isHub"] for s in stops] == [True, False, False, False, True]
        assert [s["station"] and s["station"]["name"] for s in stops] == [
            None,
            *(station.name for station in net.stations),
            None,
        ]
        assert [local_hhmm(s["plannedAt"]) for s in stops] == [
            "06:30",
            "06:50",
            "07:00",
            "07:10",
            "07:30",
        ]
        assert [s["expectedAt"] for s in stops] == [s["plannedAt"] for s in stops]
        # legs between consecutive stops, each with the vehicle's capacity and nothing used
        assert [leg["seq"] for leg in trip["legs"]] == [0, 1, 2, 3]
        for leg in trip["legs"]:
            assert leg["capacity"] == {
                "weightG": 1_200_000,
                "volumeCm3": 9_000_000,
                "chilledG": 250_000,
            }
            assert leg["used"] == {"weightG": 0}
    assert await row_counts() == (3, 3 * 5, 3 * 4)


async def test_scheduling_the_same_days_again_adds_nothing(client: httpx.AsyncClient) -> None:
    # Given Monday to Wednesday already scheduled
    await make_network(stations=3)
    token = await dispatcher_token()
    monday = next_monday()
    wednesday = monday + dt.timedelta(days=2)
    first = await schedule_trips(client, "R1", monday, wednesday, token=token)

    # When the dispatcher schedules the same days again
    again = await schedule_trips(client, "R1", monday, wednesday, token=token)

    # Then the same trips come back and no row was added
    assert again["errors"] == []
    assert [t["id"] for t in again["trips"]] == [t["id"] for t in first["trips"]]
    assert await row_counts() == (3, 15, 12)

    # And an overlapping range adds only the new Thursday
    overlap = await schedule_trips(
        client, "R1", monday + dt.timedelta(days=1), monday + dt.timedelta(days=3), token=token
    )
    assert [t["id"] for t in overlap["trips"][:2]] == [t["id"] for t in first["trips"][1:]]
    assert await row_counts() == (4, 20, 16)


async def test_a_route_runs_only_on_its_days_and_at_each_departure(
    client: httpx.AsyncClient,
) -> None:
    # Given a route that runs Monday, Wednesday and Friday, twice a day
    net = await make_network(stations=2)
    net.route.days_of_week = [1, 3, 5]
    net.route.departure_times = ["14:00", "06:00"]
    await net.route.save()
    monday = next_monday()

    # When a whole week is scheduled
    result = await schedule_trips(
        client, "R1", monday, monday + dt.timedelta(days=6), token=await dispatcher_token()
    )

    # Then it runs on those days only, morning then afternoon
    runs = [
        (dt.date.fromisoformat(t["serviceDate"]).isoweekday(), local_hhmm(t["departsAt"]))
        for t in result["trips"]
    ]
    assert runs == [
        (1, "06:00"),
        (1, "14:00"),
        (3, "06:00"),
        (3, "14:00"),
        (5, "06:00"),
        (5, "14:00"),
    ]
    assert await Trip.all().count() == 6


async def test_only_dispatchers_and_admins_schedule_trips(client: httpx.AsyncClient) -> None:
    # Given a route, a villager, a driver and an admin
    net = await make_network(stations=2)
    monday = next_monday()
    villager = await make_user(Role.BUYER)
    admin = await make_user(Role.ADMIN)

    # When people who may not schedule try
    refused = [
        await schedule_trips(client, "R1", monday, monday, token=None),
        await schedule_trips(client, "R1", monday, monday, token="not-a-token"),
        await schedule_trips(client, "R1", monday, monday, token=token_for(villager)),
        await schedule_trips(client, "R1", monday, monday, token=token_for(net.driver)),
    ]

    # Then each is refused with its reason, and no trip exists
    assert [[e["code"] for e in r["errors"]] for r in refused] == [
        ["UNAUTHENTICATED"],
        ["UNAUTHENTICATED"],
        ["NOT_ALLOWED"],
        ["NOT_ALLOWED"],
    ]
    assert all(r["trips"] == [] for r in refused)
    assert await row_counts() == (0, 0, 0)

    # And an admin may
    done = await schedule_trips(client, "R1", monday, monday, token=token_for(admin))
    assert done["errors"] == [] and len(done["trips"]) == 1


@pytest.mark.parametrize(
    ("route_code", "to_offset", "code", "field"),
    [
        ("R9", 0, "NOT_FOUND", ["routeCode"]),
        ("R1", -1, "INVALID_INPUT", ["to"]),
        # MAX_SCHEDULE_DAYS + 1 dates, one more than allowed
        ("R1", MAX_SCHEDULE_DAYS, "INVALID_INPUT", ["to"]),
    ],
    ids=["unknown-route", "to-before-from", "too-long"],
)
async def test_bad_requests_are_refused_and_create_nothing(
    client: httpx.AsyncClient, route_code: str, to_offset: int, code: str, field: list[str]
) -> None:
    await make_network(stations=2)
    monday = next_monday()
    end = monday + dt.timedelta(days=to_offset)

    result = await schedule_trips(client, route_code, monday, end, token=await dispatcher_token())

    assert [(e["code"], e["field"]) for e in result["errors"]] == [(code, field)]
    assert result["errors"][0]["message"]
    assert result["trips"] == []
    assert await row_counts() == (0, 0, 0)


async def test_the_longest_range_allowed_is_scheduled(client: httpx.AsyncClient) -> None:
    # Given a Sunday-only route (so the longest range stays quick to schedule)
    net = await make_network(stations=1)
    net.route.days_of_week = [7]
    await net.route.save()
    monday = next_monday()

    result = await schedule_trips(
        client,
        "R1",
        monday,
        monday + dt.timedelta(days=MAX_SCHEDULE_DAYS - 1),
        token=await dispatcher_token(),
    )

    assert result["errors"] == []
    assert len(result["trips"]) == MAX_SCHEDULE_DAYS // 7
    assert {dt.date.fromisoformat(t["serviceDate"]).isoweekday() for t in result["trips"]} == {7}


async def test_a_route_without_a_vehicle_cannot_be_scheduled(client: httpx.AsyncClient) -> None:
    net = await make_network(stations=2)
    net.route.vehicle = None
    await net.route.save()
    monday = next_monday()

    result = await schedule_trips(client, "R1", monday, monday, token=await dispatcher_token())

    assert [e["code"] for e in result["errors"]] == ["INVALID_STATE"]
    assert await row_counts() == (0, 0, 0)


@pytest.mark.parametrize("bad_date", ["2026-02-30", "06/01/2026", "next monday", ""])
async def test_a_badly_formed_date_is_a_validation_error(
    client: httpx.AsyncClient, bad_date: str
) -> None:
    await make_network(stations=2)
    variables = {"input": {"routeCode": "R1", "from": bad_date, "to": "2026-06-01"}}

    token = await dispatcher_token()

    response = await client.post(
        "/graphql",
        json={"query": SCHEDULE, "variables": variables},
        headers={"Authorization": f"Bearer {token}"},
    )

    assert response.status_code == 200
    body = response.json()
    assert body["data"] is None
    [error] = body["errors"]
    assert "Date" in error["message"]
    assert error.get("extensions", {}).get("code") != "INTERNAL"
    assert await Trip.all().count() == 0


@pytest.mark.pg_only
async def test_two_dispatchers_scheduling_at_once_make_each_trip_once() -> None:
    # Given a route, and two schedulers racing over the same week
    await make_network(stations=3)
    monday = next_monday()
    sunday = monday + dt.timedelta(days=6)

    # With the route's row locked, both find no Monday trip and insert one: the first waits
    # for the route (the foreign-key check of its trip), the second for the first's trip (the
    # unique run); then both go on
    async with holding(Route, code="R1") as race:
        racers = race.start(
            ensure_trips(route_code="R1", start=monday, end=sunday) for _ in range(2)
        )
        await race.blocked(2)
    first, second = await asyncio.gather(*racers)

    # Then both see the same seven trips, each with its stops and legs once
    assert [t.id for t in first] == [t.id for t in second]
    assert await row_counts() == (7, 7 * 5, 7 * 4)
