"""Builders for upstream tests: farmers, buyers, leaders, listings, a pinned clock, and
downstream load put on a trip directly through the capacity mechanism."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
from tortoise.transactions import in_transaction

from builders import PASSWORD, fund_buyers, gql, next_phone, token_for
from cungoods.api.ids import to_global_id
from cungoods.models import Leg, ProduceListing, Shipment, Station, User
from cungoods.models.enums import Direction, Role, Temperature
from cungoods.services import capacity, clock
from cungoods.services.auth import hash_password
from cungoods.services.capacity import Load

PURCHASE_FIELDS = """
  id number quantity handedOverQuantity unitPriceFen totalFen status collectCode
  station { code } trip { id serviceDate } load { weightG volumeCm3 chilledG }
  listing { id remaining sold }
"""
BUY = f"""
mutation($input: BuyProduceInput!) {{
  buyProduce(input: $input) {{ purchase {{ {PURCHASE_FIELDS} }} errors {{ code message field }} }}
}}
"""


def pin_clock(hhmm: str = "05:00", days: int = 0) -> dt.date:
    """Set the service clock to `hhmm` today (+ `days`), so tests do not depend on when they run
    (a bus that left at 06:00 is no use at 15:00). Returns the service date."""
    real_now = dt.datetime.now(clock.tz())
    target = clock.at(real_now.date() + dt.timedelta(days=days), hhmm)
    clock.shift(target - real_now)
    return clock.today()


_hash: list[str] = []


async def make_person(*roles: Role, name: str = "测试用户", station: Station | None = None) -> User:
    """A user who signs in with builders.PASSWORD; the hash is made once per run (argon2 takes
    a fifth of a second, and upstream tests need many people)."""
    if not _hash:
        _hash.append(hash_password(PASSWORD))
    user = await User.create(
        phone=next_phone(),
        name=name,
        password_hash=_hash[0],
        roles=[role.value for role in roles],
        station=station,
    )
    await fund_buyers([user])
    return user


async def make_farmer(station: Station, name: str = "柴建新") -> User:
    return await make_person(Role.FARMER, name=name, station=station)


async def make_buyer(name: str = "城里买家") -> User:
    return await make_person(Role.BUYER, name=name)


async def make_leader(station: Station) -> User:
    return await make_person(Role.LEADER, name="村站团长", station=station)


async def make_dispatcher() -> User:
    return await make_person(Role.DISPATCHER, name="调度员")


async def make_listing(
    farmer: User, station: Station | None = None, **fields: Any
) -> ProduceListing:
    """A listing stored directly (any state a test needs): 100 斤 of ponkan at 500 g a 斤,
    ready today for three days, handed over at the farmer's station."""
    today = clock.today()
    values: dict[str, Any] = {
        "title": "高山椪柑 新鲜采摘",
        "category": "水果",
        "variety": "",
        "unit": "斤",
        "unit_weight_g": 500,
        "unit_volume_cm3": 1000,
        "price_fen": 350,
        "quantity": 100,
        "min_quantity": 1,
        "ready_from": today,
        "ready_until": today + dt.timedelta(days=3),
        "temperature": Temperature.AMBIENT,
        "description": "农户自产",
    }
    values.update(fields)
    chosen = station or await Station.get(id=farmer.station_id)
    return await ProduceListing.create(farmer=farmer, station=chosen, **values)


async def load_down(*, trip_id: int, to_seq: int, weight_g: int, volume_cm3: int = 0) -> Shipment:
    """Downstream goods for the station at `to_seq`, reserved as an order would (hub → station)."""
    async with in_transaction():
        return await capacity.reserve(
            trip_id=trip_id,
            direction=Direction.DOWN,
            from_seq=0,
            to_seq=to_seq,
            load=Load(weight_g, volume_cm3, 0),
        )


async def legs_of(trip_id: int) -> list[Leg]:
    return await Leg.filter(trip_id=trip_id).order_by("seq")


def gid(type_name: str, pk: int) -> str:
    return to_global_id(type_name, pk)


async def buy(
    client: httpx.AsyncClient,
    buyer: User,
    listing: ProduceListing,
    quantity: int,
    key: str | None = None,
) -> dict[str, Any]:
    """buyProduce over GraphQL; returns the payload."""
    variables = {
        "input": {
            "listingId": gid("ProduceListing", listing.id),
            "quantity": quantity,
            "idempotencyKey": key,
        }
    }
    body = await gql(client, BUY, variables, token=token_for(buyer))
    payload: dict[str, Any] = body["data"]["buyProduce"]
    return payload


def codes(payload: dict[str, Any]) -> list[tuple[str, list[str] | None]]:
    return [(error["code"], error["field"]) for error in payload["errors"]]


@contextmanager
def sql_statements() -> Iterator[list[str]]:
    """The SQL statements Tortoise sends inside the block (it logs each at DEBUG)."""
    logger = logging.getLogger("tortoise.db_client")
    sent: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            message = record.getMessage()
            if not message.startswith(("Created connection", "Closed connection")):
                sent.append(message)

    handler = Collect(level=logging.DEBUG)
    saved = (logger.level, logger.propagate)
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    logger.addHandler(handler)
    try:
        yield sent
    finally:
        logger.removeHandler(handler)
        logger.setLevel(saved[0])
        logger.propagate = saved[1]
