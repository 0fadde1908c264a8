"""Faults on PostgreSQL: a server killed with SIGKILL in the middle of a placeOrder load, a
PostgreSQL restart under a running server, and idempotent retries across a server restart.

The servers are real `uvicorn` processes against the session's test database. The PostgreSQL
restart happens on a PRIVATE PostgreSQL instance (initdb into a temporary directory, its own
port on 127.0.0.1), never on the shared server at 127.0.0.1:5432.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest

from builders import TEST_SECRET, make_network, make_user, schedule, token_for
from builders_live import RECORD, TRIP_UPDATES, Closed, ServerProcess, free_port, start_server
from builders_orders import make_product
from cungoods.api.ids import from_cursor, to_global_id
from cungoods.db import setup as db
from cungoods.models import Order, OrderLine, SaleItem, SaleWindow
from cungoods.models.enums import OrderStatus, Role
from cungoods.services import capacity, clock

pytestmark = pytest.mark.pg_only

UNTHROTTLED = {
    "CUNGOODS_RATE_LIMIT_VIEWER_BURST": "1000000",
    "CUNGOODS_RATE_LIMIT_VIEWER_PER_MINUTE": "100000000",
    "CUNGOODS_RATE_LIMIT_ADDRESS_BURST": "1000000",
    "CUNGOODS_RATE_LIMIT_ADDRESS_PER_MINUTE": "100000000",
}
PLACE_ORDER = (
    "mutation($input: PlaceOrderInput!) { placeOrder(input: $input) "
    "{ order { id number } errors { code } } }"
)
CLIENT_TIMEOUT = 20.0  # a safety net: a request hanging this long is a failure in itself


@pytest.fixture
def unthrottled(monkeypatch: pytest.MonkeyPatch) -> None:
    """Server processes inherit the environment: lift the mutation rate limits for them."""
    for name, value in UNTHROTTLED.items():
        monkeypatch.setenv(name, value)


@dataclass
class Market:
    """A route through 4 stations with tomorrow's trip, rice on sale now, and buyers."""

    service_date: dt.date
    stations: list[str]
    rice: SaleItem
    tokens: list[str]


async def make_market(buyers: int = 8) -> Market:
    # The servers run on the real clock: the window is open from an hour ago for six hours.
    service_date = clock.today() + dt.timedelta(days=1)
    net = await make_network(stations=4, capacity_g=100_000_000, capacity_cm3=800_000_000)
    await schedule(net, service_date)
    rice = await make_product("RICE", weight_g=1000, volume_cm3=1500)
    now = clock.now()
    window = await SaleWindow.create(
        service_date=service_date,
        opens_at=now - dt.timedelta(hours=1),
        cutoff_at=now + dt.timedelta(hours=6),
    )
    item = await SaleItem.create(window=window, product=rice, price_fen=890, stock=1_000_000)
    users = [await make_user(Role.BUYER, name=f"买家{n}") for n in range(buyers)]
    return Market(
        service_date=service_date,
        stations=[to_global_id("Station", s.id) for s in net.stations],
        rice=item,
        tokens=[token_for(user) for user in users],
    )


def order_input(market: Market, n: int, key: str) -> dict[str, Any]:
    return {
        "stationId": market.stations[n % len(market.stations)],
        "serviceDate": market.service_date.isoformat(),
        "lines": [{"saleItemId": to_global_id("SaleItem", market.rice.id), "quantity": 1 + n % 3}],
        "idempotencyKey": key,
    }


