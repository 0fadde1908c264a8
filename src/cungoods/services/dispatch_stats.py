"""networkStats: what the county's rural e-commerce did over a range of service dates, per route
and per station, computed by GROUP BY in the database (a handful of aggregate queries, whatever
the number of orders); Python only adds up the aggregate rows of a station served by two routes
and the routes into the network total.

Definitions (all by the trip's service date, from and to inclusive):
- orders, salesFen: orders that are not cancelled, and what they cost.
- produce carried to the city: purchases that boarded the bus (IN_TRANSIT, AT_HUB, COLLECTED),
  their weight as reserved on the bus (what was handed over) and their total in fen.
- utilization, as Trip.utilization does it, by weight, over the trips that ran or will run (not
  cancelled): for a route, goods going out (down) and produce coming back (up) as shares of the
  capacity of all its legs; for a station, the bus's load arriving there (down, on the leg into
  the station) and leaving it (up, on the leg out of it) as shares of those legs' capacity.
- on-time arrivals: stops the bus reported arriving at (the hub arrival counts for the route)
  no later than ON_TIME_TOLERANCE after the timetable's planned time.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from cungoods.db import sql
from cungoods.models import Route, RouteStop, Station
from cungoods.services.auth import Viewer, require_dispatcher
from cungoods.services.errors import invalid

ON_TIME_TOLERANCE = dt.timedelta(minutes=10)
MAX_DAYS = 366
CARRIED = ("IN_TRANSIT", "AT_HUB", "COLLECTED")


@dataclass(frozen=True)
class Figures:
    """Counts and sums over a range of dates; money sums can pass 2^31 fen (the API shows them
    as Long)."""

    orders: int = 0
    sales_fen: int = 0
    produce_purchases: int = 0
    produce_g: int = 0
    produce_fen: int = 0
    # Sums of leg weights the utilization shares are made of.
    down_capacity_g: int = 0
    down_g: int = 0
    up_capacity_g: int = 0
    up_g: int = 0
    arrivals: int = 0
    on_time: int = 0

    @property
    def down_utilization(self) -> float:
        return _ratio(self.down_g, self.down_capacity_g)

    @property
    def up_utilization(self) -> float:
        return _ratio(self.up_g, self.up_capacity_g)

    @property
    def on_time_rate(self) -> float:
        return _ratio(self.on_time, self.arrivals)

    def __add__(self, other: Figures) -> Figures:
        return Figures(**{name: getattr(self, name) + getattr(other, name) for name in _FIELDS})


_FIELDS = tuple(Figures.__dataclass_fields__)


@dataclass(frozen=True)
class RouteFigures:
    route: Route
    trips: int
    figures: Figures


@dataclass(frozen=True)
class StationFigures:
    station: Station
    route_ids: tuple[int, ...]
    figures: Figures


@dataclass(frozen=True)
class NetworkStats:
    start: dt.date
    end: dt.date
    totals: Figures
    routes: list[RouteFigures] = field(default_factory=list)
    stations: list[StationFigures] = field(default_factory=list)


# {start} and {end} are the bind parameters of the date range, {on_time} the dialect's test.
ORDERS_SQL = """
SELECT t.route_id AS route_id, o.station_id AS station_id,
       COUNT(*) AS orders, COALESCE(SUM(o.total_fen), 0) AS sales_fen
FROM cg_order o JOIN trip t ON t.id = o.trip_id
WHERE t.service_date >= {start} AND t.service_date <= {end} AND o.status <> 'CANCELLED'
GROUP BY t.route_id, o.station_id
"""
PRODUCE_SQL = """
SELECT t.route_id AS route_id, p.station_id AS station_id,
       COUNT(*) AS produce_purchases, COALESCE(SUM(s.weight_g), 0) AS produce_g,
       COALESCE(SUM(p.total_fen), 0) AS produce_fen
FROM produce_purchase p
JOIN trip t ON t.id = p.trip_id
JOIN shipment s ON s.id = p.shipment_id
WHERE t.service_date >= {start} AND t.service_date <= {end}
  AND p.status IN ('IN_TRANSIT', 'AT_HUB', 'COLLECTED')
GROUP BY t.route_id, p.station_id
"""
ROUTE_LEGS_SQL = """
SELECT t.route_id AS route_id, COUNT(DISTINCT t.id) AS trips,
       COALESCE(SUM(l.capacity_g), 0) AS capacity_g, COALESCE(SUM(l.down_g), 0) AS down_g,
       COALESCE(SUM(l.used_g - l.down_g), 0) AS up_g
FROM leg l JOIN trip t ON t.id = l.trip_id
WHERE t.service_date >= {start} AND t.service_date <= {end} AND t.status <> 'CANCELLED'
GROUP BY t.route_id
"""
STATION_LEGS_SQL = """
SELECT t.route_id AS route_id, ts.station_id AS station_id,
       COALESCE(SUM(CASE WHEN l.seq = ts.seq - 1 THEN l.capacity_g ELSE 0 END), 0)
           AS down_capacity_g,
       COALESCE(SUM(CASE WHEN l.seq = ts.seq - 1 THEN l.down_g ELSE 0 END), 0) AS down_g,
       COALESCE(SUM(CASE WHEN l.seq = ts.seq THEN l.capacity_g ELSE 0 END), 0) AS up_capacity_g,
       COALESCE(SUM(CASE WHEN l.seq = ts.seq THEN l.used_g - l.down_g ELSE 0 END), 0) AS up_g
