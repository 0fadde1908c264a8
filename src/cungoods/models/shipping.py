"""Shipments: reservations of bus capacity, shared by both flows."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

from cungoods.models.enums import Direction, ShipmentState
from cungoods.models.network import Trip


class Shipment(Model):
    """Capacity reserved on a trip from stop `from_seq` to stop `to_seq` (legs from_seq..to_seq-1).

    A downstream order to the station at seq k rides 0 -> k: produce from it rides k -> last.
    """

    id = fields.IntField(primary_key=True)
    trip: fields.ForeignKeyRelation[Trip] = fields.ForeignKeyField(
        "models.Trip", related_name="shipments", on_delete=fields.RESTRICT
    )
    direction = fields.CharEnumField(Direction, max_length=8)
    from_seq = fields.IntField()
    to_seq = fields.IntField()
    weight_g = fields.IntField()
    volume_cm3 = fields.IntField()
    chilled_g = fields.IntField(default=0)
    state = fields.CharEnumField(ShipmentState, default=ShipmentState.RESERVED, max_length=16)
    created_at = fields.DatetimeField(auto_now_add=True)

    trip_id: int

    class Meta:
        table = "shipment"
        indexes = (("trip_id", "state"),)
