"""The network's types: hubs, stations, vehicles, routes, trips with their stops and legs, and
how each is found by id (the node registrations)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Annotated

import strawberry

from cungoods import models
from cungoods.api.accounts.types import User, user_by_id
from cungoods.api.context import Info
from cungoods.api.descriptions import graphql_enum
from cungoods.api.ids import to_global_id
from cungoods.api.node import Node, register_node
from cungoods.api.scalars import Load
from cungoods.models.enums import Role as DomainRole
from cungoods.models.enums import TripStatus as DomainTripStatus
from cungoods.services import reads
from cungoods.services.capacity import leg_capacity, leg_down, leg_used

if TYPE_CHECKING:
    from cungoods.api.dispatch.manifests import StationManifest

# The domain enum itself is the GraphQL enum (api/descriptions.graphql_enum).
TripStatus = DomainTripStatus
graphql_enum(
    TripStatus,
    name="TripStatus",
    description="Where a trip is.",
    values={
        TripStatus.SCHEDULED: "Not departed yet.",
        TripStatus.IN_PROGRESS: "Departed from the hub, not back yet.",
        TripStatus.COMPLETED: "Back at the hub.",
        TripStatus.CANCELLED: "Will not run.",
    },
)


@strawberry.type(description="A county supply-chain centre.")
class Hub(Node):
    code: str = strawberry.field(description="Short code.")
    name: str = strawberry.field(description="Name.")
    address: str = strawberry.field(description="Street address.")
    lat: float = strawberry.field(description="Latitude.")
    lng: float = strawberry.field(description="Longitude.")

    @classmethod
    def of(cls, hub: models.Hub) -> Hub:
        return cls(
            id=strawberry.ID(to_global_id("Hub", hub.id)),
            code=hub.code,
            name=hub.name,
            address=hub.address,
            lat=hub.lat,
            lng=hub.lng,
        )


@strawberry.type(description="A village service station, run by a station leader.")
class Station(Node):
    db_id: strawberry.Private[int]
    code: str = strawberry.field(description="Station code, e.g. S0001.")
    name: str = strawberry.field(description="Station name.")
    township: str = strawberry.field(description="Township (镇/乡/街道).")
    village: str = strawberry.field(description="Village.")
    lat: float = strawberry.field(description="Latitude.")
    lng: float = strawberry.field(description="Longitude.")
    pickup_hours: str = strawberry.field(
        description="When orders are handed out, e.g. 09:00-10:00."
    )

    @strawberry.field(description="The station leader (村站团长), if one is assigned.")
    async def leader(self, info: Info) -> User | None:
        users = await info.context.loaders.children(models.User, "station_id").load(self.db_id)
        leader = next((u for u in users if DomainRole.LEADER.value in u.roles), None)
        return None if leader is None else User.of(leader, info)

    @classmethod
    def of(cls, station: models.Station) -> Station:
        return cls(
            id=strawberry.ID(to_global_id("Station", station.id)),
            db_id=station.id,
            code=station.code,
            name=station.name,
            township=station.township,
            village=station.village,
            lat=station.lat,
            lng=station.lng,
            pickup_hours=station.pickup_hours,
        )


async def station_by_id(info: Info, pk: int) -> Station | None:
    station = await info.context.loaders.by_id(models.Station).load(pk)
    return None if station is None else Station.of(station)


@strawberry.type(description="A truck.")
class Vehicle(Node):
    plate: str = strawberry.field(description="Number plate.")
    capacity: Load = strawberry.field(
        description="What it carries: weight, volume, chilled weight."
    )

    @classmethod
    def of(cls, vehicle: models.Vehicle) -> Vehicle:
        return cls(
            id=strawberry.ID(to_global_id("Vehicle", vehicle.id)),
            plate=vehicle.plate,
            capacity=Load(
                weight_g=vehicle.capacity_g,
                volume_cm3=vehicle.capacity_cm3,
                chilled_g=vehicle.chilled_capacity_g,
            ),
        )


async def vehicle_by_id(info: Info, pk: int) -> Vehicle | None:
    vehicle = await info.context.loaders.by_id(models.Vehicle).load(pk)
    return None if vehicle is None else Vehicle.of(vehicle)


@strawberry.type(
    description="A stop of a route. "
    "A value type (no id): client caches keep it inside the object that holds it."
)
class RouteStop:
    station_db_id: strawberry.Private[int]
    seq: int = strawberry.field(description="Order on the route, from 1.")
    minutes_from_departure: int = strawberry.field(description="Minutes after the hub departure.")

    @strawberry.field(description="The station.")
    async def station(self, info: Info) -> Station:
        station = await station_by_id(info, self.station_db_id)
        assert station is not None  # a route stop's station is a foreign key
        return station


@strawberry.type(
    description="When a route runs. A value type (no id): a client cache keeps it inside its "
    "route and a newer answer replaces it whole."
)
class Timetable:
    departure_times: list[str] = strawberry.field(description="Hub departures, HH:MM local time.")
    days_of_week: list[int] = strawberry.field(description="ISO weekdays it runs, 1 = Monday.")
    return_minutes: int = strawberry.field(description="Minutes after departure it is back.")


@strawberry.type(description="A fixed bus line (村货巴士): stations in order, on a timetable.")
class Route(Node):
    db_id: strawberry.Private[int]
    hub_db_id: strawberry.Private[int]
    vehicle_db_id: strawberry.Private[int | None]
    driver_db_id: strawberry.Private[int | None]
    code: str = strawberry.field(description="Route code, e.g. R1.")
    name: str = strawberry.field(description="Route name.")
    timetable: Timetable = strawberry.field(description="When it runs.")

    @strawberry.field(description="The hub it runs from and back to.")
    async def hub(self, info: Info) -> Hub:
        hub = await info.context.loaders.by_id(models.Hub).load(self.hub_db_id)
        assert hub is not None
        return Hub.of(hub)

    @strawberry.field(description="Its stations in order.")
    async def stops(self, info: Info) -> list[RouteStop]:
        stops = await info.context.loaders.children(models.RouteStop, "route_id", "seq").load(
            self.db_id
        )
        return [
            RouteStop(
                station_db_id=s.station_id,
                seq=s.seq,
                minutes_from_departure=s.minutes_from_departure,
            )
            for s in stops
        ]

    @strawberry.field(description="Its usual vehicle.")
    async def vehicle(self, info: Info) -> Vehicle | None:
        return None if self.vehicle_db_id is None else await vehicle_by_id(info, self.vehicle_db_id)

    @strawberry.field(description="Its usual driver.")
    async def driver(self, info: Info) -> User | None:
        return None if self.driver_db_id is None else await user_by_id(info, self.driver_db_id)

    @classmethod
    def of(cls, route: models.Route) -> Route:
        return cls(
            id=strawberry.ID(to_global_id("Route", route.id)),
            db_id=route.id,
            hub_db_id=route.hub_id,
            vehicle_db_id=route.vehicle_id,
            driver_db_id=route.driver_id,
            code=route.code,
            name=route.name,
            timetable=Timetable(
                departure_times=list(route.departure_times),
                days_of_week=list(route.days_of_week),
                return_minutes=route.return_minutes,
            ),
        )


StopManifest = Callable[[Info, int, int], Awaitable["StationManifest | None"]]


class _StopManifests:
    """How `TripStop.manifest` is made: dispatch/manifests.py builds on these types (so this
    module cannot import it) and hands its builder over here when it is loaded."""

    def __init__(self) -> None:
        self._build: StopManifest | None = None

    def provide(self, build: StopManifest) -> None:
        self._build = build

    async def build(self, info: Info, trip_id: int, station_id: int) -> StationManifest | None:
        if self._build is None:
            raise RuntimeError("no stop manifests: cungoods.api.dispatch.manifests is not loaded")
        return await self._build(info, trip_id, station_id)


_stop_manifests = _StopManifests()
provide_stop_manifests = _stop_manifests.provide


@strawberry.type(
    description="A stop of a trip: seq 0 leaves the hub, the last is back at it. A Node, so a "
    "client cache merges what different queries ask of it."
)
class TripStop(Node):
    trip_db_id: strawberry.Private[int]
    station_db_id: strawberry.Private[int | None]
    seq: int = strawberry.field(description="Order on the trip; 0 is the hub departure.")
    planned_at: dt.datetime = strawberry.field(description="Time from the timetable.")
    expected_at: dt.datetime = strawberry.field(description="Expected time, after delays.")
    arrived_at: dt.datetime | None = strawberry.field(description="When the bus arrived.")
    departed_at: dt.datetime | None = strawberry.field(description="When the bus left.")
    is_hub: bool = strawberry.field(description="True for the hub departure and the hub arrival.")
    # Loaded with the stops, in one batch (Trip.stops): a plain field, not a resolver per stop.
    station: Station | None = strawberry.field(description="The station (null at the hub).")

    @strawberry.field(
        description="What to hand out and take in here: for dispatchers and this station's "
        "leader (null at the hub and for anyone else)."
    )
    async def manifest(
        self, info: Info
    ) -> Annotated[StationManifest, strawberry.lazy("cungoods.api.dispatch.manifests")] | None:
        if self.station_db_id is None:
            return None
        return await _stop_manifests.build(info, self.trip_db_id, self.station_db_id)

    @classmethod
    def of(cls, stop: models.TripStop, station: Station | None) -> TripStop:
        return cls(
            id=strawberry.ID(to_global_id("TripStop", stop.id)),
            trip_db_id=stop.trip_id,
            station_db_id=stop.station_id,
            is_hub=stop.station_id is None,
            station=station,
            seq=stop.seq,
            planned_at=stop.planned_at,
            expected_at=stop.expected_at,
            arrived_at=stop.arrived_at,
            departed_at=stop.departed_at,
        )


@strawberry.type(
    description="The stretch from stop `seq` to stop `seq + 1`, and its load. A Node, so a "
    "client cache merges what different queries ask of it."
)
class Leg(Node):
    seq: int = strawberry.field(description="From stop seq to seq + 1.")
    capacity: Load = strawberry.field(description="What the vehicle can carry on it.")
    used: Load = strawberry.field(description="Reserved on it, both directions.")
    down: Load = strawberry.field(description="Goods going out from the hub.")
    up: Load = strawberry.field(description="Produce coming back to the hub.")

    @classmethod
    def of(cls, leg: models.Leg) -> Leg:
        used, down = leg_used(leg), leg_down(leg)
        return cls(
            id=strawberry.ID(to_global_id("Leg", leg.id)),
            seq=leg.seq,
            capacity=Load.of(leg_capacity(leg)),
            used=Load.of(used),
            down=Load.of(down),
            up=Load.of(used - down),
        )


@strawberry.type(
    description="How full a trip runs, as a share (0..1) of weight capacity × legs. A value type "
    "(no id): a client cache keeps it inside its trip and a newer answer replaces it whole."
)
class Utilization:
    down: float = strawberry.field(description="Goods going out.")
    up: float = strawberry.field(description="Produce coming back.")
    overall: float = strawberry.field(description="Both.")


@strawberry.type(description="One dated run of a route.")
class Trip(Node):
    db_id: strawberry.Private[int]
    route_db_id: strawberry.Private[int]
    vehicle_db_id: strawberry.Private[int]
    driver_db_id: strawberry.Private[int | None]
    service_date: dt.date = strawberry.field(description="The service date.")
    departs_at: dt.datetime = strawberry.field(description="Planned hub departure.")
    status: TripStatus = strawberry.field(description="Where the trip is.")
    delay_minutes: int = strawberry.field(description="Reported delay.")

    @strawberry.field(description="The route it runs.")
    async def route(self, info: Info) -> Route:
        route = await info.context.loaders.by_id(models.Route).load(self.route_db_id)
        assert route is not None
        return Route.of(route)

    @strawberry.field(description="The vehicle.")
    async def vehicle(self, info: Info) -> Vehicle:
        vehicle = await vehicle_by_id(info, self.vehicle_db_id)
        assert vehicle is not None
        return vehicle

    @strawberry.field(description="The driver.")
    async def driver(self, info: Info) -> User | None:
        return None if self.driver_db_id is None else await user_by_id(info, self.driver_db_id)

    @strawberry.field(description="Stops in order, with planned, expected and actual times.")
    async def stops(self, info: Info) -> list[TripStop]:
        # Every trip's stops with their stations, in one statement for the trips shown.
        loader = info.context.loaders.custom("trip_stops", reads.stops_with_stations)
        stops: list[tuple[models.TripStop, models.Station | None]] = await loader.load(self.db_id)
        stations: dict[int, Station] = {}
        for _, row in stops:
            if row is not None and row.id not in stations:
                stations[row.id] = Station.of(row)
        return [TripStop.of(stop, None if row is None else stations[row.id]) for stop, row in stops]

    @strawberry.field(description="Legs in order, with capacity and load in both directions.")
    async def legs(self, info: Info) -> list[Leg]:
        legs = await info.context.loaders.children(models.Leg, "trip_id", "seq").load(self.db_id)
        return [Leg.of(leg) for leg in legs]

    @strawberry.field(description="How full it runs, out and back.")
    async def utilization(self, info: Info) -> Utilization:
        legs = await info.context.loaders.children(models.Leg, "trip_id", "seq").load(self.db_id)
        capacity = sum(leg.capacity_g for leg in legs) or 1
        down = sum(leg.down_g for leg in legs) / capacity
        up = sum(leg.used_g - leg.down_g for leg in legs) / capacity
        return Utilization(down=round(down, 4), up=round(up, 4), overall=round(down + up, 4))

    @classmethod
    def of(cls, trip: models.Trip) -> Trip:
        return cls(
            id=strawberry.ID(to_global_id("Trip", trip.id)),
            db_id=trip.id,
            route_db_id=trip.route_id,
            vehicle_db_id=trip.vehicle_id,
            driver_db_id=trip.driver_id,
            service_date=trip.service_date,
            departs_at=trip.departs_at,
            status=DomainTripStatus(trip.status),
            delay_minutes=trip.delay_minutes,
        )


async def trip_by_id(info: Info, pk: int) -> Trip | None:
    trip = await info.context.loaders.by_id(models.Trip).load(pk)
    return None if trip is None else Trip.of(trip)


async def _hub_by_id(info: Info, pk: int) -> Hub | None:
    hub = await info.context.loaders.by_id(models.Hub).load(pk)
    return None if hub is None else Hub.of(hub)


async def _route_by_id(info: Info, pk: int) -> Route | None:
    route = await info.context.loaders.by_id(models.Route).load(pk)
    return None if route is None else Route.of(route)


register_node("Hub", _hub_by_id)
register_node("Station", station_by_id)
register_node("Vehicle", vehicle_by_id)
register_node("Route", _route_by_id)
register_node("Trip", trip_by_id)


# A trip's stops and legs are public as their trip is (`trip` and `node` on a trip need no sign-in).
async def _trip_stop_by_id(info: Info, pk: int) -> TripStop | None:
    stop = await info.context.loaders.by_id(models.TripStop).load(pk)
    if stop is None:
        return None
    station = None
    if stop.station_id is not None:
        station = await station_by_id(info, stop.station_id)
    return TripStop.of(stop, station)


async def _leg_by_id(info: Info, pk: int) -> Leg | None:
    leg = await info.context.loaders.by_id(models.Leg).load(pk)
    return None if leg is None else Leg.of(leg)


register_node("TripStop", _trip_stop_by_id)
register_node("Leg", _leg_by_id)
