"""The sender boundary: notifications go out as text messages to the SMS provider at
CUNGOODS_SMS_URL, each once.

A notification written with `sms_state` PENDING is due at once (`sms_next_at` null) or at its
back-off instant. A sender claims it by one conditional UPDATE (PENDING, or a SENDING claim that
lapsed, -> SENDING with a new lapse instant), so of several processes only one sends it; then it
POSTs `{notificationId, phone, text, language, kind}` with an `Idempotency-Key` header that is
the same on every attempt, so should a process die between the provider's answer and marking
the row SENT, the provider recognises the second attempt. A failure waits `retry_seconds`,
doubling per attempt, and after `max_attempts` the message is FAILED. Client errors other than
408 and 429 are not retried: the same request would be refused again.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

import httpx
from tortoise.expressions import F, Q

from cungoods.events import notices
from cungoods.models import Notification, User
from cungoods.models.enums import SmsState
from cungoods.observability import metrics
from cungoods.services import clock

log = logging.getLogger("cungoods.sms")

BATCH = 50
# How long a claim holds before another sender may take the message over (a process died).
CLAIM_SECONDS = 120.0


@dataclass(frozen=True)
class SmsConfig:
    url: str
    max_attempts: int = 5
    retry_seconds: float = 30.0
    timeout_seconds: float = 10.0


@dataclass(frozen=True)
class Outcome:
    sent: int = 0
    retried: int = 0
    failed: int = 0


def configure(config: SmsConfig | None) -> None:
    """With a provider, notifications written from now on are queued for a text message."""
    notices.configure(sms_enabled=config is not None)


def config_of(
    *, url: str | None, max_attempts: int, retry_seconds: float, timeout_seconds: float
) -> SmsConfig | None:
    """The sender's settings, or None when no provider is configured."""
    if not url:
        return None
    return SmsConfig(
        url=url,
        max_attempts=max_attempts,
        retry_seconds=retry_seconds,
        timeout_seconds=timeout_seconds,
    )


def idempotency_key(notification_id: int) -> str:
    return f"cungoods-notification-{notification_id}"


def _due(now: dt.datetime) -> Q:
    waiting = Q(sms_state=SmsState.PENDING) & (
        Q(sms_next_at__isnull=True) | Q(sms_next_at__lte=now)
    )
    lapsed = Q(sms_state=SmsState.SENDING) & Q(sms_next_at__lte=now)
    return waiting | lapsed


async def claim(notification_id: int, *, now: dt.datetime) -> bool:
    """Take one due message for sending; False when another sender has it (or it is done)."""
    changed = await Notification.filter(_due(now), id=notification_id).update(
        sms_state=SmsState.SENDING,
        sms_attempts=F("sms_attempts") + 1,
        sms_next_at=now + dt.timedelta(seconds=CLAIM_SECONDS),
    )
    return changed == 1


async def send_due(config: SmsConfig, *, client: httpx.AsyncClient | None = None) -> Outcome:
    """Send the messages due now (at most BATCH), each claimed first."""
    now = clock.now().astimezone(dt.UTC)
    rows = await Notification.filter(_due(now)).order_by("id").limit(BATCH).values("id")
    ids = [int(row["id"]) for row in rows]
    sent = retried = failed = 0
    own = client is None
    http = client or httpx.AsyncClient(timeout=config.timeout_seconds)
    try:
        for notification_id in ids:
            if not await claim(notification_id, now=now):
                continue
            result = await _send_one(http, config, notification_id)
            sent += result == SmsState.SENT
            failed += result == SmsState.FAILED
            retried += result == SmsState.PENDING
    finally:
        if own:
            await http.aclose()
    return Outcome(sent=sent, retried=retried, failed=failed)


async def _send_one(http: httpx.AsyncClient, config: SmsConfig, notification_id: int) -> SmsState:
    row = await Notification.get(id=notification_id)
    user = await User.get(id=row.user_id).only("id", "phone")
    permanent = False
    try:
        response = await http.post(
            config.url,
            json={
                "notificationId": row.id,
                "phone": user.phone,
                "text": row.text,
                "language": row.language,
                "kind": row.kind,
            },
            headers={"Idempotency-Key": idempotency_key(row.id)},
        )
        delivered = response.is_success
        permanent = response.is_client_error and response.status_code not in (408, 429)
    except httpx.HTTPError as error:
        log.warning("SMS %d not delivered: %r", row.id, error)
        delivered = False
    if delivered:
        await _settle(row.id, SmsState.SENT, None)
        metrics.SMS.labels(outcome="sent").inc()
        return SmsState.SENT
    if permanent or row.sms_attempts >= config.max_attempts:
        await _settle(row.id, SmsState.FAILED, None)
        metrics.SMS.labels(outcome="failed").inc()
        return SmsState.FAILED
    pause = config.retry_seconds * 2 ** (row.sms_attempts - 1)
    await _settle(row.id, SmsState.PENDING, clock.now() + dt.timedelta(seconds=pause))
    metrics.SMS.labels(outcome="retried").inc()
    return SmsState.PENDING


async def _settle(notification_id: int, state: SmsState, next_at: dt.datetime | None) -> None:
    # Only our own claim: a sender that took a lapsed claim over decides from then on.
    await Notification.filter(id=notification_id, sms_state=SmsState.SENDING).update(
        sms_state=state, sms_next_at=None if next_at is None else next_at.astimezone(dt.UTC)
    )


async def next_due_in(*, max_wait: float) -> float:
    """Seconds until the next message is due (at most `max_wait`; 0 when one is due now)."""
    now = clock.now().astimezone(dt.UTC)
    if await Notification.filter(_due(now)).exists():
        return 0.0
    upcoming = (
        await Notification.filter(
            sms_state__in=[SmsState.PENDING, SmsState.SENDING], sms_next_at__gt=now
        )
        .order_by("sms_next_at")
        .first()
    )
    if upcoming is None or upcoming.sms_next_at is None:
        return max_wait
    return min(max_wait, max(0.0, (upcoming.sms_next_at - now).total_seconds()))
