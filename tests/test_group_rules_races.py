"""限购 under concurrency (PostgreSQL): one buyer's orders racing for the same item can never
together pass its per-buyer limit."""

from __future__ import annotations

import asyncio
from collections import Counter

import pytest

from builders import make_user
from builders_orders import make_shop, place, sold
from cungoods.models import Order, SaleItem, Shipment
from cungoods.models.enums import Role, ShipmentState
from cungoods.services import capacity
from cungoods.services.errors import DomainError
from races import holding, pool_size

pytestmark = pytest.mark.pg_only


async def test_one_buyers_racing_orders_stop_exactly_at_the_limit(is_postgres: bool) -> None:
    shop = await make_shop(stations=3, stock=1000)
    rice = shop.item("RICE")
    await SaleItem.filter(id=rice.id).update(max_per_buyer=5)
    other = await make_user(Role.BUYER)

    # Every order waits at the rice's conditional stock update (its row is held here), inside
    # its transaction; then they all go at once: 30 orders of 1 bag by one buyer, 10 by another.
    async with holding(SaleItem, id=rice.id) as race:
        racers = race.start(
            place(shop, buyer=shop.buyer if n < 30 else other, lines={"RICE": 1}) for n in range(40)
        )
        await race.blocked(min(40, pool_size()))
    results = await asyncio.gather(*racers, return_exceptions=True)

    counted: Counter[str] = Counter()
    for result in results:
        if isinstance(result, Order):
            counted[f"OK {result.buyer_id}"] += 1
        elif isinstance(result, DomainError):
            assert (result.remaining, result.field) == (0, ["lines", "0", "quantity"])
            counted[result.code.value] += 1
        else:
            raise result  # an unexpected failure fails the test, with its traceback
    assert counted == Counter({f"OK {shop.buyer.id}": 5, f"OK {other.id}": 5, "LIMIT_EXCEEDED": 30})
    assert await sold(rice) == 10
    assert await Order.filter(buyer_id=shop.buyer.id).count() == 5
    assert await Shipment.filter(state=ShipmentState.RESERVED).count() == 10
    assert await capacity.invariant_violations() == []
