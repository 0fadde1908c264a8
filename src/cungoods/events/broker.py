"""The broker: brings committed events to this process's subscribers.

One mechanism for replay and live: a subscriber keeps a cursor (the last event id it delivered)
and always reads its topic from the outbox by `cursor < id <= horizon`. The broker's only jobs
are to move the *horizon* forward and to wake the subscribers of the topics that got new events.

The horizon is the id up to which every event is settled: each id at or below it has either
committed (and is readable) or will never appear. Ids are handed out in one order and can commit
in another, so the horizon stops at the first id that may still commit: a subscriber never moves
its cursor past an event that shows up later, so nothing is skipped and nothing repeats.

A pump task loads the new events past the horizon (one query for all subscribers), keeps the
recent ones in memory (reads of recent events cost no query, which is what lets thousands of
subscribers share one event) and wakes subscribers. How it learns of new events differs:

- `MemoryBroker` (embedded SQLite, one process): the outbox announces each event in-process.
  One writer at a time means ids commit in order.
- `PgBroker` (events/pg_listener.py): LISTEN/NOTIFY on a dedicated connection, across processes.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
from bisect import bisect_right
from collections import deque
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass

from cungoods.models import Event
from cungoods.observability import metrics

log = logging.getLogger("cungoods.broker")

READ_BATCH = 100  # events a subscriber reads at once
FETCH_BATCH = 1000  # events the pump loads at once
CACHE_SIZE = 20_000  # recent events kept in memory
DRAIN_SECONDS = 5.0  # on stop, how long open subscriptions get to complete


@dataclass(frozen=True, slots=True)
class EventRecord:
    """An outbox event as subscribers see it."""

    id: int
    kind: str
    at: dt.datetime
    message: str
    trip_id: int | None
    order_id: int | None
    purchase_id: int | None
    station_id: int | None
    stop_seq: int | None
    status: str | None

    @classmethod
    def of(cls, event: Event) -> EventRecord:
        return cls(
            id=event.id,
            kind=event.kind,
            at=event.at,
            message=event.message,
            trip_id=event.trip_id,
            order_id=event.order_id,
            purchase_id=event.purchase_id,
            station_id=event.station_id,
            stop_seq=event.stop_seq,
            status=event.status,
        )


# An event and the topics it was written under, as the pump loads them.
Loaded = tuple[EventRecord, tuple[str, ...]]


class Subscription:
    """One subscriber's place at the broker: woken when its topic gets events."""

    __slots__ = ("_wake", "closed", "topic")

    def __init__(self, topic: str) -> None:
        self.topic = topic
        self.closed = False
        self._wake = asyncio.Event()

    def notify(self) -> None:
        self._wake.set()

    def close(self) -> None:
        self.closed = True
        self._wake.set()

    def reset(self) -> None:
        """Forget past wake-ups; call before reading, so a wake-up during the read counts."""
        self._wake.clear()

    async def wait(self) -> None:
        await self._wake.wait()


