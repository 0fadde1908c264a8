"""Builders for live-status tests: a line with today's trip, orders and produce purchases put
straight on it (models plus capacity.reserve, each change written with its outbox event as the
use cases do), and a small graphql-transport-ws client for in-process and real servers."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import signal
import socket as socket_module
import subprocess
import sys
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from httpx_ws import AsyncWebSocketSession, WebSocketDisconnect, aconnect_ws
from httpx_ws.transport import ASGIWebSocketTransport
from starlette.applications import Starlette
from tortoise.transactions import in_transaction

from builders import (
    PASSWORD,
    TEST_SECRET,
    Network,
    fund_buyers,
    make_network,
    next_phone,
    schedule,
    token_for,
)
from cungoods.api.ids import to_global_id
from cungoods.app import create_app
from cungoods.config import Settings
from cungoods.events import outbox
from cungoods.models import (
    Order,
    ProduceListing,
    ProducePurchase,
    SaleWindow,
    Station,
    Trip,
    TripStop,
    User,
)
from cungoods.models.enums import Direction, OrderStatus, PurchaseStatus, Role
from cungoods.services import capacity, clock
from cungoods.services.auth import hash_password
from cungoods.services.capacity import Load

PROTOCOL = "graphql-transport-ws"
RECEIVE_TIMEOUT = 10.0  # a safety net so a broken test fails instead of hanging

_password_hash: list[str] = []
_numbers = {"order": 0, "purchase": 0}


async def make_user(*roles: Role, name: str = "测试用户", station: Station | None = None) -> User:
    """Like builders.make_user, hashing the password once per session (argon2 is slow)."""
    if not _password_hash:
        _password_hash.append(hash_password(PASSWORD))
    user = await User.create(
        phone=next_phone(),
        name=name,
        password_hash=_password_hash[0],
        roles=[role.value for role in roles],
        station=station,
    )
    await fund_buyers([user])
    return user


def gid(type_name: str, pk: int) -> str:
    return to_global_id(type_name, pk)


@dataclass
class Line:
    """A route with `stations` stops, today's trip, its driver and a dispatcher."""

    net: Network
    trip: Trip
    dispatcher: User

    @property
    def driver(self) -> User:
        return self.net.driver

    @property
    def last_seq(self) -> int:
        return len(self.net.stations) + 1

    def station(self, seq: int) -> Station:
        """The station at stop `seq` (1 is the first station)."""
        return self.net.stations[seq - 1]

    @property
    def trip_gid(self) -> str:
        return gid("Trip", self.trip.id)


async def make_line(*, stations: int = 3, code: str = "R1") -> Line:
    net = await make_network(stations=stations, code=code)
    trips = await schedule(net)
    dispatcher = await make_user(Role.DISPATCHER, name="调度员")
    return Line(net=net, trip=trips[0], dispatcher=dispatcher)


async def _window(day: Any) -> SaleWindow:
    window = await SaleWindow.get_or_none(service_date=day)
    if window is None:
        window = await SaleWindow.create(
            service_date=day, opens_at=clock.now(), cutoff_at=clock.now()
        )
    return window


async def place_order(
    line: Line, seq: int, buyer: User, *, weight_g: int = 2000, status: OrderStatus | None = None
) -> Order:
    """An order to the station at stop `seq`, riding the line's trip: capacity reserved hub ->
    station and ORDER_PLACED written, as placeOrder does (then moved to `status` if given)."""
    _numbers["order"] += 1
    async with in_transaction():
        shipment = await capacity.reserve(
            trip_id=line.trip.id,
            direction=Direction.DOWN,
            from_seq=0,
            to_seq=seq,
            load=Load(weight_g, weight_g, 0),
        )
        order = await Order.create(
            number=f"T{_numbers['order']:06d}",
            buyer=buyer,
            station=line.station(seq),
            window=await _window(line.trip.service_date),
            service_date=line.trip.service_date,
            trip=line.trip,
            shipment=shipment,
            status=OrderStatus.PLACED,
            total_fen=1280,
            pickup_code="246810",
        )
        await outbox.record_order_status(order, message="order placed")
    if status is not None and status is not OrderStatus.PLACED:
        await move_order(order, status)
    return order


async def move_order(order: Order, status: OrderStatus, message: str = "") -> Order:
    """Stand-in for the use cases of the orders issue (cutoff, pickup): the status and its event
    in one transaction."""
    async with in_transaction():
        await Order.filter(id=order.id).update(status=status)
        order.status = status
        await outbox.record_order_status(order, message=message or status.value.lower())
    return order