FROM trip_stop ts
JOIN trip t ON t.id = ts.trip_id
JOIN leg l ON l.trip_id = ts.trip_id AND (l.seq = ts.seq - 1 OR l.seq = ts.seq)
WHERE t.service_date >= {start} AND t.service_date <= {end} AND t.status <> 'CANCELLED'
  AND ts.station_id IS NOT NULL
GROUP BY t.route_id, ts.station_id
"""
ARRIVALS_SQL = """
SELECT t.route_id AS route_id, ts.station_id AS station_id, COUNT(*) AS arrivals,
       COALESCE(SUM(CASE WHEN {on_time} THEN 1 ELSE 0 END), 0) AS on_time
FROM trip_stop ts JOIN trip t ON t.id = ts.trip_id
WHERE t.service_date >= {start} AND t.service_date <= {end}
  AND ts.seq > 0 AND ts.arrived_at IS NOT NULL
GROUP BY t.route_id, ts.station_id
"""
_MINUTES = int(ON_TIME_TOLERANCE.total_seconds() // 60)
# SQLite keeps datetimes as ISO text (with the offset they were written with): julianday()
# reads the offset, so the comparison is on the instant.
ON_TIME = {
    "postgres": f"ts.arrived_at <= ts.planned_at + INTERVAL '{_MINUTES} minutes'",
    "sqlite": f"julianday(ts.arrived_at) <= julianday(ts.planned_at) + {_MINUTES} / 1440.0",
}


async def network_stats(*, viewer: Viewer | None, start: dt.date, end: dt.date) -> NetworkStats:
    """Orders, sales, produce carried to the city, utilization out and back, and on-time
    arrivals, per route and per station, for the service dates from `start` to `end`
    (DISPATCHER)."""
    require_dispatcher(viewer)
    if end < start:
        raise invalid("`to` is before `from`", "to")
    if (end - start).days >= MAX_DAYS:
        raise invalid(f"ask for at most {MAX_DAYS} days at once", "to")

    routes = {route.id: route for route in await Route.all().order_by("code")}
    route_stops = await RouteStop.all().order_by("route_id", "seq")
    stations = {
        station.id: station
        for station in await Station.filter(id__in={stop.station_id for stop in route_stops})
    }

    by_route: dict[int, Figures] = {route_id: Figures() for route_id in routes}
    by_station: dict[int, Figures] = {stop.station_id: Figures() for stop in route_stops}
    trips: dict[int, int] = {}

    def add(into: dict[int, Figures], key: int | None, figures: Figures) -> None:
        if key is not None:
            into[key] = into.get(key, Figures()) + figures

    for row in await _query(ORDERS_SQL, start, end):
        # Money sums are 64-bit (PostgreSQL's SUM of a bigint column is numeric: int() it).
        figures = Figures(orders=row["orders"], sales_fen=int(row["sales_fen"]))
        add(by_route, row["route_id"], figures)
        add(by_station, row["station_id"], figures)
    for row in await _query(PRODUCE_SQL, start, end):
        figures = Figures(
            produce_purchases=row["produce_purchases"],
            produce_g=row["produce_g"],
            produce_fen=int(row["produce_fen"]),
        )
        add(by_route, row["route_id"], figures)
        add(by_station, row["station_id"], figures)
    for row in await _query(ROUTE_LEGS_SQL, start, end):
        trips[row["route_id"]] = row["trips"]
        add(
            by_route,
            row["route_id"],
            Figures(
                down_capacity_g=row["capacity_g"],
                down_g=row["down_g"],
                up_capacity_g=row["capacity_g"],
                up_g=row["up_g"],
            ),
        )
    for row in await _query(STATION_LEGS_SQL, start, end):
        add(
            by_station,
            row["station_id"],
            Figures(
                down_capacity_g=row["down_capacity_g"],
                down_g=row["down_g"],
                up_capacity_g=row["up_capacity_g"],
                up_g=row["up_g"],
            ),
        )
    for row in await _query(ARRIVALS_SQL, start, end):
        figures = Figures(arrivals=row["arrivals"], on_time=row["on_time"])
        add(by_route, row["route_id"], figures)
        add(by_station, row["station_id"], figures)

    routes_of: dict[int, list[int]] = {}
    for stop in route_stops:
        routes_of.setdefault(stop.station_id, []).append(stop.route_id)
    route_figures = [
        RouteFigures(route=route, trips=trips.get(route_id, 0), figures=by_route[route_id])
        for route_id, route in routes.items()
    ]
    # Leg sums of a route are not the network's: the totals add the routes' figures.
    totals = sum((item.figures for item in route_figures), Figures())
    station_figures = [
        StationFigures(
            station=stations[station_id],
            route_ids=tuple(routes_of.get(station_id, ())),
            figures=figures,
        )
        for station_id, figures in by_station.items()
        if station_id in stations
    ]
    station_figures.sort(key=lambda item: item.station.code)
    return NetworkStats(
        start=start,
        end=end,
        totals=totals,
        routes=route_figures,
        stations=station_figures,
    )


async def _query(text: str, start: dt.date, end: dt.date) -> list[dict[str, Any]]:
    """Run one of the queries above for a date range (db/sql.py translates the placeholders).
    SQLite compares the stored dates as text, so it is given them as ISO strings."""
    postgres = sql.is_postgres()
    statement = text.format(
        start="$1", end="$2", on_time=ON_TIME["postgres" if postgres else "sqlite"]
    )
    if postgres:
        return await sql.fetch(statement, start, end)
    return await sql.fetch(statement, start.isoformat(), end.isoformat())


def _ratio(part: int, whole: int) -> float:
    return round(part / whole, 4) if whole > 0 else 0.0
