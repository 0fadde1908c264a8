"""The raw-asyncpg baseline of bench/dispatch_reads.py: each hot read checked and built by hand
(hand-written SQL, dicts, orjson), no GraphQL, no ORM, no DataLoaders, served by a bare Starlette
app on the same uvicorn stack. The crate, pick and leg arithmetic is the same pure code
(services/dispatch_plans.py) the server uses, so both answers must be equal to the byte once
parsed.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
import jwt
import orjson
from place_order import SECRET  # the servers of bench/ share it
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route as HttpRoute

from cungoods.api.ids import to_cursor
from cungoods.db import setup as db
from cungoods.models.enums import Direction, Role, Temperature
from cungoods.services.capacity import Load
from cungoods.services.dispatch_plans import (
    Line,
    OrderToPack,
    Span,
    crates_of,
    fullest_leg,
    load_profile,
    loading_order,
    pick_totals,
)

TO_PACK = ("CONFIRMED", "LOADED")
IN_MANIFEST = ("CONFIRMED", "LOADED", "IN_TRANSIT", "AT_STATION", "PICKED_UP")
TO_COLLECT = ("RESERVED", "HANDED_OVER")
STAFF = {Role.DISPATCHER.value, Role.ADMIN.value}


class Viewer:
    """Who asks: id, roles, the station they lead (if any)."""

    def __init__(self, user_id: int, roles: set[str], station_id: int | None) -> None:
        self.id, self.roles, self.station_id = user_id, roles, station_id
        self.staff = bool(roles & STAFF)

    def leads(self, station_id: int) -> bool:
        return Role.LEADER.value in self.roles and self.station_id == station_id


class Refused(Exception):
    """Not signed in (401) or not allowed (403)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def _load(weight: int, volume: int, chilled: int) -> dict[str, int]:
    return {"weightG": weight, "volumeCm3": volume, "chilledG": chilled}


def _of(load: Load) -> dict[str, int]:
    return _load(load.weight_g, load.volume_cm3, load.chilled_g)


async def _viewer(conn: asyncpg.Connection, authorization: str) -> Viewer | None:
    try:
        claims = jwt.decode(authorization.removeprefix("Bearer "), SECRET, algorithms=["HS256"])
    except jwt.InvalidTokenError:
        return None
    row = await conn.fetchrow(
        "SELECT id, roles, station_id FROM account WHERE id = $1", int(claims["sub"])
    )
    if row is None:
        return None
    roles = row["roles"]
    return Viewer(
        row["id"], set(json.loads(roles) if isinstance(roles, str) else roles), row["station_id"]
    )


def _staff_or_driver(viewer: Viewer, trip: asyncpg.Record | None) -> None:
    if trip is None or not (viewer.staff or trip["driver_id"] == viewer.id):
        raise Refused(403, "not allowed")


async def _trip(conn: asyncpg.Connection, trip_id: int) -> asyncpg.Record | None:
    return await conn.fetchrow("SELECT id, driver_id FROM trip WHERE id = $1", trip_id)


async def _pack_lines(
    conn: asyncpg.Connection, trip_id: int
) -> tuple[list[OrderToPack], dict[int, str], dict[int, str], dict[int, int]]:
    """The trip's orders to pack with their lines; order numbers, product names, stop seqs."""
    seq_of = {
        row["station_id"]: row["seq"]
        for row in await conn.fetch(
            "SELECT seq, station_id FROM trip_stop WHERE trip_id = $1 AND station_id IS NOT NULL",
            trip_id,
        )
    }
    rows = await conn.fetch(
        "SELECT o.id AS order_id, o.number, o.station_id, ol.quantity, ol.unit_price_fen, "
        "p.id AS product_id, p.name, p.weight_g, p.volume_cm3, p.temperature "
        "FROM order_line ol JOIN cg_order o ON o.id = ol.order_id "
        "JOIN sale_item si ON si.id = ol.sale_item_id JOIN product p ON p.id = si.product_id "
        "WHERE o.trip_id = $1 AND o.status = ANY($2::text[]) ORDER BY o.id, ol.id",
        trip_id,
        list(TO_PACK),
    )
    numbers: dict[int, str] = {}
    names: dict[int, str] = {}
    lines: dict[int, list[Line]] = {}
    station_of: dict[int, int] = {}
    for row in rows:
        numbers[row["order_id"]] = row["number"]
        names[row["product_id"]] = row["name"]
        station_of[row["order_id"]] = row["station_id"]
        lines.setdefault(row["order_id"], []).append(
            Line(
                row["order_id"],
                row["product_id"],
                row["quantity"],
                row["weight_g"],
                row["volume_cm3"],
                Temperature(row["temperature"]),
                row["unit_price_fen"],
            )
        )
    packed = [
        OrderToPack(order_id, station_of[order_id], seq_of[station_of[order_id]], tuple(found))
        for order_id, found in lines.items()
    ]
    return packed, numbers, names, seq_of


