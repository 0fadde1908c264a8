"""Station manifests: what to hand out and take in at one stop of a trip (the stationManifest
query, and `TripStop.manifest`, every stop of a trip from one pass over it)."""

from __future__ import annotations

import datetime as dt

import strawberry

from cungoods.api.accounts.types import User
from cungoods.api.catalog.types import Product
from cungoods.api.context import Info
from cungoods.api.dispatch.types import (
    ManifestProduce,
    PickedLine,
    order_of,
    products_of,
    station_of,
    trip_of,
    users_of,
)
from cungoods.api.network.types import Station, Trip, provide_stop_manifests
from cungoods.api.orders.types import Order, OrderStatus
from cungoods.api.scalars import Load
from cungoods.services import dispatch


@strawberry.type(
    description="An order to hand out at the station. "
    "A value type (no id): client caches keep it inside the object that holds it."
)
class ManifestOrder:
    order_db_id: strawberry.Private[int]
    number: str = strawberry.field(description="The order number.")
    status: OrderStatus = strawberry.field(description="Where the order is.")
    total_fen: int = strawberry.field(description="What it cost the buyer, in fen.")
    pickup_code: str | None = strawberry.field(
        description="The code the buyer shows at pickup: for the station's leader only (null for "
        "dispatchers)."
    )
    lines: list[PickedLine] = strawberry.field(description="What to hand out.")
    buyer: User = strawberry.field(description="Who picks it up.")

    @strawberry.field(description="The order.")
    async def order(self, info: Info) -> Order:
        return await order_of(info, self.order_db_id)


@strawberry.type(
    description="What to hand out and take in at one stop of a trip. "
    "A value type (no id): client caches keep it inside the object that holds it."
)
class StationManifest:
    trip_db_id: strawberry.Private[int]
    station_db_id: strawberry.Private[int]
    stop_seq: int = strawberry.field(description="The station's stop on the trip.")
    planned_at: dt.datetime = strawberry.field(description="When the bus is due, by timetable.")
    expected_at: dt.datetime = strawberry.field(description="When it is expected, after delays.")
    orders: list[ManifestOrder] = strawberry.field(
        description="Orders to hand out (confirmed ones, CONFIRMED to PICKED_UP), by id."
    )
    produce: list[ManifestProduce] = strawberry.field(
        description="Produce to take in (purchases not cancelled), by id."
    )
    manifest: strawberry.Private[dispatch.StationManifest]

    @strawberry.field(description="What comes off the bus here.")
    def hand_out(self) -> Load:
        return Load.of(self.manifest.hand_out)

    @strawberry.field(description="What goes on the bus here.")
    def take_in(self) -> Load:
        return Load.of(self.manifest.take_in)

    @strawberry.field(description="The trip.")
    async def trip(self, info: Info) -> Trip:
        return await trip_of(info, self.trip_db_id)

    @strawberry.field(description="The station.")
    async def station(self, info: Info) -> Station:
        return await station_of(info, self.station_db_id)

    @classmethod
    def of(
        cls,
        manifest: dispatch.StationManifest,
        products: dict[int, Product],
        users: dict[int, User],
    ) -> StationManifest:
        return cls(
            trip_db_id=manifest.trip.id,
            station_db_id=manifest.station_id,
            stop_seq=manifest.stop.seq,
            planned_at=manifest.stop.planned_at,
            expected_at=manifest.stop.expected_at,
            orders=[
                ManifestOrder(
                    order_db_id=item.order.id,
                    buyer=users[item.order.buyer_id],
                    number=item.order.number,
                    status=item.order.status,
                    total_fen=item.order.total_fen,
                    pickup_code=item.order.pickup_code if manifest.shows_codes else None,
                    lines=[PickedLine.of(line, products) for line in item.lines],
                )
                for item in manifest.orders
            ],
            produce=[ManifestProduce.of(item, users) for item in manifest.produce],
            manifest=manifest,
        )


async def manifests_of(
    info: Info, manifests: list[dispatch.StationManifest]
) -> dict[int, StationManifest]:
    """The API's manifests by station id, sharing the products and people they name."""
    if not manifests:
        return {}
    products = products_of(manifests[0].products)  # one read of the trip: the same products
    users = await users_of(
        info,
        {o.order.buyer_id for m in manifests for o in m.orders}
        | {p.farmer_id for m in manifests for p in m.produce},
    )
    return {m.station_id: StationManifest.of(m, products, users) for m in manifests}


async def manifest_of_stop(info: Info, trip_id: int, station_id: int) -> StationManifest | None:
    """`TripStop.manifest`: every stop of a trip from one pass over the trip (a loader per
    request, keyed by trip); null for stops the viewer may not see."""
    viewer = info.context.viewer

    async def load(trip_ids: list[int]) -> list[dict[int, StationManifest]]:
        found = []
        for trip_id in trip_ids:
            manifests = await dispatch.trip_manifests(viewer=viewer, trip_id=trip_id)
            found.append(await manifests_of(info, manifests))
        return found

    by_station = await info.context.loaders.custom("dispatch.trip_manifests", load).load(trip_id)
    return by_station.get(station_id)


# network/types.py cannot import this module (it builds on network's types): hand it the builder.
provide_stop_manifests(manifest_of_stop)
