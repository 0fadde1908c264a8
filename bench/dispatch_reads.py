"""The hub's dispatch reads under load: the GraphQL server against a raw-asyncpg baseline that
builds the same JSON.

Run (PostgreSQL must answer at 127.0.0.1:5432 as user postgres, as for the tests):

    .venv/bin/python bench/dispatch_reads.py

It creates a throw-away database (dropped at the end), builds the demo county with its catalog,
and puts on route R1's next trip about `--orders` confirmed orders (1 to 4 lines each, spread
over its 26 stations, each from another villager) and some farmers' produce. Then, for each of
the two reads a dispatcher (or the driver, or a leader) makes before the bus leaves:

1. **loadingPlan**: the crates in loading order with their orders and lines, the produce to
   collect at each stop with its farmer, and the load of every leg;
2. **stops with manifests**: `trip { stops { seq station { name } manifest { orders { number
   pickupCode buyer { name } lines { quantity product { name } } } } } }`,

`--clients` concurrent clients (each on its own keep-alive HTTP connection, through a minimal
HTTP/1.1 client so the load generator stays light) send the read back to back to:

- **GraphQL**: the real server (`uvicorn cungoods.app:create_app --factory`, one worker);
- **baseline**: a bare Starlette endpoint on the same uvicorn stack (one worker, an asyncpg pool
  of the server's size) that checks the token and the viewer's role as the server does, loads
  the same rows with hand-written SQL and builds the same JSON with json.dumps: no GraphQL, no
  ORM, no DataLoaders. The crate and leg arithmetic is the same pure code
  (services/dispatch_plans.py) in both.

Before measuring, each read's two answers are compared and must be equal. It prints requests/s
and p50/p99 latency for each, measured for `--seconds` after `--warmup` seconds, and the ratio
GraphQL/baseline in requests per second.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import random
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import asyncpg

sys.path.insert(0, str(Path(__file__).resolve().parent))
from place_order import (  # noqa: E402  (the shared load-generation helpers of bench/)
    SECRET,
    Connection,
    Result,
    Tally,
    drive,
    free_port,
    start_server,
    wait_until_up,
)
from tortoise.transactions import in_transaction  # noqa: E402

from cungoods.api.ids import to_global_id  # noqa: E402
from cungoods.db import setup as db  # noqa: E402
from cungoods.models import (  # noqa: E402
    Leg,
    ProduceListing,
    Route,
    SaleItem,
    Station,
    Trip,
    TripStop,
    User,
)
from cungoods.models.enums import Direction, Role, Temperature  # noqa: E402
from cungoods.seed.catalog import seed_catalog  # noqa: E402
from cungoods.seed.demo import (  # noqa: E402
    dispatcher_phone,
    fund_wallets,
    seed_network,
    seed_trips,
)
from cungoods.services import catalog, clock, orders, purchases  # noqa: E402
from cungoods.services.auth import Viewer, hash_password, issue_token  # noqa: E402
from cungoods.services.capacity import Load  # noqa: E402
from cungoods.services.dispatch_plans import (  # noqa: E402
    Line,
    OrderToPack,
    Span,
    crates_of,
    fullest_leg,
    load_profile,
    loading_order,
)

PG_ADMIN = os.environ.get("CUNGOODS_BENCH_PG", "postgres://postgres@127.0.0.1:5432/postgres")
POOL_SIZE = db.DEFAULT_PG_POOL
HUGE = 2_000_000_000
BENCH_WALLET_FEN = 10**12  # every buyer can pay for any run
ROUTE = "R1"

LOAD = "weightG volumeCm3 chilledG"
LOADING_PLAN = f"""
query($trip: ID!) {{
  loadingPlan(tripId: $trip) {{
    steps {{ step position space
             crate {{ stopSeq temperature units station {{ name }} load {{ {LOAD} }}
                      orders {{ number lines {{ quantity product {{ name }} }} }} }} }}
    collections {{ stopSeq station {{ name }} load {{ weightG }}
                   produce {{ number title quantity weightG farmer {{ name }} }} }}
    legs {{ seq capacity {{ {LOAD} }} down {{ {LOAD} }} up {{ {LOAD} }} fill }}
    fullestLeg {{ seq fill }}
  }}
}}
"""
STOPS_WITH_MANIFESTS = """
query($trip: ID!) {
  trip(id: $trip) {
    stops { seq station { name }
            manifest { orders { number pickupCode buyer { name }
                                lines { quantity product { name } } } } }
  }
}
"""
READS = {"loadingPlan": LOADING_PLAN, "stops with manifests": STOPS_WITH_MANIFESTS}
BASELINE_PATHS = {"loadingPlan": "/loading-plan", "stops with manifests": "/manifests"}
TO_PACK = ("CONFIRMED", "LOADED")
IN_MANIFEST = ("CONFIRMED", "LOADED", "IN_TRANSIT", "AT_STATION", "PICKED_UP")
TO_COLLECT = ("RESERVED", "HANDED_OVER")


# --- the trip ---------------------------------------------------------------------------------


async def build_trip(orders_wanted: int, purchases_wanted: int, seed: int) -> tuple[int, str]:
    """Route R1's next trip with the orders and produce on it; (trip id, dispatcher token)."""
    rng = random.Random(seed)
    await seed_network()
    await seed_trips(days=3)
    await seed_catalog(days=3)
    window = (await catalog.open_sale_windows())[0]
    await SaleItem.filter(window_id=window.id).update(stock=HUGE)
    route = await Route.get(code=ROUTE)
    trip = await Trip.get(route_id=route.id, service_date=window.service_date)
    await Leg.filter(trip_id=trip.id).update(
        capacity_g=HUGE, capacity_cm3=HUGE, chilled_capacity_g=HUGE
    )
    stops = await TripStop.filter(trip_id=trip.id, station_id__not_isnull=True).order_by("seq")
    stations = [stop.station_id for stop in stops if stop.station_id is not None]
    password = hash_password("bench-pass")
    await User.bulk_create(
        [
            User(
                phone=f"1341{n:07d}",
                name=f"村民{n:03d}",
                password_hash=password,
                roles=[Role.BUYER.value],
                station_id=stations[n % len(stations)],
            )
            for n in range(orders_wanted)
        ]
    )
    villagers = await User.filter(phone__startswith="1341").order_by("id")
    async with in_transaction():  # they pay from their wallets (issue 12)
        await fund_wallets(villagers, amount_fen=BENCH_WALLET_FEN)
    items = await SaleItem.filter(window_id=window.id).order_by("id")
    gate = asyncio.Semaphore(16)

    async def place(villager: User) -> None:
        picked = rng.sample(items, rng.randint(1, 4))
        lines = [orders.LineRequest(item.id, rng.randint(1, 3)) for item in picked]
        async with gate:
            await orders.place_order(
                viewer=Viewer.of(villager),
                station_id=villager.station_id or stations[0],
                service_date=window.service_date,
                lines=lines,
            )

    await asyncio.gather(*(place(villager) for villager in villagers))

    farmers = [
        u for u in await User.filter(phone__startswith="136") if Role.FARMER.value in u.roles
    ]
    city_buyer = await User.get(phone="13500000001")
    async with in_transaction():  # the produce is paid from the wallet too
        await fund_wallets([city_buyer], amount_fen=BENCH_WALLET_FEN)
    for n in range(purchases_wanted):
        station = await Station.get(id=stations[(n * 7) % len(stations)])
        listing = await ProduceListing.create(
            farmer_id=farmers[n % len(farmers)].id,
            title=f"高山椪柑 第{n + 1}批",
            category="水果",
            unit="斤",
            unit_weight_g=500,
            unit_volume_cm3=1000,
            price_fen=350,
            quantity=500,
            station_id=station.id,
            ready_from=window.service_date,
            ready_until=window.service_date + dt.timedelta(days=3),
            temperature=Temperature.AMBIENT,
        )
        await purchases.buy_produce(
            viewer=Viewer.of(city_buyer),
            listing_id=listing.id,
            quantity=rng.randint(10, 40),
            idempotency_key=None,
        )
    await orders.cut_off(window_id=window.id)
    dispatcher = await User.get(phone=dispatcher_phone())
    return trip.id, issue_token(user_id=dispatcher.id, secret=SECRET, ttl_seconds=24 * 3600)


