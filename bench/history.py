"""Today's reads on an empty history and on a year of the county, same run, side by side.

Run (PostgreSQL must answer at 127.0.0.1:5432 as user postgres, as for the tests):

    .venv/bin/python bench/history.py               # a year: ~1M orders, 5M events
    .venv/bin/python bench/history.py --scale 0.1   # a tenth of it, for a quick look

It creates two throw-away databases (dropped at the end) and builds today as bench/dispatch_reads.py
does: the demo county, route R1's next trip with `--orders` confirmed orders and some produce,
and copies it (`CREATE DATABASE ... TEMPLATE`): the copy keeps an empty history. It writes a
year of history before today into the first one straight in SQL
(generate_series INSERT ... SELECT, no Python per row): every route's trip of each of the 365
days before today with its stops and legs, a sale window and its items per day, about 1
million delivered orders (2.3 million lines, each with its shipment) spread over every stop of
every trip and over 20,000 villagers (today's buyers among them: about one order a week each),
150,000 collected produce purchases, and about 5 million events with their topics (order:,
station:, user:, trip:) as the outbox writes them. The year's orders take ids below today's
(negative ones, rising with the date), as in a county that placed them first: a list newest
first (`myOrders`) opens on today's orders on both databases, as it would after a real year.

Then it vacuums and analyzes both databases, starts the real server on each (`uvicorn
cungoods.app:create_app --factory`, production mode, one worker, the response cache off: a
repeated read would be a cache hit, which costs the same on any history; what must not grow is
the read itself) and times today's reads on both, one request at a time, alternating between
the two (`--repeat` pairs each after a warm-up; the median and the 90th percentile), so that
whatever the machine does meanwhile falls on both alike. It prints both and the ratio (goal:
within 20 %):

- `trips(date)` with every stop and leg (public), a trip's every-stop manifest and `pickList`
  (as the dispatcher), `stationManifest` of one stop (as its leader), `myOrders` and `order`
  of a villager who has a year of orders behind them (as that villager). Her first page of
  `myOrders` is 10 orders, fewer than the 12 she placed today, so on both databases it shows
  the same orders; only `totalCount` and `hasNextPage` see the year.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import math
import os
import statistics
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import asyncpg
from tortoise.transactions import in_transaction

sys.path.insert(0, str(Path(__file__).resolve().parent))
from dispatch_reads import PG_ADMIN, build_trip  # noqa: E402  (today, as that bench builds it)
from place_order import (  # noqa: E402  (the shared load-generation helpers of bench/)
    SECRET,
    Connection,
    free_port,
    start_server,
    wait_until_up,
)

from cungoods.api.ids import to_global_id  # noqa: E402
from cungoods.db import setup as db  # noqa: E402
from cungoods.models import Order, Station, Trip, TripStop, User  # noqa: E402
from cungoods.models.enums import Role  # noqa: E402
from cungoods.seed.demo import fund_wallets, seed_network  # noqa: E402
from cungoods.services import clock  # noqa: E402
from cungoods.services.auth import issue_token  # noqa: E402

BULK_TABLES = ("cg_order", "order_line", "shipment", "produce_purchase", "event", "event_topic")
CITY_BUYER = "13500000001"  # who buys today's produce in build_trip
DAYS = 365
ORDERS_PER_YEAR = 1_000_000
# Who placed them: about 130 ordering households per village of the 150, so a year is some 50
# orders each (about one a week). Today's few hundred buyers alone would have ~3,300 each (nine a
# day), and a villager's totalCount would measure that, not the county.
VILLAGERS = 20_000
PURCHASES_PER_YEAR = 150_000

LOAD = "weightG volumeCm3 chilledG"
TRIPS = f"""query($date: Date!) {{ trips(date: $date) {{ id status departsAt route {{ code }}
  stops {{ seq plannedAt expectedAt station {{ name }} }}
  legs {{ seq capacity {{ {LOAD} }} used {{ {LOAD} }} }} }} }}"""
MANIFESTS = """query($trip: ID!) { trip(id: $trip) { stops { seq station { name }
  manifest { orders { number pickupCode buyer { name }
    lines { quantity product { name } } } } } } }"""
PICK_LIST = f"""query($trip: ID!) {{ pickList(tripId: $trip) {{ orderCount load {{ {LOAD} }}
  products {{ product {{ name }} quantity }} crates {{ stopSeq units }} }} }}"""
STATION_MANIFEST = f"""query($trip: ID!, $station: ID!) {{
  stationManifest(tripId: $trip, stationId: $station) {{ stopSeq plannedAt expectedAt
    orders {{ number pickupCode buyer {{ name }} lines {{ quantity product {{ name }} }} }}
    produce {{ number title quantity }} handOut {{ {LOAD} }} takeIn {{ {LOAD} }} }} }}"""
MY_ORDERS = """query { myOrders(first: 10) { totalCount pageInfo { hasNextPage endCursor }
  nodes { id number status serviceDate totalFen station { name } lines { quantity } } } }"""
ORDER = """query($id: ID!) { order(id: $id) { number status serviceDate totalFen pickupCode
  station { name } trip { departsAt } lines { quantity product { name } }
  history { status at } } }"""


@dataclass(frozen=True)
class Read:
    name: str
    query: str
    variables: dict[str, object]
    token: str


async def today_reads(trip_id: int, dispatcher_token: str) -> list[Read]:
    """Today's reads, with the viewers who make them."""
    trip = await Trip.get(id=trip_id)
    first = await Order.filter(trip_id=trip_id).order_by("id").first()
    assert first is not None
    buyer = await User.get(id=first.buyer_id)
    station = await Station.get(id=first.station_id)
    leader = await User.filter(station_id=station.id).all()
    leaders = [u for u in leader if Role.LEADER.value in u.roles]
    assert await TripStop.exists(trip_id=trip_id, station_id=station.id)

    def token(user: User) -> str:
        return issue_token(user_id=user.id, secret=SECRET, ttl_seconds=24 * 3600)

    trip_gid = to_global_id("Trip", trip_id)
    station_reader = token(leaders[0]) if leaders else dispatcher_token
    return [
        Read("trips(date){stops legs}", TRIPS, {"date": trip.service_date.isoformat()}, ""),
        Read("trip manifests", MANIFESTS, {"trip": trip_gid}, dispatcher_token),
        Read("pickList", PICK_LIST, {"trip": trip_gid}, dispatcher_token),
        Read(
            "stationManifest",
            STATION_MANIFEST,
            {"trip": trip_gid, "station": to_global_id("Station", station.id)},
            station_reader,
        ),
        Read("myOrders", MY_ORDERS, {}, token(buyer)),
        Read("order", ORDER, {"id": to_global_id("Order", first.id)}, token(buyer)),
    ]


