"""Trips from timetables: each dated run of a route with its stops and legs."""

from __future__ import annotations

import datetime as dt

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from cungoods.events import outbox
from cungoods.models import Leg, Route, RouteStop, Trip, TripStop
from cungoods.services import clock
from cungoods.services.auth import Viewer, require_dispatcher
from cungoods.services.errors import DomainError, ErrorCode, invalid
from cungoods.services.network import route_by_code

MAX_SCHEDULE_DAYS = 62
# A new trip changes `trips(date)`: the event tells the response cache. No trip id and no topic:
# nobody follows a trip before it exists, and a trip's own history starts with its run.
TRIP_SCHEDULED = "SCHEDULED"
MAX_YEARS_AWAY = 5


async def schedule_trips(
    *, viewer: Viewer | None, route_code: str, start: dt.date, end: dt.date
) -> list[Trip]:
    """Every trip of the route's timetable from `start` to `end` (inclusive); trips that exist
    already are returned as they are, so running it twice adds nothing."""
    require_dispatcher(viewer)
    return await ensure_trips(route_code=route_code, start=start, end=end)


async def ensure_trips(*, route_code: str, start: dt.date, end: dt.date) -> list[Trip]:
    # Timetables are planned for the coming weeks; a date years away is a mistake, and near
    # year 1 or 9999 the date arithmetic below would overflow.
    today = clock.today()
    for value, name in ((start, "from"), (end, "to")):
        if abs((value - today).days) > MAX_YEARS_AWAY * 366:
            raise invalid(f"a date within {MAX_YEARS_AWAY} years of today", name)
    if end < start:
        raise invalid("`to` is before `from`", "to")
    if (end - start).days >= MAX_SCHEDULE_DAYS:
        raise invalid(f"schedule at most {MAX_SCHEDULE_DAYS} days at once", "to")
    route = await route_by_code(route_code)
    await route.fetch_related("vehicle")
    if route.vehicle is None:
        raise DomainError(ErrorCode.INVALID_STATE, f"route {route_code} has no vehicle")
    stops = await RouteStop.filter(route_id=route.id).order_by("seq")
    trips: list[Trip] = []
    day = start
    while day <= end:
        if day.isoweekday() in route.days_of_week:
            for hhmm in sorted(route.departure_times):
                trips.append(await _ensure_trip(route, stops, day, clock.at(day, hhmm)))
        day += dt.timedelta(days=1)
    return trips


async def _ensure_trip(
    route: Route, stops: list[RouteStop], day: dt.date, departs_at: dt.datetime
) -> Trip:
    departs_at = departs_at.astimezone(dt.UTC)
    existing = await _existing_trip(route.id, day, departs_at)
    if existing is not None:
        return existing
    vehicle = route.vehicle
    assert vehicle is not None
    try:
        async with in_transaction():
            trip = await Trip.create(
                route_id=route.id,
                service_date=day,
                departs_at=departs_at,
                vehicle_id=vehicle.id,
                driver_id=route.driver_id,
            )
            offsets = [0, *(stop.minutes_from_departure for stop in stops), route.return_minutes]
            stations = [None, *(stop.station_id for stop in stops), None]
            await TripStop.bulk_create(
                [
                    TripStop(
                        trip_id=trip.id,
                        seq=seq,
                        station_id=station_id,
                        planned_at=departs_at + dt.timedelta(minutes=minutes),
                        expected_at=departs_at + dt.timedelta(minutes=minutes),
                    )
                    for seq, (station_id, minutes) in enumerate(zip(stations, offsets, strict=True))
                ]
            )
            await Leg.bulk_create(
                [
                    Leg(
                        trip_id=trip.id,
                        seq=seq,
                        capacity_g=vehicle.capacity_g,
                        capacity_cm3=vehicle.capacity_cm3,
                        chilled_capacity_g=vehicle.chilled_capacity_g,
                    )
                    for seq in range(len(offsets) - 1)
                ]
            )
            await outbox.record(
                TRIP_SCHEDULED, message=f"Trip {trip.id} of route {route.code} on {day} scheduled."
            )
    except IntegrityError:
        # Another caller scheduled the same run at the same moment: theirs stands.
        theirs = await _existing_trip(route.id, day, departs_at)
        assert theirs is not None
        return theirs
    return trip


async def _existing_trip(route_id: int, day: dt.date, departs_at: dt.datetime) -> Trip | None:
    # Matched in Python: SQLite compares stored datetimes as text, so an equality filter on an
    # aware datetime is not reliable across backends.
    for trip in await Trip.filter(route_id=route_id, service_date=day):
        if trip.departs_at == departs_at:
            return trip
    return None
