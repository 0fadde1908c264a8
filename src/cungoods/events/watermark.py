"""The outbox watermark: a cheap proof that no event has committed since a moment.

Every write that changes what a read shows records an outbox event in its own transaction, so
"no new event committed" means "nothing a read shows has changed". The response cache
(api/extensions/response_cache.py) takes a mark before it computes an answer and checks it
before it serves the answer again.

Ids are drawn in one order and may commit in another (A takes 10, B takes 11, B commits first),
so "the newest id is still N" proves nothing: 10 may commit later. A mark is therefore a
*settled floor* (every id at or below it has committed or will never appear) and the number of
events committed above it. Later, the same count above the same floor can only be equal if no
event committed in between (events are never deleted), and an event below the floor had
committed before the mark was taken, so the answer computed after the mark includes it.

- On SQLite (one process, one writer at a time, ids commit in order) the newest id is settled.
- On PostgreSQL the floor is the event broker's horizon (events/broker.py), which is settled by
  construction; without a running broker there is no floor and nothing is marked.

Both queries are range scans of the event table's primary key, bounded by LIMIT.
"""

from __future__ import annotations

from dataclasses import dataclass

from cungoods.db import sql

# More committed-but-unsettled events than this and the mark is not worth taking (the broker
# is far behind: the count would cost more than the answer saves).
MAX_ABOVE = 256

_NEWEST_SQL = "SELECT COALESCE(MAX(id), 0) AS id FROM event"
_ABOVE_SQL = "SELECT COUNT(*) AS n FROM (SELECT 1 FROM event WHERE id > $1 LIMIT $2) AS above"


@dataclass(frozen=True, slots=True)
class Mark:
    """`above` events had committed with ids past `floor`, every id up to which was settled."""

    floor: int
    above: int


async def _count_above(floor: int, limit: int) -> int:
    rows = await sql.fetch(_ABOVE_SQL, floor, limit)
    return int(rows[0]["n"])


async def take(*, horizon: int | None) -> Mark | None:
    """A mark for now; `horizon` is the broker's settled id (None when no broker runs). None
    when no mark can be proven on this backend right now."""
    if not sql.is_postgres():
        rows = await sql.fetch(_NEWEST_SQL)
        return Mark(floor=int(rows[0]["id"]), above=0)
    if horizon is None:
        return None
    above = await _count_above(horizon, MAX_ABOVE + 1)
    return Mark(floor=horizon, above=above) if above <= MAX_ABOVE else None


async def unchanged(mark: Mark) -> bool:
    """Whether no event has committed since `mark` was taken (one indexed query)."""
    return await _count_above(mark.floor, mark.above + 1) == mark.above
