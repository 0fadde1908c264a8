"""The capacity rule (DESIGN.md): one mechanism for both directions.

A shipment from stop `from_seq` to stop `to_seq` spans legs from_seq .. to_seq-1. Reserving locks
those legs in ascending order (a fixed order, so concurrent reservations never deadlock) and adds
its load by one conditional UPDATE that only matches legs where the result stays within capacity;
unless it changed every leg, a leg refused, and the caller's transaction rolls back. Releasing
subtracts the same amounts. Correct under PostgreSQL's READ COMMITTED and SQLite's single writer,
with no table lock; the CHECK constraints on leg are the backstop.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from tortoise import connections

from cungoods.db import sql
from cungoods.models import Leg, Shipment, Trip
from cungoods.models.enums import Direction, ShipmentState, Temperature, TripStatus
from cungoods.observability import metrics
from cungoods.services.errors import DomainError, ErrorCode

OUTLOOK_DAYS = 14


@dataclass(frozen=True)
class Load:
    weight_g: int = 0
    volume_cm3: int = 0
    chilled_g: int = 0

    def __add__(self, other: Load) -> Load:
        return Load(
            self.weight_g + other.weight_g,
            self.volume_cm3 + other.volume_cm3,
            self.chilled_g + other.chilled_g,
        )

    def __sub__(self, other: Load) -> Load:
        return Load(
            self.weight_g - other.weight_g,
            self.volume_cm3 - other.volume_cm3,
            self.chilled_g - other.chilled_g,
        )

    def fits_in(self, room: Load) -> bool:
        return (
            self.weight_g <= room.weight_g
            and self.volume_cm3 <= room.volume_cm3
            and self.chilled_g <= room.chilled_g
        )

    @classmethod
    def of_units(
        cls, *, quantity: int, weight_g: int, volume_cm3: int, temperature: Temperature | str
    ) -> Load:
        """What `quantity` units weigh; chilled and frozen goods also take chilled space."""
        weight = quantity * weight_g
        chilled = weight if Temperature(temperature) is not Temperature.AMBIENT else 0
        return cls(weight, quantity * volume_cm3, chilled)


def leg_capacity(leg: Leg) -> Load:
    return Load(leg.capacity_g, leg.capacity_cm3, leg.chilled_capacity_g)


def leg_used(leg: Leg) -> Load:
    return Load(leg.used_g, leg.used_cm3, leg.used_chilled_g)


def leg_down(leg: Leg) -> Load:
    return Load(leg.down_g, leg.down_cm3, leg.down_chilled_g)


def leg_room(leg: Leg) -> Load:
    return leg_capacity(leg) - leg_used(leg)


class NoCapacity(DomainError):
    """A leg refused the load; `leg_seq` says which."""

    def __init__(self, leg_seq: int, message: str) -> None:
        super().__init__(ErrorCode.NO_CAPACITY, message)
        self.leg_seq = leg_seq


async def reserve(
    *, trip_id: int, direction: Direction, from_seq: int, to_seq: int, load: Load
) -> Shipment:
    """Reserve `load` on every leg from `from_seq` to `to_seq`; call inside the use case's
    transaction. Raises NoCapacity (and leaves the rollback to that transaction)."""
    if to_seq <= from_seq:
        raise ValueError("a shipment spans at least one leg")
    refused = await _move_load(
        trip_id=trip_id,
        from_seq=from_seq,
        to_seq=to_seq,
        load=load,
        is_down=direction is Direction.DOWN,
        within_capacity=True,
    )
    if refused is not None:
        metrics.NO_CAPACITY.labels(direction=direction.value).inc()
        raise NoCapacity(refused, f"the bus is full on leg {refused} ({refused} → {refused + 1})")
    metrics.RESERVATIONS.labels(direction=direction.value).inc()
    # Plain SQL (services/sql.py): every order and purchase makes one.
    return await sql.insert(
        Shipment,
        trip_id=trip_id,
        direction=direction,
        from_seq=from_seq,
        to_seq=to_seq,
        weight_g=load.weight_g,
        volume_cm3=load.volume_cm3,
        chilled_g=load.chilled_g,
        state=ShipmentState.RESERVED,
        created_at=sql.now(),
    )


async def release(shipment: Shipment) -> None:
    """Give a live shipment's capacity back (inside the caller's transaction). Releasing twice
    does nothing: the state flips by a conditional update first."""
    flipped = await Shipment.filter(id=shipment.id, state=ShipmentState.RESERVED).update(
        state=ShipmentState.RELEASED
    )
    if flipped != 1:
        return
    await _move_load(
        trip_id=shipment.trip_id,
        from_seq=shipment.from_seq,
        to_seq=shipment.to_seq,
        load=Load() - Load(shipment.weight_g, shipment.volume_cm3, shipment.chilled_g),
        is_down=shipment.direction is Direction.DOWN,
        within_capacity=False,
    )
    shipment.state = ShipmentState.RELEASED


async def shrink(shipment: Shipment, new_load: Load) -> None:
    """Lower a live shipment to `new_load` (e.g. less produce handed over than bought)."""
    old = Load(shipment.weight_g, shipment.volume_cm3, shipment.chilled_g)
    freed = old - new_load
    if freed.weight_g < 0 or freed.volume_cm3 < 0 or freed.chilled_g < 0:
        raise ValueError("shrink only makes a shipment smaller")
    await _move_load(
        trip_id=shipment.trip_id,
        from_seq=shipment.from_seq,
        to_seq=shipment.to_seq,
        load=Load() - freed,
        is_down=shipment.direction is Direction.DOWN,
        within_capacity=False,
    )
    await Shipment.filter(id=shipment.id).update(
        weight_g=new_load.weight_g, volume_cm3=new_load.volume_cm3, chilled_g=new_load.chilled_g
    )
    shipment.weight_g, shipment.volume_cm3, shipment.chilled_g = (
        new_load.weight_g,
        new_load.volume_cm3,
        new_load.chilled_g,
    )


# Two statements whatever the number of legs (a reservation spans up to ~30): lock the legs in
# ascending seq, so concurrent reservations queue in one order and never deadlock, then add the
# load to all of them in one conditional UPDATE. Under READ COMMITTED PostgreSQL re-checks the
# condition against the latest committed row once the lock is ours, so "changed every leg" means
# every leg had room. SQLite has a single writer and no row locks, so it skips the SELECT.
LOCK_LEGS_SQL = (
    "SELECT id FROM leg WHERE trip_id = $1 AND seq >= $2 AND seq < $3 ORDER BY seq FOR UPDATE"
)
ADD_LOAD_SQL = """
UPDATE leg SET used_g = used_g + $4, used_cm3 = used_cm3 + $5, used_chilled_g = used_chilled_g + $6,
    down_g = down_g + $7, down_cm3 = down_cm3 + $8, down_chilled_g = down_chilled_g + $9
