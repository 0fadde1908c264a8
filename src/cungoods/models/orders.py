"""Downstream group-buy orders to village stations."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

from cungoods.models.accounts import User
from cungoods.models.catalog import SaleItem, SaleWindow
from cungoods.models.enums import OrderStatus, PaymentStatus, PayWith
from cungoods.models.network import Station, Trip
from cungoods.models.shipping import Shipment


class Order(Model):
    id = fields.IntField(primary_key=True)
    number = fields.CharField(max_length=32, unique=True)
    buyer: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="orders", on_delete=fields.RESTRICT
    )
    station: fields.ForeignKeyRelation[Station] = fields.ForeignKeyField(
        "models.Station", related_name="orders", on_delete=fields.RESTRICT
    )
    window: fields.ForeignKeyRelation[SaleWindow] = fields.ForeignKeyField(
        "models.SaleWindow", related_name="orders", on_delete=fields.RESTRICT
    )
    service_date = fields.DateField(db_index=True)
    trip: fields.ForeignKeyRelation[Trip] = fields.ForeignKeyField(
        "models.Trip", related_name="orders", on_delete=fields.RESTRICT
    )
    shipment: fields.ForeignKeyRelation[Shipment] = fields.ForeignKeyField(
        "models.Shipment", related_name="orders", on_delete=fields.RESTRICT
    )
    status = fields.CharEnumField(OrderStatus, default=OrderStatus.PLACED, max_length=16)
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
    pickup_code = fields.CharField(max_length=6)
    # When it was handed out, by the service clock: the after-sale window counts from it.
    picked_up_at = fields.DatetimeField(null=True)
    wrong_code_attempts = fields.IntField(default=0)
    created_at = fields.DatetimeField(auto_now_add=True)

    buyer_id: int
    station_id: int
    window_id: int
    trip_id: int
    shipment_id: int

    class Meta:
        table = "cg_order"  # "order" is reserved in SQL
        # The buyer's orders, a trip's manifest, the cutoff (a window's PLACED orders), the
        # expiry sweep (PLACED and unpaid past pay_by), a station's orders, a shipment's order.
        indexes = (
            ("buyer_id", "id"),
            ("trip_id", "station_id"),
            ("window_id", "status"),
            ("status", "pay_by"),
            ("station_id",),
            ("shipment_id",),
        )


class OrderLine(Model):
    id = fields.IntField(primary_key=True)
    order: fields.ForeignKeyRelation[Order] = fields.ForeignKeyField(
        "models.Order", related_name="lines", on_delete=fields.CASCADE
    )
    sale_item: fields.ForeignKeyRelation[SaleItem] = fields.ForeignKeyField(
        "models.SaleItem", related_name="order_lines", on_delete=fields.RESTRICT
    )
    quantity = fields.IntField()
    unit_price_fen = fields.IntField()

    order_id: int
    sale_item_id: int

    class Meta:
        table = "order_line"
        indexes = (("order_id",), ("sale_item_id",))
