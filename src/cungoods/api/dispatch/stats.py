"""The network's figures over a range of service dates (networkStats)."""

from __future__ import annotations

import datetime as dt

import strawberry

from cungoods import models
from cungoods.api.context import Info
from cungoods.api.network.types import Route, Station
from cungoods.api.scalars import Long
from cungoods.services import dispatch_stats


@strawberry.type(
    description="What happened over the dates asked for (see networkStats). "
    "A value type (no id): client caches keep it inside the object that holds it."
)
class ActivityFigures:
    orders: int = strawberry.field(description="Orders not cancelled.")
    sales_fen: Long = strawberry.field(
        description="What they sold for, in fen (64-bit Long: a county's sales over months pass "
        "2^31 fen)."
    )
    produce_purchases: int = strawberry.field(
        description="Produce purchases carried to the city (boarded the bus)."
    )
    produce_carried_g: int = strawberry.field(description="Their weight, in grams.")
    produce_carried_fen: Long = strawberry.field(description="Their value, in fen (64-bit Long).")
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
            sales_fen=Long(figures.sales_fen),
            produce_purchases=figures.produce_purchases,
            produce_carried_g=figures.produce_g,
            produce_carried_fen=Long(figures.produce_fen),
            down_utilization=figures.down_utilization,
            up_utilization=figures.up_utilization,
            arrivals=figures.arrivals,
            on_time_arrivals=figures.on_time,
            on_time_rate=figures.on_time_rate,
        )


@strawberry.type(
    description="One route's figures. "
    "A value type (no id): client caches keep it inside the object that holds it."
)
class RouteStats:
    route_row: strawberry.Private[models.Route]
    trips: int = strawberry.field(description="Trips run or to run (not cancelled).")
    figures: ActivityFigures = strawberry.field(description="What it did.")

    @strawberry.field(description="The route.")
    def route(self) -> Route:
        return Route.of(self.route_row)


@strawberry.type(
    description="One station's figures. "
    "A value type (no id): client caches keep it inside the object that holds it."
)
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


@strawberry.type(
    description="The network's figures over a range of service dates. "
    "A value type (no id): client caches keep it inside the object that holds it."
)
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