async def place(
    http: httpx.AsyncClient, url: str, token: str, variables: dict[str, Any]
) -> dict[str, Any]:
    response = await http.post(
        f"{url}/graphql",
        json={"query": PLACE_ORDER, "variables": {"input": variables}},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert "errors" not in body, body
    payload: dict[str, Any] = body["data"]["placeOrder"]
    return payload


async def assert_books_balance() -> None:
    """Leg usage equals the live shipments, and every item's `sold` the live order lines."""
    assert await capacity.invariant_violations() == []
    for item in await SaleItem.all():
        lines = await OrderLine.filter(sale_item_id=item.id).exclude(
            order__status=OrderStatus.CANCELLED
        )
        assert item.sold == sum(line.quantity for line in lines), item.id


def kill(server: ServerProcess) -> None:
    server.process.send_signal(signal.SIGKILL)
    server.process.wait(timeout=30)


# --- (a) kill -9 under load -------------------------------------------------------------------


@dataclass
class Buyer:
    """One client: its requests by idempotency key, the answers it got, what is unanswered."""

    token: str
    sent: dict[str, dict[str, Any]] = field(default_factory=dict)
    answers: dict[str, dict[str, Any]] = field(default_factory=dict)


async def test_killing_the_server_mid_load_loses_no_answered_order_and_doubles_none(
    backend: str, tmp_path: Path, unthrottled: None
) -> None:
    # Given buyers placing orders back to back, each with its own idempotency key
    market = await make_market()
    server = await start_server(backend, tmp_path)
    buyers = [Buyer(token) for token in market.tokens]
    answered = asyncio.Event()
    url = {"now": server.url}

    async def client(n: int, buyer: Buyer, stop: asyncio.Event) -> None:
        async with httpx.AsyncClient(timeout=CLIENT_TIMEOUT) as http:
            count = 0
            while not stop.is_set():
                key = f"{n}-{count}-{uuid.uuid4().hex[:8]}"
                buyer.sent[key] = order_input(market, n + count, key)
                count += 1
                try:
                    buyer.answers[key] = await place(http, url["now"], buyer.token, buyer.sent[key])
                except httpx.TransportError:
                    return  # the server is gone: this request is unanswered
                if sum(len(b.answers) for b in buyers) >= 40:
                    answered.set()

    stop = asyncio.Event()
    load = [asyncio.create_task(client(n, b, stop)) for n, b in enumerate(buyers)]
    # When the server is killed with SIGKILL in the middle of it
    await asyncio.wait_for(answered.wait(), 60)
    kill(server)
    stop.set()
    await asyncio.wait_for(asyncio.gather(*load), 60)
    unanswered = [(b, key) for b in buyers for key in b.sent if key not in b.answers]
    assert unanswered, "every client had an answer before the kill: nothing was in flight"

    # And a new server comes up, and the clients retry what had no answer, with the same key
    server = await start_server(backend, tmp_path)
    url["now"] = server.url
    try:
        async with httpx.AsyncClient(timeout=CLIENT_TIMEOUT) as http:
            for buyer, key in unanswered:
                buyer.answers[key] = await place(http, server.url, buyer.token, buyer.sent[key])
            # a retry of an answered request returns the first answer
            buyer = buyers[0]
            first = next(iter(buyer.answers))
            again = await place(http, server.url, buyer.token, buyer.sent[first])
            assert again == buyer.answers[first]
    finally:
        server.stop()

    # Then every accepted order exists once, and nothing else was placed
    accepted = [a["order"]["id"] for b in buyers for a in b.answers.values() if a["order"]]
    refused = [a["errors"] for b in buyers for a in b.answers.values() if not a["order"]]
    assert refused == []
    assert len(accepted) == len(set(accepted)) == sum(len(b.sent) for b in buyers)
    numbers = {a["order"]["number"] for b in buyers for a in b.answers.values()}
    assert {o.number for o in await Order.all()} == numbers
    # And stock and leg usage equal the sum of the live orders and shipments
    await assert_books_balance()


# --- (c) idempotent retries across a restart --------------------------------------------------


async def test_a_retry_after_a_server_restart_returns_the_first_result(
    backend: str, tmp_path: Path, unthrottled: None
) -> None:
    # Given an order placed with an idempotency key on one server
    market = await make_market(buyers=1)
    variables = order_input(market, 1, "retry-across-restart")
    server = await start_server(backend, tmp_path)
    async with httpx.AsyncClient(timeout=CLIENT_TIMEOUT) as http:
        try:
            first = await place(http, server.url, market.tokens[0], variables)
        finally:
            kill(server)
        assert first["order"] and first["errors"] == []
        # When the client retries it on a new server process
        server = await start_server(backend, tmp_path)
        try:
            again = await place(http, server.url, market.tokens[0], variables)
        finally:
            server.stop()
    # Then it gets the first result, and there is still one order
    assert again == first
    assert await Order.all().count() == 1
    await assert_books_balance()


# --- (b) a PostgreSQL restart under a running server ------------------------------------------


PG_BIN = next(iter(sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)), None)


