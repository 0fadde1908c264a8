"""Sends orders nobody picked up back to the hub and flags produce nobody collected at the hub
(services/returns.py), every `interval` seconds (jobs/timer.py). Each order is claimed by a
conditional update, so with several processes it is returned once."""

from __future__ import annotations

import datetime as dt
import logging

from cungoods.jobs.timer import Timer
from cungoods.services import clock, returns

log = logging.getLogger("cungoods.returns")

DEFAULT_INTERVAL = 300.0


class Returns(Timer):
    """Start it when the server starts, stop it when the server stops."""

    name = "returns"

    def __init__(self, *, grace_days: int, interval: float = DEFAULT_INTERVAL) -> None:
        super().__init__()
        self.grace = dt.timedelta(days=grace_days)
        self.interval = interval

    async def run_due(self) -> tuple[int, int]:
        returned, flagged = await returns.sweep(now=clock.now(), grace=self.grace)
        if returned or flagged:
            log.info("returned %d uncollected order(s), flagged %d purchase(s)", returned, flagged)
        return returned, flagged

    async def tick(self) -> float:
        await self.run_due()
        return self.interval
