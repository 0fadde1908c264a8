"""Placing, cancelling and cutting off group-buy orders (the services, on both databases)."""

from __future__ import annotations

import asyncio
import datetime as dt
import re

import pytest

from builders import change_events, make_network
from builders_orders import (
    SERVICE_DATE,
    Shop,
    after_cutoff,
    make_shop,
    make_user,
    place,
    set_clock,
    sold,
    used_g,
    viewer,
)
from cungoods.jobs.cutoff import CutoffScheduler
from cungoods.models import (
    Event,
    EventTopic,
    IdempotencyKey,
    Order,
    OrderLine,
    SaleItem,
    Shipment,
    Station,
)
from cungoods.models.enums import Direction, OrderStatus, Role, ShipmentState
from cungoods.services import capacity, orders
from cungoods.services.capacity import Load
from cungoods.services.errors import DomainError, DomainErrors, ErrorCode
from cungoods.services.orders import LineRequest, OrderNoCapacity


def codes(error: DomainError) -> list[tuple[str, list[str] | None]]:
    errors = error.errors if isinstance(error, DomainErrors) else [error]
    return [(e.code.value, e.field) for e in errors]


async def nothing_ordered(shop: Shop) -> None:
    """What a refused order must leave behind: nothing."""
    assert await Order.all().count() == 0
    assert await OrderLine.all().count() == 0
    assert await Shipment.filter(state=ShipmentState.RESERVED).count() == 0
    assert await change_events() == 0
    for item in shop.items.values():
        assert await sold(item) == 0
    assert set(await used_g(shop.trip)) == {0}
    assert await capacity.invariant_violations() == []


# --- placing -----------------------------------------------------------------------------------


async def test_an_order_takes_stock_and_room_on_the_bus_to_its_station() -> None:
    shop = await make_shop(stations=4)

    order = await place(shop, station=3, lines={"RICE": 2, "FISH": 3})

    assert order.status is OrderStatus.PLACED
    assert re.fullmatch(r"QJ20261130-\d{6}", order.number)
    assert re.fullmatch(r"\d{6}", order.pickup_code)
    assert order.total_fen == 2 * 890 + 3 * 2580
    assert order.trip_id == shop.trip.id
    assert await sold(shop.item("RICE")) == 2
    assert await sold(shop.item("FISH")) == 3
    # Hub (seq 0) to the station at seq 3: legs 0, 1 and 2 carry 2 kg of rice and 1.5 kg of fish.
    assert await used_g(shop.trip) == [3500, 3500, 3500, 0, 0]
    shipment = await Shipment.get(id=order.shipment_id)
    assert (shipment.direction, shipment.from_seq, shipment.to_seq) == (Direction.DOWN, 0, 3)
    # Fish rides chilled, rice does not.
    assert (shipment.weight_g, shipment.volume_cm3, shipment.chilled_g) == (3500, 5400, 1500)
    lines = await OrderLine.filter(order_id=order.id).order_by("id")
    assert [(line.quantity, line.unit_price_fen) for line in lines] == [(2, 890), (3, 2580)]
    event = await Event.get(order_id=order.id)
    assert (event.kind, event.status, event.station_id) == (
        "ORDER_PLACED",
        "PLACED",
        order.station_id,
    )
    topics = {t.topic for t in await EventTopic.filter(event_id=event.id)}
    assert topics == {f"order:{order.id}", f"station:{order.station_id}", f"user:{order.buyer_id}"}
    assert await capacity.invariant_violations() == []


async def test_orders_get_distinct_numbers_and_codes() -> None:
    shop = await make_shop()

    placed = [await place(shop) for _ in range(5)]

    assert len({order.number for order in placed}) == 5
    assert all(re.fullmatch(r"\d{6}", order.pickup_code) for order in placed)


@pytest.mark.parametrize(
    ("lines", "expected"),
    [
        ([], [("INVALID_INPUT", ["lines"])]),
        ([(0, "RICE")], [("INVALID_INPUT", ["lines", "0", "quantity"])]),
        ([(100, "RICE")], [("INVALID_INPUT", ["lines", "0", "quantity"])]),
        (
            [(1, "RICE"), (-1, "FISH"), (2, "RICE")],
            [
                ("INVALID_INPUT", ["lines", "1", "quantity"]),
                ("INVALID_INPUT", ["lines", "2", "saleItemId"]),
            ],
        ),
    ],
)
async def test_bad_quantities_are_refused_and_change_nothing(
    lines: list[tuple[int, str]], expected: list[tuple[str, list[str]]]
) -> None:
    shop = await make_shop()

    with pytest.raises(DomainError) as refused:
        await orders.place_order(
            viewer=viewer(shop.buyer),
            station_id=shop.station(1).id,
            service_date=SERVICE_DATE,
            lines=[LineRequest(shop.item(sku).id, quantity) for quantity, sku in lines],
        )

    assert codes(refused.value) == expected
    await nothing_ordered(shop)


