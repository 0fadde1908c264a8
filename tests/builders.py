"""Small builders for test data: a few stations on a route, users with roles, tokens."""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass, field
from typing import Any

import httpx
from prometheus_client.parser import text_string_to_metric_families
from tortoise.transactions import in_transaction

from cungoods.models import (
    Event,
    Hub,
    Order,
    ProducePurchase,
    Route,
    RouteStop,
    Station,
    Trip,
    User,
    Vehicle,
)
from cungoods.models.enums import AccountKind, LedgerKind, Role
from cungoods.services import accounts, catalog, clock, listings, scheduling
from cungoods.services.auth import hash_password, issue_token
from cungoods.services.money import ledger
from cungoods.services.scheduling import ensure_trips

TEST_SECRET = "test-secret-key-for-signing-tokens-0123456789"
PASSWORD = "secret-pass-1"


@dataclass
class Network:
    hub: Hub
    route: Route
    vehicle: Vehicle
    stations: list[Station]
    driver: User
    extra: dict[str, Any] = field(default_factory=dict)


_counter = {"phone": 0}


def next_phone() -> str:
    # 1340… numbers: no demo account uses them, so tests may also seed the demo county.
    _counter["phone"] += 1
    return f"1340{_counter['phone']:07d}"


@functools.cache
def password_hash() -> str:
    """One argon2 hash for every test user: hashing is deliberately slow."""
    return hash_password(PASSWORD)


# What a test buyer starts with in their wallet: enough for any order a test places (an order
# is paid from the wallet by default), far from what the overflow checks care about.
BUYER_WALLET_FEN = 10_000_000


async def fund_wallet(user_id: int, amount_fen: int = BUYER_WALLET_FEN) -> None:
    """Credit a buyer's wallet through the ledger, as if paid in through the provider (a TOP_UP
    from the clearing account), so the ledger invariant holds in every test."""
    if amount_fen <= 0:
        return
    async with in_transaction():
        wallet = await ledger.account(AccountKind.BUYER_WALLET, user_id)
        clearing = await ledger.account(AccountKind.PAYMENTS_CLEARING)
        await ledger.post(
            LedgerKind.TOP_UP,
            ledger.transfer(source=clearing, target=wallet, amount_fen=amount_fen),
            memo="test funds",
        )


async def fund_buyers(
    users: list[User] | tuple[User, ...], amount_fen: int = BUYER_WALLET_FEN
) -> None:
    """Fund every BUYER among `users` (for users made without these builders, or registered
    through the API)."""
    for user in users:
        if Role.BUYER.value in user.roles:
            await fund_wallet(user.id, amount_fen)


async def make_user(
    *roles: Role,
    name: str = "测试用户",
    station: Station | None = None,
    phone: str | None = None,
    wallet_fen: int = BUYER_WALLET_FEN,
) -> User:
    """A user with roles; a BUYER starts with `wallet_fen` in their wallet (0 for none)."""
    user = await User.create(
        phone=phone or next_phone(),
        name=name,
        password_hash=password_hash(),
        roles=[role.value for role in roles],
        station=station,
    )
    if Role.BUYER in roles:
        await fund_wallet(user.id, wallet_fen)
    return user


async def fund_phone(phone: str, amount_fen: int = BUYER_WALLET_FEN) -> None:
    """Fund the wallet of the buyer registered (through the API) with this phone."""
    user = await User.get(phone=phone)
    await fund_wallet(user.id, amount_fen)


def token_for(user: User) -> str:
    return issue_token(user_id=user.id, secret=TEST_SECRET, ttl_seconds=3600)


