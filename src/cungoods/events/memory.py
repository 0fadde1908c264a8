"""The in-memory broker of the embedded default (SQLite, one process), over the same outbox
table as PostgreSQL's listener."""

from __future__ import annotations

from cungoods.events import local
from cungoods.events.broker import FETCH_BATCH, Broker, EventRecord
from cungoods.models import Event


class MemoryBroker(Broker):
    """The embedded default: the outbox wakes it in-process, it reads through the ORM."""

    kind = "memory"

    async def _open(self) -> None:
        last = await Event.all().order_by("-id").first()
        self._start_at(last.id if last else 0)
        local.add_hook(self.poke)
        self._ready.set()

    async def _close(self) -> None:
        local.remove_hook(self.poke)

    async def _sync(self) -> None:
        # One writer at a time: ids commit in order, so whatever is visible is settled.
        while True:
            rows = (
                await Event.filter(id__gt=self._horizon)
                .order_by("id")
                .limit(FETCH_BATCH)
                .prefetch_related("topics")
            )
            if not rows:
                return
            loaded = [
                (EventRecord.of(row), tuple(topic.topic for topic in row.topics)) for row in rows
            ]
            self._advance(loaded, rows[-1].id)
            if len(rows) < FETCH_BATCH:
                return
