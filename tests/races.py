"""Races that cannot pass by luck (PostgreSQL): hold a row lock the racers need, start them, see
them all wait inside their transactions, then let them go at once.

    async with holding(Leg, trip_id=trip.id) as race:
        tasks = race.start(place(shop) for _ in range(200))
        await race.blocked(min(200, pool_size()))
    results = await asyncio.gather(*tasks, return_exceptions=True)

`holding` opens a transaction on a raw asyncpg connection of its own (outside the server's
pool) and locks the rows FOR UPDATE, which conflicts with every other row lock (FOR SHARE, the
FOR KEY SHARE of a foreign-key check) and with UPDATE. `race.blocked(n)` polls pg_stat_activity
from a second raw connection (a connection inside a transaction sees a frozen snapshot of it)
until exactly n backends of the test database wait on a lock, or fails the test after a bounded
timeout. Leaving the block rolls the holder back, so every racer goes on at once, and waits for
them all to finish, so no racer outlives its test.

The racers run on the server's pool (tests/conftest.py connects with the default
db/setup.DEFAULT_PG_POOL): at most pool_size() of them can be inside a transaction at once, the
rest wait for a connection.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Iterable
from contextlib import asynccontextmanager
from typing import Any, TypeVar

import asyncpg
from tortoise import Model, connections

T = TypeVar("T")

BLOCKED_TIMEOUT = 10.0  # seconds for the racers to reach the lock (they need well under one)
FINISH_TIMEOUT = 30.0  # seconds for the racers to finish once let go
POLL_INTERVAL = 0.005

WAITING_SQL = """
SELECT pid, wait_event, state, left(query, 120) AS query
FROM pg_stat_activity
WHERE datname = current_database() AND pid <> pg_backend_pid() AND pid <> $1
  AND backend_type = 'client backend' AND wait_event_type = 'Lock'
ORDER BY pid
"""
ACTIVITY_SQL = """
SELECT pid, state, wait_event_type, wait_event, left(query, 120) AS query
FROM pg_stat_activity
WHERE datname = current_database() AND pid <> pg_backend_pid() AND pid <> $1
  AND backend_type = 'client backend' AND state <> 'idle'
ORDER BY pid
"""


def pool_size() -> int:
    """How many connections the server's pool opens at most: the most racers that can be
    inside their transactions at the same moment."""
    size: int = connections.get("default").pool_maxsize  # type: ignore[attr-defined]
    return size


async def _connect() -> asyncpg.Connection:
    """A raw connection to the test database, with the server pool's parameters."""
    client: Any = connections.get("default")
    return await asyncpg.connect(
        host=client.host,
        port=client.port,
        user=client.user,
        password=client.password,
        database=client.database,
    )


class Race:
    """The racing calls of one `holding` block."""

    def __init__(self, observer: asyncpg.Connection, holder_pid: int) -> None:
        self._observer = observer
        self._holder_pid = holder_pid
        self.tasks: list[asyncio.Task[Any]] = []
        self._may_finish: set[asyncio.Task[Any]] = set()

    def start(self, calls: Iterable[Awaitable[T]]) -> list[asyncio.Task[T]]:
        """Start the calls as tasks (they run as soon as the test awaits anything)."""
        started: list[asyncio.Task[T]] = [asyncio.ensure_future(call) for call in calls]
        self.tasks.extend(started)
        return started

    async def waiting(self) -> list[asyncpg.Record]:
        """The backends of the test database waiting on a lock now (the holder never is)."""
        return await self._observer.fetch(WAITING_SQL, self._holder_pid)

    async def blocked(self, count: int, *, within: float = BLOCKED_TIMEOUT) -> None:
        """Wait until exactly `count` backends wait on a lock inside their transactions; fail
        the test if that takes longer than `within` seconds, if more wait, or if a racer ended
        (it got through without waiting, so nothing was forced)."""
        deadline = time.monotonic() + within
        while True:
            ended = [t for t in self.tasks if t.done() and t not in self._may_finish]
            if ended:
                outcome = ended[0].exception() or ended[0].result()
                raise AssertionError(
                    f"{len(ended)} racers finished while the lock was held, e.g. {outcome!r}"
                )
            waiting = await self.waiting()
            if len(waiting) >= count:
                assert len(waiting) == count, f"{len(waiting)} backends wait, not {count}"
                return
            if time.monotonic() > deadline:
                activity = await self._observer.fetch(ACTIVITY_SQL, self._holder_pid)
                raise AssertionError(
                    f"after {within:g} s {len(waiting)} backends wait on a lock, not {count}: "
                    + "; ".join(str(dict(row)) for row in activity)
                )
            await asyncio.sleep(POLL_INTERVAL)

    async def settle(self, tasks: Iterable[asyncio.Task[Any]], *, within: float) -> None:
        """Wait (bounded) for some of the racers to finish while the lock is still held: those
        the lock does not stop."""
        tasks = list(tasks)
        self._may_finish.update(tasks)
        pending = [task for task in tasks if not task.done()]
        if pending:
            _, late = await asyncio.wait(pending, timeout=within)
            assert not late, f"{len(late)} calls did not finish in {within:g} s"

    async def _finish(self) -> None:
        if not self.tasks:
            return
        _, late = await asyncio.wait(self.tasks, timeout=FINISH_TIMEOUT)
        for task in late:
            task.cancel()
        if late:
            await asyncio.wait(late)
        for task in self.tasks:  # retrieved here: the test reads the outcomes it cares about
            if not task.cancelled():
                task.exception()
        assert not late, f"{len(late)} racers were still running {FINISH_TIMEOUT:g} s after"


@asynccontextmanager
async def holding(model: type[Model], **where: object) -> AsyncIterator[Race]:
    """Hold the rows of `model` matching `where` (column = value, all of them) FOR UPDATE in a
    transaction of a raw connection, for the duration of the block."""
    table = model._meta.db_table
    columns = list(where)
    condition = " AND ".join(f'"{column}" = ${n}' for n, column in enumerate(columns, 1))
    statement = f'SELECT * FROM "{table}" WHERE {condition} ORDER BY 1 FOR UPDATE'
    holder = await _connect()
    observer = await _connect()
    try:
        transaction = holder.transaction()
        await transaction.start()
        await holder.execute("SET LOCAL lock_timeout = '5s'")
        locked = await holder.fetch(statement, *where.values())
        assert locked, f"nothing to hold: no {table} row where {where}"
        race = Race(observer, holder_pid=holder.get_server_pid())
        try:
            yield race
        finally:
            await transaction.rollback()
            await race._finish()
    finally:
        await holder.close()
        await observer.close()
