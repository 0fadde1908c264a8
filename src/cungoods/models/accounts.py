"""Accounts: one user may hold several roles; a leader (or a villager) belongs to a station."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

from cungoods.models.network import Station


class User(Model):
    id = fields.IntField(primary_key=True)
    phone = fields.CharField(max_length=20, unique=True)
    name = fields.CharField(max_length=50)
    password_hash = fields.CharField(max_length=200)
    # A list of Role values; small and always read with the user, so a JSON column.
    roles: list[str] = fields.JSONField(default=list)
    station: fields.ForeignKeyNullableRelation[Station] = fields.ForeignKeyField(
        "models.Station", related_name="users", null=True, on_delete=fields.SET_NULL
    )
    created_at = fields.DatetimeField(auto_now_add=True)
    # The language their notifications are written in: "zh" or "en".
    language = fields.CharField(max_length=2, default="zh", db_default="zh")

    station_id: int | None

    class Meta:
        table = "account"  # "user" is a reserved word in PostgreSQL
        indexes = (("station_id",),)  # a station's people (its leader)