async def make_listing(line: Line, seq: int, farmer: User) -> ProduceListing:
    return await ProduceListing.create(
        farmer=farmer,
        title="椪柑",
        category="水果",
        unit="斤",
        unit_weight_g=500,
        unit_volume_cm3=800,
        price_fen=600,
        quantity=1000,
        station=line.station(seq),
        ready_from=line.trip.service_date,
        ready_until=line.trip.service_date,
    )


async def buy_produce(
    line: Line,
    seq: int,
    buyer: User,
    farmer: User,
    *,
    quantity: int = 20,
    status: PurchaseStatus | None = None,
) -> ProducePurchase:
    """Produce bought at the station at stop `seq`, riding the trip from there to the hub:
    capacity reserved and PURCHASE_RESERVED written, as buyProduce does."""
    listing = await make_listing(line, seq, farmer)
    _numbers["purchase"] += 1
    async with in_transaction():
        shipment = await capacity.reserve(
            trip_id=line.trip.id,
            direction=Direction.UP,
            from_seq=seq,
            to_seq=line.last_seq,
            load=Load(quantity * 500, quantity * 800, 0),
        )
        purchase = await ProducePurchase.create(
            number=f"P{_numbers['purchase']:06d}",
            buyer=buyer,
            listing=listing,
            station=line.station(seq),
            quantity=quantity,
            unit_price_fen=600,
            total_fen=quantity * 600,
            trip=line.trip,
            shipment=shipment,
            status=PurchaseStatus.RESERVED,
            collect_code="135790",
        )
        await outbox.record_purchase_status(purchase, farmer_id=farmer.id, message="bought")
    if status is not None and status is not PurchaseStatus.RESERVED:
        await move_purchase(purchase, status)
    return purchase


async def move_purchase(
    purchase: ProducePurchase, status: PurchaseStatus, message: str = ""
) -> ProducePurchase:
    """Stand-in for the use cases of the produce issue (handover, hub receipt, collection)."""
    listing = await ProduceListing.get(id=purchase.listing_id)
    async with in_transaction():
        await ProducePurchase.filter(id=purchase.id).update(status=status)
        purchase.status = status
        await outbox.record_purchase_status(
            purchase, farmer_id=listing.farmer_id, message=message or status.value.lower()
        )
    return purchase


async def stops_of(trip: Trip) -> list[TripStop]:
    return await TripStop.filter(trip_id=trip.id).order_by("seq")


# --- GraphQL over WebSocket --------------------------------------------------------------------


RECORD = """
mutation($input: RecordTripEventInput!) {
  recordTripEvent(input: $input) {
    trip { id status delayMinutes stops { seq expectedAt arrivedAt departedAt } }
    errors { code message field }
  }
}
"""

EVENT_FIELDS = "id cursor kind topic stopSeq message status"


def subscription(field: str, args: str = "", fields: str = EVENT_FIELDS) -> str:
    """`subscription { field(args) { fields } }` with `$after` passed through."""
    variables = "($id: ID!, $after: String)" if args else "($after: String)"
    call = f"{field}({args}, after: $after)" if args else f"{field}(after: $after)"
    return f"subscription{variables} {{ {call} {{ {fields} }} }}"


TRIP_UPDATES = subscription("tripUpdates", "tripId: $id")
ORDER_UPDATES = subscription("orderUpdates", "orderId: $id")
PURCHASE_UPDATES = subscription("purchaseUpdates", "purchaseId: $id")
STATION_UPDATES = subscription("stationUpdates", "stationId: $id")
MY_UPDATES = subscription("myUpdates")


class Closed(Exception):
    """The server closed the socket."""

    def __init__(self, code: int, reason: str | None) -> None:
        super().__init__(f"closed {code}: {reason}")
        self.code = code
        self.reason = reason