# --- timing -------------------------------------------------------------------------------------


async def vacuum(url: str) -> None:
    """As autovacuum leaves a database (vacuumed and analyzed), the empty one and the year
    alike: the visibility map lets index-only scans skip the table as in production, and the
    ratio is the history's alone, not that of the planner's statistics."""
    conn = await asyncpg.connect(url.replace("postgres://", "postgresql://", 1))
    try:
        await conn.execute("VACUUM ANALYZE")
    finally:
        await conn.close()


async def time_reads(
    urls: dict[str, str], reads: list[Read], repeat: int, log: str
) -> dict[str, dict[str, list[float]]]:
    """Each read `repeat` times on each database (by name), one request at a time, alternating
    between them (each pair in turn in the other order), each on its own server without the
    response cache (each read computed); milliseconds."""
    servers, ports = {}, {}
    for name, url in urls.items():
        await vacuum(url)
        ports[name] = free_port()
        servers[name] = start_server(
            url, ports[name], 1, log, settings={"CUNGOODS_RESPONSE_CACHE": "0"}
        )
    connections: dict[str, Connection] = {}
    try:
        for name, server in servers.items():
            await wait_until_up(ports[name], server)
            connections[name] = await Connection.open(ports[name])
        timings: dict[str, dict[str, list[float]]] = {name: {} for name in urls}
        for read in reads:
            payload = {"query": read.query, "variables": read.variables}
            took: dict[str, list[float]] = {name: [] for name in urls}
            order = list(urls)
            for n in range(repeat + 3):  # three warm-up pairs
                for name in order if n % 2 == 0 else reversed(order):
                    began = time.perf_counter()
                    status, body = await connections[name].post_json(
                        "/graphql", payload, read.token
                    )
                    elapsed = (time.perf_counter() - began) * 1000
                    if status != 200 or not isinstance(body, dict) or body.get("errors"):
                        raise SystemExit(f"{read.name} ({name}): HTTP {status}: {str(body)[:500]}")
                    if n >= 3:
                        took[name].append(elapsed)
            for name in urls:
                timings[name][read.name] = took[name]
        return timings
    finally:
        for connection in connections.values():
            connection.close()
        for server in servers.values():
            server.terminate()
            server.wait(timeout=30)


