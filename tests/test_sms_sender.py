"""The SMS boundary against a real HTTP server on 127.0.0.1 (starlette under uvicorn, in the
test): notifications are POSTed as JSON with an idempotency key, retried with back-off when the
provider fails, delivered exactly once, given up after the last attempt, and counted in
/metrics."""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from builders_live import free_port, live_server, make_line, make_user, place_order
from cungoods.config import Settings
from cungoods.models import Notification, User
from cungoods.models.enums import Role, SmsState
from cungoods.services import notify_sender

WAIT_ROUNDS = 1000  # × 0.01 s: a bound, so a broken sender fails the test instead of hanging


@dataclass
class Provider:
    """A fake SMS provider: fails the first `failures` POSTs of each message with 503."""

    failures: int
    received: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    delivered: list[str] = field(default_factory=list)

    async def send(self, request: Request) -> JSONResponse:
        key = request.headers.get("idempotency-key", "")
        body = await request.json()
        self.received.append((key, body))
        if sum(1 for k, _ in self.received if k == key) <= self.failures:
            return JSONResponse({"error": "try later"}, status_code=503)
        if key not in self.delivered:  # a real provider sends once per idempotency key
            self.delivered.append(key)
        return JSONResponse({"ok": True})


@contextlib.asynccontextmanager
async def provider_at(provider: Provider) -> AsyncIterator[str]:
    app = Starlette(routes=[Route("/sms", provider.send, methods=["POST"])])
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    )
    task = asyncio.create_task(server.serve())
    for _ in range(WAIT_ROUNDS):
        if server.started:
            break
        await asyncio.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}/sms"
    finally:
        server.should_exit = True
        await task


def sms_settings(settings: Settings, url: str, **more: Any) -> Settings:
    return settings.model_copy(
        update={"sms_url": url, "sms_retry_seconds": 0.01, "sms_max_attempts": 4, **more}
    )


async def settled(count: int) -> list[Notification]:
    """Wait until `count` notifications have left PENDING/SENDING; return them all."""
    for _ in range(WAIT_ROUNDS):
        rows = await Notification.all().order_by("id")
        done = [r for r in rows if r.sms_state in (SmsState.SENT, SmsState.FAILED)]
        if len(done) >= count:
            return rows
        await asyncio.sleep(0.01)
    raise AssertionError("the sender never got there")


def counter(metrics_text: str, outcome: str) -> float:
    found = re.search(rf'^cungoods_sms_total{{outcome="{outcome}"}} (\S+)$', metrics_text, re.M)
    return float(found.group(1)) if found else 0.0


async def test_a_failing_provider_gets_each_message_until_it_takes_it_exactly_once(
    settings: Settings,
) -> None:
    provider = Provider(failures=2)
    async with provider_at(provider) as url, live_server(sms_settings(settings, url)) as live:
        before = (await live.http.get("/metrics")).text
        line = await make_line(stations=2)
        buyer = await make_user(Role.BUYER)
        await User.filter(id=buyer.id).update(language="en")
        order = await place_order(line, 1, buyer)

        [row] = await settled(1)
        after = (await live.http.get("/metrics")).text

    key = notify_sender.idempotency_key(row.id)
    # Three attempts, all with the same key; the provider delivered the message once.
    assert [k for k, _ in provider.received] == [key, key, key]
    assert provider.delivered == [key]
    assert provider.received[-1][1] == {
        "notificationId": row.id,
        "phone": buyer.phone,
        "text": f"Order {order.number} is placed for pickup on {order.service_date}.",
        "language": "en",
        "kind": "ORDER_PLACED",
    }
    assert (row.sms_state, row.sms_attempts, row.sms_next_at) == (SmsState.SENT, 3, None)
    assert counter(after, "sent") - counter(before, "sent") == 1
    assert counter(after, "retried") - counter(before, "retried") == 2


async def test_a_message_the_provider_never_takes_is_given_up_after_the_last_attempt(
    settings: Settings,
) -> None:
    provider = Provider(failures=100)
    async with (
        provider_at(provider) as url,
        live_server(sms_settings(settings, url, sms_max_attempts=3)) as live,
    ):
        before = (await live.http.get("/metrics")).text
        line = await make_line(stations=2)
        await place_order(line, 1, await make_user(Role.BUYER))
        [row] = await settled(1)
        after = (await live.http.get("/metrics")).text

    assert (row.sms_state, row.sms_attempts) == (SmsState.FAILED, 3)
    assert len(provider.received) == 3
    assert counter(after, "failed") - counter(before, "failed") == 1


async def test_senders_racing_for_the_same_messages_send_each_once(settings: Settings) -> None:
    # Two processes' senders (two batches at once) over the same queue.
    provider = Provider(failures=0)
    notify_sender.configure(notify_sender.SmsConfig(url="unused"))
    try:
        line = await make_line(stations=2)
        buyers = [await make_user(Role.BUYER) for _ in range(5)]
        for buyer in buyers:
            await place_order(line, 1, buyer)
    finally:
        notify_sender.configure(None)
    async with provider_at(provider) as url:
        config = notify_sender.SmsConfig(url=url)
        outcomes = await asyncio.gather(*(notify_sender.send_due(config) for _ in range(2)))

    assert sum(outcome.sent for outcome in outcomes) == 5
    assert len(provider.received) == 5
    assert len({key for key, _ in provider.received}) == 5
    assert await Notification.filter(sms_state=SmsState.SENT).count() == 5


async def test_without_a_provider_nothing_is_queued(settings: Settings) -> None:
    async with live_server(settings):
        line = await make_line(stations=2)
        await place_order(line, 1, await make_user(Role.BUYER))

    assert await Notification.filter(sms_state=SmsState.OFF).count() == 1
