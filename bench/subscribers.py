"""Live-update fan-out: N WebSocket subscribers on one server process receive one trip event.

    .venv/bin/python bench/subscribers.py                 # N = 1,000 and 10,000 on PostgreSQL
    .venv/bin/python bench/subscribers.py -n 500 -n 2000  # other sizes
    .venv/bin/python bench/subscribers.py --sqlite        # the embedded default instead

What it does: creates a scratch database (PostgreSQL at $CUNGOODS_BENCH_PG, default
postgres://postgres@127.0.0.1:5432/postgres; dropped afterwards), builds one route with today's
trip, and starts one server process (`uvicorn cungoods.app:create_app --factory`, the way it is
deployed, in production mode). For each N, client processes open N graphql-transport-ws
connections, each signed in and subscribed to `tripUpdates` of that trip (selecting `id cursor
kind at topic stopSeq message`). A first trip event warms every subscription up (and proves
each one is registered); then the server's resident memory is read, and one more trip event is
recorded through the `recordTripEvent` mutation.

Reported per N:
- connect rate: N / the seconds from the moment every client process is ready until all N
  sockets have sent connection_init with a token, had the ack and sent their subscribe; and
  the server CPU spent per connection meanwhile (the figure least disturbed by other load);
- latency p50 / p99 / max: from just before the mutation is sent to the moment each subscriber
  has the event (mutation, commit, NOTIFY, fan-out, GraphQL execution per subscriber, the
  socket), measured on one clock (all processes run on this machine);
- server CPU and client CPU: what the server process, and all client processes together, spent
  on that one event, from the mutation until every subscriber had it;
- memory per subscriber: (server RSS with N warm subscribers - RSS before they connected) / N.

The client processes share the machine with the server, so on a small machine their own
receive loop is part of the measured latency: the figures are an upper bound. When server and
client CPU together come to about CPUs x p99, the machine, not the server, set the p99. (The
clients' garbage collector is kept out of it: thousands of sockets in one client process would
otherwise set off full collections of their own.)
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import gc
import json
import multiprocessing
import os
import resource
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

PROTOCOL = "graphql-transport-ws"
SECRET = "bench-secret-key-for-signing-tokens-0123456789"
PG_ADMIN = os.environ.get("CUNGOODS_BENCH_PG", "postgres://postgres@127.0.0.1:5432/postgres")
SUBSCRIBE = (
    "subscription($id: ID!, $after: String) { tripUpdates(tripId: $id, after: $after) "
    "{ id cursor kind at topic stopSeq message } }"
)
RECORD = (
    "mutation($input: RecordTripEventInput!) { recordTripEvent(input: $input) "
    "{ trip { delayMinutes } errors { code message } } }"
)


def raise_open_files_limit() -> int:
    """Every socket is a file descriptor: lift the soft limit to the hard one."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


# --- client processes ------------------------------------------------------------------------


def client_main(
    url: str, token: str, trip_id: str, after: str, count: int, pipe: Connection
) -> None:
    raise_open_files_limit()
    # The load generator's own garbage collector stays out of the figures: thousands of sockets
    # in one process would set off full collections as they connect (and one landing in the
    # measured receive would be counted as the server's latency). Real subscribers are one per
    # device.
    gc.set_threshold(700, 10, 1000)
    asyncio.run(_client(url, token, trip_id, after, count, pipe))


