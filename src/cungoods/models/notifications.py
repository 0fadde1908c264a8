"""The notification inbox: one row per person told of an event, in their language, and where
its text message (SMS) stands."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

from cungoods.models.accounts import User
from cungoods.models.enums import SmsState
from cungoods.models.events import Event


class Notification(Model):
    """Written with its event, in the same transaction (events/notices.py)."""

    id = fields.BigIntField(primary_key=True)
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="notifications", on_delete=fields.CASCADE
    )
    event: fields.ForeignKeyRelation[Event] = fields.ForeignKeyField(
        "models.Event", related_name="notifications", on_delete=fields.CASCADE
    )
    kind = fields.CharField(max_length=32)
    language = fields.CharField(max_length=2)
    text = fields.CharField(max_length=300)
    created_at = fields.DatetimeField(auto_now_add=True)
    read_at = fields.DatetimeField(null=True)
    # The text message: claimed PENDING -> SENDING by one conditional UPDATE, so it goes once.
    sms_state = fields.CharEnumField(SmsState, default=SmsState.OFF, max_length=8)
    sms_attempts = fields.IntField(default=0)
    # PENDING: not before this instant (the back-off). SENDING: the claim lapses at it.
    sms_next_at = fields.DatetimeField(null=True)

    user_id: int
    event_id: int

    class Meta:
        table = "notification"
        # A person's inbox newest first, the sender's queue, an event's notifications.
        indexes = (("user_id", "id"), ("sms_state", "sms_next_at"), ("event_id",))
