"""The capacity outlook of a station: per service date, the room left on its bus from the hub
down to it and from it back up to the hub."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from cungoods.models import Leg, Station, TripStop
from cungoods.models.enums import Direction, TripStatus
from cungoods.services.capacity.load import Load, room_on, rooms_of
from cungoods.services.capacity.rides import OUTLOOK_DAYS, arrival_seq, span
from cungoods.services.errors import invalid, not_found

MAX_OUTLOOK_DAYS = OUTLOOK_DAYS


@dataclass(frozen=True)
class DayCapacity:
    """For one service date: the room left on the station's bus from the hub down to the
    station and from the station back up to the hub (zero when no bus runs)."""

    service_date: dt.date
    trip_id: int | None
    stop_seq: int | None
    down: Load
    up: Load


async def capacity_outlook(*, station_id: int, start: dt.date, days: int) -> list[DayCapacity]:
    """Per date from `start`, the room left to and from the station (two queries in all)."""
    if not 1 <= days <= MAX_OUTLOOK_DAYS:
        raise invalid(f"days is 1 to {MAX_OUTLOOK_DAYS}", "days")
    if not await Station.exists(id=station_id):
        raise not_found("station", "stationId")
    stops = (
        await TripStop.filter(
            station_id=station_id,
            trip__service_date__gte=start,
            trip__service_date__lt=start + dt.timedelta(days=days),
            trip__status=TripStatus.SCHEDULED,
        )
        .order_by("trip__departs_at")
        .values("trip_id", "seq", "trip__service_date")
    )
    legs = await Leg.filter(trip_id__in=[row["trip_id"] for row in stops])
    return outlook(start=start, days=days, stops=stops, legs=legs)


def outlook(
    *, start: dt.date, days: int, stops: Sequence[dict[str, Any]], legs: Sequence[Leg]
) -> list[DayCapacity]:
    """The arithmetic of capacity_outlook: per date, the first trip's tightest leg on the way
    down (legs 0 .. seq-1) and on the way back (legs seq .. last)."""
    legs_of: dict[int, list[Leg]] = {}
    for leg in legs:
        legs_of.setdefault(leg.trip_id, []).append(leg)
    first_stop: dict[dt.date, dict[str, Any]] = {}
    for row in stops:
        first_stop.setdefault(row["trip__service_date"], row)
    result = []
    for offset in range(days):
        day = start + dt.timedelta(days=offset)
        first = first_stop.get(day)
        if first is None:
            result.append(DayCapacity(day, None, None, Load(), Load()))
            continue
        rooms = rooms_of(legs_of.get(first["trip_id"], []))
        seq = first["seq"]
        result.append(
            DayCapacity(
                service_date=day,
                trip_id=first["trip_id"],
                stop_seq=seq,
                down=room_on(rooms, *span(Direction.DOWN, seq, arrival_seq(rooms))),
                up=room_on(rooms, *span(Direction.UP, seq, arrival_seq(rooms))),
            )
        )
    return result