async def _client(
    url: str, token: str, trip_id: str, after: str, count: int, pipe: Connection
) -> None:
    from websockets.asyncio.client import connect

    opening = asyncio.Semaphore(64)
    loop = asyncio.get_running_loop()
    pipe.send("ready")  # imported and running: the parent starts the connect clock
    await loop.run_in_executor(None, pipe.recv)

    async def open_one(n: int) -> Any:
        async with opening:
            for attempt in range(5):
                try:
                    ws = await connect(
                        url,
                        subprotocols=[PROTOCOL],  # type: ignore[list-item]
                        ping_interval=None,
                        # Offered, as browsers do; the server declines it (see start_server).
                        compression="deflate",
                        open_timeout=120,
                        max_queue=4,
                    )
                    break
                except OSError:
                    if attempt == 4:
                        raise
                    await asyncio.sleep(0.5)
            await ws.send(json.dumps({"type": "connection_init", "payload": {"token": token}}))
            ack = json.loads(await ws.recv())
            assert ack["type"] == "connection_ack", ack
            variables = {"id": trip_id, "after": after}
            subscribe = {"query": SUBSCRIBE, "variables": variables}
            await ws.send(json.dumps({"id": str(n), "type": "subscribe", "payload": subscribe}))
            return ws

    sockets = await asyncio.gather(*(open_one(n) for n in range(count)))
    pipe.send("subscribed")

    async def next_kind(ws: Any) -> str:
        message = json.loads(await ws.recv())
        assert message["type"] == "next", message
        return str(message["payload"]["data"]["tripUpdates"]["kind"])

    await asyncio.gather(*(next_kind(ws) for ws in sockets))  # the warm-up event
    gc.collect()
    gc.freeze()  # the sockets, out of the collector's sight while the measured event arrives
    pipe.send("warm")

    async def received_at(ws: Any) -> float:
        await ws.recv()  # the measured event: timed first, checked after
        return time.time()

    cpu_before = _own_cpu_seconds()
    times = await asyncio.gather(*(received_at(ws) for ws in sockets))
    pipe.send((list(times), _own_cpu_seconds() - cpu_before))
    await loop.run_in_executor(None, pipe.recv)  # the parent says when to hang up
    await asyncio.gather(*(ws.close() for ws in sockets), return_exceptions=True)


def _own_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


# --- the parent ------------------------------------------------------------------------------


@dataclass
class Setup:
    database_url: str
    trip_id: int
    trip_gid: str
    driver_token: str
    watcher_token: str
    drop: str | None


async def prepare(sqlite: bool, workdir: Path) -> Setup:
    """A scratch database with one route, today's trip, its driver and a watcher."""
    import asyncpg

    from cungoods.api.ids import to_global_id
    from cungoods.db import setup as db
    from cungoods.models import Hub, Route, RouteStop, Station, User, Vehicle
    from cungoods.models.enums import Role
    from cungoods.services import clock
    from cungoods.services.auth import issue_token
    from cungoods.services.scheduling import ensure_trips

    drop = None
    if sqlite:
        url = f"sqlite://{workdir / 'bench.sqlite3'}"
    else:
        name = f"cungoods_bench_{uuid.uuid4().hex[:8]}"
        admin = await asyncpg.connect(PG_ADMIN.replace("postgres://", "postgresql://", 1))
        await admin.execute(f'CREATE DATABASE "{name}"')
        await admin.close()
        url = PG_ADMIN.rsplit("/", 1)[0] + "/" + name
        drop = name
    await db.migrate(url)
    await db.connect(url)
    try:
        hub = await Hub.create(code="HUB", name="衢江区城乡供应链中心", lat=28.98, lng=118.96)
        vehicle = await Vehicle.create(
            plate="浙H·B0001", capacity_g=10**6, capacity_cm3=10**7, chilled_capacity_g=10**5
        )
        driver = await User.create(
            phone="13700000001", name="司机", password_hash="-", roles=[Role.DRIVER.value]
        )
        watcher = await User.create(
            phone="13500000001", name="买家", password_hash="-", roles=[Role.BUYER.value]
        )
        route = await Route.create(
            code="R1",
            name="村货巴士1号线",
            hub=hub,
            vehicle=vehicle,
            driver=driver,
            departure_times=["23:59"],
            days_of_week=[1, 2, 3, 4, 5, 6, 7],
            return_minutes=120,
        )
        for seq in (1, 2):
            station = await Station.create(
                code=f"S{seq:04d}",
                name=f"第{seq}村服务站",
                township="高家镇",
                village=f"第{seq}村",
                lat=29.0,
                lng=119.0,
            )
            await RouteStop.create(
                route=route, seq=seq, station=station, minutes_from_departure=30 * seq
            )
        today = clock.today()
        trip = (await ensure_trips(route_code="R1", start=today, end=today))[0]

        def token(user: User) -> str:
            return issue_token(user_id=user.id, secret=SECRET, ttl_seconds=24 * 3600)

        return Setup(
            database_url=url,
            trip_id=trip.id,
            trip_gid=to_global_id("Trip", trip.id),
            driver_token=token(driver),
            watcher_token=token(watcher),
            drop=drop,
        )
    finally:
        await db.close()