async def test_every_line_short_of_stock_is_reported_with_what_is_left() -> None:
    shop = await make_shop(stock=5)
    await place(shop, lines={"FISH": 5})

    with pytest.raises(DomainError) as refused:
        await place(shop, lines={"RICE": 6, "DUMP": 1, "FISH": 1})

    assert codes(refused.value) == [
        ("OUT_OF_STOCK", ["lines", "0", "quantity"]),
        ("OUT_OF_STOCK", ["lines", "2", "quantity"]),
    ]
    assert isinstance(refused.value, DomainErrors)
    messages = [e.message for e in refused.value.errors]
    assert "only 5" in messages[0] and "本地晚稻米" in messages[0]
    assert messages[1] == "泥鳅 is sold out"
    # Nothing of the refused order was taken, not even the dumplings that were in stock.
    assert await sold(shop.item("RICE")) == 0
    assert await sold(shop.item("DUMP")) == 0
    assert await sold(shop.item("FISH")) == 5
    assert await Order.all().count() == 1


async def test_a_full_bus_names_the_leg_and_the_next_date_with_room() -> None:
    # Room for 10 kg; three days of trips.
    shop = await make_shop(stations=4, capacity_g=10_000, days=3)
    # Produce fills legs 2.. on the first day (a farmer's crates from station 2 back to the hub).
    await capacity.reserve(
        trip_id=shop.trips[0].id, direction=Direction.UP, from_seq=2, to_seq=5, load=Load(9000)
    )
    before = await used_g(shop.trip)

    with pytest.raises(OrderNoCapacity) as refused:
        await place(shop, station=4, lines={"RICE": 2})

    error = refused.value
    assert (error.code, error.field) == (ErrorCode.NO_CAPACITY, ["serviceDate"])
    assert error.leg_seq == 2
    assert error.next_date == SERVICE_DATE + dt.timedelta(days=1)
    assert "leg 2" in error.message and "2026-12-01" in error.message
    assert await used_g(shop.trip) == before
    assert await sold(shop.item("RICE")) == 0
    assert await Order.all().count() == 0
    assert await capacity.invariant_violations() == []
    # A station before the full legs still gets its order.
    assert (await place(shop, station=2, lines={"RICE": 1})).status is OrderStatus.PLACED


async def test_chilled_goods_need_chilled_room() -> None:
    shop = await make_shop(chilled_g=2000)

    await place(shop, lines={"DUMP": 2})
    with pytest.raises(OrderNoCapacity):
        await place(shop, lines={"FISH": 1})

    assert (await place(shop, lines={"RICE": 5})).status is OrderStatus.PLACED


async def test_after_the_cutoff_no_order_is_taken() -> None:
    shop = await make_shop()
    after_cutoff()

    with pytest.raises(DomainError) as refused:
        await place(shop)

    assert codes(refused.value) == [("CUTOFF_PASSED", ["serviceDate"])]
    assert "2026-11-29 21:00" in refused.value.message
    await nothing_ordered(shop)


async def test_once_the_cutoff_has_run_no_order_is_taken_even_before_its_time() -> None:
    shop = await make_shop()
    await orders.cut_off(window_id=shop.window.id)

    with pytest.raises(DomainError) as refused:
        await place(shop)

    assert codes(refused.value) == [("CUTOFF_PASSED", ["serviceDate"])]


async def test_a_window_not_open_yet_or_missing_is_refused() -> None:
    shop = await make_shop()
    set_clock(SERVICE_DATE - dt.timedelta(days=3), "12:00")

    with pytest.raises(DomainError) as early:
        await place(shop)
    with pytest.raises(DomainError) as missing:
        await place(shop, service_date=SERVICE_DATE + dt.timedelta(days=1))

    assert codes(early.value) == [("INVALID_STATE", ["serviceDate"])]
    assert codes(missing.value) == [("NOT_FOUND", ["serviceDate"])]
    await nothing_ordered(shop)


async def test_items_of_another_window_are_not_on_sale() -> None:
    shop = await make_shop()

    with pytest.raises(DomainError) as refused:
        await orders.place_order(
            viewer=viewer(shop.buyer),
            station_id=shop.station(1).id,
            service_date=SERVICE_DATE,
            lines=[LineRequest(shop.item("RICE").id, 1), LineRequest(99_999, 1)],
        )

    assert codes(refused.value) == [("NOT_FOUND", ["lines", "1", "saleItemId"])]
    await nothing_ordered(shop)