class GqlSocket:
    """A graphql-transport-ws client over an httpx-ws session (in-process) or a `websockets`
    connection (real servers)."""

    def __init__(self, transport: Any, server: LiveServer | ServerProcess | None = None) -> None:
        self._transport = transport
        self._server = server
        self.followed = 0  # subscriptions registered through follow()

    async def send(self, message: dict[str, Any]) -> None:
        if isinstance(self._transport, AsyncWebSocketSession):
            await self._transport.send_json(message)
        else:
            await self._transport.send(json.dumps(message))

    async def receive(self) -> dict[str, Any]:
        """The next message; Closed if the server closed the socket."""
        timeout = RECEIVE_TIMEOUT
        if isinstance(self._transport, AsyncWebSocketSession):
            try:
                message: dict[str, Any] = await self._transport.receive_json(timeout=timeout)
            except WebSocketDisconnect as closed:
                raise Closed(closed.code, closed.reason) from closed
            return message
        from websockets.exceptions import ConnectionClosed

        try:
            raw = await asyncio.wait_for(self._transport.recv(), timeout)
        except ConnectionClosed as closed:
            code = closed.rcvd.code if closed.rcvd else 1006
            raise Closed(code, closed.rcvd.reason if closed.rcvd else None) from closed
        decoded: dict[str, Any] = json.loads(raw)
        return decoded

    async def init(self, token: str | None = None) -> dict[str, Any]:
        await self.send({"type": "connection_init", "payload": {"token": token} if token else {}})
        return await self.receive()

    async def subscribe(
        self, op_id: str, query: str, variables: dict[str, Any] | None = None
    ) -> None:
        payload = {"query": query, "variables": variables or {}}
        await self.send({"id": op_id, "type": "subscribe", "payload": payload})

    async def follow(self, op_id: str, query: str, variables: dict[str, Any] | None = None) -> None:
        """Subscribe, and return once the server has registered the subscription (so an event
        written next is sure to reach it)."""
        assert self._server is not None
        before = await self._server.subscriber_count()
        await self.subscribe(op_id, query, variables)
        await until_count(self._server, lambda count: count > before)
        self.followed += 1

    async def closed_cleanly(self, open_count: int) -> None:
        """After the socket closed: wait until the server has let go of its subscriptions (so the
        next test step counts from a settled number)."""
        if self._server is not None and self.followed:
            settled = max(0, open_count - self.followed)
            await until_count(self._server, lambda count: count <= settled)

    async def complete(self, op_id: str) -> None:
        await self.send({"id": op_id, "type": "complete"})

    async def next_event(self, op_id: str, field: str) -> dict[str, Any]:
        """The next DeliveryEvent of operation `op_id` (fails on anything else)."""
        message = await self.receive()
        assert message.get("id") == op_id and message["type"] == "next", message
        assert "errors" not in message["payload"], message
        event: dict[str, Any] = message["payload"]["data"][field]
        return event

    async def events(self, op_id: str, field: str, count: int) -> list[dict[str, Any]]:
        return [await self.next_event(op_id, field) for _ in range(count)]

    async def error_of(self, op_id: str) -> dict[str, Any]:
        """The error an operation ended with: its first GraphQL error, after which the server
        completes the operation."""
        message = await self.receive()
        assert message.get("id") == op_id, message
        if message["type"] == "error":
            error: dict[str, Any] = message["payload"][0]
            return error
        assert message["type"] == "next" and message["payload"].get("errors"), message
        completed = await self.receive()
        assert completed == {"id": op_id, "type": "complete"}, completed
        first: dict[str, Any] = message["payload"]["errors"][0]
        return first


async def until_count(server: LiveServer | ServerProcess, holds: Callable[[int], bool]) -> None:
    for _ in range(1000):
        if holds(await server.subscriber_count()):
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the server's subscriber count never got there")


@dataclass
class LiveServer:
    """The app with its lifespan running (broker started), reachable over HTTP and WebSocket."""

    app: Starlette
    http: httpx.AsyncClient

    @contextlib.asynccontextmanager
    async def socket(self, token: str | None = None) -> AsyncIterator[GqlSocket]:
        """A graphql-transport-ws connection, initialised (with `token` if given)."""
        async with aconnect_ws("/graphql", self.http, subprotocols=[PROTOCOL]) as session:
            socket = GqlSocket(session, self)
            ack = await socket.init(token)
            assert ack["type"] == "connection_ack", ack
            yield socket
            open_count = await self.subscriber_count()
        await socket.closed_cleanly(open_count)

    @contextlib.asynccontextmanager
    async def raw_socket(self) -> AsyncIterator[GqlSocket]:
        async with aconnect_ws("/graphql", self.http, subprotocols=[PROTOCOL]) as session:
            yield GqlSocket(session)

    async def subscriber_count(self) -> int:
        count: int = self.app.state.broker.subscriber_count
        return count

    async def record(self, token: str, **fields: Any) -> dict[str, Any]:
        """recordTripEvent over HTTP; returns its payload."""
        response = await self.http.post(
            "/graphql",
            json={"query": RECORD, "variables": {"input": fields}},
            headers={"Authorization": f"Bearer {token}"},
        )
        body = response.json()
        assert "errors" not in body, body
        payload: dict[str, Any] = body["data"]["recordTripEvent"]
        return payload


