"""The catalog's types: products, sale windows and their items, and how each is found by id
(the node registrations)."""

from __future__ import annotations

import datetime as dt

import strawberry

from cungoods import models
from cungoods.api.context import Info
from cungoods.api.ids import to_global_id
from cungoods.api.node import Node, register_node
from cungoods.api.scalars import Temperature
from cungoods.models.enums import Temperature as DomainTemperature
from cungoods.services import clock


@strawberry.type(description="An item of the hub's catalog.")
class Product(Node):
    sku: str = strawberry.field(description="Stock-keeping unit code.")
    name: str = strawberry.field(description="Name as shown to villagers.")
    category: str = strawberry.field(description="Category, e.g. 粮油, 水产.")
    unit: str = strawberry.field(description="What one unit is, e.g. 袋, 斤.")
    price_fen: int = strawberry.field(description="List price per unit, in fen.")
    weight_g: int = strawberry.field(description="Weight per unit, in grams.")
    volume_cm3: int = strawberry.field(description="Volume per unit, in cm³.")
    temperature: Temperature = strawberry.field(description="How it is kept on the bus.")

    @classmethod
    def of(cls, product: models.Product) -> Product:
        return cls(
            id=strawberry.ID(to_global_id("Product", product.id)),
            sku=product.sku,
            name=product.name,
            category=product.category,
            unit=product.unit,
            price_fen=product.price_fen,
            weight_g=product.weight_g,
            volume_cm3=product.volume_cm3,
            temperature=DomainTemperature(product.temperature),
        )


async def product_by_id(info: Info, pk: int) -> Product | None:
    product = await info.context.loaders.by_id(models.Product).load(pk)
    return None if product is None else Product.of(product)


@strawberry.type(description="A product on sale in a window: its price and stock there.")
class SaleItem(Node):
    product_db_id: strawberry.Private[int]
    window_db_id: strawberry.Private[int]
    price_fen: int = strawberry.field(description="Price per unit in this window, in fen.")
    stock: int = strawberry.field(description="Units on sale.")
    sold: int = strawberry.field(description="Units ordered so far.")
    min_units: int | None = strawberry.field(
        description="成团: the units the window must reach by the cutoff, else the item's lines "
        "are cancelled and refunded (null: no minimum)."
    )
    max_per_buyer: int | None = strawberry.field(
        description="限购: the units one buyer may order in the window (null: no limit)."
    )

    @strawberry.field(
        description="Whether the group has formed: no minimum, or the units ordered so far "
        "reach it."
    )
    def group_formed(self) -> bool:
        return self.min_units is None or self.sold >= self.min_units

    @strawberry.field(description="Units still available.")
    def remaining(self) -> int:
        return max(0, self.stock - self.sold)

    @strawberry.field(description="The product.")
    async def product(self, info: Info) -> Product:
        product = await product_by_id(info, self.product_db_id)
        assert product is not None  # a foreign key
        return product

    @strawberry.field(description="The sale window it belongs to.")
    async def window(self, info: Info) -> SaleWindow:
        window = await sale_window_by_id(info, self.window_db_id)
        assert window is not None  # a foreign key
        return window

    @classmethod
    def of(cls, item: models.SaleItem) -> SaleItem:
        return cls(
            id=strawberry.ID(to_global_id("SaleItem", item.id)),
            product_db_id=item.product_id,
            window_db_id=item.window_id,
            price_fen=item.price_fen,
            stock=item.stock,
            sold=item.sold,
            min_units=item.min_units,
            max_per_buyer=item.max_per_buyer,
        )


async def sale_item_by_id(info: Info, pk: int) -> SaleItem | None:
    item = await info.context.loaders.by_id(models.SaleItem).load(pk)
    return None if item is None else SaleItem.of(item)


@strawberry.type(description="A group-buy session: order until the cutoff, pick up next morning.")
class SaleWindow(Node):
    db_id: strawberry.Private[int]
    service_date: dt.date = strawberry.field(description="The day the goods are delivered.")
    opens_at: dt.datetime = strawberry.field(description="When ordering opens.")
    cutoff_at: dt.datetime = strawberry.field(description="When ordering closes.")
    cutoff_done_at: dt.datetime | None = strawberry.field(
        description="When the cutoff ran and confirmed the orders (null until then)."
    )

    @strawberry.field(description="Whether orders are taken now.")
    def is_open(self) -> bool:
        now = clock.now()
        return self.cutoff_done_at is None and self.opens_at <= now < self.cutoff_at

    @strawberry.field(description="The products on sale, with price and stock.")
    async def items(self, info: Info) -> list[SaleItem]:
        items = await info.context.loaders.children(models.SaleItem, "window_id").load(self.db_id)
        return [SaleItem.of(item) for item in items]

    @classmethod
    def of(cls, window: models.SaleWindow) -> SaleWindow:
        return cls(
            id=strawberry.ID(to_global_id("SaleWindow", window.id)),
            db_id=window.id,
            service_date=window.service_date,
            opens_at=window.opens_at,
            cutoff_at=window.cutoff_at,
            cutoff_done_at=window.cutoff_done_at,
        )


async def sale_window_by_id(info: Info, pk: int) -> SaleWindow | None:
    window = await info.context.loaders.by_id(models.SaleWindow).load(pk)
    return None if window is None else SaleWindow.of(window)


register_node("Product", product_by_id)
register_node("SaleItem", sale_item_by_id)
register_node("SaleWindow", sale_window_by_id)