async def test_stations_without_a_bus_are_not_served() -> None:
    shop = await make_shop()
    lonely = await Station.create(
        code="X-01", name="深山村服务站", township="举村乡", village="深山村", lat=28.7, lng=118.9
    )
    # A second route whose bus does not run on the service date.
    other = await make_network(code="R9", stations=1)

    for station_id, message in [
        (lonely.id, "no bus route serves 深山村服务站"),
        (other.stations[0].id, f"no bus runs to {other.stations[0].name} on 2026-11-30"),
    ]:
        with pytest.raises(DomainError) as refused:
            await orders.place_order(
                viewer=viewer(shop.buyer),
                station_id=station_id,
                service_date=SERVICE_DATE,
                lines=[LineRequest(shop.item("RICE").id, 1)],
            )
        assert codes(refused.value) == [("STATION_NOT_SERVED", ["stationId"])]
        assert refused.value.message == message
    with pytest.raises(DomainError) as unknown:
        await orders.place_order(
            viewer=viewer(shop.buyer),
            station_id=99_999,
            service_date=SERVICE_DATE,
            lines=[LineRequest(shop.item("RICE").id, 1)],
        )
    assert codes(unknown.value) == [("NOT_FOUND", ["stationId"])]
    await nothing_ordered(shop)


async def test_only_buyers_place_orders() -> None:
    shop = await make_shop()
    leader = await make_user(Role.LEADER, station=shop.station(1))

    with pytest.raises(DomainError) as not_buyer:
        await place(shop, buyer=leader)
    with pytest.raises(DomainError) as anonymous:
        await orders.place_order(
            viewer=None,
            station_id=shop.station(1).id,
            service_date=SERVICE_DATE,
            lines=[LineRequest(shop.item("RICE").id, 1)],
        )

    assert codes(not_buyer.value) == [("NOT_ALLOWED", None)]
    assert codes(anonymous.value) == [("UNAUTHENTICATED", None)]
    await nothing_ordered(shop)


# --- idempotency -------------------------------------------------------------------------------


async def test_a_retry_with_the_same_key_returns_the_same_order() -> None:
    shop = await make_shop()

    first = await place(shop, key="tap-1")
    again = await place(shop, key="tap-1")

    assert again.id == first.id
    assert await Order.all().count() == 1
    assert await sold(shop.item("RICE")) == 2


async def test_the_same_key_with_another_order_is_refused() -> None:
    shop = await make_shop()
    await place(shop, key="tap-1", lines={"RICE": 2})

    with pytest.raises(DomainError) as reused:
        await place(shop, key="tap-1", lines={"RICE": 3})

    assert codes(reused.value) == [("IDEMPOTENCY_KEY_REUSED", ["idempotencyKey"])]
    assert await Order.all().count() == 1
    assert await sold(shop.item("RICE")) == 2


async def test_a_refused_attempt_does_not_burn_its_key() -> None:
    shop = await make_shop(stock=1)
    with pytest.raises(DomainError):
        await place(shop, key="tap-1", lines={"RICE": 2})
    assert await IdempotencyKey.all().count() == 0

    await SaleItem.filter(id=shop.item("RICE").id).update(stock=5)
    order = await place(shop, key="tap-1", lines={"RICE": 2})

    assert order.status is OrderStatus.PLACED


# --- cancelling --------------------------------------------------------------------------------


async def test_cancelling_gives_stock_and_room_back() -> None:
    shop = await make_shop()
    keep = await place(shop, station=1, lines={"RICE": 1})
    order = await place(shop, station=3, lines={"RICE": 2, "FISH": 2})

    cancelled = await orders.cancel_order(viewer=viewer(shop.buyer), order_id=order.id)

    assert cancelled.status is OrderStatus.CANCELLED
    assert await sold(shop.item("RICE")) == 1
    assert await sold(shop.item("FISH")) == 0
    assert await used_g(shop.trip) == [1000, 0, 0, 0, 0]
    assert (await Shipment.get(id=order.shipment_id)).state is ShipmentState.RELEASED
    statuses = [
        e.status
        for e in await Event.filter(order_id=order.id, status__not_isnull=True).order_by("id")
    ]
    assert statuses == ["PLACED", "CANCELLED"]
    assert (await Order.get(id=keep.id)).status is OrderStatus.PLACED
    assert await capacity.invariant_violations() == []


