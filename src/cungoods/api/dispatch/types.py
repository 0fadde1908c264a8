"""The pieces of the dispatch area's results that the pick list, the loading plan and the
station manifests share: lines, crates, produce to take in, and the rows they name, built once.

The services return the rows they loaded (orders, products, purchases and listings), so these
types are built from them without loading them again; stations, users and trips come through
the request's DataLoaders.
"""

from __future__ import annotations

import strawberry

from cungoods import models
from cungoods.api.accounts.types import User
from cungoods.api.catalog.types import Product
from cungoods.api.context import Info
from cungoods.api.descriptions import graphql_enum
from cungoods.api.network.types import Station, Trip, station_by_id, trip_by_id
from cungoods.api.orders.types import Order
from cungoods.api.produce.enums import PurchaseStatus
from cungoods.api.produce.types import ProducePurchase, purchase_by_id
from cungoods.api.scalars import Load, Temperature
from cungoods.services import dispatch, dispatch_plans, orders

# The domain enum itself is the GraphQL enum (api/descriptions.graphql_enum).
LoadSpace = dispatch_plans.Space
graphql_enum(
    LoadSpace,
    name="LoadSpace",
    description="Where a crate rides: the cargo box (AMBIENT), or the chilled compartment "
    "(CHILLED, for chilled and frozen goods).",
    values={
        LoadSpace.AMBIENT: "The cargo box.",
        LoadSpace.CHILLED: "The chilled compartment, for chilled and frozen goods.",
    },
)


async def station_of(info: Info, station_id: int) -> Station:
    station = await station_by_id(info, station_id)
    assert station is not None  # a foreign key
    return station


async def trip_of(info: Info, trip_id: int) -> Trip:
    trip = await trip_by_id(info, trip_id)
    assert trip is not None  # a foreign key
    return trip


def products_of(rows: dict[int, models.Product]) -> dict[int, Product]:
    """One API object per product, shared by every line that names it."""
    return {pk: Product.of(row) for pk, row in rows.items()}


async def users_of(info: Info, ids: set[int]) -> dict[int, User]:
    """The buyers and farmers a result names, loaded in one batch and built once each: a
    manifest names hundreds, and a resolver per row would cost more than the rows."""
    rows = await info.context.loaders.by_id(models.User).load_many(sorted(ids))
    return {row.id: User.of(row, info) for row in rows if row is not None}


async def order_of(info: Info, order_id: int) -> Order:
    order = await info.context.loaders.by_id(models.Order).load(order_id)
    assert order is not None  # the row was read in this request
    return Order.of(order, info)


@strawberry.type(
    description="A product and how many units of it, with their load. "
    "A value type (no id): client caches keep it inside the object that holds it."
)
class PickedLine:
    line: strawberry.Private[dispatch_plans.Line]
    product: Product = strawberry.field(description="The product.")
    quantity: int = strawberry.field(description="Units.")
    unit_price_fen: int | None = strawberry.field(
        description="Price per unit as ordered, in fen (null in a driver's loading plan: "
        "loading needs no prices)."
    )

    @strawberry.field(description="What these units weigh and take up.")
    def load(self) -> Load:
        return Load.of(self.line.load)

    @classmethod
    def of(
        cls, line: dispatch_plans.Line, products: dict[int, Product], *, prices: bool = True
    ) -> PickedLine:
        return cls(
            line=line,
            product=products[line.product_id],
            quantity=line.quantity,
            unit_price_fen=line.unit_price_fen if prices else None,
        )


@strawberry.type(
    description="An order's lines of one temperature class, in one crate. "
    "A value type (no id): client caches keep it inside the object that holds it."
)
class CrateOrder:
    order_db_id: strawberry.Private[int]
    number: str = strawberry.field(description="The order number, written on the bag.")
    lines: list[PickedLine] = strawberry.field(description="The lines packed in this crate.")

    @strawberry.field(
        description="The order: null for viewers who may not see it (the trip's driver loads by "
        "number, and sees no buyer, total or history)."
    )
    async def order(self, info: Info) -> Order | None:
        row = await info.context.loaders.by_id(models.Order).load(self.order_db_id)
        if row is None or not orders.can_see(info.context.viewer, row):
            return None
        return Order.of(row, info)


@strawberry.type(
    description="What goes off the bus at one stop in one temperature class: one crate per "
    "class per station (the hub may sub-pack it in several boxes). "
    "A value type (no id): client caches keep it inside the object that holds it."
)
class Crate:
    station_db_id: strawberry.Private[int]
    stop_seq: int = strawberry.field(description="The trip stop it is unloaded at.")
    temperature: Temperature = strawberry.field(description="How its goods are kept.")
    space: LoadSpace = strawberry.field(description="Where it rides on the bus.")
    units: int = strawberry.field(description="Units in it.")
    load: Load = strawberry.field(description="What it weighs and takes up.")
    orders: list[CrateOrder] = strawberry.field(description="The orders in it, by id.")

    @strawberry.field(description="The station it goes to.")
    async def station(self, info: Info) -> Station:
        return await station_of(info, self.station_db_id)

    @classmethod
    def of(
        cls,
        crate: dispatch_plans.Crate,
        orders: dict[int, dispatch.OrderRow],
        products: dict[int, Product],
        *,
        prices: bool = True,
    ) -> Crate:
        return cls(
            station_db_id=crate.station_id,
            stop_seq=crate.stop_seq,
            temperature=crate.temperature,
            space=crate.space,
            units=crate.units,
            load=Load.of(crate.load),
            orders=[
                CrateOrder(
                    order_db_id=packed.order_id,
                    number=orders[packed.order_id].number,
                    lines=[PickedLine.of(line, products, prices=prices) for line in packed.lines],
                )
                for packed in crate.orders
            ],
        )


@strawberry.type(
    description="Produce to take in at a stop, and who hands it over. "
    "A value type (no id): client caches keep it inside the object that holds it."
)
class ManifestProduce:
    purchase_db_id: strawberry.Private[int]
    number: str = strawberry.field(description="The purchase number.")
    status: PurchaseStatus = strawberry.field(description="Where the purchase is.")
    title: str = strawberry.field(description="What it is (the listing's title).")
    unit: str = strawberry.field(description="The unit it is counted in, e.g. 斤.")
    quantity: int = strawberry.field(
        description="Units to take in: those handed over once they are, else those bought."
    )
    weight_g: int = strawberry.field(description="Its weight in grams.")
    load: Load = strawberry.field(description="The room it takes on the bus.")
    farmer: User = strawberry.field(description="The farmer or cooperative handing it over.")

    @strawberry.field(description="The purchase (null for anyone who may not see it).")
    async def purchase(self, info: Info) -> ProducePurchase | None:
        return await purchase_by_id(info, self.purchase_db_id)

    @classmethod
    def of(cls, item: dispatch.ManifestProduce, users: dict[int, User]) -> ManifestProduce:
        return cls(
            purchase_db_id=item.purchase_id,
            farmer=users[item.farmer_id],
            number=item.number,
            status=item.status,
            title=item.title,
            unit=item.unit,
            quantity=item.quantity,
            weight_g=item.load.weight_g,
            load=Load.of(item.load),
        )
