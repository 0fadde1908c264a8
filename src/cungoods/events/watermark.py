"""The outbox watermark: a cheap proof that no event of a kind has committed since a moment.

Every write that changes what a read shows records an outbox event in its own transaction, so
"no new event that concerns this answer committed" means "nothing this answer shows has
changed". The response cache (api/extensions/response_cache.py) takes a mark before it computes
an answer and rechecks it before it serves the answer again.

Ids are drawn in one order and may commit in another (A takes 10, B takes 11, B commits first),
so "the newest id is still N" proves nothing: 10 may commit later. A mark is therefore a
*settled floor* (every id at or below it has committed or will never appear) and the ids of the
events committed above it. Later, any event above the floor that is not among those ids
committed after the mark (events are never deleted), and an event below the floor had committed
before the mark was taken, so the answer computed after the mark includes it. A recheck judges
each such newer event by the trips it changed (`concerns`): an answer about one trip outlives
the events of another. A mark that passes moves forward (to the settled floor of the recheck),
so the next recheck reads only what committed since.

- On SQLite (one process, one writer at a time, ids commit in order) the newest id is settled.
- On PostgreSQL the floor is the event broker's horizon (events/broker.py), which is settled by
  construction; without a running broker there is no floor and nothing is marked.

Both queries are range scans of the event table's primary key, bounded by LIMIT; the checks of
requests that arrive together share one scan.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from cungoods.db import sql
from cungoods.db.batched import Batched

# More events above the floor than this and the mark is not worth keeping (the broker is far
# behind: reading them would cost more than the answer saves).
MAX_ABOVE = 256

_NEWEST_SQL = "SELECT COALESCE(MAX(id), 0) AS id FROM event"
_ABOVE_SQL = "SELECT id, trip_id, from_trip_id FROM event WHERE id > $1 ORDER BY id LIMIT $2"
# What an event changed, as a recheck judges it: the trips it changed (the one an order or
# purchase rides and, for a move, the one it left), or None for an event of no trip.
Trips = frozenset[int] | None


@dataclass(frozen=True, slots=True)
class Mark:
    """Every id up to `floor` was settled, and the events `seen` had committed above it."""

    floor: int
    seen: frozenset[int]


def _trips(row: dict[str, Any]) -> Trips:
    if row["trip_id"] is None:
        return None
    moved_from = row["from_trip_id"]
    return frozenset((row["trip_id"],) if moved_from is None else (row["trip_id"], moved_from))


async def _above_many(keys: list[tuple[int, int]]) -> dict[tuple[int, int], list[dict[str, Any]]]:
    """The events above each (floor, limit) of a burst of checks, from one scan above the
    lowest floor: each check's are the first `limit` of those above its own floor. A check
    the shared scan may have cut short (it stopped at its limit before that check had its
    own) reads its own."""
    lowest = min(floor for floor, _ in keys)
    most = max(limit for _, limit in keys)
    rows = await sql.fetch(_ABOVE_SQL, lowest, most)
    ids = [int(row["id"]) for row in rows]
    whole = len(rows) < most  # every event above the lowest floor
    found: dict[tuple[int, int], list[dict[str, Any]]] = {}
    for floor, limit in keys:
        start = bisect.bisect_right(ids, floor)
        own = rows[start : start + limit]
        if whole or len(own) == limit:
            found[(floor, limit)] = own
        else:
            found[(floor, limit)] = await sql.fetch(_ABOVE_SQL, floor, limit)
    return found


# Rechecks come in bursts (the board's refetches after an event, a morning of leaders): the
# checks asked for within one turn of the loop share one scan (db/batched.py). They run outside
# transactions (read-only queries), as a batched read must.
_above_batched: Batched[tuple[int, int], list[dict[str, Any]]] = Batched(_above_many)


async def _above(floor: int, limit: int) -> list[dict[str, Any]]:
    """The events above `floor`, oldest first, at most `limit`."""
    return await _above_batched.load((floor, limit)) or []


async def take(*, horizon: int | None) -> Mark | None:
    """A mark for now; `horizon` is the broker's settled id (None when no broker runs). None
    when no mark can be proven on this backend right now."""
    if not sql.is_postgres():
        rows = await sql.fetch(_NEWEST_SQL)
        return Mark(floor=int(rows[0]["id"]), seen=frozenset())
    if horizon is None:
        return None
    above = await _above(horizon, MAX_ABOVE + 1)
    if len(above) > MAX_ABOVE:
        return None
    return Mark(floor=horizon, seen=frozenset(int(row["id"]) for row in above))


@dataclass(frozen=True, slots=True)
class Recheck:
    """What a recheck found: whether an event that concerns the answer committed since the
    mark, and the mark moved forward to the scan (None when there were too many to read). It
    is a mark for that moment, as `take` would give: the kept answer's new mark if nothing
    changed, else the mark of the answer computed next (which saves taking one)."""

    changed: bool
    now: Mark | None


async def recheck(mark: Mark, *, horizon: int | None, concerns: Callable[[Trips], bool]) -> Recheck:
    """Whether an event that `concerns` the answer (given the trips it changed) has committed
    since `mark` was taken (one indexed query). `horizon` is the broker's settled id, read
    before this call."""
    limit = len(mark.seen) + MAX_ABOVE + 1
    above = await _above(mark.floor, limit)
    if len(above) >= limit:
        return Recheck(changed=True, now=None)  # too many to judge: as if changed
    changed = any(int(row["id"]) not in mark.seen and concerns(_trips(row)) for row in above)
    if not above:
        return Recheck(changed=changed, now=mark)
    if not sql.is_postgres():
        return Recheck(changed=changed, now=Mark(floor=int(above[-1]["id"]), seen=frozenset()))
    # Every id up to the horizon had settled before the query ran, so the query saw each of
    # them that exists: only the ids above it can still be joined by earlier ones.
    floor = max(mark.floor, horizon) if horizon is not None else mark.floor
    seen = frozenset(i for row in above if (i := int(row["id"])) > floor)
    return Recheck(changed=changed, now=Mark(floor=floor, seen=seen))
