"""Orders under real concurrency (PostgreSQL): many buyers racing for the last room on the bus,
the last units of stock, one idempotency key, cancellations and the cutoff.

Each race runs its calls as concurrent tasks on the server's own pool (40 connections), so
PostgreSQL really interleaves the transactions."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Awaitable

import pytest

from builders_orders import Shop, after_cutoff, make_shop, make_user, place, sold, used_g, viewer
from cungoods.models import Event, Order, Shipment
from cungoods.models.enums import OrderStatus, Role, ShipmentState
from cungoods.services import capacity, orders
from cungoods.services.errors import DomainError

pytestmark = pytest.mark.pg_only


async def outcomes(calls: list[Awaitable[Order]]) -> Counter[str]:
    """Run the calls at once; count successes ("OK") and error codes."""
    results = await asyncio.gather(*calls, return_exceptions=True)
    counted: Counter[str] = Counter()
    for result in results:
        if isinstance(result, Order):
            counted["OK"] += 1
        elif isinstance(result, DomainError):
            counted[result.code.value] += 1
        else:
            raise result  # an unexpected failure fails the test, with its traceback
    return counted


async def test_200_buyers_racing_for_room_for_50_orders(is_postgres: bool) -> None:
    # Each order is 2 bags of rice (2 kg) to the station at seq 2: room for exactly 50.
    shop = await make_shop(stations=3, capacity_g=100_000, stock=1000)

    counted = await outcomes([place(shop, station=2) for _ in range(200)])

    assert counted == Counter({"OK": 50, "NO_CAPACITY": 150})
    assert await used_g(shop.trip) == [100_000, 100_000, 0, 0]
    assert await Order.all().count() == 50
    assert await Shipment.filter(state=ShipmentState.RESERVED).count() == 50
    assert await sold(shop.item("RICE")) == 100
    assert await Event.filter(kind="ORDER_PLACED").count() == 50
    assert await capacity.invariant_violations() == []


async def test_200_buyers_racing_for_the_last_50_units(is_postgres: bool) -> None:
    shop = await make_shop(stations=3, stock=50)
    buyers = [shop.buyer, *[await make_user(Role.BUYER) for _ in range(3)]]

    counted = await outcomes(
        [place(shop, buyer=buyers[n % 4], station=1 + n % 3, lines={"RICE": 1}) for n in range(200)]
    )

    assert counted == Counter({"OK": 50, "OUT_OF_STOCK": 150})
    assert await sold(shop.item("RICE")) == 50
    assert await Order.all().count() == 50
    assert await Shipment.filter(state=ShipmentState.RESERVED).count() == 50
    # The refused orders reserved nothing on the bus either.
    assert sum(await used_g(shop.trip)) == sum(
        s.weight_g * (s.to_seq - s.from_seq) for s in await Shipment.all()
    )
    assert await capacity.invariant_violations() == []


async def test_100_retries_with_one_idempotency_key_make_one_order(is_postgres: bool) -> None:
    shop = await make_shop(stock=100)

    results = await asyncio.gather(*[place(shop, key="tap-once") for _ in range(100)])

    assert len({order.id for order in results}) == 1
    assert await Order.all().count() == 1
    assert await sold(shop.item("RICE")) == 2
    assert await Shipment.all().count() == 1
    assert await capacity.invariant_violations() == []


async def test_cancelling_while_others_order_gives_everything_back(is_postgres: bool) -> None:
    # Room for 50 orders of 2 kg; 40 are placed, then 40 cancel while 60 more race for room.
    shop = await make_shop(stations=3, capacity_g=100_000, stock=1000)
    placed = [await place(shop) for _ in range(40)]

    cancels = [
        orders.cancel_order(viewer=viewer(shop.buyer), order_id=order.id) for order in placed
    ]
    counted = await outcomes([*cancels, *[place(shop) for _ in range(60)]])

    live = await Order.exclude(status=OrderStatus.CANCELLED).count()
    assert counted["OK"] == 40 + live
    assert counted["OK"] + counted["NO_CAPACITY"] == 100
    # At least the 10 free places went; at most all 50 once every cancellation was through.
    assert 10 <= live <= 50
    assert await Order.filter(status=OrderStatus.CANCELLED).count() == 40
    assert await sold(shop.item("RICE")) == 2 * live
    assert await used_g(shop.trip) == [2000 * live, 2000 * live, 0, 0]
    assert await capacity.invariant_violations() == []


async def test_the_cutoff_misses_no_order_placed_while_it_runs(is_postgres: bool) -> None:
    shop = await make_shop(stock=1000)

    # Orders keep arriving, two every 10 ms for a second; the cutoff time comes in their midst
    # and the cutoff runs at once, while orders accepted just before it are still committing.
    async def place_later(n: int) -> Order:
        await asyncio.sleep(n // 2 / 100)
        return await place(shop)

    async def cutoff_soon() -> int:
        await asyncio.sleep(0.3)
        after_cutoff()
        return await orders.cut_off(window_id=shop.window.id)

    counted, confirmed = await asyncio.gather(
        outcomes([place_later(n) for n in range(200)]), cutoff_soon()
    )

    accepted = counted["OK"]
    assert accepted + counted["CUTOFF_PASSED"] == 200
    assert confirmed == accepted
    assert await Order.filter(status=OrderStatus.PLACED).count() == 0
    assert await Order.filter(status=OrderStatus.CONFIRMED).count() == accepted
    assert await Event.filter(kind="ORDER_CONFIRMED").count() == accepted
    assert await sold(shop.item("RICE")) == 2 * accepted
    assert await capacity.invariant_violations() == []


async def test_racing_cancels_of_one_order_give_back_once(is_postgres: bool) -> None:
    shop: Shop = await make_shop(stock=10)
    order = await place(shop, lines={"RICE": 4})

    counted = await outcomes(
        [orders.cancel_order(viewer=viewer(shop.buyer), order_id=order.id) for _ in range(20)]
    )

    assert counted == Counter({"OK": 1, "INVALID_STATE": 19})
    assert await sold(shop.item("RICE")) == 0
    assert set(await used_g(shop.trip)) == {0}
    assert await Event.filter(order_id=order.id, kind="ORDER_CANCELLED").count() == 1
    assert await capacity.invariant_violations() == []
