"""Runs each sale window's cutoff by itself while the server runs.

One background task per server process sleeps until the next cutoff time (at most `max_sleep`
seconds, so windows opened meanwhile and a moved test clock are noticed) and then runs every
cutoff that is due. Several processes may do this at once: the cutoff claims its window row
first, so only one of them confirms the orders.
"""

from __future__ import annotations

import logging

from cungoods.jobs.timer import Timer
from cungoods.services import clock, orders

log = logging.getLogger("cungoods.cutoff")

DEFAULT_MAX_SLEEP = 30.0
MIN_SLEEP = 0.05


class CutoffScheduler(Timer):
    """Start it when the server starts, stop it when the server stops."""

    name = "cutoff"

    def __init__(self, *, max_sleep: float = DEFAULT_MAX_SLEEP) -> None:
        super().__init__()
        self.max_sleep = max_sleep

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
