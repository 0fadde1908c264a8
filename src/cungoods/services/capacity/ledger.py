"""The capacity rule (DESIGN.md): reserving, releasing and re-sizing the legs of a trip.

A shipment from stop `from_seq` to stop `to_seq` spans legs from_seq .. to_seq-1. Reserving locks
those legs in ascending order (a fixed order, so concurrent reservations never deadlock) and adds
its load by one conditional UPDATE that only matches legs where the result stays within capacity;
unless it changed every leg, a leg refused. Each reservation runs in its own savepoint, so a
refusal leaves every leg as it was, whatever the caller does next. Releasing subtracts what the
shipments hold, a few statements for any number of them. Correct under PostgreSQL's READ
COMMITTED and SQLite's single writer, with no table lock; the CHECK constraints on leg are the
backstop.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from tortoise.transactions import in_transaction

from cungoods.db import sql
from cungoods.models import Shipment
from cungoods.models.enums import Direction, ShipmentState
from cungoods.observability import metrics
from cungoods.services.capacity.load import Load, shipment_load
from cungoods.services.errors import DomainError, ErrorCode

if TYPE_CHECKING:
    from cungoods.services.capacity.rides import Wanted


class NoCapacity(DomainError):
    """NO_CAPACITY: `leg_seq` is the leg that refused (None when no bus runs at all) and
    `next_date` the next service date with room (filled by `rides.with_next_date` once the use
    case's transaction has rolled back; None until then, or when no date has room)."""

    def __init__(
        self,
        message: str,
        *,
        leg_seq: int | None,
        next_date: dt.date | None = None,
        field: Sequence[str] | None = None,
        wanted: Wanted | None = None,
    ) -> None:
        super().__init__(
            ErrorCode.NO_CAPACITY, message, field, leg_seq=leg_seq, next_date=next_date
        )
        # What the refused booking looked for, so the next date with room can be found later.
        self.wanted = wanted


class CapacityTooSmall(DomainError):
    """A leg holds more than the capacity it was to be given (`leg_seq` says which)."""

    def __init__(self, leg_seq: int) -> None:
        super().__init__(
            ErrorCode.INVALID_STATE,
            f"leg {leg_seq} of the trip holds more than the new capacity",
            leg_seq=leg_seq,
        )


# --- reserving ----------------------------------------------------------------------------------


async def reserve(
    *, trip_id: int, direction: Direction, from_seq: int, to_seq: int, load: Load
) -> Shipment:
    """Reserve `load` on every leg from `from_seq` to `to_seq` and return the new shipment. Runs
    in its own savepoint (a transaction of its own when called outside one): on NoCapacity every
    leg is as it was, even if the caller catches the error and goes on."""
    if to_seq <= from_seq:
        raise ValueError("a shipment spans at least one leg")
    async with in_transaction():
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
            # Raised inside the savepoint: the legs that did take the load are rolled back.
            if refused == NOT_BOOKABLE:
                raise NoCapacity("this bus no longer takes bookings", leg_seq=None)
            raise NoCapacity(
                f"the bus is full on leg {refused} ({refused} → {refused + 1})", leg_seq=refused
            )
        # Plain SQL (db/sql.py): every order and purchase makes one.
        shipment = await sql.insert(
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
    metrics.RESERVATIONS.labels(direction=direction.value).inc()
    return shipment


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
# Only a trip still SCHEDULED takes bookings. The check is part of the UPDATE, a statement that
# starts after the leg locks are ours: under READ COMMITTED it sees a cancellation that committed
# while this booking waited for those legs (a cancel locks every leg of its trip), so nothing
# lands on a trip that was cancelled or has left in the meantime.
WITHIN_CAPACITY_SQL = """
    AND used_g + $4 <= capacity_g AND used_cm3 + $5 <= capacity_cm3
    AND used_chilled_g + $6 <= chilled_capacity_g
    AND EXISTS (SELECT 1 FROM trip WHERE trip.id = $1 AND trip.status = 'SCHEDULED')
"""
NOT_BOOKABLE = -1
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
    returns the seq of the first leg without room (the legs that had room took the load: the
    caller's savepoint undoes it), else None."""
    down = load if is_down else Load()
    args = (trip_id, from_seq, to_seq, load.weight_g, load.volume_cm3, load.chilled_g)
    if sql.is_postgres():
        await sql.execute(LOCK_LEGS_SQL, *args[:3])
    statement = ADD_LOAD_SQL + (WITHIN_CAPACITY_SQL if within_capacity else "")
    changed = await sql.execute(statement, *args, down.weight_g, down.volume_cm3, down.chilled_g)
    if not within_capacity or changed == to_seq - from_seq:
        return None
    rows = await sql.fetch(FIRST_FULL_LEG_SQL, *args)
    return int(rows[0]["seq"]) if rows else NOT_BOOKABLE


# --- releasing ----------------------------------------------------------------------------------


async def release(shipment: Shipment) -> None:
    """Give a live shipment's capacity back (inside the caller's transaction); see release_many."""
    await release_many([shipment])


async def release_many(shipments: Iterable[Shipment]) -> int:
    """Give back the capacity of live shipments (of any trips), inside the caller's transaction,
    in three statements whatever their number: flip their state, lock their legs in (trip, seq)
    order, subtract from each leg what the flipped ones hold on it. A shipment already released
    is skipped, so releasing twice gives back nothing twice. Returns how many were released."""
    wanted = {shipment.id: shipment for shipment in shipments}
    if not wanted:
        return 0
    ids = sorted(wanted)
    marks = sql.placeholders(3, len(ids))
    flipped = [
        int(row["id"])
        for row in await sql.fetch(
            f"UPDATE shipment SET state = $1 WHERE state = $2 AND id IN ({marks}) RETURNING id",
            ShipmentState.RELEASED,
            ShipmentState.RESERVED,
            *ids,
        )
    ]
    if not flipped:
        return 0
    flipped.sort()
    marks = sql.placeholders(1, len(flipped))
    if sql.is_postgres():
        await sql.execute(LOCK_SPANNED_LEGS_SQL.format(ids=marks), *flipped)
    await sql.execute(SUBTRACT_SPANNED_SQL.format(ids=marks), *flipped)
    for shipment_id in flipped:
        wanted[shipment_id].state = ShipmentState.RELEASED
    return len(flipped)


# The legs spanned by some shipments (their ids in {ids}), and per leg what those shipments hold
# on it: all of it, and the part going down.
_SPANNED = """
FROM leg l JOIN shipment s ON s.trip_id = l.trip_id AND s.from_seq <= l.seq AND l.seq < s.to_seq
WHERE s.id IN ({ids})
"""
LOCK_SPANNED_LEGS_SQL = "SELECT l.id" + _SPANNED + "ORDER BY l.trip_id, l.seq FOR UPDATE OF l"
SUBTRACT_SPANNED_SQL = (
    """
UPDATE leg SET used_g = used_g - f.freed_g, used_cm3 = used_cm3 - f.freed_cm3,
    used_chilled_g = used_chilled_g - f.freed_chilled_g,
    down_g = down_g - f.freed_down_g, down_cm3 = down_cm3 - f.freed_down_cm3,
    down_chilled_g = down_chilled_g - f.freed_down_chilled_g
FROM (
    SELECT l.id AS leg_id, SUM(s.weight_g) AS freed_g, SUM(s.volume_cm3) AS freed_cm3,
        SUM(s.chilled_g) AS freed_chilled_g,
        SUM(CASE WHEN s.direction = 'DOWN' THEN s.weight_g ELSE 0 END) AS freed_down_g,
        SUM(CASE WHEN s.direction = 'DOWN' THEN s.volume_cm3 ELSE 0 END) AS freed_down_cm3,
        SUM(CASE WHEN s.direction = 'DOWN' THEN s.chilled_g ELSE 0 END) AS freed_down_chilled_g"""
    + _SPANNED
    + """GROUP BY l.id
) AS f
WHERE leg.id = f.leg_id
"""
)


async def shrink(shipment: Shipment, new_load: Load) -> None:
    """Lower a live shipment to `new_load` (e.g. less produce handed over than bought)."""
    freed = shipment_load(shipment) - new_load
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


# --- re-sizing ----------------------------------------------------------------------------------

LOCK_TRIP_LEGS_SQL = "SELECT id FROM leg WHERE trip_id = $1 ORDER BY seq FOR UPDATE"
FIRST_OVERLOADED_LEG_SQL = """
SELECT seq FROM leg WHERE trip_id = $1
  AND NOT (used_g <= $2 AND used_cm3 <= $3 AND used_chilled_g <= $4) ORDER BY seq LIMIT 1
"""
SET_CAPACITY_SQL = """
UPDATE leg SET capacity_g = $2, capacity_cm3 = $3, chilled_capacity_g = $4
WHERE trip_id = $1 AND used_g <= $2 AND used_cm3 <= $3 AND used_chilled_g <= $4
"""


async def set_capacity(*, trip_id: int, capacity: Load) -> None:
    """Give every leg of the trip the new `capacity` (a vehicle swap), inside the caller's
    transaction. With the legs locked (in seq order), one look for a leg holding more than that,
    then one UPDATE for all; raises CapacityTooSmall, having changed nothing, if a leg does."""
    args = (trip_id, capacity.weight_g, capacity.volume_cm3, capacity.chilled_g)
    if sql.is_postgres():
        await sql.execute(LOCK_TRIP_LEGS_SQL, trip_id)
    overloaded = await sql.fetch(FIRST_OVERLOADED_LEG_SQL, *args)
    if overloaded:
        raise CapacityTooSmall(int(overloaded[0]["seq"]))
    await sql.execute(SET_CAPACITY_SQL, *args)


# --- the invariant ------------------------------------------------------------------------------

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


async def invariant_violations() -> list[dict[str, Any]]:
    """The capacity invariant as one query: every leg whose usage differs from the sum of the
    live shipments spanning it, or exceeds its capacity. Empty when all is well."""
    return await sql.fetch(INVARIANT_SQL)
