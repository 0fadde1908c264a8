"""placeOrder under load: the real server against a baseline of the same SQL in raw asyncpg.

Run (PostgreSQL must answer at 127.0.0.1:5432 as user postgres, as for the tests):

    .venv/bin/python bench/place_order.py --clients 64 --seconds 10

It creates a throw-away database (dropped at the end), builds the demo county (6 routes, 150
stations, 40 buyers) with the demo catalog, and makes the buses and the stock big enough that
nothing runs out during the run. Then:

1. **API**: starts the real server (`uvicorn cungoods.app:create_app`, PostgreSQL, `--workers`
   processes) and has `--clients` concurrent clients, each on its own keep-alive connection,
   send `placeOrder` mutations back to back: a random station, 1 to 3 random products, 1 to 3
   units each, a fresh idempotency key, as the mini-program does.
2. **Baseline**: the same orders as the same SQL transaction in raw asyncpg (no HTTP, no
   GraphQL, no ORM) from `--clients` concurrent tasks on a pool of the server's size: look up
   the buyer (the server does it for the token), then the statements placeOrder runs, in its
   order: idempotency key, window FOR SHARE, sale items, stock decrements, the station's trip
   stop, the legs locked and one UPDATE of them, shipment, order, lines, event, topics, NOTIFY,
   key result.

Each prints accepted orders per second and the p50 and p99 latency of a request, measured for
`--seconds` after `--warmup` seconds; then the ratio API / baseline. Every order in both runs
must be accepted (the run fails otherwise), so both measure the same work.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import random
import secrets
import socket
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import asyncpg
from tortoise.transactions import in_transaction

from cungoods.db import setup as db
from cungoods.models import Leg, Product, SaleItem, Station, User
from cungoods.models.enums import Role
from cungoods.seed.catalog import seed_catalog
from cungoods.seed.demo import fund_wallets, seed_network, seed_trips
from cungoods.services import capacity, catalog, clock
from cungoods.services.auth import issue_token
from cungoods.services.idempotency import request_hash
from cungoods.services.money import ledger

PG_ADMIN = os.environ.get("CUNGOODS_BENCH_PG", "postgres://postgres@127.0.0.1:5432/postgres")
SECRET = "bench-secret-" + "x" * 40
POOL_SIZE = db.DEFAULT_PG_POOL
HUGE = 2_000_000_000  # grams / cm³ / units: nothing runs out during a run
BENCH_WALLET_FEN = 10**12  # every buyer can pay for any run

# The server throttles mutations per user and per client address (all of ours come from
# 127.0.0.1): lift the limits, or the run would measure the throttle.
UNTHROTTLED = {
    "CUNGOODS_RATE_LIMIT_VIEWER_BURST": "1000000",
    "CUNGOODS_RATE_LIMIT_VIEWER_PER_MINUTE": "100000000",
    "CUNGOODS_RATE_LIMIT_ADDRESS_BURST": "1000000",
    "CUNGOODS_RATE_LIMIT_ADDRESS_PER_MINUTE": "100000000",
}

PLACE_ORDER = (
    "mutation($input: PlaceOrderInput!) { placeOrder(input: $input) "
    "{ order { id number status totalFen pickupCode } errors { code message } } }"
)


# --- the county and the orders ----------------------------------------------------------------


@dataclass(frozen=True)
class Item:
    id: int
    global_id: str


@dataclass(frozen=True)
class Fixture:
    service_date: dt.date
    buyers: list[tuple[int, str]]  # (user id, token)
    stations: list[tuple[int, str]]  # (station id, global id)
    items: list[Item]


@dataclass(frozen=True)
class OrderRequest:
    buyer: int  # index into Fixture.buyers
    station: int  # index into Fixture.stations
    lines: tuple[tuple[int, int], ...]  # (index into Fixture.items, quantity)
    key: str


def global_id(type_name: str, pk: int) -> str:
    from cungoods.api.ids import to_global_id

    return to_global_id(type_name, pk)


async def build_county() -> Fixture:
    await seed_network()
    await seed_trips(days=3)
    await seed_catalog(days=3)
    [window] = await catalog.open_sale_windows()
    # Room and stock for any run: the point is the cost of an order, not running out.
    await Leg.all().update(capacity_g=HUGE, capacity_cm3=HUGE, chilled_capacity_g=HUGE)
    await SaleItem.filter(window_id=window.id).update(stock=HUGE)
    buyers = [u for u in await User.all().order_by("id") if Role.BUYER.value in u.roles]
    # Buyers pay from their wallets (issue 12): enough for any run.
    async with in_transaction():
        await fund_wallets(buyers, amount_fen=BENCH_WALLET_FEN)
    items = await SaleItem.filter(window_id=window.id).order_by("id")
    stations = await Station.all().order_by("id")
    assert await Product.all().count() == len(items)
    return Fixture(
        service_date=window.service_date,
        buyers=[(u.id, issue_token(user_id=u.id, secret=SECRET, ttl_seconds=3600)) for u in buyers],
        stations=[(s.id, global_id("Station", s.id)) for s in stations],
        items=[Item(i.id, global_id("SaleItem", i.id)) for i in items],
    )


def order_requests(fixture: Fixture, client: int, seed: int) -> Callable[[], OrderRequest]:
    rng = random.Random(seed * 1000 + client)

    def next_request() -> OrderRequest:
        picked = rng.sample(range(len(fixture.items)), rng.randint(1, 3))
        return OrderRequest(
            buyer=client % len(fixture.buyers),
            station=rng.randrange(len(fixture.stations)),
            lines=tuple((i, rng.randint(1, 3)) for i in picked),
            key=uuid.uuid4().hex,
        )

    return next_request


def place_order_variables(fixture: Fixture, request: OrderRequest) -> dict[str, object]:
    """The placeOrder variables the mini-program would send for `request`."""
    return {
        "input": {
            "stationId": fixture.stations[request.station][1],
            "serviceDate": fixture.service_date.isoformat(),
            "lines": [
                {"saleItemId": fixture.items[i].global_id, "quantity": q} for i, q in request.lines
            ],
            "idempotencyKey": request.key,
        }
    }


# --- measuring --------------------------------------------------------------------------------


@dataclass
class Tally:
    # (when the request began, how long it took), in seconds
    latencies: list[tuple[float, float]] = field(default_factory=list)
    accepted: int = 0
    failures: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Result:
    name: str
    per_second: float
    p50_ms: float
    p99_ms: float
    requests: int

    def line(self) -> str:
        return (
            f"{self.name:<10} {self.per_second:8.1f} orders/s   p50 {self.p50_ms:7.1f} ms   "
            f"p99 {self.p99_ms:7.1f} ms   ({self.requests} orders measured)"
        )


async def drive(
    name: str,
    clients: int,
    warmup: float,
    seconds: float,
    client_loop: Callable[[int, Callable[[], bool], Tally], Awaitable[None]],
) -> Result:
    """Run `clients` loops; count what completes between warm-up and the end."""
    start = time.perf_counter()
    measure_from, stop_at = start + warmup, start + warmup + seconds
    tallies = [Tally() for _ in range(clients)]

    def running() -> bool:
        return time.perf_counter() < stop_at

    await asyncio.gather(*(client_loop(n, running, tallies[n]) for n in range(clients)))
    failures = [f for t in tallies for f in t.failures]
    if failures:
        raise SystemExit(f"{name}: {len(failures)} orders failed, e.g. {failures[0]}")
    measured = [took for t in tallies for began, took in t.latencies if began >= measure_from]
    latencies = measured or [0.0]
    quantiles = statistics.quantiles(latencies, n=100) if len(latencies) > 1 else latencies * 99
    return Result(
        name=name,
        per_second=len(measured) / seconds,
        p50_ms=quantiles[49] * 1000,
        p99_ms=quantiles[98] * 1000,
        requests=len(measured),
    )


# --- the API run: a minimal keep-alive HTTP/1.1 client, so the load generator stays light -----


class Connection:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    @classmethod
    async def open(cls, port: int) -> Connection:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        return cls(reader, writer)

    async def post_json(self, path: str, payload: object, token: str) -> tuple[int, object]:
        body = json.dumps(payload).encode()
        head = (
            f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            f"Authorization: Bearer {token}\r\nContent-Length: {len(body)}\r\n\r\n"
        )
        self.writer.write(head.encode() + body)
        status_line = await self.reader.readline()
        status = int(status_line.split()[1])
        length = 0
        while (header := await self.reader.readline()) not in (b"\r\n", b""):
            name, _, value = header.decode().partition(":")
            if name.lower() == "content-length":
                length = int(value)
        return status, json.loads(await self.reader.readexactly(length))

    def close(self) -> None:
        self.writer.close()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_server(
    url: str, port: int, workers: int, log: str, *, settings: dict[str, str] | None = None
) -> subprocess.Popen[bytes]:
    """The real server in production mode; `settings` overrides CUNGOODS_ variables."""
    env = {
        **os.environ,
        "CUNGOODS_DATABASE_URL": url,
        "CUNGOODS_SECRET_KEY": SECRET,
        "CUNGOODS_DEMO": "0",
        "CUNGOODS_ENV": "production",
        **UNTHROTTLED,
        **(settings or {}),
    }
    command = [sys.executable, "-m", "uvicorn", "cungoods.app:create_app", "--factory"]
    command += ["--host", "127.0.0.1", "--port", str(port), "--workers", str(workers)]
    command += ["--no-access-log", "--log-level", "warning"]
    # The server logs every request: keep that off the terminal (and the pipe from filling).
    output = open(log, "wb")  # noqa: SIM115  (the server process owns it until it exits)
    return subprocess.Popen(command, env=env, stdout=output, stderr=subprocess.STDOUT)


async def wait_until_up(port: int, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit("the server exited while starting")
        try:
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            line = await reader.readline()
            writer.close()
            if b" 200 " in line:
                return
        except OSError:
            pass
        await asyncio.sleep(0.2)
    raise SystemExit("the server did not come up")


async def run_api(fixture: Fixture, args: argparse.Namespace, url: str) -> Result:
    port = free_port()
    server = start_server(url, port, args.workers, args.server_log)
    try:
        await wait_until_up(port, server)

        async def client(n: int, running: Callable[[], bool], tally: Tally) -> None:
            connection = await Connection.open(port)
            next_request = order_requests(fixture, n, args.seed)
            try:
                while running():
                    request = next_request()
                    variables = place_order_variables(fixture, request)
                    began = time.perf_counter()
                    status, body = await connection.post_json(
                        "/graphql",
                        {"query": PLACE_ORDER, "variables": variables},
                        fixture.buyers[request.buyer][1],
                    )
                    ended = time.perf_counter()
                    payload = body.get("data", {}) if isinstance(body, dict) else {}
                    result = (payload or {}).get("placeOrder") or {}
                    if status == 200 and result.get("order") and not result.get("errors"):
                        tally.latencies.append((began, ended - began))
                    else:
                        tally.failures.append(f"HTTP {status}: {body}")
            finally:
                connection.close()

        return await drive("API", args.clients, args.warmup, args.seconds, client)
    finally:
        server.terminate()
        server.wait(timeout=30)


# --- the baseline: the same transaction in raw asyncpg ----------------------------------------

# The server's own capacity statements (services/capacity/ledger.py): lock the legs, one UPDATE.
RESERVE_LEGS = capacity.ADD_LOAD_SQL + capacity.WITHIN_CAPACITY_SQL


async def raw_place(pool: asyncpg.Pool, fixture: Fixture, request: OrderRequest) -> int:
    """placeOrder's statements, in its order, with no ORM or GraphQL in between."""
    user_id = fixture.buyers[request.buyer][0]
    station_id = fixture.stations[request.station][0]
    lines = [(fixture.items[i].id, q) for i, q in request.lines]
    digest = request_hash(
        {
            "stationId": station_id,
            "serviceDate": fixture.service_date.isoformat(),
            "lines": [list(line) for line in lines],
            "payWith": "BALANCE",
        }
    )
    now = dt.datetime.now(dt.UTC)
    async with pool.acquire() as conn:
        await conn.fetchrow("SELECT id, roles, station_id FROM account WHERE id = $1", user_id)
        stored = await conn.fetchrow(
            "SELECT request_hash, result_id FROM idempotency_key "
            "WHERE user_id = $1 AND operation = $2 AND key = $3",
            user_id,
            "placeOrder",
            request.key,
        )
        assert stored is None
        async with conn.transaction():
            key_id = await conn.fetchval(
                "INSERT INTO idempotency_key (user_id, operation, key, request_hash, result_id, "
                "created_at) VALUES ($1, $2, $3, $4, 0, $5) RETURNING id",
                user_id,
                "placeOrder",
                request.key,
                digest,
                now,
            )
            window = await conn.fetchrow(
                "SELECT * FROM sale_window WHERE service_date = $1 AND cutoff_done_at IS NULL "
                "AND cutoff_at > $2 FOR SHARE",
                fixture.service_date,
                now,
            )
            assert window is not None
            rows = await conn.fetch(
                "SELECT si.id, si.window_id, si.price_fen, p.name, p.unit, p.weight_g, "
                "p.volume_cm3, p.temperature FROM sale_item si JOIN product p "
                "ON p.id = si.product_id WHERE si.id = ANY($1::int[])",
                [item_id for item_id, _ in lines],
            )
            items = {row["id"]: row for row in rows}
            for item_id, quantity in sorted(lines):
                taken = await conn.execute(
                    "UPDATE sale_item SET sold = sold + $1 WHERE id = $2 AND sold <= stock - $1",
                    quantity,
                    item_id,
                )
                assert taken == "UPDATE 1"
            stop = await conn.fetchrow(
                "SELECT ts.trip_id, ts.seq, t.route_id FROM trip_stop ts JOIN trip t "
                "ON t.id = ts.trip_id WHERE ts.station_id = $1 AND t.service_date = $2 "
                "AND t.status = 'SCHEDULED' ORDER BY t.departs_at",
                station_id,
                fixture.service_date,
            )
            weight = volume = chilled = 0
            for item_id, quantity in lines:
                item = items[item_id]
                weight += quantity * item["weight_g"]
                volume += quantity * item["volume_cm3"]
                if item["temperature"] != "AMBIENT":
                    chilled += quantity * item["weight_g"]
            legs = (stop["trip_id"], 0, stop["seq"])
            async with conn.transaction():  # the reservation's savepoint (capacity.reserve)
                await conn.execute(capacity.LOCK_LEGS_SQL, *legs)
                changed = await conn.execute(
                    RESERVE_LEGS, *legs, weight, volume, chilled, weight, volume, chilled
                )
                assert changed == f"UPDATE {stop['seq']}"
                shipment_id = await conn.fetchval(
                    "INSERT INTO shipment (trip_id, direction, from_seq, to_seq, weight_g, "
                    "volume_cm3, chilled_g, state, created_at) VALUES ($1, 'DOWN', 0, $2, $3, "
                    "$4, $5, 'RESERVED', $6) RETURNING id",
                    stop["trip_id"],
                    stop["seq"],
                    weight,
                    volume,
                    chilled,
                    now,
                )
            number = f"QJ{fixture.service_date:%Y%m%d}-{shipment_id:06d}"
            total_fen = sum(items[i]["price_fen"] * q for i, q in lines)
            order_id = await conn.fetchval(
                "INSERT INTO cg_order (number, buyer_id, station_id, window_id, service_date, "
                "trip_id, shipment_id, status, total_fen, pay_with, payment_status, paid_fen, "
                "refunded_fen, pay_by, pickup_code, wrong_code_attempts, created_at) VALUES "
                "($1, $2, $3, $4, $5, $6, $7, 'PLACED', $8, 'BALANCE', 'PAID', $8, 0, NULL, $9, "
                "0, $10) RETURNING id",
                number,
                user_id,
                station_id,
                window["id"],
                fixture.service_date,
                stop["trip_id"],
                shipment_id,
                total_fen,
                f"{secrets.randbelow(1_000_000):06d}",
                now,
            )
            rows_sql = ", ".join(
                f"(${4 * k + 1}, ${4 * k + 2}, ${4 * k + 3}, ${4 * k + 4})"
                for k in range(len(lines))
            )
            await conn.execute(
                "INSERT INTO order_line (order_id, sale_item_id, quantity, unit_price_fen) "
                f"VALUES {rows_sql}",
                *(v for i, q in lines for v in (order_id, i, q, items[i]["price_fen"])),
            )
            # The payment from the wallet (pay_with BALANCE, services/money/ledger.post): the two
            # accounts (one query), then in a savepoint the transaction, each balance moved by the
            # conditional UPDATE in ascending account id order, the entries.
            keys = [f"BUYER_WALLET:{user_id}", "PLATFORM_REVENUE"]
            found = await conn.fetch(
                "SELECT id, key FROM money_account WHERE key IN ($1, $2)", *keys
            )
            wallet, revenue = (next(r["id"] for r in found if r["key"] == k) for k in keys)
            async with conn.transaction():
                transaction_id = await conn.fetchval(
                    ledger.TRANSACTION_SQL, "PAYMENT", order_id, None, f"order {number}", now
                )
                entries = []
                for account_id, amount in sorted(((wallet, -total_fen), (revenue, total_fen))):
                    balance = await conn.fetchval(ledger.MOVE_SQL, account_id, amount)
                    assert balance is not None
                    entries += [transaction_id, account_id, amount, balance]
                await conn.execute(
                    "INSERT INTO ledger_entry (transaction_id, account_id, amount_fen, "
                    "balance_after_fen) VALUES ($1, $2, $3, $4), ($5, $6, $7, $8)",
                    *entries,
                )
            event_id = await conn.fetchval(
                "INSERT INTO event (kind, at, message, trip_id, order_id, station_id, stop_seq, "
                "status) VALUES ('ORDER_PLACED', $1, $2, $3, $4, $5, $6, 'PLACED') RETURNING id",
                now,
                f"order {number} placed for {fixture.service_date}",
                stop["trip_id"],
                order_id,
                station_id,
                stop["seq"],
            )
            await conn.executemany(
                "INSERT INTO event_topic (event_id, topic) VALUES ($1, $2)",
                [
                    (event_id, f"order:{order_id}"),
                    (event_id, f"station:{station_id}"),
                    (event_id, f"user:{user_id}"),
                ],
            )
            await conn.execute("SELECT pg_notify($1, $2)", "cungoods_events", str(event_id))
            await conn.execute(
                "UPDATE idempotency_key SET result_id = $1 WHERE id = $2", order_id, key_id
            )
    return order_id


