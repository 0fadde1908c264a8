"""`cungoods seed --demo`: the demo county of DESIGN.md, built from county_data.

Every step looks up what exists by its natural key (hub code, plate, station code, route code,
phone) and adds only what is missing, so running it twice changes nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import TypeVar

from tortoise.models import Model
from tortoise.transactions import in_transaction

from cungoods.models import (
    Account,
    Hub,
    ProduceListing,
    Product,
    Route,
    RouteStop,
    Station,
    User,
    Vehicle,
)
from cungoods.models.enums import AccountKind, LedgerKind, Role
from cungoods.seed import county_data as data
from cungoods.seed.catalog import seed_catalog
from cungoods.seed.produce import seed_produce
from cungoods.services import clock
from cungoods.services.auth import hash_password
from cungoods.services.money import ledger
from cungoods.services.scheduling import ensure_trips

DEMO_PASSWORD = "demo-pass"
TRIP_DAYS = 8  # today and the next 7 days
M = TypeVar("M", bound=Model)


def admin_phone() -> str:
    return "13800000000"


def dispatcher_phone() -> str:
    return "13800000001"


def driver_phone(route_number: int) -> str:
    return f"1370000000{route_number}"


def leader_phone(station_number: int) -> str:
    return f"1390000{station_number:04d}"


def farmer_phone(number: int) -> str:
    return f"136000000{number:02d}"


def buyer_phone(number: int) -> str:
    return f"135000000{number:02d}"


async def _add_missing(model: type[M], key: str, rows: Iterable[M]) -> dict[str, M]:
    """Insert the rows whose `key` is not stored yet; return every row of `model` by key."""
    rows = list(rows)
    existing = {
        getattr(row, key)
        for row in await model.filter(**{f"{key}__in": [getattr(r, key) for r in rows]})
    }
    missing = [row for row in rows if getattr(row, key) not in existing]
    if missing:
        await model.bulk_create(missing)
    stored = await model.filter(**{f"{key}__in": [getattr(r, key) for r in rows]})
    return {getattr(row, key): row for row in stored}


async def seed_network() -> None:
    """Hub, vehicles, stations, staff and villagers, routes with their stops."""
    hub = (await _add_missing(Hub, "code", [Hub(**_fields(data.HUB))]))[data.HUB.code]
    vehicles = await _add_missing(
        Vehicle, "plate", [Vehicle(**_fields(r.vehicle)) for r in data.ROUTES]
    )
    stations = await _add_missing(
        Station,
        "code",
        [Station(**_fields(s, drop=("minutes_from_departure",))) for s in data.STATIONS],
    )

    # One argon2 hash for every demo account: they share the documented password anyway, and
    # hashing 238 times would make the first start take seconds.
    password_hash = hash_password(DEMO_PASSWORD)

    def user(phone: str, name: str, role: Role, station_code: str | None = None) -> User:
        station = stations[station_code] if station_code else None
        return User(
            phone=phone, name=name, password_hash=password_hash, roles=[role.value], station=station
        )

    people = [
        user(admin_phone(), "系统管理员", Role.ADMIN),
        user(dispatcher_phone(), "调度员 陈思", Role.DISPATCHER),
        *(user(driver_phone(i), name, Role.DRIVER) for i, name in enumerate(data.DRIVER_NAMES, 1)),
        *(
            user(leader_phone(i), name, Role.LEADER, station.code)
            for i, (station, name) in enumerate(
                zip(data.STATIONS, data.LEADER_NAMES, strict=True), 1
            )
        ),
        *(
            user(farmer_phone(i), f.name, Role.FARMER, f.station_code)
            for i, f in enumerate(data.FARMERS, 1)
        ),
        *(
            user(buyer_phone(i), b.name, Role.BUYER, b.station_code)
            for i, b in enumerate(data.BUYERS, 1)
        ),
    ]
    users = await _add_missing(User, "phone", people)

    routes = await _add_missing(
        Route,
        "code",
        [
            Route(
                code=r.code,
                name=r.name,
                hub=hub,
                vehicle=vehicles[r.vehicle.plate],
                driver=users[driver_phone(number)],
                departure_times=list(r.departure_times),
                days_of_week=list(r.days_of_week),
                return_minutes=r.return_minutes,
            )
            for number, r in enumerate(data.ROUTES, 1)
        ],
    )
    for r in data.ROUTES:
        route = routes[r.code]
        if await RouteStop.filter(route_id=route.id).exists():
            continue
        await RouteStop.bulk_create(
            [
                RouteStop(
                    route_id=route.id,
                    seq=seq,
                    station_id=stations[stop.code].id,
                    minutes_from_departure=stop.minutes_from_departure,
                )
                for seq, stop in enumerate(r.stops, 1)
            ]
        )


async def seed_trips(days: int = TRIP_DAYS) -> None:
    today = clock.today()
    for r in data.ROUTES:
        await ensure_trips(route_code=r.code, start=today, end=today + dt.timedelta(days=days - 1))


async def seed_demo() -> str:
    """Build (or complete) the demo county; returns a one-line summary."""
    async with in_transaction():
        await seed_network()
        await fund_wallets(
            await User.filter(phone__in=[buyer_phone(i) for i in range(1, len(data.BUYERS) + 1)])
        )
    await _top_up()
    return (
        f"demo county ready: {await Station.all().count()} stations, "
        f"{await Route.all().count()} routes, {await User.all().count()} accounts "
        f"(password {DEMO_PASSWORD!r}), {await Product.all().count()} products, "
        f"{await ProduceListing.all().count()} produce listings"
    )


# What a demo buyer (and a simulated villager) starts with: 2,000 yuan, topped up in cash at
# their station (村站代充), so the leader's cash account owes it to the hub.
STARTING_WALLET_FEN = 200_000


async def fund_wallets(buyers: Iterable[User], amount_fen: int = STARTING_WALLET_FEN) -> int:
    """Top up every buyer whose wallet was never opened, through the ledger, from their
    station leader's cash (or the provider's clearing for a buyer without a station); call
    inside a transaction. Returns how many were funded (seeding again funds nobody twice)."""
    buyers = list(buyers)
    opened = {
        str(key)
        for key in await Account.filter(
            key__in=[ledger.account_key(AccountKind.BUYER_WALLET, b.id) for b in buyers]
        ).values_list("key", flat=True)
    }
    leaders = {
        u.station_id: u.id
        for u in await User.filter(station_id__not_isnull=True)
        if Role.LEADER.value in u.roles
    }
    funded = 0
    for buyer in buyers:
        if ledger.account_key(AccountKind.BUYER_WALLET, buyer.id) in opened:
            continue
        leader_id = leaders.get(buyer.station_id)
        source = (
            await ledger.account(AccountKind.LEADER_CASH, leader_id)
            if leader_id is not None
            else await ledger.account(AccountKind.PAYMENTS_CLEARING)
        )
        await ledger.post(
            LedgerKind.TOP_UP,
            ledger.transfer(
                source=source,
                target=await ledger.account(AccountKind.BUYER_WALLET, buyer.id),
                amount_fen=amount_fen,
            ),
            memo="demo: starting balance topped up at the station",
        )
        funded += 1
    return funded


async def _top_up() -> None:
    """What moves with the calendar: trips and sale windows for the coming days, and produce
    listings ready from today."""
    await seed_trips()
    await seed_catalog(days=TRIP_DAYS)
    await seed_produce()


async def seed_if_empty() -> None:
    """On `serve`: an empty database gets the demo county; trips, sale windows and listings are
    topped up on every start, so a demo left for days still has today's buses and goods."""
    if not await Hub.exists():
        await seed_demo()
    elif await Route.filter(code=data.ROUTES[0].code).exists():
        await _top_up()


def _fields(record: object, drop: tuple[str, ...] = ()) -> dict[str, object]:
    names = [name for name in record.__dataclass_fields__ if name not in drop]  # type: ignore[attr-defined]
    return {name: getattr(record, name) for name in names}
