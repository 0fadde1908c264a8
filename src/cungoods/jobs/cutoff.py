"""Runs each sale window's cutoff by itself while the server runs.

One background task per server process sleeps until the next cutoff time (at most `max_sleep`
seconds, so windows opened meanwhile and a moved test clock are noticed) and then runs every
cutoff that is due. Several processes may do this at once: the cutoff claims its window row
first, so only one of them confirms the orders.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from cungoods.services import clock, orders

log = logging.getLogger("cungoods.cutoff")

DEFAULT_MAX_SLEEP = 30.0
MIN_SLEEP = 0.05
RETRY_AFTER_ERROR = 5.0


class CutoffScheduler:
    """Start it when the server starts, stop it when the server stops."""

    def __init__(self, *, max_sleep: float = DEFAULT_MAX_SLEEP) -> None:
        self.max_sleep = max_sleep
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="cungoods-cutoff")

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def tick(self) -> float:
        """Run the due cutoffs; returns how long to sleep before the next look."""
        done = await orders.run_due_cutoffs()
        if done:
            log.info("cutoff ran for %d sale window(s)", len(done))
        upcoming = await orders.next_cutoff_at()
        if upcoming is None:
            return self.max_sleep
        wait = (upcoming - clock.now()).total_seconds()
        return min(self.max_sleep, max(MIN_SLEEP, wait))

    async def _run(self) -> None:
        while True:
            try:
                pause = await self.tick()
            except Exception:  # a database hiccup must not end the loop: log it, try again
                log.exception("running the cutoffs failed")
                pause = RETRY_AFTER_ERROR
            await asyncio.sleep(pause)
