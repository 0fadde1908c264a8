"""The outbox: every status change is an Event row written in the same transaction as the change.

An event concerns several topics (trip:ID, order:ID, purchase:ID, station:ID, user:ID); the
EventTopic rows index it under each, so a subscription replays its topic with one indexed query.
"""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class Event(Model):
    id = fields.BigIntField(primary_key=True)
    kind = fields.CharField(max_length=32)
    at = fields.DatetimeField(auto_now_add=True)
    message = fields.CharField(max_length=300, default="")
    trip_id = fields.IntField(null=True)
    # The trip a move took the order or purchase off (trip_id is the one it rides now): the
    # response cache judges an event by every trip it changed (events/watermark.py).
    from_trip_id = fields.IntField(null=True)
    order_id = fields.IntField(null=True)
    purchase_id = fields.IntField(null=True)
    station_id = fields.IntField(null=True)
    stop_seq = fields.IntField(null=True)
    # The status an order or purchase moved to, when the event is such a change.
    status = fields.CharField(max_length=16, null=True)

    class Meta:
        table = "event"
        # An order's and a purchase's history, in order (trip events are read by topic).
        indexes = (("order_id", "id"), ("purchase_id", "id"))

    topics: fields.ReverseRelation[EventTopic]


class EventTopic(Model):
    id = fields.BigIntField(primary_key=True)
    event: fields.ForeignKeyRelation[Event] = fields.ForeignKeyField(
        "models.Event", related_name="topics", on_delete=fields.CASCADE
    )
    topic = fields.CharField(max_length=40)

    event_id: int

    class Meta:
        table = "event_topic"
        unique_together = (("topic", "event"),)
        indexes = (("event_id",),)  # an event's topics (the listener's join, the cascade)
