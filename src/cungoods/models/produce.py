"""Upstream: farmers' produce to the city on the buses' return trip."""

from __future__ import annotations

from tortoise import fields
from tortoise.migrations.constraints import CheckConstraint
from tortoise.models import Model

from cungoods.models.accounts import User
from cungoods.models.enums import (
    ListingStatus,
    OfferStatus,
    PaymentStatus,
    PayWith,
    PurchaseStatus,
    RequestStatus,
    Temperature,
)
from cungoods.models.network import Station, Trip
from cungoods.models.shipping import Shipment


class ProduceListing(Model):
    """A farmer's offer: `sold` only grows by a conditional update within `quantity`."""

    id = fields.IntField(primary_key=True)
    farmer: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="listings", on_delete=fields.RESTRICT
    )
    title = fields.CharField(max_length=100)
    category = fields.CharField(max_length=32, db_index=True)
    variety = fields.CharField(max_length=50, default="")
    grade = fields.CharField(max_length=20, default="")
    unit = fields.CharField(max_length=16)
    unit_weight_g = fields.IntField()
    unit_volume_cm3 = fields.IntField()
    price_fen = fields.IntField()
    quantity = fields.IntField()
    sold = fields.IntField(default=0)
    min_quantity = fields.IntField(default=1)
    station: fields.ForeignKeyRelation[Station] = fields.ForeignKeyField(
        "models.Station", related_name="listings", on_delete=fields.RESTRICT
    )
    ready_from = fields.DateField()
    ready_until = fields.DateField()
    temperature = fields.CharEnumField(Temperature, default=Temperature.AMBIENT, max_length=16)
    description = fields.TextField(default="")
    photo_urls: list[str] = fields.JSONField(default=list)
    status = fields.CharEnumField(ListingStatus, default=ListingStatus.OPEN, max_length=16)
    created_at = fields.DatetimeField(auto_now_add=True)

    farmer_id: int
    station_id: int

    class Meta:
        table = "produce_listing"
        # A farmer's listings, a station's, and the market: OPEN listings still ready.
        indexes = (("farmer_id",), ("station_id",), ("status", "ready_until"))
        constraints = (
            CheckConstraint(
                check="sold >= 0 AND sold <= quantity", name="listing_sold_within_quantity"
            ),
        )


class ProduceRequest(Model):
    """A buyer's purchase request (求购) that farmers quote on."""

    id = fields.IntField(primary_key=True)
    buyer: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="produce_requests", on_delete=fields.RESTRICT
    )
    what = fields.CharField(max_length=100)
    category = fields.CharField(max_length=32, default="")
    unit = fields.CharField(max_length=16, default="斤")
    quantity = fields.IntField()
    accepted_quantity = fields.IntField(default=0)
    max_price_fen = fields.IntField()
    needed_by = fields.DateField()
    status = fields.CharEnumField(RequestStatus, default=RequestStatus.OPEN, max_length=16)
    created_at = fields.DatetimeField(auto_now_add=True)

    buyer_id: int

    class Meta:
        table = "produce_request"
        indexes = (("buyer_id",), ("status", "needed_by"))  # the open requests still needed


class ProduceOffer(Model):
    """A farmer's quote on a request: new produce is offered through a listing made for it."""

    id = fields.IntField(primary_key=True)
    request: fields.ForeignKeyRelation[ProduceRequest] = fields.ForeignKeyField(
        "models.ProduceRequest", related_name="offers", on_delete=fields.CASCADE
    )
    farmer: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="produce_offers", on_delete=fields.RESTRICT
    )
    listing: fields.ForeignKeyRelation[ProduceListing] = fields.ForeignKeyField(
        "models.ProduceListing", related_name="offers", on_delete=fields.RESTRICT
    )
    quantity = fields.IntField()
    price_fen = fields.IntField()
    ready_on = fields.DateField()
    status = fields.CharEnumField(OfferStatus, default=OfferStatus.OPEN, max_length=16)
    created_at = fields.DatetimeField(auto_now_add=True)

    request_id: int
    farmer_id: int
    listing_id: int

    class Meta:
        table = "produce_offer"
        indexes = (("request_id",), ("farmer_id",), ("listing_id",))


class ProducePurchase(Model):
    """An upstream order: produce bought from a listing (or an accepted offer), riding a trip
    from the handover station to the hub."""

    id = fields.IntField(primary_key=True)
    number = fields.CharField(max_length=32, unique=True)
    buyer: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="produce_purchases", on_delete=fields.RESTRICT
    )
    listing: fields.ForeignKeyRelation[ProduceListing] = fields.ForeignKeyField(
        "models.ProduceListing", related_name="purchases", on_delete=fields.RESTRICT
    )
    offer: fields.ForeignKeyNullableRelation[ProduceOffer] = fields.ForeignKeyField(
        "models.ProduceOffer", related_name="purchases", null=True, on_delete=fields.RESTRICT
    )
    station: fields.ForeignKeyRelation[Station] = fields.ForeignKeyField(
        "models.Station", related_name="produce_purchases", on_delete=fields.RESTRICT
    )
    quantity = fields.IntField()
    handed_over_quantity = fields.IntField(null=True)
    unit_price_fen = fields.IntField()
    total_fen = fields.IntField()
    # The money (issue 12): how it is paid, where it stands, and by when an unpaid one must be
    # paid before it is released. Rows from before the money existed count as paid.
    # Database defaults too, so existing rows get them when the columns are added.
    pay_with = fields.CharEnumField(
        PayWith, default=PayWith.BALANCE, db_default=PayWith.BALANCE.value, max_length=8
    )
    payment_status = fields.CharEnumField(
        PaymentStatus,
        default=PaymentStatus.PAID,
        db_default=PaymentStatus.PAID.value,
        max_length=16,
    )
    paid_fen = fields.IntField(default=0, db_default=0)
    refunded_fen = fields.IntField(default=0, db_default=0)
    pay_by = fields.DatetimeField(null=True)
    trip: fields.ForeignKeyRelation[Trip] = fields.ForeignKeyField(
        "models.Trip", related_name="produce_purchases", on_delete=fields.RESTRICT
    )
    shipment: fields.ForeignKeyRelation[Shipment] = fields.ForeignKeyField(
        "models.Shipment", related_name="produce_purchases", on_delete=fields.RESTRICT
    )
    status = fields.CharEnumField(PurchaseStatus, default=PurchaseStatus.RESERVED, max_length=16)
    collect_code = fields.CharField(max_length=6)
    # Set once when it has waited AT_HUB past the pickup grace period (services/returns.py).
    overdue_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    buyer_id: int
    listing_id: int
    offer_id: int | None
    station_id: int
    trip_id: int
    shipment_id: int

    class Meta:
        table = "produce_purchase"
        # The expiry sweep reads RESERVED purchases unpaid past pay_by.
        indexes = (
            ("buyer_id", "id"),
            ("trip_id", "station_id"),
            ("status", "pay_by"),
            ("listing_id",),
            ("offer_id",),
            ("station_id",),
            ("shipment_id",),
        )