def p90(values: list[float]) -> float:
    return statistics.quantiles(values, n=10)[8] if len(values) > 1 else values[0]


# --- a year of history, in SQL ----------------------------------------------------------------


async def next_id(conn: asyncpg.Connection, table: str) -> int:
    return int(await conn.fetchval(f"SELECT COALESCE(MAX(id), 0) + 1000 FROM {table}"))


async def write_history(dsn: str, template_date: dt.date, scale: float) -> dict[str, int]:
    """A year before today, copied from the template day's trips (the open window's date)."""
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute("SET synchronous_commit = off")
        today = clock.today()
        first_n = (template_date - today).days + 1  # n days before the template day
        last_n = first_n + DAYS - 1
        ids = {t: await next_id(conn, t) for t in ("trip", "sale_window", "sale_item")}
        ids |= {t: await next_id(conn, t) for t in ("shipment", "produce_purchase")}
        span = f"generate_series({first_n}, {last_n}) n"
        step = "(n * interval '1 day')"

        async def run(label: str, statement: str) -> None:
            began = time.perf_counter()
            done = await conn.execute(statement)
            print(f"  {label}: {done} ({time.perf_counter() - began:.1f} s)", flush=True)

        # Plain indexes of the big tables are dropped during the load and built again after it
        # (as a bulk load does): far faster than maintaining them row by row. Indexes behind a
        # constraint (keys, unique) stay.
        indexes = await conn.fetch(
            "SELECT i.indexrelid::regclass::text AS name, pg_get_indexdef(i.indexrelid) AS sql "
            "FROM pg_index i WHERE i.indrelid::regclass::text = ANY($1::text[]) AND NOT EXISTS "
            "(SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)",
            list(BULK_TABLES),
        )
        for index in indexes:
            await conn.execute(f"DROP INDEX {index['name']}")
        t = template_date.isoformat()
        await run(
            "trips",
            f"""CREATE TEMP TABLE ptrip AS SELECT {ids["trip"]} + row_number() OVER
            (ORDER BY n, t.id) AS id, t.id AS tmpl_id, n FROM trip t CROSS JOIN {span}
            WHERE t.service_date = '{t}'""",
        )
        await conn.execute(
            """INSERT INTO trip (id, service_date, departs_at, status, delay_minutes, driver_id,
            route_id, vehicle_id) SELECT p.id, t.service_date - p.n, t.departs_at -
            (p.n * interval '1 day'), 'COMPLETED', 0, t.driver_id, t.route_id, t.vehicle_id
            FROM ptrip p JOIN trip t ON t.id = p.tmpl_id"""
        )
        await run(
            "trip stops",
            """INSERT INTO trip_stop (seq, planned_at, expected_at, arrived_at, departed_at,
            station_id, trip_id) SELECT s.seq, s.planned_at - (p.n * interval '1 day'),
            s.expected_at - (p.n * interval '1 day'), s.planned_at - (p.n * interval '1 day'),
            s.planned_at - (p.n * interval '1 day'), s.station_id, p.id
            FROM ptrip p JOIN trip_stop s ON s.trip_id = p.tmpl_id""",
        )
        await run(
            "legs",
            """INSERT INTO leg (seq, capacity_g, capacity_cm3, chilled_capacity_g, used_g,
            used_cm3, used_chilled_g, down_g, down_cm3, down_chilled_g, trip_id)
            SELECT l.seq, l.capacity_g, l.capacity_cm3, l.chilled_capacity_g, 0, 0, 0, 0, 0, 0,
            p.id FROM ptrip p JOIN leg l ON l.trip_id = p.tmpl_id""",
        )
        window = await conn.fetchrow(
            "SELECT * FROM sale_window WHERE service_date = $1", template_date
        )
        items = int(
            await conn.fetchval("SELECT COUNT(*) FROM sale_item WHERE window_id = $1", window["id"])
        )
        await run(
            "sale windows",
            f"""INSERT INTO sale_window (id, service_date, opens_at, cutoff_at, cutoff_done_at)
            SELECT {ids["sale_window"]} + n, service_date - n, opens_at - {step},
            cutoff_at - {step}, cutoff_at - {step} FROM sale_window CROSS JOIN {span}
            WHERE id = {window["id"]}""",
        )
        # The item k (0-based, by id) of the window n days back has this id:
        item_id = f"{ids['sale_item']} + (h.n - {first_n}) * {items} + "
        await run(
            "sale items",
            f"""INSERT INTO sale_item (id, price_fen, stock, sold, product_id, window_id)
            SELECT {ids["sale_item"]} + (n - {first_n}) * {items} + i.k, i.price_fen, 1000, 100,
            i.product_id, {ids["sale_window"]} + n FROM (SELECT row_number() OVER (ORDER BY id)
            - 1 AS k, * FROM sale_item WHERE window_id = {window["id"]}) i CROSS JOIN {span}""",
        )
        stops = int(
            await conn.fetchval(
                "SELECT COUNT(*) FROM trip_stop s JOIN trip t ON t.id = s.trip_id "
                "WHERE t.service_date = $1 AND s.station_id IS NOT NULL",
                template_date,
            )
        )
        # Orders per stop of every past trip, then a pseudo-random share of those rows kept,
        # so that any --scale gives its share of a year's volume.
        slots = stops * DAYS
        per_stop = math.ceil(ORDERS_PER_YEAR * scale / slots)
        keep = round(1000 * ORDERS_PER_YEAR * scale / (slots * per_stop))
        buy = round(1000 * PURCHASES_PER_YEAR * scale / (slots * per_stop * keep / 1000))
        villagers = max(1, round(VILLAGERS * scale))
        await run(
            "villagers",
            f"""INSERT INTO account (phone, name, password_hash, roles, created_at, language)
            SELECT '19' || lpad(g::text, 9, '0'), '村民' || g, '!', '["BUYER"]', now(), 'zh'
            FROM generate_series(1, {villagers}) AS g""",
        )
        # Today's buyers (the reading villager among them) and the history's villagers.
        buyers = (
            "(SELECT array_agg(id ORDER BY id) FROM account WHERE id IN "
            "(SELECT buyer_id FROM cg_order) OR phone LIKE '19%')"
        )
        nb = int(await conn.fetchval(f"SELECT cardinality({buyers})"))
        await conn.execute(
            f"CREATE TEMP TABLE buyers AS SELECT k - 1 AS k, b.id FROM unnest({buyers}) "
            "WITH ORDINALITY AS b(id, k)"
        )
        await conn.execute("CREATE INDEX ON buyers (k)")
        buyer = f"(SELECT id FROM buyers WHERE k = h.rn % {nb})"
        await run(
            "order rows",
            f"""CREATE TEMP TABLE hist AS SELECT row_number() OVER
            (ORDER BY p.n, p.id, s.seq, g) AS rn, p.id AS trip_id, p.n, s.station_id, s.seq, g
            FROM ptrip p JOIN trip_stop s ON s.trip_id = p.tmpl_id AND s.station_id IS NOT NULL
            CROSS JOIN generate_series(1, {per_stop}) g
            WHERE ((p.id * {per_stop} + s.seq * 31 + g) * 7919) % 1000 < {keep}""",
        )
        created = f"('{t}'::date - h.n) - interval '1 day' + interval '10 hours'"
        await run(
            "order shipments",
            f"""INSERT INTO shipment (id, direction, from_seq, to_seq, weight_g, volume_cm3,
            chilled_g, state, created_at, trip_id) SELECT {ids["shipment"]} + h.rn - 1, 'DOWN',
            0, h.seq, 2000, 3000, 0, 'RESERVED', {created}, h.trip_id FROM hist h""",
        )
        await run(
            "orders",
            f"""INSERT INTO cg_order (id, number, service_date, status, total_fen, pickup_code,
            wrong_code_attempts, created_at, buyer_id, shipment_id, station_id, trip_id,
            window_id, paid_fen, pay_by, pay_with, payment_status, refunded_fen)
            SELECT -h.rn, 'H' || h.rn, '{t}'::date - h.n, 'PICKED_UP', 5000, '000000', 0,
            {created}, {buyer}, {ids["shipment"]} + h.rn - 1, h.station_id,
            h.trip_id, {ids["sale_window"]} + h.n, 5000, NULL, 'BALANCE', 'PAID', 0 FROM hist h""",
        )
        await run(
            "order lines",
            f"""INSERT INTO order_line (order_id, sale_item_id, quantity, unit_price_fen)
            SELECT -h.rn, {item_id} ((h.rn * 7 + j) % {items}), 1 + j, 1000 FROM hist h
            CROSS JOIN LATERAL generate_series(0, (h.rn % 3)::int
            + CASE WHEN h.rn % 10 < 3 THEN 1 ELSE 0 END) j""",
        )
        listings = "(SELECT array_agg(id ORDER BY id) FROM produce_listing)"
        nl = int(await conn.fetchval("SELECT COUNT(*) FROM produce_listing"))
        keep = max(1, round(PURCHASES_PER_YEAR * scale / (stops * DAYS)))
        await run(
            "purchase rows",
            f"""CREATE TEMP TABLE hp AS SELECT {ids["produce_purchase"]} + row_number() OVER
            (ORDER BY h.rn) AS id, h.rn, h.trip_id, h.n, h.station_id, h.seq
            FROM hist h WHERE (h.rn * 6007) % 1000 < {buy}""",
        )
        n_orders = int(await conn.fetchval("SELECT COUNT(*) FROM hist"))
        # Purchase shipments take the ids after the orders' shipments.
        ship_up = f"h.id - {ids['produce_purchase']} + {ids['shipment']} + {n_orders + 1000}"
        await conn.execute(f"CREATE TEMP TABLE listings AS SELECT {listings} AS l")
        await run(
            "purchase shipments",
            f"""INSERT INTO shipment (id, direction, from_seq, to_seq, weight_g, volume_cm3,
            chilled_g, state, created_at, trip_id) SELECT {ship_up}, 'UP', h.seq, h.seq + 1,
            5000, 10000, 0, 'RESERVED', {created}, h.trip_id FROM hp h""",
        )
        await run(
            "purchases",
            f"""INSERT INTO produce_purchase (id, number, quantity, handed_over_quantity,
            unit_price_fen, total_fen, status, collect_code, created_at, buyer_id, listing_id,
            offer_id, shipment_id, station_id, trip_id, paid_fen, pay_by, pay_with,
            payment_status, refunded_fen) SELECT h.id, 'HP' || h.id, 10, 10, 350, 3500,
            'COLLECTED', '000000', {created}, {buyer}, (SELECT l[1 + h.id % {nl}] FROM listings),
            NULL, {ship_up}, h.station_id, h.trip_id, 3500, NULL, 'BALANCE', 'PAID', 0
            FROM hp h""",
        )
        statuses = "(ARRAY['PLACED','CONFIRMED','LOADED','PICKED_UP','AT_STATION'])"
        p_statuses = "(ARRAY['RESERVED','HANDED_OVER','COLLECTED'])"
        months = [(first_n + k, min(last_n, first_n + k + 29)) for k in range(0, DAYS, 30)]
        for low, high in months:  # in monthly slices, so progress shows
            month = f"h.n BETWEEN {low} AND {high}"
            await run(
                f"order events, days {low}-{high} back",
                f"""WITH ev AS (INSERT INTO event (kind, at, message, trip_id, order_id,
                station_id, stop_seq, status) SELECT 'ORDER_' || {statuses}[k], {created} +
                k * interval '1 hour', 'order H' || h.rn || ' ' || lower({statuses}[k]),
                h.trip_id, -h.rn, h.station_id, h.seq, {statuses}[k] FROM hist h
                CROSS JOIN LATERAL generate_series(1, 4 + (h.rn % 2)::int) k WHERE {month}
                RETURNING id, order_id, station_id)
                INSERT INTO event_topic (event_id, topic)
                SELECT id, 'order:' || order_id FROM ev UNION ALL
                SELECT id, 'station:' || station_id FROM ev UNION ALL
                SELECT ev.id, 'user:' || b.id FROM ev JOIN buyers b ON b.k = -ev.order_id % {nb}""",
            )
            await run(
                f"purchase and trip events, days {low}-{high} back",
                f"""WITH ev AS (INSERT INTO event (kind, at, message, trip_id, purchase_id,
                station_id, stop_seq, status) SELECT 'PURCHASE_' || {p_statuses}[k], {created}
                + k * interval '1 hour', 'produce HP' || h.id, h.trip_id, h.id, h.station_id,
                h.seq, {p_statuses}[k] FROM hp h CROSS JOIN generate_series(1, 3) k
                WHERE {month} RETURNING id, purchase_id, station_id)
                INSERT INTO event_topic (event_id, topic)
                SELECT id, 'purchase:' || purchase_id FROM ev UNION ALL
                SELECT id, 'station:' || station_id FROM ev""",
            )
            await run(
                f"trip events, days {low}-{high} back",
                f"""WITH ev AS (INSERT INTO event (kind, at, message, trip_id, station_id,
                stop_seq) SELECT 'TRIP_ARRIVED', s.planned_at, 'arrived', s.trip_id,
                s.station_id, s.seq FROM trip_stop s JOIN ptrip h ON h.id = s.trip_id
                WHERE {month} RETURNING id, trip_id)
                INSERT INTO event_topic (event_id, topic) SELECT id, 'trip:' || trip_id FROM ev""",
            )
        for table in (
            "trip",
            "sale_window",
            "sale_item",
            "cg_order",
            "shipment",
            "produce_purchase",
        ):
            sequence = f"pg_get_serial_sequence('{table}', 'id')"
            await conn.execute(f"SELECT setval({sequence}, (SELECT MAX(id) FROM {table}))")
        began = time.perf_counter()
        for index in indexes:
            await conn.execute(index["sql"])
        print(f"  {len(indexes)} indexes built ({time.perf_counter() - began:.1f} s)", flush=True)
        counts = {}
        for table in ("cg_order", "order_line", "produce_purchase", "event", "event_topic"):
            counts[table] = int(await conn.fetchval(f"SELECT COUNT(*) FROM {table}"))
        return counts
    finally:
        await conn.close()


