"""Claims on delivered orders (issue 13): what was missing or damaged at the station's arrival
check (against the hub) and the buyers' after-sale claims (售后), with the arrival checks."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

from cungoods.models.accounts import User
from cungoods.models.catalog import SaleItem
from cungoods.models.enums import ClaimKind, ClaimStatus
from cungoods.models.network import Station, Trip
from cungoods.models.orders import Order


class Claim(Model):
    """A claim on an order's lines: filed (by the buyer, or by the leader at the arrival check),
    decided once, refunded through the refund path when approved."""

    id = fields.IntField(primary_key=True)
    kind = fields.CharEnumField(ClaimKind, max_length=16)
    status = fields.CharEnumField(ClaimStatus, default=ClaimStatus.FILED, max_length=16)
    order: fields.ForeignKeyRelation[Order] = fields.ForeignKeyField(
        "models.Order", related_name="claims", on_delete=fields.RESTRICT
    )
    buyer: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="claims", on_delete=fields.RESTRICT
    )
    filed_by: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="filed_claims", on_delete=fields.RESTRICT
    )
    reason = fields.CharField(max_length=500)
    photo_urls: list[str] = fields.JSONField(default=list)
    # The claimed units at the prices paid: the most an approval may refund.
    claimed_fen = fields.IntField()
    refund_fen = fields.IntField(default=0)
    note = fields.CharField(max_length=200, default="")
    resolved_by: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="resolved_claims", null=True, on_delete=fields.RESTRICT
    )
    created_at = fields.DatetimeField(auto_now_add=True)
    resolved_at = fields.DatetimeField(null=True)

    order_id: int
    buyer_id: int
    filed_by_id: int
    resolved_by_id: int | None

    class Meta:
        table = "claim"
        # An order's claims, a buyer's (myClaims), the dispatchers' queue by status.
        indexes = (
            ("order_id",),
            ("buyer_id", "id"),
            ("status", "id"),
            ("filed_by_id",),
            ("resolved_by_id",),
        )


class ClaimLine(Model):
    """Units of one line of the claimed order."""

    id = fields.IntField(primary_key=True)
    claim: fields.ForeignKeyRelation[Claim] = fields.ForeignKeyField(
        "models.Claim", related_name="lines", on_delete=fields.CASCADE
    )
    sale_item: fields.ForeignKeyRelation[SaleItem] = fields.ForeignKeyField(
        "models.SaleItem", related_name="claim_lines", on_delete=fields.RESTRICT
    )
    units = fields.IntField()
    unit_price_fen = fields.IntField()
    # "order id:sale item id" while the claim is FILED, NULL once it is decided: the unique
    # index lets an order line have one open claim at a time, whatever races.
    open_key = fields.CharField(max_length=32, null=True, unique=True)

    claim_id: int
    sale_item_id: int

    class Meta:
        table = "claim_line"
        indexes = (("claim_id",), ("sale_item_id",))


class ArrivalCheck(Model):
    """A station leader's check of what a trip brought (到货验收), once per trip and station."""

    id = fields.IntField(primary_key=True)
    trip: fields.ForeignKeyRelation[Trip] = fields.ForeignKeyField(
        "models.Trip", related_name="arrival_checks", on_delete=fields.RESTRICT
    )
    station: fields.ForeignKeyRelation[Station] = fields.ForeignKeyField(
        "models.Station", related_name="arrival_checks", on_delete=fields.RESTRICT
    )
    leader: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="arrival_checks", on_delete=fields.RESTRICT
    )
    missing_units = fields.IntField(default=0)
    refunded_fen = fields.IntField(default=0)
    created_at = fields.DatetimeField(auto_now_add=True)

    trip_id: int
    station_id: int
    leader_id: int

    class Meta:
        table = "arrival_check"
        unique_together = (("trip", "station"),)
        indexes = (("station_id",), ("leader_id",))
