"""Reads side by side (services/reads.together): the answers come back in order, and when one
read fails the caller gets that read's own error (the coded one clients see), with the others
stopped rather than left running."""

from __future__ import annotations

import asyncio

import pytest

from builders import make_network, schedule
from cungoods.models import Station, Trip, TripStop
from cungoods.services import reads
from cungoods.services.errors import DomainError, ErrorCode, not_found


async def test_reads_side_by_side_answer_in_order(backend: str) -> None:
    async def later(value: str) -> str:
        await asyncio.sleep(0.01)
        return value

    async def trips() -> list[Trip | None]:
        return await reads.rows_by_id(Trip, [1])

    first, second, third = await reads.together(later("a"), trips(), later("c"))

    assert (first, second, third) == ("a", [None], "c")


async def test_a_failing_read_stops_the_others_and_raises_its_own_error() -> None:
    stopped = asyncio.Event()

    async def slow() -> None:
        try:
            await asyncio.sleep(60)
        except asyncio.CancelledError:
            stopped.set()
            raise

    async def missing() -> None:
        await asyncio.sleep(0)
        raise not_found("trip", "tripId")

    with pytest.raises(DomainError) as raised:
        await reads.together(slow(), missing())

    assert raised.value.code is ErrorCode.NOT_FOUND
    assert stopped.is_set()


async def test_stops_come_with_their_stations_as_their_own_rows_say(backend: str) -> None:
    # Given two trips of a route (a hub departure, four stations, a hub arrival each)
    network = await make_network(code="R1", stations=4)
    trips = await schedule(network, days=2)
    ids = [trip.id for trip in trips]

    # When their stops are read with their stations (and an unknown trip's, in between)
    found = await reads.stops_with_stations([ids[1], 999_999, ids[0]])

    # Then each trip's stops come in order, each with the station its row names (the hub none),
    # exactly as reading the stops and then the stations by id gives them
    assert [len(stops) for stops in found] == [6, 0, 6]
    for trip_id, stops in zip([ids[1], 999_999, ids[0]], found, strict=True):
        expected = await TripStop.filter(trip_id=trip_id).order_by("seq")
        assert [stop.id for stop, _ in stops] == [stop.id for stop in expected]
        assert [stop.seq for stop, _ in stops] == [stop.seq for stop in expected]
        for (_, station), row in zip(stops, expected, strict=True):
            if row.station_id is None:
                assert station is None
            else:
                assert station is not None
                own = await Station.get(id=row.station_id)
                assert (station.id, station.name, station.code) == (own.id, own.name, own.code)
    # and a station two trips share is one row, built once
    first_stations = {s.id: s for _, s in found[2] if s is not None}
    assert all(first_stations[s.id] is s for _, s in found[0] if s is not None)