# --- main -------------------------------------------------------------------------------------


async def main(args: argparse.Namespace) -> None:
    name = f"cungoods_history_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(PG_ADMIN.replace("postgres://", "postgresql://", 1))
    await admin.execute(f'CREATE DATABASE "{name}"')
    url = PG_ADMIN.rsplit("/", 1)[0] + "/" + name
    dsn = url.replace("postgres://", "postgresql://", 1)
    try:
        await db.migrate(url)
        await db.connect(url)
        try:
            real_now = dt.datetime.now(clock.tz())
            clock.shift(clock.at(real_now.date(), "12:00") - real_now)  # before the cutoff
            # The city buyer of today's produce pays from a wallet: fund it first (seeding the
            # network again inside build_trip adds nothing).
            await seed_network()
            async with in_transaction():
                await fund_wallets([await User.get(phone=CITY_BUYER)], amount_fen=10**12)
            scene = await build_trip(args.orders, args.purchases, args.seed)
            trip_id, dispatcher_token = scene.trip_id, scene.tokens["dispatcher"]
            clock.shift(dt.timedelta(0))
            reads = await today_reads(trip_id, dispatcher_token)
            template_date = (await Trip.get(id=trip_id)).service_date
        finally:
            await db.close()
        print(f"today: trip R1 on {template_date} with {args.orders} orders; {os.cpu_count()} CPUs")
        # Today alone, byte for byte, before the year is written next to it.
        await admin.execute(f'CREATE DATABASE "{name}_empty" TEMPLATE "{name}"')
        empty_url = url + "_empty"
        print("today copied for the empty history; writing a year of history:", flush=True)
        began = time.perf_counter()
        counts = await write_history(dsn, template_date, args.scale)
        minutes = (time.perf_counter() - began) / 60
        print(
            f"history written in {minutes:.1f} min: "
            + ", ".join(f"{table} {count:,}" for table, count in counts.items()),
            flush=True,
        )
        timed = await time_reads(
            {"empty": empty_url, "year": url}, reads, args.repeat, args.server_log
        )
        empty, year = timed["empty"], timed["year"]
        print(f"\none request at a time, {args.repeat} each, alternating; ms (median / p90)")
        print(f"{'read':<26} {'empty history':>16} {'a year':>16} {'ratio':>7}")
        for read in reads:
            e, y = empty[read.name], year[read.name]
            ratio = statistics.median(y) / statistics.median(e)
            print(
                f"{read.name:<26} {statistics.median(e):>7.1f} / {p90(e):>6.1f}"
                f" {statistics.median(y):>7.1f} / {p90(y):>6.1f} {ratio:>7.2f}"
            )
    finally:
        if not args.keep:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}_empty" WITH (FORCE)')
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        else:
            print(f"kept databases {name} and {name}_empty")
        await admin.close()


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--orders", type=int, default=300, help="orders on today's trip")
    parser.add_argument("--purchases", type=int, default=20, help="produce on today's trip")
    parser.add_argument("--scale", type=float, default=1.0, help="share of a year's volume")
    parser.add_argument("--repeat", type=int, default=30, help="timed pairs of requests per read")
    parser.add_argument("--seed", type=int, default=1, help="random seed of today's orders")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument("--server-log", default=os.devnull, help="file for the server's log")
    return parser.parse_args(argv)


if __name__ == "__main__":
    clock.configure(clock.tz())
    asyncio.run(main(parse()))