async def drop_database(name: str) -> None:
    import asyncpg

    admin = await asyncpg.connect(PG_ADMIN.replace("postgres://", "postgresql://", 1))
    await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    await admin.close()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError("no VmRSS")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def start_server(setup: Setup, port: int, log: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "CUNGOODS_DATABASE_URL": setup.database_url,
        "CUNGOODS_SECRET_KEY": SECRET,
        "CUNGOODS_DEMO": "0",
        "CUNGOODS_LOG_LEVEL": "WARNING",
        "CUNGOODS_ENV": "production",  # as deployed (its garbage collector tuned: app.py)
    }
    command = [sys.executable, "-m", "uvicorn", "cungoods.app:create_app", "--factory"]
    command += ["--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"]
    command += ["--backlog", "4096"]
    # As `cungoods serve` runs it (cli.py): no per-message compression, which about doubles
    # the memory of every open socket and compresses each event once per subscriber.
    command += ["--ws-per-message-deflate", "false"]
    with log.open("wb") as out:
        return subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)


async def record_delay(http: Any, setup: Setup) -> float:
    """recordTripEvent(DELAYED, 1 min) as the driver; returns when it was sent."""
    sent = time.time()
    response = await http.post(
        "/graphql",
        json={
            "query": RECORD,
            "variables": {"input": {"tripId": setup.trip_gid, "kind": "DELAYED", "minutes": 1}},
        },
        headers={"Authorization": f"Bearer {setup.driver_token}"},
    )
    payload = response.json()["data"]["recordTripEvent"]
    assert payload["errors"] == [], payload
    return sent


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