# --- the baseline server ----------------------------------------------------------------------


def _load(weight: int, volume: int, chilled: int) -> dict[str, int]:
    return {"weightG": weight, "volumeCm3": volume, "chilledG": chilled}


def _of(load: Load) -> dict[str, int]:
    return _load(load.weight_g, load.volume_cm3, load.chilled_g)


async def _viewer(conn: asyncpg.Connection, authorization: str) -> tuple[int, set[str]] | None:
    import jwt

    try:
        claims = jwt.decode(authorization.removeprefix("Bearer "), SECRET, algorithms=["HS256"])
    except jwt.InvalidTokenError:
        return None
    row = await conn.fetchrow("SELECT id, roles FROM account WHERE id = $1", int(claims["sub"]))
    if row is None:
        return None
    roles = row["roles"]
    return row["id"], set(json.loads(roles) if isinstance(roles, str) else roles)


async def baseline_loading_plan(conn: asyncpg.Connection, trip_id: int) -> dict[str, Any]:
    stops = await conn.fetch(
        "SELECT ts.seq, ts.station_id, s.name FROM trip_stop ts "
        "LEFT JOIN station s ON s.id = ts.station_id WHERE ts.trip_id = $1 ORDER BY ts.seq",
        trip_id,
    )
    seq_of = {row["station_id"]: row["seq"] for row in stops if row["station_id"] is not None}
    name_of = {row["station_id"]: row["name"] for row in stops}
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


