"""Orders under real concurrency (PostgreSQL): many buyers racing for the last room on the bus,
the last units of stock, one idempotency key, cancellations and the cutoff.

Each race runs its calls as concurrent tasks on the server's own pool (40 connections) and
proves they overlapped (tests/races.py): a row lock the racers need is held until as many of
them as the pool allows wait for it inside their transactions, then all go at once. A test whose
calls happened to run one after another fails."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Awaitable

import pytest

from builders_orders import Shop, after_cutoff, make_shop, make_user, place, sold, used_g, viewer
from cungoods.models import Event, Leg, Order, SaleItem, SaleWindow, Shipment
from cungoods.models.enums import OrderStatus, Role, ShipmentState
from cungoods.services import capacity, orders
from cungoods.services.errors import DomainError
from races import holding, pool_size

pytestmark = pytest.mark.pg_only


async def outcomes(calls: list[Awaitable[Order]]) -> Counter[str]:
    """Run the calls at once (or collect the outcomes of racers already run); count successes
    ("OK") and error codes."""
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

    # With the bus's legs locked, the first buyer to take stock waits for them and the others
    # for the stock, all inside their transactions; then they all go at once.
    async with holding(Leg, trip_id=shop.trip.id) as race:
        racers = race.start(place(shop, station=2) for _ in range(200))
        await race.blocked(min(200, pool_size()))
    counted = await outcomes(racers)

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

    # Every buyer reaches the conditional decrement of the rice's stock (locked here) and waits
    # there; then they all go at once.
    async with holding(SaleItem, id=shop.item("RICE").id) as race:
        racers = race.start(
            place(shop, buyer=buyers[n % 4], station=1 + n % 3, lines={"RICE": 1})
            for n in range(200)
        )
        await race.blocked(min(200, pool_size()))
    counted = await outcomes(racers)

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

    # The first retry claims the key and waits for the sale window (locked here); the others
    # wait for its claim of the key; then all go at once.
    async with holding(SaleWindow, id=shop.window.id) as race:
        racers = race.start(place(shop, key="tap-once") for _ in range(100))
        await race.blocked(min(100, pool_size()))
    results = await asyncio.gather(*racers)

    assert len({order.id for order in results}) == 1
    assert await Order.all().count() == 1
    assert await sold(shop.item("RICE")) == 2
    assert await Shipment.all().count() == 1
    assert await capacity.invariant_violations() == []


async def test_cancelling_while_others_order_gives_everything_back(is_postgres: bool) -> None:
    # Room for 50 orders of 2 kg; 40 are placed, then 40 cancel while 60 more race for room.
    shop = await make_shop(stations=3, capacity_g=100_000, stock=1000)
    placed = [await place(shop) for _ in range(40)]

    def cancel(order: Order) -> Awaitable[Order]:
        return orders.cancel_order(viewer=viewer(shop.buyer), order_id=order.id)

    # Half the cancellations, then the new orders, reach the rice's stock (locked here) and wait
    # there, as many at once as the pool holds, so cancellations and orders provably overlap;
    # the rest queue for a connection. Then all go at once.
    async with holding(SaleItem, id=shop.item("RICE").id) as race:
        first = race.start(cancel(order) for order in placed[:20])
        await race.blocked(20)
        new = race.start(place(shop) for _ in range(60))
        await race.blocked(min(20 + 60, pool_size()))
        rest = race.start(cancel(order) for order in placed[20:])
    counted = await outcomes([*first, *new, *rest])

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

    # 30 orders pass the window check before the cutoff time and are held inside their
    # transactions (at the rice's stock, locked here). Then the cutoff time comes and the
    # cutoff runs: it waits for those 30. 170 more orders arrive meanwhile and are refused at
    # once, without holding the cutoff up. Then the 30 go on, and the cutoff after them.
    async with holding(SaleItem, id=shop.item("RICE").id) as race:
        early = race.start(place(shop) for _ in range(30))
        await race.blocked(30)
        after_cutoff()
        [cutoff] = race.start([orders.cut_off(window_id=shop.window.id)])
        await race.blocked(30 + 1)
        late = race.start(place(shop) for _ in range(170))
        await race.settle(late, within=10)
        assert not cutoff.done()
    counted = await outcomes([*early, *late])
    confirmed = cutoff.result()

    accepted = counted["OK"]
    assert 0 < accepted < 200
    assert await outcomes(early) == Counter({"OK": 30})
    assert await outcomes(late) == Counter({"CUTOFF_PASSED": 170})
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

    # Every cancellation reaches the conditional update of the order (locked here) and waits
    # there; then they all go at once.
    async with holding(Order, id=order.id) as race:
        racers = race.start(
            orders.cancel_order(viewer=viewer(shop.buyer), order_id=order.id) for _ in range(20)
        )
        await race.blocked(20)
    counted = await outcomes(racers)

    assert counted == Counter({"OK": 1, "INVALID_STATE": 19})
    assert await sold(shop.item("RICE")) == 0
    assert set(await used_g(shop.trip)) == {0}
    assert await Event.filter(order_id=order.id, kind="ORDER_CANCELLED").count() == 1
    assert await capacity.invariant_violations() == []
