"""The PostgreSQL broker: LISTEN/NOTIFY on one dedicated connection, across server processes.

The connection is its own, not one from the Tortoise pool (a pool resets LISTEN on release). A
NOTIFY only says "something committed": the pump then loads every event past the horizon by id,
so a lost notification, or a whole lost connection, costs nothing but a little latency — after
reconnecting it catches up from the table.

Ids can commit out of order (transaction A takes id 10, B takes 11, B commits first). The pump
advances the horizon only over ids it has seen, and stops at a missing one. A missing id either
belongs to a transaction still running or to one that rolled back. To tell which, the pump
notes the database time at which it saw the gap; an id below the gap's top was taken before
then by a transaction that had already locked the event table (an INSERT locks the table before
it draws the id). Once no transaction that started before that time holds such a lock, every id
still missing below the top is dead, and the horizon moves past it. So a rollback delays
delivery by a tick, and a late commit is never skipped.

A dropped connection is silent in asyncpg: the pump watches it with a termination listener and a
periodic query (its idle tick), reconnects with backoff, and catches up.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import asyncpg

from cungoods.events.broker import FETCH_BATCH, Broker, EventRecord, Loaded
from cungoods.events.outbox import NOTIFY_CHANNEL

log = logging.getLogger("cungoods.broker")

APPLICATION_NAME = "cungoods-listener"
QUERY_TIMEOUT = 5.0  # seconds; a query slower than this counts as a dead connection
LIVENESS_SECONDS = 5.0  # the idle tick: how often a quiet connection is checked
GAP_TICK = 0.05  # while an id is missing, how often to look again
GAP_GIVE_UP = 120.0  # a transaction holding an event id longer than this is given up on
STARTUP_WINDOW = 1000  # ids below the newest one re-checked at start, for late commits
# Query parameters meant for Tortoise's pool, not for asyncpg.connect.
POOL_PARAMETERS = {
    "minsize",
    "maxsize",
    "max_queries",
    "max_inactive_connection_lifetime",
    "connection_class",
    "schema",
}

FETCH_SQL = """
SELECT e.id, e.kind, e.at, e.message, e.trip_id, e.order_id, e.purchase_id, e.station_id,
       e.stop_seq, e.status,
       COALESCE(array_agg(t.topic) FILTER (WHERE t.topic IS NOT NULL), '{}') AS topics
FROM event e
LEFT JOIN event_topic t ON t.event_id = e.id
WHERE e.id > $1
GROUP BY e.id
ORDER BY e.id
LIMIT $2
"""

# Transactions that started at or before $1 and may still insert events (they hold the lock an
# INSERT takes on the table, and keep it until they end). Sessions of other roles show no start
# time, so they count too: waiting longer is safe, skipping is not.
HOLDERS_SQL = """
SELECT count(*)
FROM pg_locks l
LEFT JOIN pg_stat_activity a ON a.pid = l.pid
WHERE l.locktype = 'relation'
  AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
  AND l.relation = 'event'::regclass
  AND l.mode = 'RowExclusiveLock'
  AND l.granted
  AND l.pid IS DISTINCT FROM pg_backend_pid()
  AND (a.xact_start IS NULL OR a.xact_start <= $1)