WHERE trip_id = $1 AND seq >= $2 AND seq < $3
"""
WITHIN_CAPACITY_SQL = """
    AND used_g + $4 <= capacity_g AND used_cm3 + $5 <= capacity_cm3
    AND used_chilled_g + $6 <= chilled_capacity_g
"""
FIRST_FULL_LEG_SQL = """
SELECT seq FROM leg WHERE trip_id = $1 AND seq >= $2 AND seq < $3 AND NOT (
    used_g + $4 <= capacity_g AND used_cm3 + $5 <= capacity_cm3
    AND used_chilled_g + $6 <= chilled_capacity_g
) ORDER BY seq LIMIT 1
"""


async def _move_load(
    *, trip_id: int, from_seq: int, to_seq: int, load: Load, is_down: bool, within_capacity: bool
) -> int | None:
    """Add `load` (negative to give back) to legs from_seq .. to_seq-1. With `within_capacity`,
    returns the seq of the first leg without room (having changed nothing the caller's rollback
    would not undo), else None."""
    connection = connections.get("default")
    postgres = connection.capabilities.dialect == "postgres"
    down = load if is_down else Load()
    args = [
        trip_id,
        from_seq,
        to_seq,
        load.weight_g,
        load.volume_cm3,
        load.chilled_g,
        down.weight_g,
        down.volume_cm3,
        down.chilled_g,
    ]
    if postgres:
        await connection.execute_query(LOCK_LEGS_SQL, args[:3])
    sql = ADD_LOAD_SQL + (WITHIN_CAPACITY_SQL if within_capacity else "")
    changed, _ = await connection.execute_query(*_dialect(sql, args, postgres))
    if not within_capacity or changed == to_seq - from_seq:
        return None
    _, rows = await connection.execute_query(*_dialect(FIRST_FULL_LEG_SQL, args[:6], postgres))
    return int(rows[0]["seq"]) if rows else from_seq


def _dialect(sql: str, args: list[int], postgres: bool) -> tuple[str, list[int]]:
    """PostgreSQL takes $n as written; SQLite wants one `?` per use, in order of appearance."""
    if postgres:
        return sql, args
    order = [int(n) for n in re.findall(r"\$(\d+)", sql)]
    return re.sub(r"\$\d+", "?", sql), [args[n - 1] for n in order]


async def room_by_trip(
    *, route_id: int, from_seq: int, to_seq: int, start: dt.date, days: int
) -> list[tuple[Trip, Load]]:
    """For each bookable trip of the route from `start` for `days` days: the room left on the
    tightest of legs from_seq .. to_seq-1 (two queries, whatever the number of days)."""
    trips = await Trip.filter(
        route_id=route_id,
        service_date__gte=start,
        service_date__lt=start + dt.timedelta(days=days),
        status=TripStatus.SCHEDULED,
    ).order_by("departs_at")
    legs = await Leg.filter(
        trip_id__in=[trip.id for trip in trips], seq__gte=from_seq, seq__lt=to_seq
    )
    tightest: dict[int, Load] = {}
    for leg in legs:
        room = leg_room(leg)
        best = tightest.get(leg.trip_id)
        tightest[leg.trip_id] = (
            room
            if best is None
            else Load(
                min(best.weight_g, room.weight_g),
                min(best.volume_cm3, room.volume_cm3),
                min(best.chilled_g, room.chilled_g),
            )
        )
    return [(trip, tightest.get(trip.id, Load())) for trip in trips]


async def next_date_with_room(
    *, route_id: int, from_seq: int, to_seq: int, load: Load, after: dt.date
) -> dt.date | None:
    """The first service date after `after` with a trip that still has room for `load`."""
    for trip, room in await room_by_trip(
        route_id=route_id,
        from_seq=from_seq,
        to_seq=to_seq,
        start=after + dt.timedelta(days=1),
        days=OUTLOOK_DAYS,
    ):
        if load.fits_in(room):
            return trip.service_date
    return None


INVARIANT_SQL = """
SELECT l.id, l.trip_id, l.seq, l.used_g, l.used_cm3, l.used_chilled_g, l.capacity_g,
       COALESCE(SUM(s.weight_g), 0) AS live_g,
       COALESCE(SUM(s.volume_cm3), 0) AS live_cm3,
       COALESCE(SUM(s.chilled_g), 0) AS live_chilled_g,
       COALESCE(SUM(CASE WHEN s.direction = 'DOWN' THEN s.weight_g ELSE 0 END), 0) AS live_down_g
FROM leg l
LEFT JOIN shipment s
  ON s.trip_id = l.trip_id AND s.state = 'RESERVED' AND s.from_seq <= l.seq AND l.seq < s.to_seq
GROUP BY l.id, l.trip_id, l.seq, l.used_g, l.used_cm3, l.used_chilled_g, l.capacity_g,
         l.capacity_cm3, l.chilled_capacity_g, l.down_g
HAVING l.used_g <> COALESCE(SUM(s.weight_g), 0)
    OR l.used_cm3 <> COALESCE(SUM(s.volume_cm3), 0)
    OR l.used_chilled_g <> COALESCE(SUM(s.chilled_g), 0)
    OR l.down_g <> COALESCE(SUM(CASE WHEN s.direction = 'DOWN' THEN s.weight_g ELSE 0 END), 0)
    OR l.used_g > l.capacity_g OR l.used_cm3 > l.capacity_cm3
    OR l.used_chilled_g > l.chilled_capacity_g
"""


async def invariant_violations() -> list[dict[str, object]]:
    """The capacity invariant as one query: every leg whose usage differs from the sum of the
    live shipments spanning it, or exceeds its capacity. Empty when all is well."""
    return await connections.get("default").execute_query_dict(INVARIANT_SQL)
