"""The response cache under load: the hub's hot reads with the cache on, with it off, and the
raw-asyncpg baseline of bench/dispatch_reads.py, in one run.

Run (PostgreSQL must answer at 127.0.0.1:5432 as user postgres, as for the tests):

    .venv/bin/python bench/response_cache.py

It builds the same throw-away database and trip as bench/dispatch_reads.py (the demo county,
`--orders` confirmed orders on route R1's next trip, some produce) and measures, with
`--clients` concurrent keep-alive clients sending the same read back to back (the board and the
leaders re-reading between changes, the case the cache is for):

- **cache on**: the server as configured by default (CUNGOODS_RESPONSE_CACHE=1): every request
  after the first is a hit, which still checks the outbox watermark with one indexed query;
- **cache off**: the same server with CUNGOODS_RESPONSE_CACHE=0;
- **baseline**: dispatch_reads.py's bare Starlette + asyncpg endpoint building the same JSON
  (loadingPlan and the stops with manifests only; `trips(date)` has no baseline there).

Every answer is compared with the others before measuring (on and off must be equal). It
prints requests/s and p50/p99 for each, and the ratios on/off and on/baseline, off/baseline in
requests per second.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import re
import sys
import uuid
from pathlib import Path

import asyncpg
import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from dispatch_reads import (  # noqa: E402  (the shared trip, baseline and load helpers)
    BASELINE_PATHS,
    PG_ADMIN,
    POOL_SIZE,
    READS,
    ROUTE,
    admin_counts,
    ask,
    build_trip,
    data_of,
    line,
    load,
    serve_baseline,
    spawn_baseline,
)
from place_order import Result, free_port, start_server, wait_until_up  # noqa: E402

from cungoods.api.ids import to_global_id  # noqa: E402
from cungoods.db import setup as db  # noqa: E402
from cungoods.models import Trip  # noqa: E402
from cungoods.services import clock  # noqa: E402

TRIPS = """
query Trips($date: Date!) {
  trips(date: $date) {
    id status departsAt
    stops { seq plannedAt expectedAt station { name } }
    legs { seq capacity { weightG } used { weightG volumeCm3 chilledG } }
  }
}
"""


async def measure_server(
    url: str, cache: str, payloads: dict[str, object], token: str, args: argparse.Namespace
) -> tuple[dict[str, Result], dict[str, object]]:
    os.environ["CUNGOODS_RESPONSE_CACHE"] = cache  # start_server passes the environment on
    port = free_port()
    server = start_server(url, port, 1, f"{args.server_log}.cache{cache}")
    results: dict[str, Result] = {}
    answers: dict[str, object] = {}
    name = "cache on" if cache == "1" else "cache off"
    try:
        await wait_until_up(port, server)
        for read, payload in payloads.items():
            answers[read] = await ask(port, "/graphql", payload, token)
            results[read] = await load(name, port, "/graphql", payload, token, args)
        async with httpx.AsyncClient() as http:
            metrics = (await http.get(f"http://127.0.0.1:{port}/metrics")).text
        counted = re.findall(r'cungoods_response_cache_total\{outcome="(\w+)"\} (\S+)', metrics)
        print(f"  {name}: " + ", ".join(f"{k} {float(v):.0f}" for k, v in counted), flush=True)
    finally:
        server.terminate()
        server.wait(timeout=30)
    return results, answers


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
            service_date = (await Trip.get(id=trip_id)).service_date
        finally:
            await db.close()
        print(
            f"response cache, PostgreSQL: trip {ROUTE} {stats}; {args.clients} clients, "
            f"{args.seconds:g} s after {args.warmup:g} s warm-up; 1 uvicorn worker each, "
            f"pool {POOL_SIZE}; {os.cpu_count()} CPUs",
            flush=True,
        )
        trip = to_global_id("Trip", trip_id)
        payloads: dict[str, object] = {
            read: {"query": query, "variables": {"trip": trip}} for read, query in READS.items()
        }
        payloads["trips(date)"] = {"query": TRIPS, "variables": {"date": str(service_date)}}

        on, on_answers = await measure_server(url, "1", payloads, token, args)
        off, off_answers = await measure_server(url, "0", payloads, token, args)

        baseline: dict[str, Result] = {}
        base_answers: dict[str, object] = {}
        port = free_port()
        process = spawn_baseline(url, port, args.server_log + ".baseline")
        try:
            await wait_until_up(port, process)
            for read, path in BASELINE_PATHS.items():
                body = {"tripId": trip_id}
                base_answers[read] = await ask(port, path, body, token)
                baseline[read] = await load("baseline", port, path, body, token, args)
        finally:
            process.terminate()
            process.wait(timeout=30)

        for read in payloads:
            same = on_answers[read] == off_answers[read]
            versus = ""
            if read in base_answers:
                equal = data_of(on_answers[read]) == data_of(base_answers[read])
                versus = f"; baseline's data equal: {equal}"
            size = len(json.dumps(on_answers[read]))
            print(f"{read} ({size / 1024:.0f} KB of JSON; on and off equal: {same}{versus})")
            print(line(on[read]))
            print(line(off[read]))
            ratios = f"  on/off {on[read].per_second / max(off[read].per_second, 1e-9):.2f}"
            if read in baseline:
                print(line(baseline[read]))
                ratios += (
                    f"   on/baseline {on[read].per_second / baseline[read].per_second:.2f}"
                    f"   off/baseline {off[read].per_second / baseline[read].per_second:.2f}"
                )
            print(ratios + "  (requests/s)")
            if not same:
                raise SystemExit(f"{read}: the answers with the cache on and off differ")
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--orders", type=int, default=300, help="orders on the trip")
    parser.add_argument("--purchases", type=int, default=30, help="produce purchases on it")
    parser.add_argument("--clients", type=int, default=32, help="concurrent clients")
    parser.add_argument("--seconds", type=float, default=10.0, help="measured seconds per run")
    parser.add_argument("--warmup", type=float, default=2.0, help="seconds before measuring")
    parser.add_argument("--seed", type=int, default=1, help="random seed of the orders")
    parser.add_argument(
        "--server-log", default="/tmp/cungoods-bench-response-cache.log", help="servers' output"
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
