"""Finding a ride: the first trip with room for a shipment, for orders, produce and trip changes.

This is the one place that knows where the hub is on a trip: the departure is stop 0, the
arrival the trip's last stop (one past its last leg). Goods go down from the hub to a station,
produce goes up from a station to the hub.

Each reservation attempt runs in its own savepoint (ledger.reserve), so trying trips in turn
leaves nothing behind on the ones that refused. A refusal is NoCapacity saying which leg of the
first bus refused; the next date with room is looked up by `with_next_date` only after the use
case's transaction has rolled back, so the search holds no locks.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from cungoods.models import Leg, Shipment, Trip, TripStop
from cungoods.models.enums import Direction, TripStatus
from cungoods.services import clock
from cungoods.services.capacity import ledger
from cungoods.services.capacity.ledger import NoCapacity
from cungoods.services.capacity.load import (
    Load,
    first_refusing,
    room_on,
    rooms_of,
    shipment_load,
    taking,
)

OUTLOOK_DAYS = 14  # how far ahead the next date with room (and the station's outlook) looks
HUB_DEPARTURE_SEQ = 0


def arrival_seq(rooms: Sequence[object]) -> int:
    """The hub arrival on a trip with these legs: its last stop, one past its last leg."""
    return len(rooms)


def span(direction: Direction, stop_seq: int, arrival: int | None = None) -> tuple[int, int]:
    """The stops a shipment for the station at `stop_seq` spans: from the hub down to it, or
    from it up to the hub (`arrival`, the trip's last stop)."""
    if direction is Direction.DOWN:
        return HUB_DEPARTURE_SEQ, stop_seq
    if arrival is None:
        raise ValueError("the way up ends at the trip's last stop: give it")
    return stop_seq, arrival


@dataclass(frozen=True)
class Way:
    """How a station's shipments ride a route's trips: its stop there, in one direction, and
    how long after the departure the bus passes it."""

    route_id: int
    direction: Direction
    stop_seq: int
    minutes_from_departure: int = 0


@dataclass(frozen=True)
class Seat:
    """One trip a shipment may ride, and the stops it would span there. `full_leg` is set for a
    trip already seen to have no room (on that leg): it is not tried, only reported."""

    trip_id: int
    route_id: int
    service_date: dt.date
    stop_seq: int
    from_seq: int
    to_seq: int
    full_leg: int | None = None


@dataclass(frozen=True)
class Ride:
    """Where a shipment rides: the trip, the station's stop on it, and its reservation."""

    trip_id: int
    stop_seq: int
    shipment: Shipment


@dataclass(frozen=True)
class Wanted:
    """What a refused booking looked for: the ways it could ride, its load, and the dates it
    would have taken (a next date with room is looked for after `end`)."""

    ways: tuple[Way, ...]
    direction: Direction
    load: Load
    start: dt.date
    end: dt.date


# --- booking ------------------------------------------------------------------------------------


async def take_first(
    seats: Sequence[Seat],
    *,
    direction: Direction,
    load: Load,
    start: dt.date,
    end: dt.date,
    field: Sequence[str] | None = None,
    ways: Sequence[Way] = (),
) -> Ride:
    """Reserve `load` on the first of `seats` (in the order given) that has room. Raises
    NoCapacity naming the first leg that refused (or that no bus runs from `start` to `end`);
    its next date with room is looked for on `ways` (by default the ways of the seats)."""
    refusal: tuple[dt.date, int] | None = None
    for seat in seats:
        if seat.full_leg is not None:
            refusal = refusal or (seat.service_date, seat.full_leg)
            continue
        try:
            shipment = await ledger.reserve(
                trip_id=seat.trip_id,
                direction=direction,
                from_seq=seat.from_seq,
                to_seq=seat.to_seq,
                load=load,
            )
        except NoCapacity as refused:
            leg = refused.leg_seq if refused.leg_seq is not None else seat.from_seq
            refusal = refusal or (seat.service_date, leg)
            continue  # taken since we looked, or never there: try the next bus
        return Ride(trip_id=seat.trip_id, stop_seq=seat.stop_seq, shipment=shipment)
    tried = ways or [Way(seat.route_id, direction, seat.stop_seq) for seat in seats]
    wanted = Wanted(tuple(dict.fromkeys(tried)), direction, load, start, end)
    raise _no_room(wanted, refusal, field)


async def book(
    *,
    ways: Sequence[Way],
    load: Load,
    start: dt.date,
    end: dt.date,
    field: Sequence[str] | None = None,
) -> Ride:
    """Reserve `load` on the earliest scheduled trip from `start` to `end` (inclusive), of any
    of `ways`, that has not passed the station yet and has room."""
    if not ways:
        raise ValueError("a booking needs a way to ride")
    direction = ways[0].direction
    return await take_first(
        await seats_on(ways, load=load, start=start, end=end),
        direction=direction,
        load=load,
        start=start,
        end=end,
        field=field,
        ways=ways,
    )


async def seats_on(ways: Sequence[Way], *, load: Load, start: dt.date, end: dt.date) -> list[Seat]:
    """The trips `ways` offer from `start` to `end` that still pass the station, earliest
    first, each marked with the leg that refuses `load` if one does (two queries)."""
    if end < start:
        return []
    now = clock.now()
    seats: list[tuple[Trip, Seat]] = []
    for trip, way, rooms in await _rooms_ahead(ways, start=start, end=end):
        if trip.departs_at + dt.timedelta(minutes=way.minutes_from_departure) <= now:
            continue
        from_seq, to_seq = span(way.direction, way.stop_seq, arrival_seq(rooms))
        full = first_refusing(rooms, from_seq, to_seq, load)
        seat = Seat(trip.id, trip.route_id, trip.service_date, way.stop_seq, from_seq, to_seq, full)
        seats.append((trip, seat))
    seats.sort(key=lambda pair: (pair[0].departs_at, pair[0].id))
    return [seat for _, seat in seats]


# --- moving to a later trip ---------------------------------------------------------------------


@dataclass
class Target:
    """A later trip things may move to: its stops by station and the room left on its legs,
    kept up to date as shipments are rebooked onto it."""

    trip: Trip
    rooms: list[Load]
    seq_of: dict[int, int]  # station id -> stop seq on this trip


async def later_trips(trip: Trip, *, until: dt.date) -> list[Target]:
    """The scheduled trips of the trip's route leaving after it (and after now), up to the date
    `until`, earliest first, with their stops and the room on their legs (three queries)."""
    later = await Trip.filter(
        route_id=trip.route_id,
        status=TripStatus.SCHEDULED,
        service_date__gte=trip.service_date,
        service_date__lte=until,
    ).exclude(id=trip.id)
    # Compared in Python: SQLite compares stored datetimes as text.
    now = clock.now()
    later = sorted(
        (t for t in later if t.departs_at > trip.departs_at and t.departs_at > now),
        key=lambda t: (t.departs_at, t.id),
    )
    ids = [t.id for t in later]
    legs: dict[int, list[Leg]] = {}
    for leg in await Leg.filter(trip_id__in=ids):
        legs.setdefault(leg.trip_id, []).append(leg)
    stops: dict[int, dict[int, int]] = {}
    for stop in await TripStop.filter(trip_id__in=ids, station_id__not_isnull=True):
        assert stop.station_id is not None
        stops.setdefault(stop.trip_id, {})[stop.station_id] = stop.seq
    return [Target(t, rooms_of(legs.get(t.id, [])), stops.get(t.id, {})) for t in later]


async def rebook(
    shipment: Shipment, *, station_id: int, targets: Sequence[Target], latest: dt.date
) -> Ride | None:
    """Reserve the shipment's load again, for the same station, on the first of `targets` up to
    the date `latest` with room for it; None if none has. Trips that look full are not tried."""
    direction = Direction(shipment.direction)
    load = shipment_load(shipment)
    seats: list[Seat] = []
    for target in targets:
        if target.trip.service_date > latest:
            break
        seq = target.seq_of.get(station_id)
        if seq is None:
            continue
        from_seq, to_seq = span(direction, seq, arrival_seq(target.rooms))
        if first_refusing(target.rooms, from_seq, to_seq, load) is None:
            trip = target.trip
            seats.append(Seat(trip.id, trip.route_id, trip.service_date, seq, from_seq, to_seq))
    if not seats:
        return None
    try:
        ride = await take_first(
            seats, direction=direction, load=load, start=seats[0].service_date, end=latest
        )
    except NoCapacity:
        return None
    for target in targets:
        if target.trip.id == ride.trip_id:
            target.rooms = taking(target.rooms, ride.shipment.from_seq, ride.shipment.to_seq, load)
    return ride


# --- when there is no room ----------------------------------------------------------------------


def _no_room(
    wanted: Wanted, refusal: tuple[dt.date, int] | None, field: Sequence[str] | None
) -> NoCapacity:
    load, start, end = wanted.load, wanted.start, wanted.end
    when = f"on {start.isoformat()}" if start == end else f"between {start} and {end}"
    message = f"no bus has room for {load.weight_g / 1000:g} kg {when}"
    if refusal is None:
        message += ": no bus is scheduled"
        return NoCapacity(message, leg_seq=None, field=field, wanted=wanted)
    day, leg = refusal
    message += f": the {day.isoformat()} bus is full on leg {leg} (stop {leg} → {leg + 1})"
    return NoCapacity(message, leg_seq=leg, field=field, wanted=wanted)


async def with_next_date(refused: NoCapacity) -> NoCapacity:
    """The refusal completed with the next date with room after the dates it wanted (call it
    after the use case's transaction rolled back: the search takes no locks). Orders and
    produce alike say it this way."""
    wanted = refused.wanted
    if wanted is None:
        return refused
    next_date = await next_date_with_room(ways=wanted.ways, load=wanted.load, after=wanted.end)
    later = (
        f"; the next date with room is {next_date.isoformat()}"
        if next_date is not None
        else f"; no date in the next {OUTLOOK_DAYS} days has room"
    )
    return NoCapacity(
        refused.message + later,
        leg_seq=refused.leg_seq,
        next_date=next_date,
        field=refused.field,
        wanted=wanted,
    )


async def next_date_with_room(*, ways: Sequence[Way], load: Load, after: dt.date) -> dt.date | None:
    """The first service date after `after` (within OUTLOOK_DAYS) with a trip of any of `ways`
    that has room for `load` (two queries)."""
    dates = [
        trip.service_date
        for trip, way, rooms in await _rooms_ahead(
            ways, start=after + dt.timedelta(days=1), end=after + dt.timedelta(days=OUTLOOK_DAYS)
        )
        if load.fits_in(room_on(rooms, *span(way.direction, way.stop_seq, arrival_seq(rooms))))
    ]
    return min(dates, default=None)


async def _rooms_ahead(
    ways: Iterable[Way], *, start: dt.date, end: dt.date
) -> list[tuple[Trip, Way, list[Load]]]:
    """Each scheduled trip from `start` to `end` of the ways' routes, with the way it offers and
    the room on each of its legs (two queries, whatever the number of days)."""
    by_route: dict[int, list[Way]] = {}
    for way in ways:
        by_route.setdefault(way.route_id, []).append(way)
    if not by_route:
        return []
    trips = await Trip.filter(
        route_id__in=sorted(by_route),
        service_date__gte=start,
        service_date__lte=end,
        status=TripStatus.SCHEDULED,
    ).order_by("departs_at", "id")
    legs: dict[int, list[Leg]] = {}
    for leg in await Leg.filter(trip_id__in=[trip.id for trip in trips]):
        legs.setdefault(leg.trip_id, []).append(leg)
    return [
        (trip, way, rooms_of(legs.get(trip.id, [])))
        for trip in trips
        for way in by_route[trip.route_id]
    ]