class Broker:
    """The part shared by both brokers: horizon, recent events, subscribers, the pump."""

    kind = "base"
    # How long the pump sleeps when nothing wakes it (a safety net against a lost wake-up).
    idle_seconds = 5.0

    def __init__(self, *, cache_size: int = CACHE_SIZE) -> None:
        self._subscribers: dict[str, set[Subscription]] = {}
        self._horizon = 0
        # The cache holds every event with an id in (floor, horizon], indexed by topic.
        self._floor = 0
        self._recent: deque[Loaded] = deque()
        self._by_topic: dict[str, list[EventRecord]] = {}
        self._cache_size = cache_size
        self._dirty = asyncio.Event()
        self._ready = asyncio.Event()
        self._closing = False
        self.started = False  # start() was called: the app is serving live updates
        self._pump_task: asyncio.Task[None] | None = None
        self._drained = asyncio.Event()
        self._drained.set()

    # -- lifecycle ------------------------------------------------------------------------

    @property
    def connected(self) -> bool:
        """Whether events reach this broker right now (the health check reports it)."""
        return self._pump_task is not None and not self._closing

    @property
    def horizon(self) -> int:
        return self._horizon

    @property
    def subscriber_count(self) -> int:
        return sum(len(subs) for subs in self._subscribers.values())

    async def start(self) -> None:
        self.started = True
        await self._open()
        self._pump_task = asyncio.create_task(self._pump(), name=f"cungoods-{self.kind}-broker")

    async def stop(self) -> None:
        """Complete every open subscription (each delivers what is settled, then ends), then
        stop the pump and close its connection."""
        self._closing = True
        self._ready.set()
        for subs in list(self._subscribers.values()):
            for sub in list(subs):
                sub.close()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._drained.wait(), timeout=DRAIN_SECONDS)
        if self._pump_task is not None:
            self._pump_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._pump_task
            self._pump_task = None
        await self._close()

    def poke(self) -> None:
        """Something may have been written: load what is new."""
        self._dirty.set()

    # -- subscribers ----------------------------------------------------------------------

    def subscribe(self, topic: str) -> Subscription:
        sub = Subscription(topic)
        if self._closing:
            sub.close()
            return sub
        self._subscribers.setdefault(topic, set()).add(sub)
        metrics.OPEN_SUBSCRIPTIONS.inc()
        self._drained.clear()
        return sub

    def unsubscribe(self, sub: Subscription) -> None:
        subs = self._subscribers.get(sub.topic)
        if subs is not None and sub in subs:
            subs.remove(sub)
            metrics.OPEN_SUBSCRIPTIONS.dec()
            if not subs:
                del self._subscribers[sub.topic]
        if not self._subscribers:
            self._drained.set()

    async def follow(self, topic: str, *, after: int | None) -> AsyncIterator[EventRecord]:
        """The events of `topic` after the id `after` (or, without it, from now on): the
        missed ones from the table first, then live ones as they settle, in id order, each
        once. Ends when the broker stops."""
        sub = self.subscribe(topic)
        try:
            await self._ready.wait()
            cursor = self._horizon if after is None else after
            while True:
                sub.reset()
                batch = await self.read(topic, after=cursor)
                for record in batch:
                    cursor = record.id
                    yield record
                if len(batch) == READ_BATCH:
                    continue
                if sub.closed:
                    return
                await sub.wait()
        finally:
            self.unsubscribe(sub)

    async def read(self, topic: str, *, after: int, limit: int = READ_BATCH) -> list[EventRecord]:
        """Settled events of `topic` with ids after `after`, oldest first: from memory when the
        cache covers them, else from the table."""
        horizon = self._horizon
        if after >= horizon:
            return []
        if after >= self._floor:
            cached = self._by_topic.get(topic, [])
            start = bisect_right(cached, after, key=lambda record: record.id)
            return [record for record in cached[start : start + limit] if record.id <= horizon]
        rows = (
            await Event.filter(topics__topic=topic, id__gt=after, id__lte=horizon)
            .order_by("id")
            .limit(limit)
        )
        return [EventRecord.of(row) for row in rows]

    # -- the pump -------------------------------------------------------------------------

    def _advance(self, loaded: Sequence[Loaded], horizon: int) -> None:
        """Settle everything up to `horizon` (`loaded` are its new events): cache them, then
        wake the subscribers of their topics."""
        touched: set[str] = set()
        metrics.EVENTS_PUBLISHED.inc(len(loaded))
        for record, topics in loaded:
            self._recent.append((record, topics))
            for topic in topics:
                self._by_topic.setdefault(topic, []).append(record)
            touched.update(topics)
        self._horizon = max(self._horizon, horizon)
        while len(self._recent) > self._cache_size:
            record, topics = self._recent.popleft()
            for topic in topics:
                cached = self._by_topic[topic]
                del cached[0]
                if not cached:
                    del self._by_topic[topic]
            self._floor = record.id
        for topic in touched:
            for sub in self._subscribers.get(topic, ()):
                sub.notify()

    def _start_at(self, horizon: int) -> None:
        self._horizon = self._floor = horizon

    async def _pump(self) -> None:
        failures = 0
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._dirty.wait(), timeout=self._next_tick())
            self._dirty.clear()
            try:
                await self._sync()
            except asyncio.CancelledError:
                raise
            except Exception as error:  # keep the pump alive whatever happens; retry
                failures += 1
                await self._on_failure(error)
                await asyncio.sleep(min(0.1 * 2 ** min(failures, 6), 5.0))
                self._dirty.set()
            else:
                failures = 0

    def _next_tick(self) -> float:
        return self.idle_seconds

    # -- what each broker provides --------------------------------------------------------

    async def _open(self) -> None:
        raise NotImplementedError

    async def _close(self) -> None:
        raise NotImplementedError

    async def _sync(self) -> None:
        """Load what committed past the horizon and advance it."""
        raise NotImplementedError

    async def _on_failure(self, error: Exception) -> None:
        log.warning("%s broker: loading events failed, retrying", self.kind, exc_info=error)
