"""Builders for order tests: a shop (a route with stations, products, a sale window and the
day's trip), buyers and leaders, placing orders, and moving orders along their lifecycle."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from tortoise.transactions import in_transaction

from builders import Network, make_network, make_user, schedule
from cungoods.models import Leg, Order, Product, SaleItem, SaleWindow, Station, Trip, User
from cungoods.models.enums import OrderStatus, PayWith, Role, Temperature
from cungoods.services import catalog, clock, orders
from cungoods.services.auth import Viewer
from cungoods.services.orders import LineRequest

# A fixed calendar makes order numbers and messages readable: orders placed on the morning of
# 29 November are picked up on 30 November.
SERVICE_DATE = dt.date(2026, 11, 30)
ORDER_DAY = SERVICE_DATE - dt.timedelta(days=1)


def set_clock(day: dt.date, hhmm: str) -> None:
    """Move the service clock so that now is `day` at `hhmm` (service time)."""
    real_now = dt.datetime.now(clock.tz())
    clock.shift(clock.at(day, hhmm) - real_now)


def before_cutoff() -> None:
    set_clock(ORDER_DAY, "10:00")


def after_cutoff() -> None:
    set_clock(ORDER_DAY, "21:30")


async def make_product(
    sku: str,
    *,
    name: str | None = None,
    weight_g: int = 1000,
    volume_cm3: int = 1000,
    price_fen: int = 1000,
    temperature: Temperature = Temperature.AMBIENT,
    unit: str = "袋",
    category: str = "粮油",
) -> Product:
    return await Product.create(
        sku=sku,
        name=name or f"商品{sku}",
        category=category,
        unit=unit,
        price_fen=price_fen,
        weight_g=weight_g,
        volume_cm3=volume_cm3,
        temperature=temperature,
    )


async def open_window(
    service_date: dt.date, stock: dict[Product, int], *, price_fen: int | None = None
) -> tuple[SaleWindow, dict[str, SaleItem]]:
    """A window with the default times and the given stock; items by product SKU."""
    window = await SaleWindow.create(
        service_date=service_date,
        opens_at=catalog.default_opens(service_date),
        cutoff_at=catalog.default_cutoff(service_date),
    )
    items = {}
    for product, units in stock.items():
        items[product.sku] = await SaleItem.create(
            window=window,
            product=product,
            price_fen=price_fen if price_fen is not None else product.price_fen,
            stock=units,
        )
    return window, items


@dataclass
class Shop:
    net: Network
    window: SaleWindow
    items: dict[str, SaleItem]
    trips: list[Trip]
    buyer: User
    dispatcher: User

    @property
    def trip(self) -> Trip:
        return self.trips[0]

    def station(self, n: int) -> Station:
        """The station at stop seq `n` (1-based, as on the trip)."""
        return self.net.stations[n - 1]

    def item(self, sku: str) -> SaleItem:
        return self.items[sku]


async def make_shop(
    *,
    stations: int = 4,
    capacity_g: int = 1_000_000,
    capacity_cm3: int = 8_000_000,
    chilled_g: int = 300_000,
    stock: int = 100,
    days: int = 1,
) -> Shop:
    """A route of `stations` villages with the service date's trip (and `days - 1` more), rice
    (1 kg, ambient), fish (500 g, chilled) and dumplings (1 kg, frozen) on sale, a buyer and a
    dispatcher. The clock is set to the morning before the service date."""
    before_cutoff()
    net = await make_network(
        stations=stations, capacity_g=capacity_g, capacity_cm3=capacity_cm3, chilled_g=chilled_g
    )
    trips = await schedule(net, SERVICE_DATE, days)
    rice = await make_product(
        "RICE", name="本地晚稻米 1kg", weight_g=1000, volume_cm3=1500, price_fen=890
    )
    fish = await make_product(
        "FISH",
        name="泥鳅",
        weight_g=500,
        volume_cm3=800,
        price_fen=2580,
        temperature=Temperature.CHILLED,
        unit="斤",
        category="水产",
    )
    dumplings = await make_product(
        "DUMP",
        name="速冻水饺 1kg",
        weight_g=1000,
        volume_cm3=2000,
        price_fen=2590,
        temperature=Temperature.FROZEN,
        category="速冻",
    )
    window, items = await open_window(SERVICE_DATE, {rice: stock, fish: stock, dumplings: stock})
    buyer = await make_user(Role.BUYER, name="俞林英")
    dispatcher = await make_user(Role.DISPATCHER, name="调度员")
    return Shop(
        net=net, window=window, items=items, trips=trips, buyer=buyer, dispatcher=dispatcher
    )


def viewer(user: User) -> Viewer:
    return Viewer.of(user)


async def make_leader(station: Station) -> User:
    return await make_user(Role.LEADER, name=f"{station.name}团长", station=station)


async def place(
    shop: Shop,
    *,
    buyer: User | None = None,
    station: int = 2,
    lines: dict[str, int] | None = None,
    key: str | None = None,
    service_date: dt.date = SERVICE_DATE,
    pay_with: PayWith = PayWith.BALANCE,
) -> Order:
    """Place an order through the service (default: 2 bags of rice to the station at seq 2,
    paid from the buyer's wallet)."""
    wanted = lines if lines is not None else {"RICE": 2}
    return await orders.place_order(
        viewer=viewer(buyer or shop.buyer),
        station_id=shop.station(station).id,
        service_date=service_date,
        lines=[LineRequest(shop.item(sku).id, quantity) for sku, quantity in wanted.items()],
        idempotency_key=key,
        pay_with=pay_with,
    )


async def bring_to_station(order: Order) -> Order:
    """Cut off, load, depart and arrive: the order waits at its station."""
    await orders.cut_off(window_id=order.window_id)
    async with in_transaction():
        await orders.mark_loaded(trip_id=order.trip_id)
        await orders.advance_trip_orders(
            trip_id=order.trip_id,
            from_statuses=(OrderStatus.LOADED,),
            to_status=OrderStatus.IN_TRANSIT,
            stop_seq=0,
            message="the bus left the hub",
        )
        await orders.advance_trip_orders(
            trip_id=order.trip_id,
            from_statuses=(OrderStatus.IN_TRANSIT,),
            to_status=OrderStatus.AT_STATION,
            station_id=order.station_id,
            message="the bus is at the station",
        )
    return await Order.get(id=order.id)


async def legs_of(trip: Trip) -> list[Leg]:
    return await Leg.filter(trip_id=trip.id).order_by("seq")


async def used_g(trip: Trip) -> list[int]:
    return [leg.used_g for leg in await legs_of(trip)]


async def sold(item: SaleItem) -> int:
    return (await SaleItem.get(id=item.id)).sold
