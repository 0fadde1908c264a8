"""Builders for dispatch tests: a trip with orders for several stations and produce from others,
all made through the real use cases (placeOrder, buyProduce, the cutoff)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from builders_orders import SERVICE_DATE, Shop, make_leader, make_shop, make_user, place, viewer
from builders_produce import make_listing
from cungoods.models import Order, ProduceListing, ProducePurchase, Trip, User, Vehicle
from cungoods.models.enums import Role
from cungoods.services import orders, purchases
from cungoods.services.auth import Viewer

NEXT_DAY = SERVICE_DATE + dt.timedelta(days=1)


@dataclass
class Scene:
    """The 30 November trip of a route through 4 stations (stops 1-4, hub back at 5):

    - orders A (2 rice) and E (1 rice, 1 fish) to station 1, C (2 fish) to station 2, B
      (3 rice) and D (5 rice, 1 dumplings) to station 3, and X (1 rice) to station 2
      cancelled by its buyer before the cutoff; the cutoff has run, so the others are CONFIRMED;
    - produce bought from farmers at station 4 (P1, 10 斤, ready until 1 December; P3, 6 斤,
      ready until 30 November) and station 2 (P2, 4 斤, ready until 1 December).
    """

    shop: Shop
    orders: dict[str, Order]
    purchases: dict[str, ProducePurchase]
    listings: dict[str, ProduceListing]
    farmers: dict[int, User]  # by stop seq
    leaders: dict[int, User] = field(default_factory=dict)  # by stop seq

    @property
    def trip(self) -> Trip:
        return self.shop.trip

    @property
    def dispatcher(self) -> Viewer:
        return viewer(self.shop.dispatcher)

    @property
    def driver(self) -> Viewer:
        return viewer(self.shop.net.driver)

    def leader(self, seq: int) -> Viewer:
        return viewer(self.leaders[seq])

    @property
    def confirmed(self) -> list[Order]:
        return [order for name, order in self.orders.items() if name != "X"]


async def make_scene(*, days: int = 1) -> Scene:
    shop = await make_shop(stations=4, days=days)
    made = {
        "A": await place(shop, station=1, lines={"RICE": 2}),
        "B": await place(shop, station=3, lines={"RICE": 3}),
        "C": await place(shop, station=2, lines={"FISH": 2}),
        "D": await place(shop, station=3, lines={"RICE": 5, "DUMP": 1}),
        "E": await place(shop, station=1, lines={"RICE": 1, "FISH": 1}),
        "X": await place(shop, station=2, lines={"RICE": 1}),
    }
    await orders.cancel_order(viewer=viewer(shop.buyer), order_id=made["X"].id)

    farmers = {
        4: await make_user(Role.FARMER, name="柴建新", station=shop.station(4)),
        2: await make_user(Role.FARMER, name="徐春花", station=shop.station(2)),
    }
    until = {"P1": NEXT_DAY, "P2": NEXT_DAY, "P3": SERVICE_DATE}
    where = {"P1": 4, "P2": 2, "P3": 4}
    quantity = {"P1": 10, "P2": 4, "P3": 6}
    listings: dict[str, ProduceListing] = {}
    bought: dict[str, ProducePurchase] = {}
    for name in ("P1", "P2", "P3"):
        seq = where[name]
        listings[name] = await make_listing(
            farmers[seq],
            shop.station(seq),
            title=f"椪柑 {name}",
            ready_from=SERVICE_DATE,
            ready_until=until[name],
        )
        bought[name] = await purchases.buy_produce(
            viewer=viewer(shop.buyer),
            listing_id=listings[name].id,
            quantity=quantity[name],
            idempotency_key=None,
        )
    await orders.cut_off(window_id=shop.window.id)
    leaders = {seq: await make_leader(shop.station(seq)) for seq in (1, 2, 3, 4)}
    fresh = {name: await Order.get(id=order.id) for name, order in made.items()}
    return Scene(
        shop=shop,
        orders=fresh,
        purchases=bought,
        listings=listings,
        farmers=farmers,
        leaders=leaders,
    )


async def small_vehicle(*, capacity_g: int, plate: str = "浙H·SMALL1") -> Vehicle:
    return await Vehicle.create(
        plate=plate, capacity_g=capacity_g, capacity_cm3=8_000_000, chilled_capacity_g=300_000
    )