async def run_baseline(fixture: Fixture, args: argparse.Namespace, url: str) -> Result:
    pool = await asyncpg.create_pool(
        url.replace("postgres://", "postgresql://", 1), min_size=POOL_SIZE, max_size=POOL_SIZE
    )
    try:

        async def client(n: int, running: Callable[[], bool], tally: Tally) -> None:
            next_request = order_requests(fixture, n, args.seed)
            while running():
                request = next_request()
                began = time.perf_counter()
                try:
                    await raw_place(pool, fixture, request)
                except (AssertionError, asyncpg.PostgresError) as error:
                    tally.failures.append(repr(error))
                    continue
                tally.latencies.append((began, time.perf_counter() - began))

        return await drive("baseline", args.clients, args.warmup, args.seconds, client)
    finally:
        await pool.close()


# --- main -------------------------------------------------------------------------------------


async def main(args: argparse.Namespace) -> None:
    name = f"cungoods_bench_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(PG_ADMIN.replace("postgres://", "postgresql://", 1))
    await admin.execute(f'CREATE DATABASE "{name}"')
    url = PG_ADMIN.rsplit("/", 1)[0] + "/" + name
    try:
        await db.migrate(url)
        await db.connect(url)
        try:
            fixture = await build_county()
        finally:
            await db.close()
        print(
            f"placeOrder, {args.clients} clients, {args.seconds:g} s after {args.warmup:g} s "
            f"warm-up; server: {args.workers} uvicorn worker(s), pool {POOL_SIZE}; "
            f"{len(fixture.stations)} stations, {len(fixture.items)} products, "
            f"{os.cpu_count()} CPUs"
        )
        api = await run_api(fixture, args, url)
        print(api.line(), flush=True)
        baseline = await run_baseline(fixture, args, url)
        print(baseline.line())
        print(
            f"ratio API/baseline: throughput {api.per_second / baseline.per_second:.2f}, "
            f"p50 latency {baseline.p50_ms / api.p50_ms:.2f} (baseline p50 / API p50)"
        )
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--clients", type=int, default=64, help="concurrent clients")
    parser.add_argument("--seconds", type=float, default=10.0, help="measured seconds per run")
    parser.add_argument("--warmup", type=float, default=2.0, help="seconds before measuring")
    parser.add_argument("--workers", type=int, default=1, help="uvicorn worker processes")
    parser.add_argument("--seed", type=int, default=1, help="random seed of the order mix")
    parser.add_argument("--server-log", default=os.devnull, help="file for the server's log")
    return parser.parse_args(argv)


if __name__ == "__main__":
    clock.configure(clock.tz())
    asyncio.run(main(parse()))
