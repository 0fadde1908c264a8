"""Look-ups by key batched across requests: every key asked for within one turn of the event
loop is read with one query.

A DataLoader batches within one request; some look-ups come in bursts across requests
instead: thousands of sockets re-reading their viewer when one event reaches them all, or
subscribing to a bus's progress as the buses leave. Each caller awaits its own key; the first
one schedules the read for the end of the loop turn, and the read's failure (an outage, say)
reaches every caller of the batch. The read runs in the context of the batch's first caller, so
callers inside a transaction must not use it.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Awaitable, Callable, Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")
# Keys per read: well under SQLite's and PostgreSQL's parameter limits.
CHUNK = 500
# Reads the rows of some keys (at most CHUNK): key -> value, absent keys left out.
ReadMany = Callable[[list[K]], Awaitable[dict[K, V]]]


class _Turn(Generic[K, V]):
    """The keys asked for in one turn of one event loop."""

    def __init__(self) -> None:
        self.waiting: dict[K, list[asyncio.Future[V | None]]] = {}
        self.scheduled = False
        self.reading: set[asyncio.Task[None]] = set()  # a task must be referenced to run


class Batched(Generic[K, V]):
    """`await batched.load(key)`: the value of `key` (None if absent), read together with
    every other key asked for in the same turn of the loop."""

    def __init__(self, read_many: ReadMany[K, V], *, chunk: int = CHUNK) -> None:
        self._read_many = read_many
        self._chunk = chunk
        self._turns: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Turn[K, V]] = (
            weakref.WeakKeyDictionary()
        )

    def load(self, key: K) -> asyncio.Future[V | None]:
        loop = asyncio.get_running_loop()
        turn = self._turns.get(loop)
        if turn is None:
            turn = self._turns[loop] = _Turn()
        future: asyncio.Future[V | None] = loop.create_future()
        turn.waiting.setdefault(key, []).append(future)
        if not turn.scheduled:
            turn.scheduled = True
            loop.call_soon(self._start, turn)
        return future

    def _start(self, turn: _Turn[K, V]) -> None:
        task = asyncio.ensure_future(self._read(turn))
        turn.reading.add(task)
        task.add_done_callback(turn.reading.discard)

    async def _read(self, turn: _Turn[K, V]) -> None:
        waiting, turn.waiting, turn.scheduled = turn.waiting, {}, False
        keys = list(waiting)
        found: dict[K, V] = {}
        try:
            for start in range(0, len(keys), self._chunk):
                found.update(await self._read_many(keys[start : start + self._chunk]))
        except Exception as error:  # every caller gets the failure
            for futures in waiting.values():
                for future in futures:
                    if not future.done():
                        future.set_exception(error)
            return
        for key, futures in waiting.items():
            for future in futures:
                if not future.done():
                    future.set_result(found.get(key))