@dataclass
class PrivatePostgres:
    """A throw-away PostgreSQL instance: its own data directory, port and socket directory."""

    directory: Path
    port: int

    @property
    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/cungoods"

    def _run(self, *command: str) -> None:
        # PostgreSQL refuses to run as root: run it as the postgres user then.
        prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        subprocess.run([*prefix, *command], check=True, capture_output=True, timeout=120)

    def init(self) -> None:
        assert PG_BIN is not None
        self._run(str(PG_BIN / "initdb"), "-D", str(self.directory / "data"), "-A", "trust",
                  "-U", "postgres", "--no-sync")  # fmt: skip

    def start(self) -> None:
        assert PG_BIN is not None
        options = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 -c fsync=off "
            f"-c unix_socket_directories={self.directory}"
        )
        self._run(str(PG_BIN / "pg_ctl"), "-D", str(self.directory / "data"), "-l",
                  str(self.directory / "log"), "-o", options, "-w", "start")  # fmt: skip

    def stop(self, mode: str = "fast") -> None:
        assert PG_BIN is not None
        self._run(str(PG_BIN / "pg_ctl"), "-D", str(self.directory / "data"), "-m", mode,
                  "-w", "stop")  # fmt: skip


@contextlib.asynccontextmanager
async def private_postgres() -> AsyncIterator[PrivatePostgres]:
    if PG_BIN is None or (os.geteuid() == 0 and shutil.which("runuser") is None):
        pytest.skip("no PostgreSQL binaries to start a private instance with")
    directory = Path(tempfile.mkdtemp(prefix="cungoods-pg-"))
    if os.geteuid() == 0:
        shutil.chown(directory, "postgres", "postgres")
    pg = PrivatePostgres(directory=directory, port=free_port())
    try:
        await asyncio.to_thread(pg.init)
        await asyncio.to_thread(pg.start)
        admin = await asyncpg.connect(f"postgresql://postgres@127.0.0.1:{pg.port}/postgres")
        await admin.execute("CREATE DATABASE cungoods")
        await admin.close()
        yield pg
    finally:
        with contextlib.suppress(subprocess.SubprocessError):
            pg.stop("immediate")
        shutil.rmtree(directory, ignore_errors=True)


ROUTES = "{ routes { code } }"
VIEWER = "{ viewer { id } }"
REGISTER = "mutation($input: RegisterInput!) { register(input: $input) { token errors { code } } }"
NEW_BUYER = {"phone": "13400000001", "password": "secret-pass-1", "name": "买家", "role": "BUYER"}
LOGIN = "mutation($input: LoginInput!) { login(input: $input) { token errors { code } } }"


async def test_a_postgres_restart_fails_requests_cleanly_and_the_server_recovers_by_itself(
    tmp_path: Path, unthrottled: None
) -> None:
    async with private_postgres() as pg:
        # Given a server on its own PostgreSQL, answering
        await db.migrate(pg.url)
        server = await start_server(pg.url, tmp_path)
        try:
            async with httpx.AsyncClient(base_url=server.url, timeout=CLIENT_TIMEOUT) as http:
                body = (await http.post("/graphql", json={"query": ROUTES})).json()
                assert body["data"] == {"routes": []} and "errors" not in body
                registered = await http.post(
                    "/graphql", json={"query": REGISTER, "variables": {"input": NEW_BUYER}}
                )
                token = registered.json()["data"]["register"]["token"]
                assert token, registered.text

                # When PostgreSQL goes down
                await asyncio.to_thread(pg.stop, "fast")
                # Then queries and mutations fail at once with a coded, retryable error
                for document, variables in (
                    (ROUTES, {}),
                    (VIEWER, {}),
                    (LOGIN, {"input": {"phone": "13400000001", "password": "whatever-1"}}),
                ):
                    response = await http.post(
                        "/graphql",
                        json={"query": document, "variables": variables},
                        headers={"Authorization": f"Bearer {token}"} if document == VIEWER else {},
                    )
                    assert response.status_code in (200, 503), response.text
                    errors = response.json()["errors"]
                    assert errors[0]["extensions"]["code"] == "DATABASE_UNAVAILABLE", errors
                    assert "retry" in errors[0]["message"].lower()
                # And /readyz says not ready
                assert (await http.get("/readyz")).status_code == 503

                # When PostgreSQL is back, the same server answers again, unrestarted
                await asyncio.to_thread(pg.start)
                for _ in range(100):
                    body = (await http.post("/graphql", json={"query": ROUTES})).json()
                    if "errors" not in body:
                        break
                    await asyncio.sleep(0.1)
                assert body["data"] == {"routes": []} and "errors" not in body
                assert server.process.poll() is None
        finally:
            server.stop()


