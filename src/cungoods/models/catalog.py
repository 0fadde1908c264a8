"""The hub's catalog and its group-buy sale windows."""

from __future__ import annotations

from tortoise import fields
from tortoise.migrations.constraints import CheckConstraint
from tortoise.models import Model

from cungoods.models.enums import Temperature


class Product(Model):
    id = fields.IntField(primary_key=True)
    sku = fields.CharField(max_length=32, unique=True)
    name = fields.CharField(max_length=100)
    category = fields.CharField(max_length=32, db_index=True)
    unit = fields.CharField(max_length=16)
    price_fen = fields.IntField()
    weight_g = fields.IntField()
    volume_cm3 = fields.IntField()
    temperature = fields.CharEnumField(Temperature, default=Temperature.AMBIENT, max_length=16)

    class Meta:
        table = "product"


class SaleWindow(Model):
    """A group-buy session for one service date: order from `opens_at` until `cutoff_at`."""

    id = fields.IntField(primary_key=True)
    service_date = fields.DateField(unique=True)
    opens_at = fields.DatetimeField()
    cutoff_at = fields.DatetimeField()
    cutoff_done_at = fields.DatetimeField(null=True)

    class Meta:
        table = "sale_window"


class SaleItem(Model):
    """A product on sale in a window: `sold` only grows by a conditional update within `stock`."""

    id = fields.IntField(primary_key=True)
    window: fields.ForeignKeyRelation[SaleWindow] = fields.ForeignKeyField(
        "models.SaleWindow", related_name="items", on_delete=fields.CASCADE
    )
    product: fields.ForeignKeyRelation[Product] = fields.ForeignKeyField(
        "models.Product", related_name="sale_items", on_delete=fields.RESTRICT
    )
    price_fen = fields.IntField()
    stock = fields.IntField()
    sold = fields.IntField(default=0)
    # Group-buy rules (issue 13): 成团, the units the whole window must reach by the cutoff or
    # every line of the item is cancelled and refunded; 限购, the units one buyer may order.
    min_units = fields.IntField(null=True)
    max_per_buyer = fields.IntField(null=True)

    window_id: int
    product_id: int

    class Meta:
        table = "sale_item"
        unique_together = (("window", "product"),)
        indexes = (("product_id",),)
        constraints = (
            CheckConstraint(
                check="sold >= 0 AND sold <= stock", name="sale_item_sold_within_stock"
            ),
        )