@contextlib.asynccontextmanager
async def live_server(settings: Settings) -> AsyncIterator[LiveServer]:
    """The app in-process with its lifespan (the test's database connections stay open)."""
    app = create_app(settings, manage_db=False)
    async with app.router.lifespan_context(app):
        transport = ASGIWebSocketTransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as http:
            yield LiveServer(app=app, http=http)


def driver_token(line: Line) -> str:
    return token_for(line.driver)


# --- counting SQL statements ---------------------------------------------------------------


class _StatementLog(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.statements: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if not message.startswith(("Created connection", "Closed connection")):
            self.statements.append(message)


@contextlib.contextmanager
def statements() -> Iterator[list[str]]:
    """The SQL statements Tortoise sends inside the block."""
    logger = logging.getLogger("tortoise.db_client")
    handler = _StatementLog()
    saved = (logger.level, logger.propagate)
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    logger.addHandler(handler)
    try:
        yield handler.statements
    finally:
        logger.removeHandler(handler)
        logger.setLevel(saved[0])
        logger.propagate = saved[1]


# --- real server processes -------------------------------------------------------------------


def free_port() -> int:
    with socket_module.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class ServerProcess:
    """`uvicorn cungoods.app:create_app --factory` on 127.0.0.1, its output kept in a file."""

    process: subprocess.Popen[bytes]
    port: int
    log: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/graphql"

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def stop(self) -> int:
        """SIGTERM, as a process manager would; the exit code."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.process.returncode

    @contextlib.asynccontextmanager
    async def socket(self, token: str | None = None) -> AsyncIterator[GqlSocket]:
        from websockets.asyncio.client import connect

        async with connect(self.ws_url, subprotocols=[PROTOCOL]) as connection:  # type: ignore[list-item]
            socket = GqlSocket(connection, self)
            ack = await socket.init(token)
            assert ack["type"] == "connection_ack", ack
            yield socket
            if self.process.poll() is not None:
                return  # the server is gone (the test stopped it)
            open_count = await self.subscriber_count()
        await socket.closed_cleanly(open_count)

    async def subscriber_count(self) -> int:
        count: int = (await self.health())["subscribers"]
        return count

    async def health(self) -> dict[str, Any]:
        async with httpx.AsyncClient(base_url=self.url, timeout=5) as http:
            body: dict[str, Any] = (await http.get("/healthz")).json()
            return body

    async def record(self, token: str, **fields: Any) -> dict[str, Any]:
        async with httpx.AsyncClient(base_url=self.url, timeout=30) as http:
            response = await http.post(
                "/graphql",
                json={"query": RECORD, "variables": {"input": fields}},
                headers={"Authorization": f"Bearer {token}"},
            )
        body = response.json()
        assert "errors" not in body, body
        payload: dict[str, Any] = body["data"]["recordTripEvent"]
        return payload


def spawn_server(database_url: str, log_dir: Path) -> ServerProcess:
    port = free_port()
    log = log_dir / f"server-{port}.log"
    env = {
        **os.environ,
        "CUNGOODS_DATABASE_URL": database_url,
        "CUNGOODS_SECRET_KEY": TEST_SECRET,
        "CUNGOODS_DEMO": "0",
    }
    command = ["uvicorn", "cungoods.app:create_app", "--factory", "--host", "127.0.0.1"]
    command += ["--port", str(port), "--log-level", "warning"]
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", *command], env=env, stdout=out, stderr=subprocess.STDOUT
        )
    return ServerProcess(process=process, port=port, log=log)


async def start_server(database_url: str, log_dir: Path) -> ServerProcess:
    """A server process on a free port against `database_url`, once its listener is up."""
    server = spawn_server(database_url, log_dir)
    for _ in range(300):
        if server.process.poll() is not None:
            raise AssertionError(f"the server exited:\n{server.output()}")
        with contextlib.suppress(httpx.TransportError):
            if (await server.health()).get("listener"):
                return server
        await asyncio.sleep(0.1)
    server.stop()
    raise AssertionError(f"the server did not come up:\n{server.output()}")