DEMO_DISPATCHER = {"phone": "13800000001", "password": "demo-pass"}


async def _record_when_back(http: httpx.AsyncClient, token: str, trip_id: str) -> None:
    """recordTripEvent (a 5-minute delay), retried while the database is unavailable."""
    variables = {"input": {"tripId": trip_id, "kind": "DELAYED", "minutes": 5}}
    for _ in range(100):
        response = await http.post(
            "/graphql",
            json={"query": RECORD, "variables": variables},
            headers={"Authorization": f"Bearer {token}"},
        )
        body = response.json()
        codes = [e.get("extensions", {}).get("code") for e in body.get("errors", [])]
        if not codes and response.status_code == 200:
            assert body["data"]["recordTripEvent"]["errors"] == [], body
            return
        assert set(codes) <= {"DATABASE_UNAVAILABLE"}, body
        await asyncio.sleep(0.1)
    raise AssertionError("the server did not recover")


async def test_a_subscriber_resumes_from_its_cursor_after_a_postgres_restart(
    tmp_path: Path, unthrottled: None
) -> None:
    async with private_postgres() as pg:
        # Given the demo county on a private PostgreSQL, a server, and a dispatcher following a
        # trip who has seen its first event
        seeded = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "cungoods.cli", "seed", "--demo",
            env={**os.environ, "CUNGOODS_DATABASE_URL": pg.url, "CUNGOODS_SECRET_KEY": TEST_SECRET},
            stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        _, seed_errors = await seeded.communicate()
        assert seeded.returncode == 0, seed_errors.decode()
        server = await start_server(pg.url, tmp_path)
        try:
            async with httpx.AsyncClient(base_url=server.url, timeout=CLIENT_TIMEOUT) as http:
                login = await http.post(
                    "/graphql", json={"query": LOGIN, "variables": {"input": DEMO_DISPATCHER}}
                )
                token = login.json()["data"]["login"]["token"]
                today = clock.today().isoformat()
                trips = await http.post(
                    "/graphql", json={"query": f'{{ trips(date: "{today}") {{ id }} }}'}
                )
                trip_id = trips.json()["data"]["trips"][0]["id"]
                async with server.socket(token) as socket:
                    await socket.subscribe("t", TRIP_UPDATES, {"id": trip_id})
                    await _record_when_back(http, token, trip_id)
                    seen = await socket.next_event("t", "tripUpdates")

                    # When PostgreSQL restarts, and the trip runs later still once it is back
                    await asyncio.to_thread(pg.stop, "fast")
                    await asyncio.to_thread(pg.start)
                    await _record_when_back(http, token, trip_id)

                    # Then the subscriber gets the new event: on its subscription, or, if the
                    # server ended it, by subscribing again after the last cursor it saw
                    try:
                        missed = await socket.next_event("t", "tripUpdates")
                    except (Closed, AssertionError):
                        missed = None
                if missed is None:
                    async with server.socket(token) as again:
                        await again.subscribe(
                            "t", TRIP_UPDATES, {"id": trip_id, "after": seen["cursor"]}
                        )
                        missed = await again.next_event("t", "tripUpdates")
                assert missed["kind"] == "TRIP_DELAYED"
                assert from_cursor(missed["cursor"]) > from_cursor(seen["cursor"])
        finally:
            server.stop()
