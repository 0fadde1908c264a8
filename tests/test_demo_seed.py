"""The demo county: what `cungoods seed --demo` builds, and that running it twice changes
nothing."""

from __future__ import annotations

import datetime as dt

import httpx

from builders import gql
from cungoods.models import Hub, Leg, Route, RouteStop, Station, Trip, TripStop, User, Vehicle
from cungoods.seed.demo import seed_demo
from cungoods.services import clock

ROUTES = """
{ routes { code vehicle { plate capacity { weightG } } stops { station { name township } } } }
"""
LOGIN = """
mutation($p: String!) {
  login(input: {phone: $p, password: "demo-pass"}) {
    user { roles station { code } } errors { code }
  }
}
"""


async def _counts() -> dict[str, int]:
    return {
        model.__name__: await model.all().count()
        for model in (Hub, Vehicle, Station, Route, RouteStop, User, Trip, TripStop, Leg)
    }


async def test_the_demo_county_has_six_routes_through_150_stations(
    client: httpx.AsyncClient,
) -> None:
    await seed_demo()

    routes = (await gql(client, ROUTES))["data"]["routes"]

    assert [r["code"] for r in routes] == ["R1", "R2", "R3", "R4", "R5", "R6"]
    names = [stop["station"]["name"] for r in routes for stop in r["stops"]]
    assert len(names) == len(set(names)) == 150
    townships = {stop["station"]["township"] for r in routes for stop in r["stops"]}
    assert {"高家镇", "廿里镇", "湖南镇", "杜泽镇"} <= townships
    assert all(r["vehicle"]["capacity"]["weightG"] >= 1_000_000 for r in routes)
    trips = await Trip.all()
    days = {trip.service_date for trip in trips}
    assert days == {clock.today() + dt.timedelta(days=n) for n in range(8)}
    assert len(trips) == 6 * 8


async def test_every_demo_account_signs_in_with_its_role(client: httpx.AsyncClient) -> None:
    await seed_demo()
    expected = {
        "13800000000": ["ADMIN"],
        "13800000001": ["DISPATCHER"],
        "13700000001": ["DRIVER"],
        "13700000006": ["DRIVER"],
        "13900000001": ["LEADER"],
        "13900000150": ["LEADER"],
        "13600000001": ["FARMER"],
        "13600000040": ["FARMER"],
        "13500000001": ["BUYER"],
        "13500000040": ["BUYER"],
    }
    for phone, roles in expected.items():
        result = (await gql(client, LOGIN, {"p": phone}))["data"]["login"]
        assert result["errors"] == [], phone
        assert result["user"]["roles"] == roles, phone
    leader = (await gql(client, LOGIN, {"p": "13900000005"}))["data"]["login"]["user"]
    assert leader["station"]["code"] == "S0005"
    assert (await Station.get(code="S0005")).village == "段家村"
    assert (await User.get(phone="13900000005")).name == "周玉英"


async def test_seeding_twice_changes_nothing() -> None:
    await seed_demo()
    first = await _counts()

    await seed_demo()

    assert await _counts() == first