async def baseline_loading_plan(
    conn: asyncpg.Connection, viewer: Viewer, trip_id: int
) -> dict[str, Any]:
    _staff_or_driver(viewer, await _trip(conn, trip_id))
    packed, numbers, names, seq_of = await _pack_lines(conn, trip_id)
    name_of = {
        row["id"]: row["name"]
        for row in await conn.fetch(
            "SELECT s.id, s.name FROM trip_stop ts JOIN station s ON s.id = ts.station_id "
            "WHERE ts.trip_id = $1",
            trip_id,
        )
    }
    steps = [
        {
            "step": step.step,
            "position": step.position,
            "space": step.space.value,
            "crate": {
                "stopSeq": step.crate.stop_seq,
                "temperature": step.crate.temperature.value,
                "units": step.crate.units,
                "station": {"name": name_of[step.crate.station_id]},
                "load": _of(step.crate.load),
                "orders": [
                    {
                        "number": numbers[order.order_id],
                        "lines": [
                            {"quantity": line.quantity, "product": {"name": names[line.product_id]}}
                            for line in order.lines
                        ],
                    }
                    for order in step.crate.orders
                ],
            },
        }
        for step in loading_order(crates_of(packed))
    ]
    produce = await conn.fetch(
        "SELECT p.number, p.station_id, p.quantity, p.handed_over_quantity, s.weight_g, "
        "l.title, u.name AS farmer FROM produce_purchase p "
        "JOIN produce_listing l ON l.id = p.listing_id JOIN shipment s ON s.id = p.shipment_id "
        "JOIN account u ON u.id = l.farmer_id "
        "WHERE p.trip_id = $1 AND p.status = ANY($2::text[]) ORDER BY p.id",
        trip_id,
        list(TO_COLLECT),
    )
    at: dict[int, list[asyncpg.Record]] = {}
    for row in produce:
        at.setdefault(row["station_id"], []).append(row)
    collections = [
        {
            "stopSeq": seq_of.get(station_id, 0),
            "station": {"name": name_of[station_id]},
            "load": {"weightG": sum(row["weight_g"] for row in found)},
            "produce": [
                {
                    "number": row["number"],
                    "title": row["title"],
                    "quantity": row["handed_over_quantity"] or row["quantity"],
                    "weightG": row["weight_g"],
                    "farmer": {"name": row["farmer"]},
                }
                for row in found
            ],
        }
        for station_id, found in sorted(at.items(), key=lambda item: seq_of.get(item[0], 0))
    ]
    legs = await conn.fetch(
        "SELECT capacity_g, capacity_cm3, chilled_capacity_g FROM leg WHERE trip_id = $1 "
        "ORDER BY seq",
        trip_id,
    )
    spans = [
        Span(
            row["from_seq"],
            row["to_seq"],
            Load(row["weight_g"], row["volume_cm3"], row["chilled_g"]),
            Direction(row["direction"]),
        )
        for row in await conn.fetch(
            "SELECT direction, from_seq, to_seq, weight_g, volume_cm3, chilled_g FROM shipment "
            "WHERE trip_id = $1 AND state = 'RESERVED'",
            trip_id,
        )
    ]
    profile = load_profile([Load(*row) for row in legs], spans)
    fullest = fullest_leg(profile)
    return {
        "data": {
            "loadingPlan": {
                "steps": steps,
                "collections": collections,
                "legs": [
                    {
                        "seq": leg.seq,
                        "capacity": _of(leg.capacity),
                        "down": _of(leg.down),
                        "up": _of(leg.up),
                        "fill": round(leg.fill, 4),
                    }
                    for leg in profile
                ],
                "fullestLeg": None
                if fullest is None
                else {"seq": fullest.seq, "fill": round(fullest.fill, 4)},
            }
        }
    }