"""


def listener_dsn(database_url: str) -> str:
    """The asyncpg DSN for a Tortoise database URL (without the pool's parameters)."""
    parts = urlsplit(database_url)
    query = [(k, v) for k, v in parse_qsl(parts.query) if k not in POOL_PARAMETERS]
    return urlunsplit(parts._replace(scheme="postgresql", query=urlencode(query)))


@dataclass
class _Probe:
    """A gap under watch: every id below `top` missing now was drawn before `noticed`."""

    top: int
    noticed: dt.datetime
    since: float


def settle(horizon: int, rows: Sequence[Any], dead_upto: int | None) -> tuple[list[Any], int, bool]:
    """Walk rows (ascending ids past `horizon`): the rows that extend the settled prefix, the new
    horizon, and whether a missing id blocks the rest. Missing ids up to `dead_upto` are known
    dead and skipped."""
    expected = horizon + 1
    accepted: list[Any] = []
    for row in rows:
        if row["id"] > expected and dead_upto is not None and dead_upto >= expected:
            expected = min(row["id"], dead_upto + 1)
        if row["id"] != expected:
            return accepted, expected - 1, True
        accepted.append(row)
        expected += 1
    return accepted, expected - 1, False


def _loaded(row: Any) -> Loaded:
    record = EventRecord(
        id=row["id"],
        kind=row["kind"],
        at=row["at"],
        message=row["message"],
        trip_id=row["trip_id"],
        order_id=row["order_id"],
        purchase_id=row["purchase_id"],
        station_id=row["station_id"],
        stop_seq=row["stop_seq"],
        status=row["status"],
    )
    return record, tuple(row["topics"])


class PgBroker(Broker):
    kind = "postgres"

    def __init__(self, *, database_url: str) -> None:
        super().__init__()
        self._dsn = listener_dsn(database_url)
        self._conn: asyncpg.Connection | None = None
        self._probe: _Probe | None = None
        self._initialized = False
        self._startup_top = 0
        self.reconnects = 0

    @property
    def connected(self) -> bool:
        return self._conn is not None and not self._conn.is_closed() and not self._closing

    @property
    def backend_pid(self) -> int | None:
        """The listening connection's server process (operators and tests use it)."""
        return None if self._conn is None else self._conn.get_server_pid()

    async def _open(self) -> None:
        # Try once before serving, so the listener is normally up when the first request comes;
        # if the database is not there yet the pump keeps trying.
        try:
            await self._sync()
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, TimeoutError) as error:
            await self._on_failure(error)

    async def _close(self) -> None:
        if self._conn is not None:
            conn, self._conn = self._conn, None
            try:
                await conn.close(timeout=2)
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, TimeoutError):
                conn.terminate()

    async def _connection(self) -> asyncpg.Connection:
        if self._conn is not None and not self._conn.is_closed():
            return self._conn
        if self._conn is not None:
            self._conn.terminate()
            self._conn = None
        conn = await asyncpg.connect(
            self._dsn,
            timeout=QUERY_TIMEOUT,
            server_settings={"application_name": APPLICATION_NAME},
        )
        try:
            await conn.add_listener(NOTIFY_CHANNEL, self._on_notify)
        except BaseException:
            conn.terminate()
            raise
        conn.add_termination_listener(self._on_terminated)
        if self._initialized:
            self.reconnects += 1
            log.info("listener reconnected: catching up after event %s", self._horizon)
        self._conn = conn
        return conn

    def _on_notify(self, *_: object) -> None:
        self.poke()

    def _on_terminated(self, *_: object) -> None:
        if not self._closing:
            log.warning("listener connection lost")
            self.poke()

    async def _on_failure(self, error: Exception) -> None:
        log.warning("listener: %s; reconnecting", error or type(error).__name__)
        if self._conn is not None:
            self._conn.terminate()
            self._conn = None

    def _next_tick(self) -> float:
        return GAP_TICK if self._probe is not None or not self._ready.is_set() else LIVENESS_SECONDS

    async def _sync(self) -> None:
        conn = await self._connection()
        if not self._initialized:
            top = await conn.fetchval(
                "SELECT COALESCE(max(id), 0) FROM event", timeout=QUERY_TIMEOUT
            )
            self._start_at(max(0, top - STARTUP_WINDOW))
            self._startup_top = top
            self._initialized = True
        dead_upto = await self._dead_upto(conn)
        while True:
            rows = await conn.fetch(FETCH_SQL, self._horizon, FETCH_BATCH, timeout=QUERY_TIMEOUT)
            accepted, horizon, blocked = settle(self._horizon, rows, dead_upto)
            if horizon > self._horizon:
                self._advance([_loaded(row) for row in accepted], horizon)
            if blocked:
                if self._probe is not None and self._horizon >= self._probe.top:
                    self._probe = None  # its gaps filled in: this is a new one
                if self._probe is None:
                    noticed = await conn.fetchval("SELECT clock_timestamp()", timeout=QUERY_TIMEOUT)
                    self._probe = _Probe(
                        top=rows[-1]["id"], noticed=noticed, since=time.monotonic()
                    )
                break
            if len(rows) < FETCH_BATCH:
                break
        if self._probe is not None and self._horizon >= self._probe.top:
            self._probe = None
        if self._horizon >= self._startup_top:
            self._ready.set()

    async def _dead_upto(self, conn: asyncpg.Connection) -> int | None:
        """If the watched gap is resolved, the id up to which missing ids are dead."""
        probe = self._probe
        if probe is None:
            return None
        holders = await conn.fetchval(HOLDERS_SQL, probe.noticed, timeout=QUERY_TIMEOUT)
        if holders:
            waited = time.monotonic() - probe.since
            if waited < GAP_GIVE_UP:
                return None
            log.error(
                "an event id below %s has been held for %.0f s: delivering past it",
                probe.top,
                waited,
            )
        self._probe = None
        return probe.top
