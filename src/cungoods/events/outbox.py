"""The transactional outbox: write an event in the same transaction as the change it records.

On PostgreSQL the same transaction runs NOTIFY with the event id, which PostgreSQL delivers only
on commit, so listeners never hear of a change that rolled back.
"""

from __future__ import annotations

from tortoise import connections

from cungoods.models import Event, EventTopic

NOTIFY_CHANNEL = "cungoods_events"


def topics_of(
    *,
    trip_id: int | None = None,
    order_id: int | None = None,
    purchase_id: int | None = None,
    station_id: int | None = None,
    user_ids: tuple[int, ...] = (),
) -> list[str]:
    topics = [
        f"{name}:{value}"
        for name, value in (
            ("trip", trip_id),
            ("order", order_id),
            ("purchase", purchase_id),
            ("station", station_id),
        )
        if value is not None
    ]
    topics += [f"user:{user_id}" for user_id in sorted(set(user_ids))]
    return topics


async def record(
    kind: str,
    *,
    message: str = "",
    trip_id: int | None = None,
    order_id: int | None = None,
    purchase_id: int | None = None,
    station_id: int | None = None,
    stop_seq: int | None = None,
    status: str | None = None,
    user_ids: tuple[int, ...] = (),
) -> Event:
    """Write one event and its topics; call inside the use case's transaction."""
    event = await Event.create(
        kind=kind,
        message=message[:300],
        trip_id=trip_id,
        order_id=order_id,
        purchase_id=purchase_id,
        station_id=station_id,
        stop_seq=stop_seq,
        status=status,
    )
    topics = topics_of(
        trip_id=trip_id,
        order_id=order_id,
        purchase_id=purchase_id,
        station_id=station_id,
        user_ids=user_ids,
    )
    await EventTopic.bulk_create([EventTopic(event_id=event.id, topic=topic) for topic in topics])
    connection = connections.get("default")
    if connection.capabilities.dialect == "postgres":
        await connection.execute_query("SELECT pg_notify($1, $2)", [NOTIFY_CHANNEL, str(event.id)])
    return event