async def baseline_manifests(
    conn: asyncpg.Connection, viewer: Viewer, trip_id: int
) -> dict[str, Any]:
    if await _trip(conn, trip_id) is None or not viewer.staff:
        raise Refused(403, "not allowed")
    stops = await conn.fetch(
        "SELECT ts.seq, ts.station_id, s.name FROM trip_stop ts "
        "LEFT JOIN station s ON s.id = ts.station_id WHERE ts.trip_id = $1 ORDER BY ts.seq",
        trip_id,
    )
    orders_rows = await conn.fetch(
        "SELECT o.id, o.station_id, o.number, o.pickup_code, u.name FROM cg_order o "
        "JOIN account u ON u.id = o.buyer_id "
        "WHERE o.trip_id = $1 AND o.status = ANY($2::text[]) ORDER BY o.id",
        trip_id,
        list(IN_MANIFEST),
    )
    line_rows = await conn.fetch(
        "SELECT ol.order_id, ol.quantity, p.name FROM order_line ol "
        "JOIN cg_order o ON o.id = ol.order_id JOIN sale_item si ON si.id = ol.sale_item_id "
        "JOIN product p ON p.id = si.product_id "
        "WHERE o.trip_id = $1 AND o.status = ANY($2::text[]) ORDER BY ol.id",
        trip_id,
        list(IN_MANIFEST),
    )
    lines: dict[int, list[dict[str, Any]]] = {}
    for row in line_rows:
        lines.setdefault(row["order_id"], []).append(
            {"quantity": row["quantity"], "product": {"name": row["name"]}}
        )
    at: dict[int, list[dict[str, Any]]] = {}
    for row in orders_rows:
        at.setdefault(row["station_id"], []).append(
            {
                "number": row["number"],
                "pickupCode": row["pickup_code"] if viewer.leads(row["station_id"]) else None,
                "buyer": {"name": row["name"]},
                "lines": lines.get(row["id"], []),
            }
        )
    return {
        "data": {
            "trip": {
                "stops": [
                    {
                        "seq": stop["seq"],
                        "station": None if stop["station_id"] is None else {"name": stop["name"]},
                        "manifest": None
                        if stop["station_id"] is None
                        else {"orders": at.get(stop["station_id"], [])},
                    }
                    for stop in stops
                ]
            }
        }
    }


async def baseline_trips(
    conn: asyncpg.Connection, viewer: Viewer | None, service_date: Any
) -> dict[str, Any]:
    """`trips(date) { status stops { seq station { name } } legs { seq used capacity } }`:
    public."""
    trips = await conn.fetch(
        "SELECT id, status FROM trip WHERE service_date = $1 ORDER BY departs_at, route_id",
        service_date,
    )
    ids = [row["id"] for row in trips]
    stops: dict[int, list[dict[str, Any]]] = {}
    for row in await conn.fetch(
        "SELECT ts.trip_id, ts.seq, s.name FROM trip_stop ts "
        "LEFT JOIN station s ON s.id = ts.station_id WHERE ts.trip_id = ANY($1::int[]) "
        "ORDER BY ts.seq",
        ids,
    ):
        stops.setdefault(row["trip_id"], []).append(
            {"seq": row["seq"], "station": None if row["name"] is None else {"name": row["name"]}}
        )
    legs: dict[int, list[dict[str, Any]]] = {}
    for row in await conn.fetch(
        "SELECT trip_id, seq, used_g, used_cm3, used_chilled_g, capacity_g, capacity_cm3, "
        "chilled_capacity_g FROM leg WHERE trip_id = ANY($1::int[]) ORDER BY seq",
        ids,
    ):
        legs.setdefault(row["trip_id"], []).append(
            {
                "seq": row["seq"],
                "used": _load(row["used_g"], row["used_cm3"], row["used_chilled_g"]),
                "capacity": _load(
                    row["capacity_g"], row["capacity_cm3"], row["chilled_capacity_g"]
                ),
            }
        )
    return {
        "data": {
            "trips": [
                {
                    "status": row["status"],
                    "stops": stops.get(row["id"], []),
                    "legs": legs.get(row["id"], []),
                }
                for row in trips
            ]
        }
    }


