"""The hub's sorting and dispatch in the API: pickList, loadingPlan, stationManifest (also as
`Trip.stops.manifest`), networkStats, and the swapTripVehicle and cancelTrip mutations.

The services return the rows they loaded (orders, products, purchases and listings), so these
types are built from them without loading them again; stations, users and trips come through
the request's DataLoaders.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import strawberry

from cungoods import models
from cungoods.api.accounts import User
from cungoods.api.catalog import Product, Temperature
from cungoods.api.context import Info
from cungoods.api.errors import UserError, attempt
from cungoods.api.ids import pk_of
from cungoods.api.network import Route, Station, Trip, station_by_id, trip_by_id
from cungoods.api.orders import Order, OrderStatus
from cungoods.api.produce import ProducePurchase, PurchaseStatus, purchase_by_id
from cungoods.api.scalars import Load
from cungoods.services import dispatch, dispatch_plans, dispatch_stats, trip_changes

LoadSpace = strawberry.enum(
    dispatch_plans.Space,
    name="LoadSpace",
    description="Where a crate rides: the cargo box (AMBIENT), or the chilled compartment "
    "(CHILLED, for chilled and frozen goods).",
)


async def _station(info: Info, station_id: int) -> Station:
    station = await station_by_id(info, station_id)
    assert station is not None  # a foreign key
    return station


async def _trip(info: Info, trip_id: int) -> Trip:
    trip = await trip_by_id(info, trip_id)
    assert trip is not None  # a foreign key
    return trip


# --- the pick list ----------------------------------------------------------------------------


def _products(rows: dict[int, models.Product]) -> dict[int, Product]:
    """One API object per product, shared by every line that names it."""
    return {pk: Product.of(row) for pk, row in rows.items()}


async def _users(info: Info, ids: set[int]) -> dict[int, User]:
    """The buyers and farmers a result names, loaded in one batch and built once each: a
    manifest names hundreds, and a resolver per row would cost more than the rows."""
    rows = await info.context.loaders.by_id(models.User).load_many(sorted(ids))
    return {row.id: User.of(row, info) for row in rows if row is not None}


async def _order(info: Info, order_id: int) -> Order:
    order = await info.context.loaders.by_id(models.Order).load(order_id)
    assert order is not None  # the row was read in this request
    return Order.of(order, info)


@strawberry.type(description="A product and how many units of it, with their load.")
class PickedLine:
    line: strawberry.Private[dispatch_plans.Line]
    product: Product = strawberry.field(description="The product.")
    quantity: int = strawberry.field(description="Units.")
    unit_price_fen: int = strawberry.field(description="Price per unit as ordered, in fen.")

    @strawberry.field(description="What these units weigh and take up.")
    def load(self) -> Load:
        return Load.of(self.line.load)

    @classmethod
    def of(cls, line: dispatch_plans.Line, products: dict[int, Product]) -> PickedLine:
        return cls(
            line=line,
            product=products[line.product_id],
            quantity=line.quantity,
            unit_price_fen=line.unit_price_fen,
        )


@strawberry.type(description="An order's lines of one temperature class, in one crate.")
class CrateOrder:
    order_db_id: strawberry.Private[int]
    number: str = strawberry.field(description="The order number, written on the bag.")
    lines: list[PickedLine] = strawberry.field(description="The lines packed in this crate.")

    @strawberry.field(description="The order.")
    async def order(self, info: Info) -> Order:
        return await _order(info, self.order_db_id)


@strawberry.type(
    description="What goes off the bus at one stop in one temperature class: one crate per "
    "class per station (the hub may sub-pack it in several boxes)."
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
        return await _station(info, self.station_db_id)

    @classmethod
    def of(
        cls,
        crate: dispatch_plans.Crate,
        orders: dict[int, dispatch.OrderRow],
        products: dict[int, Product],
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
                    lines=[PickedLine.of(line, products) for line in packed.lines],
                )
                for packed in crate.orders
            ],
        )


@strawberry.type(description="A product to pick for a trip: units in all, from how many orders.")
class PickTotal:
    product: Product = strawberry.field(description="The product.")
    quantity: int = strawberry.field(description="Units to pick.")
    orders: int = strawberry.field(description="How many orders ask for it.")
    load: Load = strawberry.field(description="What those units weigh and take up.")


@strawberry.type(
    description="What the hub picks for a trip: the confirmed orders on it (CONFIRMED or "
    "LOADED), per product and per station crate."
)
class PickList:
    trip_db_id: strawberry.Private[int]
    products: list[PickTotal] = strawberry.field(description="Per product, by product id.")
    crates: list[Crate] = strawberry.field(description="Per station and class, by stop.")
    order_count: int = strawberry.field(description="How many orders are picked.")
    load: Load = strawberry.field(description="All of it together.")

    @strawberry.field(description="The trip.")
    async def trip(self, info: Info) -> Trip:
        return await _trip(info, self.trip_db_id)

    @classmethod
    def of(cls, picks: dispatch.PickList) -> PickList:
        products = _products(picks.products)
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


# --- the loading plan -------------------------------------------------------------------------


@strawberry.type(description="A crate's turn to go on the bus.")
class LoadingStep:
    step: int = strawberry.field(description="Its turn over the whole bus, from 1.")
    position: int = strawberry.field(description="Its turn within its space, from 1.")
    space: LoadSpace = strawberry.field(description="Cargo box or chilled compartment.")
    crate: Crate = strawberry.field(description="The crate.")


@strawberry.type(description="Produce to take in at a stop, and who hands it over.")
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


@strawberry.type(description="The produce the bus collects at one stop.")
class StopCollection:
    station_db_id: strawberry.Private[int]
    stop_seq: int = strawberry.field(description="The trip stop.")
    produce: list[ManifestProduce] = strawberry.field(description="The purchases, by id.")
    load: Load = strawberry.field(description="All of it together.")

    @strawberry.field(description="The station.")
    async def station(self, info: Info) -> Station:
        return await _station(info, self.station_db_id)


@strawberry.type(description="A leg of a trip and its load each way.")
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
    "profile of every leg."
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
        return await _trip(info, self.trip_db_id)

    @classmethod
    def of(cls, plan: dispatch.LoadingPlan, users: dict[int, User]) -> LoadingPlan:
        fullest = plan.fullest
        products = _products(plan.products)
        return cls(
            trip_db_id=plan.trip.id,
            steps=[
                LoadingStep(
                    step=step.step,
                    position=step.position,
                    space=step.space,
                    crate=Crate.of(step.crate, plan.orders, products),
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


# --- station manifests ------------------------------------------------------------------------


@strawberry.type(description="An order to hand out at the station.")
class ManifestOrder:
    order_db_id: strawberry.Private[int]
    number: str = strawberry.field(description="The order number.")
    status: OrderStatus = strawberry.field(description="Where the order is.")
    total_fen: int = strawberry.field(description="What it cost the buyer, in fen.")
    pickup_code: str | None = strawberry.field(
        description="The code the buyer shows at pickup: for the station's leader and dispatchers."
    )
    lines: list[PickedLine] = strawberry.field(description="What to hand out.")
    buyer: User = strawberry.field(description="Who picks it up.")

    @strawberry.field(description="The order.")
    async def order(self, info: Info) -> Order:
        return await _order(info, self.order_db_id)


@strawberry.type(description="What to hand out and take in at one stop of a trip.")
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
        return await _trip(info, self.trip_db_id)

    @strawberry.field(description="The station.")
    async def station(self, info: Info) -> Station:
        return await _station(info, self.station_db_id)

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


async def _manifests_of(
    info: Info, manifests: list[dispatch.StationManifest]
) -> dict[int, StationManifest]:
    """The API's manifests by station id, sharing the products and people they name."""
    if not manifests:
        return {}
    products = _products(manifests[0].products)  # one read of the trip: the same products
    users = await _users(
        info,
        {o.order.buyer_id for m in manifests for o in m.orders}
        | {p.farmer_id for m in manifests for p in m.produce},
    )
    return {m.station_id: StationManifest.of(m, products, users) for m in manifests}


