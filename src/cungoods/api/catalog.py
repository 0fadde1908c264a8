"""The catalog in the API: products, sale windows and their items, openSaleWindow, runCutoff."""

from __future__ import annotations

import datetime as dt

import strawberry

from cungoods import models
from cungoods.api.context import Info
from cungoods.api.errors import UserError, attempt
from cungoods.api.ids import from_cursor, pk_of, to_global_id
from cungoods.api.node import Node, register_node
from cungoods.api.scalars import Connection, Temperature, connection_of
from cungoods.models.enums import Temperature as DomainTemperature
from cungoods.services import catalog, clock, orders
from cungoods.services.errors import DomainError


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


@strawberry.input(description="A product to put on sale in a window.")
class SaleItemInput:
    product_id: strawberry.ID = strawberry.field(description="The product.")
    stock: int = strawberry.field(description="Units on sale (not below what is sold already).")
    price_fen: int | None = strawberry.field(
        default=None, description="Price per unit in fen (default: the catalog price)."
    )


@strawberry.input(description="Open (or change) the sale window of a service date.")
class OpenSaleWindowInput:
    service_date: dt.date = strawberry.field(description="The delivery day.")
    opens_at: dt.datetime | None = strawberry.field(
        default=None, description="When ordering opens (default: the previous day's cutoff)."
    )
    cutoff_at: dt.datetime | None = strawberry.field(
        default=None, description="When ordering closes (default: 21:00 the evening before)."
    )
    items: list[SaleItemInput] = strawberry.field(description="What is on sale.")


@strawberry.type(description="The result of openSaleWindow.")
class OpenSaleWindowPayload:
    sale_window: SaleWindow | None = strawberry.field(description="The window.")
    errors: list[UserError] = strawberry.field(description="Why it failed, if it did.")


@strawberry.input(description="Close ordering for a service date and confirm its orders.")
class RunCutoffInput:
    service_date: dt.date = strawberry.field(description="The delivery day.")


@strawberry.type(description="The result of runCutoff.")
class RunCutoffPayload:
    sale_window: SaleWindow | None = strawberry.field(description="The window, cut off.")
    errors: list[UserError] = strawberry.field(description="Why it failed, if it did.")


@strawberry.type
class CatalogQuery:
    @strawberry.field(description="Sale windows taking orders now, by service date.")
    async def open_sale_windows(self) -> list[SaleWindow]:
        return [SaleWindow.of(window) for window in await catalog.open_sale_windows()]

    @strawberry.field(description="The sale window of a service date, open or not.")
    async def sale_window(self, service_date: dt.date) -> SaleWindow | None:
        window = await catalog.sale_window(service_date=service_date)
        return None if window is None else SaleWindow.of(window)

    @strawberry.field(description="The hub's catalog, filtered by category or text.")
    async def products(
        self,
        info: Info,
        first: int = 50,
        after: str | None = None,
        category: str | None = None,
        search: str | None = None,
    ) -> Connection[Product]:
        page = await catalog.products(
            first=first,
            after_id=from_cursor(after),
            category=category,
            search=search,
            max_size=info.context.max_page_size,
        )
        return connection_of(page, Product.of)


def _item_specs(items: list[SaleItemInput]) -> list[catalog.ItemSpec]:
    specs = []
    for i, item in enumerate(items):
        try:
            product_id = pk_of(item.product_id, "Product")
        except DomainError as error:
            raise DomainError(error.code, error.message, ["items", str(i), "productId"]) from error
        specs.append(
            catalog.ItemSpec(product_id=product_id, stock=item.stock, price_fen=item.price_fen)
        )
    return specs


@strawberry.type
class CatalogMutation:
    @strawberry.mutation(description="Open or change the sale window of a date (DISPATCHER).")
    async def open_sale_window(
        self, info: Info, input: OpenSaleWindowInput
    ) -> OpenSaleWindowPayload:
        async def run() -> models.SaleWindow:
            return await catalog.open_sale_window(
                viewer=info.context.viewer,
                service_date=input.service_date,
                opens_at=input.opens_at,
                cutoff_at=input.cutoff_at,
                items=_item_specs(input.items),
            )

        window, errors = await attempt(run())
        return OpenSaleWindowPayload(
            sale_window=None if window is None else SaleWindow.of(window), errors=errors
        )

    @strawberry.mutation(
        description="Close ordering for a date and confirm its orders (DISPATCHER); the server "
        "also does this by itself at the cutoff time."
    )
    async def run_cutoff(self, info: Info, input: RunCutoffInput) -> RunCutoffPayload:
        window, errors = await attempt(
            orders.run_cutoff(viewer=info.context.viewer, service_date=input.service_date)
        )
        return RunCutoffPayload(
            sale_window=None if window is None else SaleWindow.of(window), errors=errors
        )