async def baseline_station_manifest(
    conn: asyncpg.Connection, viewer: Viewer, trip_id: int, station_id: int
) -> dict[str, Any]:
    """`stationManifest { stopSeq orders { number status pickupCode totalFen buyer { name }
    lines { quantity unitPriceFen product { name } } } }`: dispatchers and the leader."""
    if not (viewer.staff or viewer.leads(station_id)):
        raise Refused(403, "not allowed")
    stop = await conn.fetchrow(
        "SELECT seq FROM trip_stop WHERE trip_id = $1 AND station_id = $2", trip_id, station_id
    )
    if stop is None:
        raise Refused(403, "not on the trip")
    orders_rows = await conn.fetch(
        "SELECT o.id, o.number, o.status, o.pickup_code, o.total_fen, u.name FROM cg_order o "
        "JOIN account u ON u.id = o.buyer_id WHERE o.trip_id = $1 AND o.station_id = $2 "
        "AND o.status = ANY($3::text[]) ORDER BY o.id",
        trip_id,
        station_id,
        list(IN_MANIFEST),
    )
    lines: dict[int, list[dict[str, Any]]] = {}
    for row in await conn.fetch(
        "SELECT ol.order_id, ol.quantity, ol.unit_price_fen, p.name FROM order_line ol "
        "JOIN sale_item si ON si.id = ol.sale_item_id JOIN product p ON p.id = si.product_id "
        "WHERE ol.order_id = ANY($1::int[]) ORDER BY ol.id",
        [row["id"] for row in orders_rows],
    ):
        lines.setdefault(row["order_id"], []).append(
            {
                "quantity": row["quantity"],
                "unitPriceFen": row["unit_price_fen"],
                "product": {"name": row["name"]},
            }
        )
    shows_codes = viewer.leads(station_id)
    return {
        "data": {
            "stationManifest": {
                "stopSeq": stop["seq"],
                "orders": [
                    {
                        "number": row["number"],
                        "status": row["status"],
                        "pickupCode": row["pickup_code"] if shows_codes else None,
                        "totalFen": row["total_fen"],
                        "buyer": {"name": row["name"]},
                        "lines": lines.get(row["id"], []),
                    }
                    for row in orders_rows
                ],
            }
        }
    }


async def baseline_pick_list(
    conn: asyncpg.Connection, viewer: Viewer, trip_id: int
) -> dict[str, Any]:
    """`pickList { orderCount load products { product { name } quantity orders load } }`:
    dispatchers."""
    if await _trip(conn, trip_id) is None or not viewer.staff:
        raise Refused(403, "not allowed")
    packed, _, names, _ = await _pack_lines(conn, trip_id)
    totals = pick_totals(packed)
    return {
        "data": {
            "pickList": {
                "orderCount": len(packed),
                "load": _of(sum((total.load for total in totals), Load())),
                "products": [
                    {
                        "product": {"name": names[total.product_id]},
                        "quantity": total.quantity,
                        "orders": total.orders,
                        "load": _of(total.load),
                    }
                    for total in totals
                ],
            }
        }
    }


async def _order_lines(conn: asyncpg.Connection, order_ids: list[int]) -> dict[int, list[Any]]:
    lines: dict[int, list[dict[str, Any]]] = {}
    for row in await conn.fetch(
        "SELECT ol.order_id, ol.quantity, ol.unit_price_fen, p.name FROM order_line ol "
        "JOIN sale_item si ON si.id = ol.sale_item_id JOIN product p ON p.id = si.product_id "
        "WHERE ol.order_id = ANY($1::int[]) ORDER BY ol.id",
        order_ids,
    ):
        lines.setdefault(row["order_id"], []).append(
            {
                "quantity": row["quantity"],
                "unitPriceFen": row["unit_price_fen"],
                "product": {"name": row["name"]},
            }
        )
    return lines


ORDER_COLUMNS = (
    "o.id, o.number, o.status, o.pickup_code, o.total_fen, o.buyer_id, o.station_id, "
    "s.name AS station FROM cg_order o JOIN station s ON s.id = o.station_id"
)


def _order(row: asyncpg.Record, viewer: Viewer, lines: list[Any]) -> dict[str, Any]:
    shows_code = row["buyer_id"] == viewer.id or viewer.leads(row["station_id"])
    return {
        "number": row["number"],
        "status": row["status"],
        "totalFen": row["total_fen"],
        "pickupCode": row["pickup_code"] if shows_code else None,
        "station": {"name": row["station"]},
        "lines": lines,
    }