async def manifest_of_stop(
    info: Info, trip_id: int, station_id: int | None
) -> StationManifest | None:
    """`TripStop.manifest`: every stop of a trip from one pass over the trip (a loader per
    request, keyed by trip); null at the hub and for stops the viewer may not see."""
    if station_id is None:
        return None
    viewer = info.context.viewer

    async def load(trip_ids: list[int]) -> list[dict[int, StationManifest]]:
        found = []
        for trip_id in trip_ids:
            manifests = await dispatch.trip_manifests(viewer=viewer, trip_id=trip_id)
            found.append(await _manifests_of(info, manifests))
        return found

    by_station = await info.context.loaders.custom("dispatch.trip_manifests", load).load(trip_id)
    return by_station.get(station_id)


# --- network statistics -----------------------------------------------------------------------


@strawberry.type(description="What happened over the dates asked for (see networkStats).")
class ActivityFigures:
    orders: int = strawberry.field(description="Orders not cancelled.")
    sales_fen: int = strawberry.field(description="What they sold for, in fen.")
    produce_purchases: int = strawberry.field(
        description="Produce purchases carried to the city (boarded the bus)."
    )
    produce_carried_g: int = strawberry.field(description="Their weight, in grams.")
    produce_carried_fen: int = strawberry.field(description="Their value, in fen.")
    down_utilization: float = strawberry.field(
        description="Goods going out, as a share (0..1) of the weight capacity of the legs "
        "counted (a route: all its legs; a station: the legs into it)."
    )
    up_utilization: float = strawberry.field(
        description="Produce coming back (backhaul), as a share (0..1) of the weight capacity "
        "of the legs counted (a route: all its legs; a station: the legs out of it)."
    )
    arrivals: int = strawberry.field(description="Arrivals the drivers reported.")
    on_time_arrivals: int = strawberry.field(
        description="Of those, arrivals at most 10 minutes after the timetable's time."
    )
    on_time_rate: float = strawberry.field(description="On-time arrivals / arrivals (0..1).")

    @classmethod
    def of(cls, figures: dispatch_stats.Figures) -> ActivityFigures:
        return cls(
            orders=figures.orders,
            sales_fen=figures.sales_fen,
            produce_purchases=figures.produce_purchases,
            produce_carried_g=figures.produce_g,
            produce_carried_fen=figures.produce_fen,
            down_utilization=figures.down_utilization,
            up_utilization=figures.up_utilization,
            arrivals=figures.arrivals,
            on_time_arrivals=figures.on_time,
            on_time_rate=figures.on_time_rate,
        )


