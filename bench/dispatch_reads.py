"""The hot reads under load: the GraphQL server against a raw-asyncpg baseline that builds the
same JSON, hot (the same read back to back) and cold (the first read after a change).

Run (PostgreSQL must answer at 127.0.0.1:5432 as user postgres, as for the tests):

    .venv/bin/python bench/dispatch_reads.py

It creates a throw-away database (dropped at the end), builds the demo county with its catalog,
and puts on route R1's next trip about `--orders` confirmed orders (1 to 4 lines each, spread
over its 26 stations, each from another villager; one villager has a page of orders) and some
farmers' produce. Then for each hot read of the frontends (READS below: the board's
`trips(date)`, a trip's every-stop manifests, one station's manifest as its leader reads it,
the pick list, the loading plan, a villager's myOrders and one order):

- **hot**: `--clients` concurrent clients (each on its own keep-alive HTTP connection, through a
  minimal HTTP/1.1 client so the load generator stays light) send the read back to back for
  `--seconds` after `--warmup` seconds: requests/s and p50/p99 latency;
- **cold**: `--cold` times, a dispatcher reports a one-minute delay of the trip (a real mutation
  through the server, which changes the trip's times and writes its events), then one client
  reads: p50 latency of that first read after the change.

Both against:

- **GraphQL**: the real server (`uvicorn cungoods.app:create_app --factory`, one worker,
  production mode);
- **baseline**: bench/read_baselines.py, a bare Starlette endpoint per read on the same uvicorn
  stack (one worker, an asyncpg pool of the server's size) that checks the token and the
  viewer's rights as the server does, loads the same rows with hand-written SQL and builds the
  same JSON (orjson): no GraphQL, no ORM, no DataLoaders.

Before measuring, each read's two answers are compared and must be equal. The ratios printed
are GraphQL/baseline: requests/s when hot, 1/latency (baseline p50 / GraphQL p50) when cold,
and the server's CPU time per request when hot (baseline's / ours, read from /proc: it holds
when other processes share the CPUs, which the two throughput figures do not).
`--only NAME` (repeatable) runs some reads only.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import random
import statistics
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
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
from read_baselines import serve_baseline  # noqa: E402
from tortoise.transactions import in_transaction  # noqa: E402

from cungoods.api.ids import to_global_id  # noqa: E402
from cungoods.db import setup as db  # noqa: E402
from cungoods.models import (  # noqa: E402
    Leg,
    Order,
    ProduceListing,
    Route,
    SaleItem,
    Station,
    Trip,
    TripStop,
    User,
)
from cungoods.models.enums import Role, Temperature  # noqa: E402
from cungoods.seed.catalog import seed_catalog  # noqa: E402
from cungoods.seed.demo import (  # noqa: E402
    dispatcher_phone,
    fund_wallets,
    seed_network,
    seed_trips,
)
from cungoods.services import catalog, clock, orders, purchases  # noqa: E402
from cungoods.services.auth import Viewer, hash_password, issue_token  # noqa: E402

PG_ADMIN = os.environ.get("CUNGOODS_BENCH_PG", "postgres://postgres@127.0.0.1:5432/postgres")
POOL_SIZE = db.DEFAULT_PG_POOL
HUGE = 2_000_000_000
BENCH_WALLET_FEN = 10**12  # every buyer can pay for any run
ROUTE = "R1"
MY_ORDERS = 12  # the orders of the villager whose myOrders is read (a page of 10 and more)

LOAD = "weightG volumeCm3 chilledG"
TRIPS = f"""
query($date: Date!) {{
  trips(date: $date) {{
    status stops {{ seq station {{ name }} }} legs {{ seq used {{ {LOAD} }} capacity {{ {LOAD} }} }}
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
ORDER_LINES = "lines { quantity unitPriceFen product { name } }"
STATION_MANIFEST = f"""
query($trip: ID!, $station: ID!) {{
  stationManifest(tripId: $trip, stationId: $station) {{
    stopSeq orders {{ number status pickupCode totalFen buyer {{ name }} {ORDER_LINES} }}
  }}
}}
"""
PICK_LIST = f"""
query($trip: ID!) {{
  pickList(tripId: $trip) {{
    orderCount load {{ {LOAD} }} products {{ product {{ name }} quantity orders load {{ {LOAD} }} }}
  }}
}}
"""
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
ORDER_FIELDS = f"number status totalFen pickupCode station {{ name }} {ORDER_LINES}"
MY_ORDERS_QUERY = f"""
query($first: Int!) {{
  myOrders(first: $first) {{
    totalCount pageInfo {{ hasNextPage endCursor }} edges {{ cursor node {{ {ORDER_FIELDS} }} }}
  }}
}}
"""
ORDER = f"""
query($id: ID!) {{
  order(id: $id) {{ {ORDER_FIELDS} history {{ status message }} }}
}}
"""
DELAY = """
mutation($trip: ID!) {
  recordTripEvent(input: { tripId: $trip, kind: DELAYED, minutes: 1 }) {
    trip { delayMinutes } errors { code message }
  }
}
"""


@dataclass(frozen=True)
class Scene:
    """The trip on which the reads run, and who reads."""

    trip_id: int
    service_date: dt.date
    station_id: int  # a station on the trip, whose leader reads its manifest
    order_id: int  # an order of the villager, read by them
    tokens: dict[str, str]  # dispatcher, leader, villager


@dataclass(frozen=True)
class Read:
    """One hot read: the GraphQL request, and the baseline's path and body, as one viewer."""

    name: str
    query: str
    variables: dict[str, Any]
    path: str
    body: dict[str, Any]
    viewer: str


def reads_of(scene: Scene) -> list[Read]:
    trip = to_global_id("Trip", scene.trip_id)
    station = to_global_id("Station", scene.station_id)
    order = to_global_id("Order", scene.order_id)
    trip_id = {"tripId": scene.trip_id}
    on_trip = {"trip": trip}
    date = scene.service_date.isoformat()
    return [
        Read("trips(date)", TRIPS, {"date": date}, "/trips", {"date": date}, "dispatcher"),
        Read("trip manifests", STOPS_WITH_MANIFESTS, on_trip, "/manifests", trip_id, "dispatcher"),
        Read(
            "stationManifest",
            STATION_MANIFEST,
            {**on_trip, "station": station},
            "/station-manifest",
            {**trip_id, "stationId": scene.station_id},
            "leader",
        ),
        Read("pickList", PICK_LIST, on_trip, "/pick-list", trip_id, "dispatcher"),
        Read("loadingPlan", LOADING_PLAN, on_trip, "/loading-plan", trip_id, "dispatcher"),
        Read("myOrders", MY_ORDERS_QUERY, {"first": 10}, "/my-orders", {"first": 10}, "villager"),
        Read("order", ORDER, {"id": order}, "/order", {"orderId": scene.order_id}, "villager"),
    ]


# --- the trip ---------------------------------------------------------------------------------


async def build_trip(orders_wanted: int, purchases_wanted: int, seed: int) -> Scene:
    """Route R1's next trip with the orders and produce on it, and who reads it."""
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
    for _ in range(MY_ORDERS - 1):  # one villager with a page of orders to read
        await place(villagers[0])

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
    villager = villagers[0]
    station_id = villager.station_id or stations[0]
    leader = next(
        user for user in await User.filter(station_id=station_id) if Role.LEADER.value in user.roles
    )
    [order_id] = (
        await Order.filter(buyer_id=villager.id)
        .order_by("id")
        .limit(1)
        .values_list("id", flat=True)
    )

    def token(user: User) -> str:
        return issue_token(user_id=user.id, secret=SECRET, ttl_seconds=24 * 3600)

    return Scene(
        trip_id=trip.id,
        service_date=window.service_date,
        station_id=station_id,
        order_id=order_id,
        tokens={
            "dispatcher": token(dispatcher),
            "leader": token(leader),
            "villager": token(villager),
        },
    )


# --- measuring --------------------------------------------------------------------------------


def data_of(body: object) -> object:
    """A response's `data` (a GraphQL response also carries `extensions.cost`)."""
    return body.get("data") if isinstance(body, dict) else body


async def ask(port: int, path: str, payload: object, token: str) -> object:
    connection = await Connection.open(port)
    try:
        status, body = await connection.post_json(path, payload, token)
    finally:
        connection.close()
    if status != 200:
        raise SystemExit(f"{path}: HTTP {status}: {body}")
    return body


def cpu_seconds(pid: int) -> float:
    """CPU time a process has used (user + system, all its threads), from /proc (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def load(
    name: str,
    port: int,
    path: str,
    payload: object,
    token: str,
    args: argparse.Namespace,
    pid: int,
) -> tuple[Result, float]:
    """The hot run, and the server's CPU milliseconds per request over it (a figure that the
    other processes on the machine, the load generator among them, hardly disturb)."""
    answered = 0

    async def client(n: int, running: Callable[[], bool], tally: Tally) -> None:
        nonlocal answered
        connection = await Connection.open(port)
        try:
            while running():
                began = time.perf_counter()
                status, body = await connection.post_json(path, payload, token)
                ended = time.perf_counter()
                answered += 1
                if status == 200 and isinstance(body, dict) and "errors" not in body:
                    tally.latencies.append((began, ended - began))
                else:
                    tally.failures.append(f"HTTP {status}: {str(body)[:300]}")
        finally:
            connection.close()

    before = cpu_seconds(pid)
    result = await drive(name, args.clients, args.warmup, args.seconds, client)
    return result, 1000 * (cpu_seconds(pid) - before) / max(answered, 1)


async def cold(
    read: Read, graphql: int, baseline: int, scene: Scene, times: int
) -> tuple[float, float]:
    """p50 latency (ms) of the first read after a change, on the server and on the baseline:
    each time, a delay of the trip through the server, then one read of each."""
    dispatcher = scene.tokens["dispatcher"]
    change = {"query": DELAY, "variables": {"trip": to_global_id("Trip", scene.trip_id)}}
    payload = {"query": read.query, "variables": read.variables}
    token = scene.tokens[read.viewer]
    took: dict[str, list[float]] = {"GraphQL": [], "baseline": []}
    connection = await Connection.open(graphql)
    other = await Connection.open(baseline)
    try:
        for _ in range(times):
            for name, conn, path, body in (
                ("GraphQL", connection, "/graphql", payload),
                ("baseline", other, read.path, read.body),
            ):
                status, answer = await connection.post_json("/graphql", change, dispatcher)
                if status != 200 or _failed(answer):
                    raise SystemExit(f"the change failed: {str(answer)[:300]}")
                began = time.perf_counter()
                status, answer = await conn.post_json(path, body, token)
                took[name].append((time.perf_counter() - began) * 1000)
                if status != 200:
                    raise SystemExit(f"{read.name} ({name}): HTTP {status}: {str(answer)[:300]}")
    finally:
        connection.close()
        other.close()
    return statistics.median(took["GraphQL"]), statistics.median(took["baseline"])


def _failed(answer: object) -> bool:
    if not isinstance(answer, dict):
        return True
    payload = (answer.get("data") or {}).get("recordTripEvent") or {}
    return bool(answer.get("errors") or payload.get("errors"))


def spawn_baseline(url: str, port: int, log: str) -> Any:
    import subprocess

    output = open(log, "wb")  # noqa: SIM115  (the server process owns it until it exits)
    command = [sys.executable, __file__, "--serve-baseline", url, "--port", str(port)]
    return subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT)


def line(result: Result, cpu_ms: float) -> str:
    return (
        f"    {result.name:<9} {result.per_second:8.1f} req/s   p50 {result.p50_ms:7.1f} ms   "
        f"p99 {result.p99_ms:7.1f} ms   server CPU {cpu_ms:6.2f} ms/request   "
        f"({result.requests} requests)"
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
            scene = await build_trip(args.orders, args.purchases, args.seed)
            clock.shift(dt.timedelta(0))
            stats = await admin_counts(scene.trip_id)
        finally:
            await db.close()
        print(
            f"hot reads, PostgreSQL: trip {ROUTE} {stats}; hot: {args.clients} clients, "
            f"{args.seconds:g} s after {args.warmup:g} s warm-up; cold: p50 of {args.cold} "
            f"reads after a change; each server 1 uvicorn worker, pool {POOL_SIZE}; "
            f"{os.cpu_count()} CPUs",
            flush=True,
        )
        reads = [r for r in reads_of(scene) if not args.only or r.name in args.only]
        graphql_port, baseline_port = free_port(), free_port()
        server = start_server(url, graphql_port, 1, args.server_log)
        baseline = spawn_baseline(url, baseline_port, args.server_log + ".baseline")
        ratios: list[tuple[str, float, float, float]] = []
        try:
            await wait_until_up(graphql_port, server)
            await wait_until_up(baseline_port, baseline)
            if args.save_answers:
                await save_answers(reads_of(scene), graphql_port, scene, args.save_answers)
            for read in reads:
                ratios.append(
                    await measure(
                        read, (graphql_port, server.pid), (baseline_port, baseline.pid), scene, args
                    )
                )
        finally:
            for process in (server, baseline):
                process.terminate()
                process.wait(timeout=30)
        print("ratios GraphQL/baseline (goals: hot >= 1.0, cold >= 0.5; CPU: per request, hot):")
        for read_name, hot, cold_ratio, cpu in ratios:
            print(f"  {read_name:<16} hot {hot:5.2f}   cold {cold_ratio:5.2f}   CPU {cpu:5.2f}")
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


async def save_answers(reads: list[Read], port: int, scene: Scene, path: str) -> None:
    """Each read's query, variables and data, for bench/graphql_core_versions.py (written
    before measuring, so the blocking write costs the measurement nothing)."""
    saved = {}
    for read in reads:
        payload = {"query": read.query, "variables": read.variables}
        body = await ask(port, "/graphql", payload, scene.tokens[read.viewer])
        assert isinstance(body, dict)
        saved[read.name] = {**payload, "data": body["data"]}
    Path(path).write_text(json.dumps(saved, ensure_ascii=False))  # noqa: ASYNC240


async def measure(
    read: Read,
    graphql: tuple[int, int],
    baseline: tuple[int, int],
    scene: Scene,
    args: argparse.Namespace,
) -> tuple[str, float, float, float]:
    """One read: its answers compared, then hot and cold on both servers (port, pid); the
    ratios hot (requests/s), cold (1/latency) and CPU (baseline's per request / ours)."""
    token = scene.tokens[read.viewer]
    payload = {"query": read.query, "variables": read.variables}
    ours = await ask(graphql[0], "/graphql", payload, token)
    theirs = await ask(baseline[0], read.path, read.body, token)
    # The data must be equal; ours also carries the query's cost (`extensions.cost`).
    same = data_of(ours) == data_of(theirs)
    size = len(json.dumps(ours))
    print(f"{read.name} as the {read.viewer} ({size / 1024:.0f} KB of JSON; equal: {same})")
    if not same:
        raise SystemExit(f"{read.name}: the answers differ:\n{ours!s:.2000}\n{theirs!s:.2000}")
    hot = {
        "GraphQL": await load("GraphQL", graphql[0], "/graphql", payload, token, args, graphql[1]),
        "baseline": await load(
            "baseline", baseline[0], read.path, read.body, token, args, baseline[1]
        ),
    }
    print("  hot")
    for result, cpu_ms in hot.values():
        print(line(result, cpu_ms))
    hot_ratio = hot["GraphQL"][0].per_second / hot["baseline"][0].per_second
    cpu_ratio = hot["baseline"][1] / hot["GraphQL"][1]
    print(f"    ratio GraphQL/baseline: {hot_ratio:.2f} in requests/s, {cpu_ratio:.2f} in CPU")
    ours_ms, theirs_ms = await cold(read, graphql[0], baseline[0], scene, args.cold)
    cold_ratio = theirs_ms / ours_ms
    print(f"  cold: GraphQL p50 {ours_ms:.1f} ms, baseline p50 {theirs_ms:.1f} ms")
    print(f"    ratio GraphQL/baseline: {cold_ratio:.2f} in 1/latency", flush=True)
    return read.name, hot_ratio, cold_ratio, cpu_ratio


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
    parser.add_argument("--clients", type=int, default=32, help="concurrent clients (hot)")
    parser.add_argument("--seconds", type=float, default=10.0, help="measured seconds per run")
    parser.add_argument("--warmup", type=float, default=2.0, help="seconds before measuring")
    # p50 of 60: of 20, it moved by up to 0.4 in ratio between runs of the same code.
    parser.add_argument("--cold", type=int, default=60, help="reads after a change, per read")
    parser.add_argument("--only", action="append", help="run this read only (repeatable)")
    parser.add_argument("--seed", type=int, default=1, help="random seed of the orders")
    parser.add_argument(
        "--save-answers", metavar="FILE", help="write each read's query and answer here (JSON)"
    )
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
