"""Turning an event into notifications: one row per person told, in their language, written by
the outbox inside the event's transaction (two statements: who they are, then every row).

The people are the event's `user_ids` and, for the station events that matter to a station's
leader (the bus late for their station, the bus arrived there), the leaders of those stations.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from cungoods.db import sql
from cungoods.events.notice_texts import DEFAULT_LANGUAGE, LANGUAGES, text_for
from cungoods.models import Event, Notification, User
from cungoods.models.enums import Role, SmsState

_sms_enabled = False


# Steps a person need not be told of: the hub loading the bus is followed within the hour by
# the departure (ORDER_IN_TRANSIT), and a text message for each would be noise. They still
# reach the live streams.
UNTOLD = frozenset({"ORDER_LOADED"})


def configure(*, sms_enabled: bool) -> None:
    """Whether notifications written from now on are queued for a text message (create_app
    sets it from CUNGOODS_SMS_URL): with no provider, nothing piles up to be sent later."""
    global _sms_enabled
    _sms_enabled = sms_enabled


def _roles(value: Any) -> list[str]:
    # A JSON column read by plain SQL: text on SQLite (and on PostgreSQL's json), a list if decoded.
    if isinstance(value, str):
        decoded = json.loads(value)
        return [str(role) for role in decoded] if isinstance(decoded, list) else []
    return [str(role) for role in value or ()]


async def write(
    event: Event,
    *,
    user_ids: tuple[int, ...],
    leaders_of: tuple[int, ...] = (),
    params: Mapping[str, object] | None = None,
) -> int:
    """Write the event's notifications; returns how many."""
    if event.kind in UNTOLD:
        return 0
    people = sorted(set(user_ids))
    stations = sorted(set(leaders_of))
    if not people and not stations:
        return 0
    table = User._meta.db_table
    where = []
    args: list[object] = []
    if people:
        where.append(f"id IN ({sql.placeholders(1, len(people))})")
        args += people
    if stations:
        # Only the leaders of those stations (villagers belong to a station too): a text match
        # on the JSON list, the same on both databases; _roles() below decides exactly.
        where.append(
            f"(station_id IN ({sql.placeholders(1 + len(args), len(stations))}) "
            f"AND CAST(roles AS TEXT) LIKE '%\"{Role.LEADER.value}\"%')"
        )
        args += stations
    rows = await sql.fetch(
        f"SELECT id, language, phone, station_id, roles FROM {table} WHERE {' OR '.join(where)}",
        *args,
    )
    wanted = set(people)
    told = [
        row
        for row in rows
        if row["id"] in wanted
        or (row["station_id"] in stations and Role.LEADER.value in _roles(row["roles"]))
    ]
    if not told:
        return 0
    told.sort(key=lambda row: int(row["id"]))
    values = dict(params or {})
    now = sql.now()
    await sql.insert_many(
        Notification,
        (
            "user_id",
            "event_id",
            "kind",
            "language",
            "text",
            "created_at",
            "read_at",
            "sms_state",
            "sms_attempts",
            "sms_next_at",
        ),
        (
            (
                int(row["id"]),
                event.id,
                event.kind,
                language,
                text_for(event.kind, language, message=event.message, params=values),
                now,
                None,
                SmsState.PENDING if _sms_enabled and row["phone"] else SmsState.OFF,
                0,
                now if _sms_enabled and row["phone"] else None,
            )
            for row in told
            for language in [row["language"] if row["language"] in LANGUAGES else DEFAULT_LANGUAGE]
        ),
    )
    return len(told)
