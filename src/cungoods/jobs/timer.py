"""The one way a job runs by itself while the server runs: a background task per process that
calls `tick()` and sleeps for as long as it says, started and stopped with the server.

Several processes may run the same job at once; each job's work is claimed by conditional
updates in its use case, so it is done once. An error in a tick (a database hiccup) is logged
and the loop tries again after RETRY_AFTER_ERROR seconds: a timer never ends by itself."""

from __future__ import annotations

import asyncio
import contextlib
import logging

RETRY_AFTER_ERROR = 5.0


class Timer:
    """Subclasses give a `name` and a `tick()` returning the seconds until the next one."""

    name = "timer"

    def __init__(self) -> None:
        self._task: asyncio.Task[None] | None = None
        self._log = logging.getLogger(f"cungoods.{self.name}")

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name=f"cungoods-{self.name}")

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def tick(self) -> float:
        raise NotImplementedError

    async def _run(self) -> None:
        while True:
            try:
                pause = await self.tick()
            except Exception:  # a database hiccup must not end the loop: log it, try again
                self._log.exception("%s failed", self.name)
                pause = RETRY_AFTER_ERROR
            await asyncio.sleep(pause)