async def baseline_manifests(conn: asyncpg.Connection, trip_id: int) -> dict[str, Any]:
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
                "pickupCode": row["pickup_code"],
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


def baseline_app(dsn: str) -> Any:
    """The baseline: the same reads, checked and built by hand (no GraphQL, no ORM)."""
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import JSONResponse, Response
    from starlette.routing import Route as HttpRoute

    pool: dict[str, asyncpg.Pool] = {}

    async def serve(request: Request, build: Callable[..., Any], who: str) -> Response:
        trip_id = int((await request.json())["tripId"])
        async with pool["pg"].acquire() as conn:
            viewer = await _viewer(conn, request.headers.get("authorization", ""))
            if viewer is None:
                return JSONResponse({"errors": [{"message": "sign in"}]}, status_code=401)
            user_id, roles = viewer
            trip = await conn.fetchrow("SELECT id, driver_id FROM trip WHERE id = $1", trip_id)
            staff = bool(roles & {Role.DISPATCHER.value, Role.ADMIN.value})
            if trip is None or not (staff or (who == "driver" and trip["driver_id"] == user_id)):
                return JSONResponse({"errors": [{"message": "not allowed"}]}, status_code=403)
            return JSONResponse(await build(conn, trip_id))

    async def loading_plan(request: Request) -> Response:
        return await serve(request, baseline_loading_plan, "driver")

    async def manifests(request: Request) -> Response:
        return await serve(request, baseline_manifests, "staff")

    async def healthz(request: Request) -> Response:
        return JSONResponse({"ok": True})

    async def lifespan(app: Any) -> Any:
        pool["pg"] = await asyncpg.create_pool(
            dsn.replace("postgres://", "postgresql://", 1), min_size=2, max_size=POOL_SIZE
        )
        yield
        await pool["pg"].close()

    from contextlib import asynccontextmanager

    return Starlette(
        routes=[
            HttpRoute("/loading-plan", loading_plan, methods=["POST"]),
            HttpRoute("/manifests", manifests, methods=["POST"]),
            HttpRoute("/healthz", healthz),
        ],
        lifespan=asynccontextmanager(lifespan),
    )


def serve_baseline(dsn: str, port: int) -> None:
    import uvicorn

    uvicorn.run(
        baseline_app(dsn), host="127.0.0.1", port=port, log_level="warning", access_log=False
    )


# --- measuring --------------------------------------------------------------------------------


async def ask(port: int, path: str, payload: object, token: str) -> object:
    connection = await Connection.open(port)
    try:
        status, body = await connection.post_json(path, payload, token)
    finally:
        connection.close()
    if status != 200:
        raise SystemExit(f"{path}: HTTP {status}: {body}")
    return body


async def load(
    name: str,
    port: int,
    path: str,
    payload: object,
    token: str,
    args: argparse.Namespace,
) -> Result:
    async def client(n: int, running: Callable[[], bool], tally: Tally) -> None:
        connection = await Connection.open(port)
        try:
            while running():
                began = time.perf_counter()
                status, body = await connection.post_json(path, payload, token)
                ended = time.perf_counter()
                if status == 200 and isinstance(body, dict) and "errors" not in body:
                    tally.latencies.append((began, ended - began))
                else:
                    tally.failures.append(f"HTTP {status}: {str(body)[:300]}")
        finally:
            connection.close()

    return await drive(name, args.clients, args.warmup, args.seconds, client)


def spawn_baseline(url: str, port: int, log: str) -> Any:
    import subprocess

    output = open(log, "wb")  # noqa: SIM115  (the server process owns it until it exits)
    command = [sys.executable, __file__, "--serve-baseline", url, "--port", str(port)]
    return subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT)


