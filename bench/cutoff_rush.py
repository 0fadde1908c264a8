"""The cutoff rush: the demo county's buyers placing orders as fast as the machine sustains.

Run (PostgreSQL must answer at 127.0.0.1:5432 as user postgres, as for the tests):

    .venv/bin/python bench/cutoff_rush.py --seconds 60 --clients 64

It creates a throw-away database (dropped at the end) with the demo county as `cungoods seed
--demo` makes it: 6 routes, 150 stations, the demo buyers, the demo catalog with its real daily
stock and the buses' real room (unlike bench/place_order.py, nothing is enlarged: the rush is
meant to run into NO_CAPACITY and OUT_OF_STOCK). It starts the real server with two worker
processes (`uvicorn --workers 2`: two processes sharing one port, each with its own pool) and
has `--clients` concurrent clients, one keep-alive connection each, spread over both workers by
the kernel, send `placeOrder` back to back for `--seconds`: a buyer, a random station, 1 to 3
random products of the open window, 1 to 3 units each, a fresh idempotency key.

It prints accepted orders per second, requests per second, p50 and p99 latency of all answers,
the refusals by code, and then checks the capacity invariant (every leg's usage equals the sum
of the live shipments on it, none over capacity) and the stock (every item's `sold` equals the
units of its live order lines, and never exceeds its stock). Exits non-zero if a check fails or
a request failed outright (HTTP error or a GraphQL error instead of a payload).
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import os
import statistics
import sys
import time
import uuid
from pathlib import Path

import asyncpg

sys.path.insert(0, str(Path(__file__).resolve().parent))

from place_order import (  # noqa: E402  (a sibling script, not a package)
    PG_ADMIN,
    PLACE_ORDER,
    SECRET,
    Connection,
    Fixture,
    Item,
    free_port,
    global_id,
    order_requests,
    place_order_variables,
    start_server,
    wait_until_up,
)
from tortoise.transactions import in_transaction  # noqa: E402

from cungoods.db import setup as db  # noqa: E402
from cungoods.models import OrderLine, SaleItem, Station, User  # noqa: E402
from cungoods.models.enums import OrderStatus, Role  # noqa: E402
from cungoods.seed.catalog import seed_catalog  # noqa: E402
from cungoods.seed.demo import fund_wallets, seed_network, seed_trips  # noqa: E402
from cungoods.services import capacity, catalog  # noqa: E402
from cungoods.services.auth import issue_token  # noqa: E402

WORKERS = 2
BENCH_WALLET_FEN = 10**12  # every buyer can pay for any run


async def build_county() -> tuple[Fixture, int]:
    """The demo county as seeded, untouched; the fixture for the clients and the window id."""
    await seed_network()
    await seed_trips(days=3)
    await seed_catalog(days=3)
    windows = await catalog.open_sale_windows()
    window = windows[0]
    buyers = [u for u in await User.all().order_by("id") if Role.BUYER.value in u.roles]
    # Buyers pay from their wallets (issue 12): enough for any run.
    async with in_transaction():
        await fund_wallets(buyers, amount_fen=BENCH_WALLET_FEN)
    items = await SaleItem.filter(window_id=window.id).order_by("id")
    stations = await Station.all().order_by("id")
    fixture = Fixture(
        service_date=window.service_date,
        buyers=[(u.id, issue_token(user_id=u.id, secret=SECRET, ttl_seconds=7200)) for u in buyers],
        stations=[(s.id, global_id("Station", s.id)) for s in stations],
        items=[Item(i.id, global_id("SaleItem", i.id)) for i in items],
    )
    return fixture, window.id


class Tally:
    def __init__(self) -> None:
        self.latencies: list[float] = []
        self.accepted = 0
        self.refused: collections.Counter[str] = collections.Counter()
        self.failed: collections.Counter[str] = collections.Counter()


async def rush(fixture: Fixture, port: int, clients: int, seconds: float, seed: int) -> Tally:
    tally = Tally()
    stop_at = time.perf_counter() + seconds

    async def client(n: int) -> None:
        connection = await Connection.open(port)
        next_request = order_requests(fixture, n, seed)
        try:
            while time.perf_counter() < stop_at:
                request = next_request()
                variables = place_order_variables(fixture, request)
                began = time.perf_counter()
                status, body = await connection.post_json(
                    "/graphql",
                    {"query": PLACE_ORDER, "variables": variables},
                    fixture.buyers[request.buyer][1],
                )
                tally.latencies.append(time.perf_counter() - began)
                data = body.get("data") if isinstance(body, dict) else None
                payload = (data or {}).get("placeOrder")
                if status != 200 or not payload:
                    errors = body.get("errors", []) if isinstance(body, dict) else []
                    code = (errors[0].get("extensions") or {}).get("code") if errors else None
                    tally.failed[f"HTTP {status} {code or ''}".strip()] += 1
                elif payload["errors"]:
                    tally.refused[payload["errors"][0]["code"]] += 1
                else:
                    tally.accepted += 1
        finally:
            connection.close()

    await asyncio.gather(*(client(n) for n in range(clients)))
    return tally


async def check_books(window_id: int) -> list[str]:
    """The capacity invariant and the stock, after the rush: what is wrong (empty when fine)."""
    problems = [f"leg {row}" for row in await capacity.invariant_violations()]
    sold: collections.Counter[int] = collections.Counter()
    for line in await OrderLine.filter(sale_item__window_id=window_id).exclude(
        order__status=OrderStatus.CANCELLED
    ):
        sold[line.sale_item_id] += line.quantity
    for item in await SaleItem.filter(window_id=window_id):
        if item.sold != sold[item.id] or item.sold > item.stock:
            problems.append(
                f"item {item.id}: sold {item.sold}, live lines {sold[item.id]}, stock {item.stock}"
            )
    return problems


async def main(args: argparse.Namespace) -> int:
    name = f"cungoods_rush_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(PG_ADMIN.replace("postgres://", "postgresql://", 1))
    await admin.execute(f'CREATE DATABASE "{name}"')
    url = PG_ADMIN.rsplit("/", 1)[0] + "/" + name
    try:
        await db.migrate(url)
        await db.connect(url)
        try:
            fixture, window_id = await build_county()
            port = free_port()
            server = start_server(url, port, WORKERS, args.server_log)
            try:
                await wait_until_up(port, server)
                print(
                    f"cutoff rush: {args.clients} clients for {args.seconds:g} s against "
                    f"{WORKERS} server processes; {len(fixture.buyers)} buyers, "
                    f"{len(fixture.stations)} stations, {len(fixture.items)} products, "
                    f"service date {fixture.service_date}; {os.cpu_count()} CPUs",
                    flush=True,
                )
                tally = await rush(fixture, port, args.clients, args.seconds, args.seed)
            finally:
                server.terminate()
                server.wait(timeout=30)
            problems = await check_books(window_id)
        finally:
            await db.close()
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()

    answers = len(tally.latencies)
    quantiles = statistics.quantiles(tally.latencies, n=100) if answers > 1 else [0.0] * 99
    print(
        f"accepted {tally.accepted} orders: {tally.accepted / args.seconds:.1f} orders/s; "
        f"{answers} requests: {answers / args.seconds:.1f} requests/s"
    )
    print(f"latency p50 {quantiles[49] * 1000:.1f} ms, p99 {quantiles[98] * 1000:.1f} ms")
    refusals = ", ".join(f"{code} {n}" for code, n in tally.refused.most_common()) or "none"
    print(f"refusals by code: {refusals}")
    if tally.failed:
        print(f"FAILED requests: {dict(tally.failed)}")
    if problems:
        print("capacity invariant or stock VIOLATED:\n  " + "\n  ".join(problems[:20]))
    else:
        print("capacity invariant holds; every item's sold = its live order lines <= stock")
    return 1 if problems or tally.failed else 0


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--seconds", type=float, default=60.0, help="how long the rush lasts")
    parser.add_argument("--clients", type=int, default=64, help="concurrent clients")
    parser.add_argument("--seed", type=int, default=1, help="random seed of the order mix")
    parser.add_argument("--server-log", default=os.devnull, help="file for the servers' log")
    return parser.parse_args(argv)


if __name__ == "__main__":
    sys.exit(asyncio.run(main(parse())))