async def make_network(
    *,
    code: str = "R1",
    stations: int = 4,
    capacity_g: int = 1_000_000,
    capacity_cm3: int = 8_000_000,
    chilled_g: int = 300_000,
    departure: str = "06:00",
    hub: Hub | None = None,
) -> Network:
    """A route from a hub through `stations` villages and back, with a vehicle and a driver."""
    hub = hub or await Hub.create(
        code=f"HUB-{code}", name="衢江区城乡供应链中心", lat=28.98, lng=118.96
    )
    vehicle = await Vehicle.create(
        plate=f"浙H·{code}001",
        capacity_g=capacity_g,
        capacity_cm3=capacity_cm3,
        chilled_capacity_g=chilled_g,
    )
    driver = await make_user(Role.DRIVER, name=f"{code}司机")
    route = await Route.create(
        code=code,
        name=f"村货巴士{code}",
        hub=hub,
        vehicle=vehicle,
        driver=driver,
        departure_times=[departure],
        days_of_week=[1, 2, 3, 4, 5, 6, 7],
        return_minutes=30 + 10 * stations,
    )
    made = []
    for i in range(stations):
        station = await Station.create(
            code=f"{code}-S{i + 1:02d}",
            name=f"{code}第{i + 1}村服务站",
            township="高家镇",
            village=f"{code}第{i + 1}村",
            lat=29.0 + i / 100,
            lng=119.0 + i / 100,
        )
        await RouteStop.create(
            route=route, seq=i + 1, station=station, minutes_from_departure=20 + 10 * i
        )
        made.append(station)
    return Network(hub=hub, route=route, vehicle=vehicle, stations=made, driver=driver)


async def schedule(network: Network, day: dt.date | None = None, days: int = 1) -> list[Trip]:
    start = day or clock.today()
    return await ensure_trips(
        route_code=network.route.code, start=start, end=start + dt.timedelta(days=days - 1)
    )


async def gql(
    client: httpx.AsyncClient,
    query: str,
    variables: dict[str, Any] | None = None,
    *,
    token: str | None = None,
    expect_errors: bool = False,
) -> dict[str, Any]:
    """POST a GraphQL operation; returns the whole response body. Fails on GraphQL errors unless
    `expect_errors`."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    response = await client.post(
        "/graphql", json={"query": query, "variables": variables or {}}, headers=headers
    )
    body = response.json()
    if not expect_errors:
        assert response.status_code == 200, body
        assert "errors" not in body, body["errors"]
    return body


# Events the setup's use cases record for the response cache (trips scheduled, sale windows,
# listings, roles): not the changes a test watches for.
SETUP_EVENT_KINDS = (
    scheduling.TRIP_SCHEDULED,
    catalog.SALE_WINDOW_CHANGED,
    listings.LISTING_CHANGED,
    accounts.ROLE_ASSIGNED,
)


async def change_events() -> int:
    """Outbox events besides the setup's: a refused action must have recorded none."""
    return await Event.exclude(kind__in=SETUP_EVENT_KINDS).count()


async def moves_name_the_trip_they_left() -> int:
    """Check the event log: every event of an order or a purchase that puts it on another trip
    names the trip it left (`from_trip_id`, which the response cache judges a move by), no other
    event names one, and each one's last event is of the trip it rides now. Returns the moves.
    Events of no trip (a commission credited) concern every cached answer and are skipped."""
    moves = 0
    for key, model in (("order_id", Order), ("purchase_id", ProducePurchase)):
        rides_now = dict(await model.all().values_list("id", "trip_id"))
        last: dict[int, int] = {}
        for thing, trip_id, moved_from in (
            await Event.filter(**{f"{key}__not_isnull": True}, trip_id__not_isnull=True)
            .order_by("id")
            .values_list(key, "trip_id", "from_trip_id")
        ):
            if thing in last and trip_id != last[thing]:
                assert moved_from == last[thing], (key, thing, trip_id)
                moves += 1
            else:
                assert moved_from is None, (key, thing, trip_id)
            last[thing] = trip_id
        assert last == {thing: rides_now[thing] for thing in last}, key
    return moves


async def sample(client: httpx.AsyncClient, name: str, **labels: str) -> float:
    """The value of one sample on /metrics (0 when it is not there yet)."""
    response = await client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    for family in text_string_to_metric_families(response.text):
        for found in family.samples:
            if found.name == name and all(found.labels.get(k) == v for k, v in labels.items()):
                return float(found.value)
    return 0.0
