"""The hub's pick list for a trip and the trip's loading plan."""

from __future__ import annotations

import strawberry

from cungoods.api.accounts.types import User
from cungoods.api.catalog.types import Product
from cungoods.api.context import Info
from cungoods.api.dispatch.types import (
    Crate,
    LoadSpace,
    ManifestProduce,
    products_of,
    station_of,
    trip_of,
)
from cungoods.api.network.types import Station, Trip
from cungoods.api.scalars import Load
from cungoods.services import dispatch, dispatch_plans


@strawberry.type(
    description="A product to pick for a trip: units in all, from how many orders. "
    "A value type (no id): client caches keep it inside the object that holds it."
)
class PickTotal:
    product: Product = strawberry.field(description="The product.")
    quantity: int = strawberry.field(description="Units to pick.")
    orders: int = strawberry.field(description="How many orders ask for it.")
    load: Load = strawberry.field(description="What those units weigh and take up.")


@strawberry.type(
    description="What the hub picks for a trip: the confirmed orders on it (CONFIRMED or "
    "LOADED), per product and per station crate. "
    "A value type (no id): client caches keep it inside the object that holds it."
)
class PickList:
    trip_db_id: strawberry.Private[int]
    products: list[PickTotal] = strawberry.field(description="Per product, by product id.")
    crates: list[Crate] = strawberry.field(description="Per station and class, by stop.")
    order_count: int = strawberry.field(description="How many orders are picked.")
    load: Load = strawberry.field(description="All of it together.")

    @strawberry.field(description="The trip.")
    async def trip(self, info: Info) -> Trip:
        return await trip_of(info, self.trip_db_id)

    @classmethod
    def of(cls, picks: dispatch.PickList) -> PickList:
        products = products_of(picks.products)
        return cls(
            trip_db_id=picks.trip.id,
            products=[
                PickTotal(
                    product=products[total.product_id],
                    quantity=total.quantity,
                    orders=total.orders,
                    load=Load.of(total.load),
                )
                for total in picks.totals
            ],
            crates=[Crate.of(crate, picks.orders, products) for crate in picks.crates],
            order_count=len(picks.orders),
            load=Load.of(picks.load),
        )


@strawberry.type(
    description="A crate's turn to go on the bus. "
    "A value type (no id): client caches keep it inside the object that holds it."
)
class LoadingStep:
    step: int = strawberry.field(description="Its turn over the whole bus, from 1.")
    position: int = strawberry.field(description="Its turn within its space, from 1.")
    space: LoadSpace = strawberry.field(description="Cargo box or chilled compartment.")
    crate: Crate = strawberry.field(description="The crate.")


@strawberry.type(
    description="The produce the bus collects at one stop. "
    "A value type (no id): client caches keep it inside the object that holds it."
)
class StopCollection:
    station_db_id: strawberry.Private[int]
    stop_seq: int = strawberry.field(description="The trip stop.")
    produce: list[ManifestProduce] = strawberry.field(description="The purchases, by id.")
    load: Load = strawberry.field(description="All of it together.")

    @strawberry.field(description="The station.")
    async def station(self, info: Info) -> Station:
        return await station_of(info, self.station_db_id)


@strawberry.type(
    description="A leg of a trip and its load each way. "
    "A value type (no id): client caches keep it inside the object that holds it."
)
class LegLoad:
    seq: int = strawberry.field(description="From stop seq to seq + 1.")
    capacity: Load = strawberry.field(description="What the vehicle carries on it.")
    down: Load = strawberry.field(description="Goods going out from the hub.")
    up: Load = strawberry.field(description="Produce coming back to the hub.")
    used: Load = strawberry.field(description="Both together.")
    free: Load = strawberry.field(description="Room left.")
    fill: float = strawberry.field(
        description="How full it is (0..1): the tightest of weight, volume and chilled weight."
    )

    @classmethod
    def of(cls, leg: dispatch_plans.LegLoad) -> LegLoad:
        return cls(
            seq=leg.seq,
            capacity=Load.of(leg.capacity),
            down=Load.of(leg.down),
            up=Load.of(leg.up),
            used=Load.of(leg.used),
            free=Load.of(leg.free),
            fill=round(leg.fill, 4),
        )


@strawberry.type(
    description="How to load a trip: crates in loading order (last stop loaded first; chilled "
    "and frozen in the chilled compartment), produce to collect at each stop, and the load "
    "profile of every leg. "
    "A value type (no id): client caches keep it inside the object that holds it."
)
class LoadingPlan:
    trip_db_id: strawberry.Private[int]
    steps: list[LoadingStep] = strawberry.field(description="Crates in loading order.")
    collections: list[StopCollection] = strawberry.field(
        description="Produce waiting at each stop (reserved, or handed over to the leader)."
    )
    legs: list[LegLoad] = strawberry.field(description="Every leg, in order.")
    fullest_leg: LegLoad | None = strawberry.field(description="Where the bus is fullest.")

    @strawberry.field(description="The trip.")
    async def trip(self, info: Info) -> Trip:
        return await trip_of(info, self.trip_db_id)

    @classmethod
    def of(cls, plan: dispatch.LoadingPlan, users: dict[int, User], *, prices: bool) -> LoadingPlan:
        """`prices`: whether the viewer sees what the lines cost (dispatchers; not the
        driver)."""
        fullest = plan.fullest
        products = products_of(plan.products)
        return cls(
            trip_db_id=plan.trip.id,
            steps=[
                LoadingStep(
                    step=step.step,
                    position=step.position,
                    space=step.space,
                    crate=Crate.of(step.crate, plan.orders, products, prices=prices),
                )
                for step in plan.steps
            ],
            collections=[
                StopCollection(
                    station_db_id=collection.station_id,
                    stop_seq=collection.stop_seq,
                    produce=[ManifestProduce.of(item, users) for item in collection.produce],
                    load=Load.of(collection.load),
                )
                for collection in plan.collections
            ],
            legs=[LegLoad.of(leg) for leg in plan.legs],
            fullest_leg=None if fullest is None else LegLoad.of(fullest),
        )
