"""Sends notifications as text messages while the server runs (when CUNGOODS_SMS_URL is set).

One timer per process; every message is claimed by a conditional update before it is sent
(services/notify_sender.py), so several processes never send one twice."""

from __future__ import annotations

import httpx

from cungoods.jobs.timer import Timer
from cungoods.services import notify_sender

# A new message waits at most this long: one indexed look per second per process.
DEFAULT_MAX_SLEEP = 1.0
MIN_SLEEP = 0.05


class SmsSender(Timer):
    name = "sms"

    def __init__(self, config: notify_sender.SmsConfig, *, max_sleep: float = DEFAULT_MAX_SLEEP):
        super().__init__()
        self.config = config
        self.max_sleep = max_sleep
        self._client: httpx.AsyncClient | None = None

    async def tick(self) -> float:
        if self._client is None:
            self._client = httpx.AsyncClient(timeout=self.config.timeout_seconds)
        done = await notify_sender.send_due(self.config, client=self._client)
        if done.sent or done.failed:
            self._log.info(
                "SMS: %d sent, %d retried, %d failed", done.sent, done.retried, done.failed
            )
        wait = await notify_sender.next_due_in(max_wait=self.max_sleep)
        return max(MIN_SLEEP, wait)

    async def stop(self) -> None:
        await super().stop()
        client, self._client = self._client, None
        if client is not None:
            await client.aclose()
