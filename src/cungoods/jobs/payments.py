"""Releases orders and produce purchases left UNPAID past their pay-by instant: every `interval`
seconds (jobs/timer.py). Each release is one conditional UPDATE, so with several processes an
order is still released once."""

from __future__ import annotations

import logging

from cungoods.jobs.timer import Timer
from cungoods.services import clock, orders, purchases

log = logging.getLogger("cungoods.payments")

DEFAULT_INTERVAL = 15.0


class PaymentExpiry(Timer):
    """Start it when the server starts, stop it when the server stops."""

    name = "payment-expiry"

    def __init__(self, *, interval: float = DEFAULT_INTERVAL) -> None:
        super().__init__()
        self.interval = interval

    async def release_due(self) -> int:
        """Release what is due now; returns how many orders and purchases were released."""
        now = clock.now()
        released = await orders.expire_unpaid(now=now)
        released += await purchases.expire_unpaid(now=now)
        if released:
            log.info("released %d unpaid order(s) and purchase(s)", released)
        return released

    async def tick(self) -> float:
        await self.release_due()
        return self.interval