@strawberry.type(description="One route's figures.")
class RouteStats:
    route_row: strawberry.Private[models.Route]
    trips: int = strawberry.field(description="Trips run or to run (not cancelled).")
    figures: ActivityFigures = strawberry.field(description="What it did.")

    @strawberry.field(description="The route.")
    def route(self) -> Route:
        return Route.of(self.route_row)


@strawberry.type(description="One station's figures.")
class StationStats:
    station_row: strawberry.Private[models.Station]
    route_db_ids: strawberry.Private[tuple[int, ...]]
    figures: ActivityFigures = strawberry.field(description="What happened there.")

    @strawberry.field(description="The station.")
    def station(self) -> Station:
        return Station.of(self.station_row)

    @strawberry.field(description="The routes serving it.")
    async def routes(self, info: Info) -> list[Route]:
        rows = await info.context.loaders.by_id(models.Route).load_many(list(self.route_db_ids))
        return [Route.of(row) for row in rows if row is not None]


@strawberry.type(description="The network's figures over a range of service dates.")
class NetworkStats:
    from_: dt.date = strawberry.field(name="from", description="First service date.")
    to: dt.date = strawberry.field(description="Last service date (inclusive).")
    on_time_tolerance_minutes: int = strawberry.field(
        description="How late an arrival may be and still count as on time."
    )
    totals: ActivityFigures = strawberry.field(description="All routes together.")
    routes: list[RouteStats] = strawberry.field(description="Per route, by code.")
    stations: list[StationStats] = strawberry.field(description="Per station, by code.")

    @classmethod
    def of(cls, stats: dispatch_stats.NetworkStats) -> NetworkStats:
        return cls(
            from_=stats.start,
            to=stats.end,
            on_time_tolerance_minutes=int(dispatch_stats.ON_TIME_TOLERANCE.total_seconds() // 60),
            totals=ActivityFigures.of(stats.totals),
            routes=[
                RouteStats(
                    route_row=item.route, trips=item.trips, figures=ActivityFigures.of(item.figures)
                )
                for item in stats.routes
            ],
            stations=[
                StationStats(
                    station_row=item.station,
                    route_db_ids=item.route_ids,
                    figures=ActivityFigures.of(item.figures),
                )
                for item in stats.stations
            ],
        )


# --- trip changes -----------------------------------------------------------------------------


@strawberry.type(description="What a trip change moved to later buses or cancelled.")
class TripChangeReport:
    moved_orders: list[Order] = strawberry.field(description="Orders now on a later trip.")
    cancelled_orders: list[Order] = strawberry.field(
        description="Orders no bus had room for within a day: cancelled, stock given back."
    )
    moved_purchases: list[ProducePurchase] = strawberry.field(
        description="Produce now on a later trip."
    )
    cancelled_purchases: list[ProducePurchase] = strawberry.field(
        description="Produce no bus had room for by the listing's ready-until date: cancelled."
    )

    @classmethod
    def of(cls, change: trip_changes.TripChange, info: Info) -> TripChangeReport:
        return cls(
            moved_orders=[Order.of(o, info) for o in change.moved_orders],
            cancelled_orders=[Order.of(o, info) for o in change.cancelled_orders],
            moved_purchases=[ProducePurchase.of(p, info) for p in change.moved_purchases],
            cancelled_purchases=[ProducePurchase.of(p, info) for p in change.cancelled_purchases],
        )


@strawberry.input(description="Run a scheduled trip with another vehicle.")
class SwapTripVehicleInput:
    trip_id: strawberry.ID = strawberry.field(description="The trip.")
    vehicle_id: strawberry.ID = strawberry.field(description="The vehicle to run it with.")


@strawberry.type(description="The result of swapTripVehicle.")
class SwapTripVehiclePayload:
    trip: Trip | None = strawberry.field(description="The trip, with its new vehicle.")
    report: TripChangeReport | None = strawberry.field(
        description="What no longer fitted and where it went."
    )
    errors: list[UserError] = strawberry.field(description="Why it failed, if it did.")


@strawberry.input(description="Cancel a trip that has not finished.")
class CancelTripInput:
    trip_id: strawberry.ID = strawberry.field(description="The trip.")
    reason: str = strawberry.field(
        default="", description="Why, for the people waiting (at most 200 characters)."
    )


@strawberry.type(description="The result of cancelTrip.")
class CancelTripPayload:
    trip: Trip | None = strawberry.field(description="The trip, cancelled.")
    report: TripChangeReport | None = strawberry.field(
        description="Where what was booked on it went."
    )
    errors: list[UserError] = strawberry.field(description="Why it failed, if it did.")


TripArg = Annotated[strawberry.ID, strawberry.argument(description="The trip.")]


@strawberry.type
class DispatchQuery:
    @strawberry.field(
        description="Per product the units to pick for a trip, and per station the crates "
        "(DISPATCHER)."
    )
    async def pick_list(self, info: Info, trip_id: TripArg) -> PickList:
        picks = await dispatch.pick_list(
            viewer=info.context.viewer, trip_id=pk_of(trip_id, "Trip", "tripId")
        )
        return PickList.of(picks)

    @strawberry.field(
        description="A trip's crates in loading order, its produce to collect, and the load of "
        "every leg (DISPATCHER, or the trip's DRIVER)."
    )
    async def loading_plan(self, info: Info, trip_id: TripArg) -> LoadingPlan:
        plan = await dispatch.loading_plan(
            viewer=info.context.viewer, trip_id=pk_of(trip_id, "Trip", "tripId")
        )
        farmers = {p.farmer_id for c in plan.collections for p in c.produce}
        return LoadingPlan.of(plan, await _users(info, farmers))

    @strawberry.field(
        description="What to hand out and take in at a station on a trip (DISPATCHER, or that "
        "station's LEADER)."
    )
    async def station_manifest(
        self,
        info: Info,
        trip_id: TripArg,
        station_id: Annotated[strawberry.ID, strawberry.argument(description="The station.")],
    ) -> StationManifest:
        manifest = await dispatch.station_manifest(
            viewer=info.context.viewer,
            trip_id=pk_of(trip_id, "Trip", "tripId"),
            station_id=pk_of(station_id, "Station", "stationId"),
        )
        return (await _manifests_of(info, [manifest]))[manifest.station_id]

    @strawberry.field(
        description="Orders, sales, produce carried to the city, utilization out and back, and "
        "on-time arrivals, per route and per station, over service dates (DISPATCHER)."
    )
    async def network_stats(
        self,
        info: Info,
        from_: Annotated[dt.date, strawberry.argument(name="from", description="First date.")],
        to: Annotated[dt.date, strawberry.argument(description="Last date (inclusive).")],
    ) -> NetworkStats:
        stats = await dispatch.network_stats(viewer=info.context.viewer, start=from_, end=to)
        return NetworkStats.of(stats)


@strawberry.type
class DispatchMutation:
    @strawberry.mutation(
        description="Run a scheduled trip with another vehicle (DISPATCHER): what no longer fits "
        "moves to the next trip of the route with room, or is cancelled."
    )
    async def swap_trip_vehicle(
        self, info: Info, input: SwapTripVehicleInput
    ) -> SwapTripVehiclePayload:
        async def run() -> trip_changes.TripChange:
            return await trip_changes.swap_vehicle(
                viewer=info.context.viewer,
                trip_id=pk_of(input.trip_id, "Trip", "tripId"),
                vehicle_id=pk_of(input.vehicle_id, "Vehicle", "vehicleId"),
            )

        change, errors = await attempt(run())
        if change is None:
            return SwapTripVehiclePayload(trip=None, report=None, errors=errors)
        return SwapTripVehiclePayload(
            trip=Trip.of(change.trip), report=TripChangeReport.of(change, info), errors=errors
        )

    @strawberry.mutation(
        description="Cancel a trip (DISPATCHER): what has not boarded moves to the next trip of "
        "the route with room, or is cancelled with its stock given back."
    )
    async def cancel_trip(self, info: Info, input: CancelTripInput) -> CancelTripPayload:
        async def run() -> trip_changes.TripChange:
            return await trip_changes.cancel_trip(
                viewer=info.context.viewer,
                trip_id=pk_of(input.trip_id, "Trip", "tripId"),
                reason=input.reason,
            )

        change, errors = await attempt(run())
        if change is None:
            return CancelTripPayload(trip=None, report=None, errors=errors)
        return CancelTripPayload(
            trip=Trip.of(change.trip), report=TripChangeReport.of(change, info), errors=errors
        )