async def run_round(
    n: int, setup: Setup, server: subprocess.Popen[bytes], url: str, clients: int
) -> dict[str, Any]:
    import httpx

    from cungoods.api.ids import to_cursor
    from cungoods.db import setup as db
    from cungoods.models import Event

    async with httpx.AsyncClient(
        base_url=url.replace("ws://", "http://").removesuffix("/graphql"), timeout=120
    ) as http:
        # Subscribers resume after the trip's latest event, so each one gets the warm-up event
        # even if its subscription registers after that event is written.
        await record_delay(http, setup)
        await db.connect(setup.database_url)
        try:
            latest = await Event.filter(trip_id=setup.trip_id).order_by("-id").first()
        finally:
            await db.close()
        assert latest is not None
        after = to_cursor(latest.id)
        await asyncio.sleep(1)
        baseline = rss_kib(server.pid)

        context = multiprocessing.get_context("spawn")
        shares = [n // clients + (1 if k < n % clients else 0) for k in range(clients)]
        pipes, processes = [], []
        for share in shares:
            parent_end, child_end = context.Pipe()
            process = context.Process(
                target=client_main,
                args=(url, setup.watcher_token, setup.trip_gid, after, share, child_end),
            )
            process.start()
            pipes.append(parent_end)
            processes.append(process)
        loop = asyncio.get_running_loop()

        async def all_say(expected: str) -> None:
            for pipe in pipes:
                said = await loop.run_in_executor(None, pipe.recv)
                assert said == expected, said

        await all_say("ready")
        connect_cpu = cpu_seconds(server.pid)
        started = time.monotonic()
        for pipe in pipes:
            pipe.send("go")
        await all_say("subscribed")
        connect_seconds = time.monotonic() - started
        connect_cpu = cpu_seconds(server.pid) - connect_cpu
        await record_delay(http, setup)  # warm-up
        await all_say("warm")
        await asyncio.sleep(1)
        warm_rss = rss_kib(server.pid)

        cpu_before = cpu_seconds(server.pid)
        sent = await record_delay(http, setup)  # the measured event
        times: list[float] = []
        client_cpu = 0.0
        for pipe in pipes:
            received, spent = await loop.run_in_executor(None, pipe.recv)
            times += received
            client_cpu += spent
        server_cpu = cpu_seconds(server.pid) - cpu_before
        for pipe in pipes:
            pipe.send("bye")
        for process in processes:
            await loop.run_in_executor(None, process.join)

    latencies = [t - sent for t in times]
    return {
        "subscribers": n,
        "connect_s": round(connect_seconds, 1),
        "connects_per_s": round(n / connect_seconds),
        # server CPU per handshake (connection_init with a token, then the subscribe)
        "connect_cpu_us": round(connect_cpu / n * 1e6),
        "p50_ms": round(statistics.median(latencies) * 1000, 1),
        "p99_ms": round(percentile(latencies, 0.99) * 1000, 1),
        "max_ms": round(max(latencies) * 1000, 1),
        "server_cpu_ms": round(server_cpu * 1000),
        # what the client processes spent receiving it, on the same CPUs
        "client_cpu_ms": round(client_cpu * 1000),
        "rss_before_mib": round(baseline / 1024, 1),
        "rss_warm_mib": round(warm_rss / 1024, 1),
        "kib_per_subscriber": round((warm_rss - baseline) / n, 1),
    }


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", "--subscribers", type=int, action="append", help="N (repeatable)")
    parser.add_argument("--sqlite", action="store_true", help="the embedded SQLite default")
    parser.add_argument("--clients", type=int, default=4, help="client processes")
    args = parser.parse_args()
    sizes = args.subscribers or [1000, 10000]
    limit = raise_open_files_limit()
    if max(sizes) + 200 > limit:
        sys.exit(f"open files limit {limit} is too low for {max(sizes)} subscribers")

    with tempfile.TemporaryDirectory(prefix="cungoods-bench-") as tmp:
        workdir = Path(tmp)
        setup = await prepare(args.sqlite, workdir)
        port = free_port()
        server = start_server(setup, port, workdir / "server.log")
        url = f"ws://127.0.0.1:{port}/graphql"
        try:
            await wait_until_up(port, server, workdir / "server.log")
            results = []
            for n in sizes:
                result = await run_round(n, setup, server, url, min(args.clients, n))
                results.append(result)
                print(json.dumps(result), flush=True)
        finally:
            server.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                server.wait(timeout=30)
            if setup.drop:
                await drop_database(setup.drop)
    database = "SQLite" if args.sqlite else "PostgreSQL"
    print(f"\n{database}, one server process, {os.cpu_count()} CPUs, {dt.date.today()}")
    print(
        "subscribers  connects/s  CPU µs/connect  p50 ms  p99 ms  max ms  server CPU ms"
        "  client CPU ms  KiB/subscriber"
    )
    for r in results:
        print(
            f"{r['subscribers']:>11,}  {r['connects_per_s']:>10}  {r['connect_cpu_us']:>14}"
            f"  {r['p50_ms']:>6}  {r['p99_ms']:>6}  {r['max_ms']:>6}  {r['server_cpu_ms']:>13}"
            f"  {r['client_cpu_ms']:>13}"
            f"  {r['kib_per_subscriber']:>14}"
        )


async def wait_until_up(port: int, server: subprocess.Popen[bytes], log: Path) -> None:
    import httpx

    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=5) as http:
        for _ in range(600):
            if server.poll() is not None:
                sys.exit(f"the server exited; its log: {log}")
            with contextlib.suppress(httpx.TransportError):
                if (await http.get("/healthz")).json().get("listener"):
                    return
            await asyncio.sleep(0.1)
    sys.exit("the server did not come up")


if __name__ == "__main__":
    asyncio.run(main())