def line(result: Result) -> str:
    return (
        f"  {result.name:<9} {result.per_second:8.1f} req/s   p50 {result.p50_ms:7.1f} ms   "
        f"p99 {result.p99_ms:7.1f} ms   ({result.requests} requests)"
    )


async def main(args: argparse.Namespace) -> None:
    name = f"cungoods_bench_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(PG_ADMIN.replace("postgres://", "postgresql://", 1))
    await admin.execute(f'CREATE DATABASE "{name}"')
    url = PG_ADMIN.rsplit("/", 1)[0] + "/" + name
    try:
        await db.migrate(url)
        await db.connect(url)
        try:
            real_now = dt.datetime.now(clock.tz())
            clock.shift(clock.at(real_now.date(), "12:00") - real_now)  # before the cutoff
            trip_id, token = await build_trip(args.orders, args.purchases, args.seed)
            clock.shift(dt.timedelta(0))
            stats = await admin_counts(trip_id)
        finally:
            await db.close()
        print(
            f"dispatch reads, PostgreSQL: trip {ROUTE} {stats}; {args.clients} clients, "
            f"{args.seconds:g} s after {args.warmup:g} s warm-up; each server 1 uvicorn worker, "
            f"pool {POOL_SIZE}; {os.cpu_count()} CPUs",
            flush=True,
        )
        graphql_payloads = {
            read: {"query": query, "variables": {"trip": to_global_id("Trip", trip_id)}}
            for read, query in READS.items()
        }
        results: dict[str, dict[str, Result]] = {read: {} for read in READS}
        answers: dict[str, dict[str, object]] = {read: {} for read in READS}

        port = free_port()
        server = start_server(url, port, 1, args.server_log)
        try:
            await wait_until_up(port, server)
            for read in READS:
                answers[read]["GraphQL"] = await ask(
                    port, "/graphql", graphql_payloads[read], token
                )
                results[read]["GraphQL"] = await load(
                    "GraphQL", port, "/graphql", graphql_payloads[read], token, args
                )
        finally:
            server.terminate()
            server.wait(timeout=30)

        port = free_port()
        baseline = spawn_baseline(url, port, args.server_log + ".baseline")
        try:
            await wait_until_up(port, baseline)
            for read in READS:
                path, payload = BASELINE_PATHS[read], {"tripId": trip_id}
                answers[read]["baseline"] = await ask(port, path, payload, token)
                results[read]["baseline"] = await load("baseline", port, path, payload, token, args)
        finally:
            baseline.terminate()
            baseline.wait(timeout=30)

        for read in READS:
            same = answers[read]["GraphQL"] == answers[read]["baseline"]
            size = len(json.dumps(answers[read]["GraphQL"]))
            print(f"{read} ({size / 1024:.0f} KB of JSON; answers equal: {same})")
            for result in results[read].values():
                print(line(result))
            ratio = results[read]["GraphQL"].per_second / results[read]["baseline"].per_second
            print(f"  ratio GraphQL/baseline: {ratio:.2f} in requests/s")
            if not same:
                raise SystemExit(f"{read}: the GraphQL and baseline answers differ")
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


async def admin_counts(trip_id: int) -> str:
    from cungoods.models import Order, OrderLine, ProducePurchase

    orders_on = await Order.filter(trip_id=trip_id, status="CONFIRMED").count()
    lines = await OrderLine.filter(order__trip_id=trip_id).count()
    produce = await ProducePurchase.filter(trip_id=trip_id).count()
    stops = await TripStop.filter(trip_id=trip_id).count()
    return f"with {orders_on} orders ({lines} lines), {produce} purchases, {stops} stops"


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--orders", type=int, default=300, help="orders on the trip")
    parser.add_argument("--purchases", type=int, default=30, help="produce purchases on it")
    parser.add_argument("--clients", type=int, default=32, help="concurrent clients")
    parser.add_argument("--seconds", type=float, default=10.0, help="measured seconds per run")
    parser.add_argument("--warmup", type=float, default=2.0, help="seconds before measuring")
    parser.add_argument("--seed", type=int, default=1, help="random seed of the orders")
    parser.add_argument(
        "--server-log", default="/tmp/cungoods-bench-dispatch.log", help="servers' output"
    )
    parser.add_argument("--serve-baseline", metavar="DATABASE_URL", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    return parser.parse_args(argv)


if __name__ == "__main__":
    arguments = parse()
    if arguments.serve_baseline:
        serve_baseline(arguments.serve_baseline, arguments.port)
    else:
        asyncio.run(main(arguments))
