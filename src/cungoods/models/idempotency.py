"""Stored results of keyed mutations (placeOrder, buyProduce, acceptOffer)."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

from cungoods.models.accounts import User


class IdempotencyKey(Model):
    """The unique (user, operation, key) row is claimed inside the use case's transaction, so of
    many concurrent retries exactly one does the work and the rest read its result."""

    id = fields.IntField(primary_key=True)
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="idempotency_keys", on_delete=fields.CASCADE
    )
    operation = fields.CharField(max_length=32)
    key = fields.CharField(max_length=100)
    request_hash = fields.CharField(max_length=64)
    result_id = fields.IntField()
    created_at = fields.DatetimeField(auto_now_add=True)

    user_id: int

    class Meta:
        table = "idempotency_key"
        unique_together = (("user", "operation", "key"),)