async def baseline_my_orders(conn: asyncpg.Connection, viewer: Viewer, first: int) -> Any:
    """`myOrders(first) { totalCount pageInfo { hasNextPage endCursor } edges { cursor node {
    number status totalFen pickupCode station { name } lines { ... } } } }`."""
    total = await conn.fetchval("SELECT count(*) FROM cg_order WHERE buyer_id = $1", viewer.id)
    rows = await conn.fetch(
        f"SELECT {ORDER_COLUMNS} WHERE o.buyer_id = $1 ORDER BY o.id DESC LIMIT $2",
        viewer.id,
        first + 1,
    )
    page = rows[:first]
    lines = await _order_lines(conn, [row["id"] for row in page])
    edges = [
        {"cursor": to_cursor(row["id"]), "node": _order(row, viewer, lines.get(row["id"], []))}
        for row in page
    ]
    return {
        "data": {
            "myOrders": {
                "totalCount": total,
                "pageInfo": {
                    "hasNextPage": len(rows) > first,
                    "endCursor": edges[-1]["cursor"] if edges else None,
                },
                "edges": edges,
            }
        }
    }


async def baseline_order(conn: asyncpg.Connection, viewer: Viewer, order_id: int) -> Any:
    """`order(id) { number status totalFen pickupCode station { name } lines { ... } history {
    status message } }`: its buyer, its station's leader, dispatchers."""
    row = await conn.fetchrow(f"SELECT {ORDER_COLUMNS} WHERE o.id = $1", order_id)
    if row is None or not (
        row["buyer_id"] == viewer.id or viewer.leads(row["station_id"]) or viewer.staff
    ):
        raise Refused(403, "not allowed")
    lines = await _order_lines(conn, [order_id])
    history = await conn.fetch(
        "SELECT status, message FROM event WHERE order_id = $1 AND status IS NOT NULL ORDER BY id",
        order_id,
    )
    answer = _order(row, viewer, lines.get(order_id, []))
    answer["history"] = [{"status": h["status"], "message": h["message"]} for h in history]
    return {"data": {"order": answer}}


Build = Callable[..., Awaitable[Any]]
# path -> (builder, the request body's arguments it takes, whether it needs a viewer)
ENDPOINTS: dict[str, tuple[Build, tuple[str, ...], bool]] = {
    "/trips": (baseline_trips, ("date",), False),
    "/manifests": (baseline_manifests, ("tripId",), True),
    "/station-manifest": (baseline_station_manifest, ("tripId", "stationId"), True),
    "/pick-list": (baseline_pick_list, ("tripId",), True),
    "/loading-plan": (baseline_loading_plan, ("tripId",), True),
    "/my-orders": (baseline_my_orders, ("first",), True),
    "/order": (baseline_order, ("orderId",), True),
}


def _argument(name: str, value: Any) -> Any:
    if name == "date":
        return dt.date.fromisoformat(value)
    return int(value)


def _json(body: object, status: int = 200) -> Response:
    return Response(orjson.dumps(body), status_code=status, media_type="application/json")


def baseline_app(dsn: str) -> Starlette:
    """The baseline: the same reads, checked and built by hand (no GraphQL, no ORM)."""
    pool: dict[str, asyncpg.Pool] = {}

    def endpoint(build: Build, names: tuple[str, ...], signed_in: bool) -> Any:
        async def serve(request: Request) -> Response:
            body = await request.json()
            arguments = [_argument(name, body[name]) for name in names]
            async with pool["pg"].acquire() as conn:
                viewer = await _viewer(conn, request.headers.get("authorization", ""))
                if signed_in and viewer is None:
                    return _json({"errors": [{"message": "sign in"}]}, 401)
                try:
                    return _json(await build(conn, viewer, *arguments))
                except Refused as refused:
                    return _json({"errors": [{"message": str(refused)}]}, refused.status)

        return serve

    async def healthz(request: Request) -> Response:
        return _json({"ok": True})

    @asynccontextmanager
    async def lifespan(app: Any) -> Any:
        pool["pg"] = await asyncpg.create_pool(
            dsn.replace("postgres://", "postgresql://", 1),
            min_size=2,
            max_size=db.DEFAULT_PG_POOL,
        )
        yield
        await pool["pg"].close()

    routes = [
        HttpRoute(path, endpoint(*spec), methods=["POST"]) for path, spec in ENDPOINTS.items()
    ]
    return Starlette(routes=[*routes, HttpRoute("/healthz", healthz)], lifespan=lifespan)


def serve_baseline(dsn: str, port: int) -> None:
    import uvicorn

    uvicorn.run(
        baseline_app(dsn), host="127.0.0.1", port=port, log_level="warning", access_log=False
    )