async def test_an_order_is_cancelled_once_and_only_by_its_buyer() -> None:
    shop = await make_shop()
    order = await place(shop)
    neighbour = await make_user(Role.BUYER)

    with pytest.raises(DomainError) as stranger:
        await orders.cancel_order(viewer=viewer(neighbour), order_id=order.id)
    await orders.cancel_order(viewer=viewer(shop.buyer), order_id=order.id)
    with pytest.raises(DomainError) as twice:
        await orders.cancel_order(viewer=viewer(shop.buyer), order_id=order.id)
    with pytest.raises(DomainError) as missing:
        await orders.cancel_order(viewer=viewer(shop.buyer), order_id=99_999)

    assert codes(stranger.value) == [("NOT_ALLOWED", None)]
    assert codes(twice.value) == [("INVALID_STATE", ["orderId"])]
    assert codes(missing.value) == [("NOT_FOUND", ["orderId"])]
    assert await sold(shop.item("RICE")) == 0
    assert await capacity.invariant_violations() == []


async def test_after_the_cutoff_an_order_cannot_be_cancelled() -> None:
    shop = await make_shop()
    order = await place(shop)
    after_cutoff()

    with pytest.raises(DomainError) as late:
        await orders.cancel_order(viewer=viewer(shop.buyer), order_id=order.id)
    await orders.cut_off(window_id=shop.window.id)
    with pytest.raises(DomainError) as confirmed:
        await orders.cancel_order(viewer=viewer(shop.buyer), order_id=order.id)

    assert codes(late.value) == [("CUTOFF_PASSED", ["orderId"])]
    assert codes(confirmed.value) == [("CUTOFF_PASSED", ["orderId"])]
    assert (await Order.get(id=order.id)).status is OrderStatus.CONFIRMED
    assert await sold(shop.item("RICE")) == 2
    assert await used_g(shop.trip) == [2000, 2000, 0, 0, 0]


# --- the cutoff --------------------------------------------------------------------------------


async def test_the_cutoff_confirms_placed_orders_once() -> None:
    shop = await make_shop()
    first = await place(shop)
    second = await place(shop, station=1)
    withdrawn = await place(shop)
    await orders.cancel_order(viewer=viewer(shop.buyer), order_id=withdrawn.id)
    after_cutoff()

    window = await orders.run_cutoff(viewer=viewer(shop.dispatcher), service_date=SERVICE_DATE)
    again = await orders.run_cutoff(viewer=viewer(shop.dispatcher), service_date=SERVICE_DATE)

    assert window.cutoff_done_at is not None
    assert again.cutoff_done_at == window.cutoff_done_at
    statuses = {o.id: o.status for o in await Order.all()}
    assert statuses == {
        first.id: OrderStatus.CONFIRMED,
        second.id: OrderStatus.CONFIRMED,
        withdrawn.id: OrderStatus.CANCELLED,
    }
    confirmed_events = await Event.filter(kind="ORDER_CONFIRMED").order_by("order_id")
    assert [e.order_id for e in confirmed_events] == [first.id, second.id]


async def test_the_cutoff_waits_for_its_time_and_for_a_dispatcher() -> None:
    shop = await make_shop()
    await place(shop)

    with pytest.raises(DomainError) as early:
        await orders.run_cutoff(viewer=viewer(shop.dispatcher), service_date=SERVICE_DATE)
    after_cutoff()
    with pytest.raises(DomainError) as buyer:
        await orders.run_cutoff(viewer=viewer(shop.buyer), service_date=SERVICE_DATE)
    with pytest.raises(DomainError) as missing:
        await orders.run_cutoff(
            viewer=viewer(shop.dispatcher), service_date=SERVICE_DATE + dt.timedelta(days=9)
        )

    assert codes(early.value) == [("INVALID_STATE", ["serviceDate"])]
    assert codes(buyer.value) == [("NOT_ALLOWED", None)]
    assert codes(missing.value) == [("NOT_FOUND", ["serviceDate"])]
    assert await Order.filter(status=OrderStatus.PLACED).count() == 1


async def test_due_cutoffs_run_by_themselves() -> None:
    shop = await make_shop()
    order = await place(shop)
    scheduler = CutoffScheduler(max_sleep=0.05)

    assert await scheduler.tick() > 0  # nothing due yet
    assert (await Order.get(id=order.id)).status is OrderStatus.PLACED
    after_cutoff()
    scheduler.start()
    try:
        for _ in range(200):
            if (await Order.get(id=order.id)).status is OrderStatus.CONFIRMED:
                break
            await asyncio.sleep(0.01)
    finally:
        await scheduler.stop()

    assert (await Order.get(id=order.id)).status is OrderStatus.CONFIRMED
    assert await orders.run_due_cutoffs() == []
