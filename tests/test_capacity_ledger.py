"""The capacity ledger and the ride search, on both databases: a refused reservation leaves the
legs as they were, releasing gives back exactly what was taken (once), a vehicle's new capacity,
moving a shipment to a later trip, and refusals that say, as data, what is left."""

from __future__ import annotations

import datetime as dt

import pytest
from tortoise.transactions import in_transaction

from builders import make_network, schedule
from builders_orders import SERVICE_DATE, make_shop, place, sold
from builders_produce import load_down, make_buyer, make_farmer, make_listing, pin_clock
from cungoods.models import Leg, ProduceListing, ProducePurchase, Shipment, Trip
from cungoods.models.enums import Direction, ShipmentState
from cungoods.services import capacity, purchases
from cungoods.services.auth import Viewer
from cungoods.services.capacity import CapacityTooSmall, Load, NoCapacity
from cungoods.services.errors import DomainError, DomainErrors, ErrorCode


async def used_g(trip: Trip) -> list[int]:
    return [leg.used_g for leg in await Leg.filter(trip_id=trip.id).order_by("seq")]


async def down_g(trip: Trip) -> list[int]:
    return [leg.down_g for leg in await Leg.filter(trip_id=trip.id).order_by("seq")]


async def reserve(
    trip: Trip, direction: Direction, from_seq: int, to_seq: int, weight_g: int
) -> Shipment:
    return await capacity.reserve(
        trip_id=trip.id,
        direction=direction,
        from_seq=from_seq,
        to_seq=to_seq,
        load=Load(weight_g, weight_g, 0),
    )


def told_the_next_date(error: DomainError, *, leg_seq: int, next_date: dt.date) -> None:
    """NO_CAPACITY, said the same way whichever way the goods go."""
    assert isinstance(error, NoCapacity)
    assert error.code is ErrorCode.NO_CAPACITY
    assert (error.leg_seq, error.next_date) == (leg_seq, next_date)
    assert f"full on leg {leg_seq} (stop {leg_seq} → {leg_seq + 1})" in error.message
    assert f"the next date with room is {next_date.isoformat()}" in error.message


# --- reserving ----------------------------------------------------------------------------------


async def test_a_refused_reservation_leaves_every_leg_as_it_was_even_if_the_caller_goes_on() -> (
    None
):
    # Given a 10 kg bus through three villages whose legs 2 and 3 carry 9 kg of produce.
    net = await make_network(stations=3, capacity_g=10_000, capacity_cm3=10_000)
    [trip] = await schedule(net)
    await reserve(trip, Direction.UP, 2, 4, 9000)

    # When a caller asks for 2 kg from the hub to stop 3 (legs 0 and 1 have room, leg 2 not),
    # catches the refusal, books something smaller and commits.
    async with in_transaction():
        with pytest.raises(NoCapacity) as refused:
            await reserve(trip, Direction.DOWN, 0, 3, 2000)
        await reserve(trip, Direction.DOWN, 0, 1, 1000)

    # Then leg 2 is named, and legs 0 and 1 carry only what was booked after the refusal.
    assert refused.value.leg_seq == 2
    assert await used_g(trip) == [1000, 0, 9000, 9000]
    assert await down_g(trip) == [1000, 0, 0, 0]
    assert await Shipment.filter(state=ShipmentState.RESERVED).count() == 2
    assert await capacity.invariant_violations() == []


# --- releasing ----------------------------------------------------------------------------------


async def test_release_many_gives_back_exactly_what_was_taken_and_only_once() -> None:
    # Given two days of trips with goods and produce on both.
    net = await make_network(stations=3, capacity_g=50_000, capacity_cm3=50_000)
    first, second = await schedule(net, days=2)
    keep = await reserve(first, Direction.DOWN, 0, 2, 3000)
    leaving = [
        await reserve(first, Direction.DOWN, 0, 3, 5000),
        await reserve(first, Direction.UP, 1, 4, 2000),
        await reserve(second, Direction.UP, 2, 4, 7000),
    ]
    assert await used_g(first) == [8000, 10_000, 7000, 2000]

    # When they are released (one of them twice over), and again.
    released = await capacity.release_many([*leaving, leaving[0]])
    again = await capacity.release_many(leaving)
    await capacity.release(leaving[1])

    # Then what is left is exactly what stayed booked, and nothing was given back twice.
    assert (released, again) == (3, 0)
    assert await used_g(first) == [3000, 3000, 0, 0]
    assert await down_g(first) == [3000, 3000, 0, 0]
    assert await used_g(second) == [0, 0, 0, 0]
    assert all(shipment.state is ShipmentState.RELEASED for shipment in leaving)
    assert (await Shipment.get(id=keep.id)).state is ShipmentState.RESERVED
    assert await capacity.invariant_violations() == []


# --- a vehicle's new capacity -------------------------------------------------------------------


async def test_a_new_capacity_applies_to_every_leg_only_if_all_that_is_booked_fits() -> None:
    net = await make_network(stations=2, capacity_g=20_000, capacity_cm3=20_000)
    [trip] = await schedule(net)
    await reserve(trip, Direction.UP, 1, 3, 9000)

    with pytest.raises(CapacityTooSmall) as refused:
        await capacity.set_capacity(trip_id=trip.id, capacity=Load(8000, 20_000, 300_000))
    await capacity.set_capacity(trip_id=trip.id, capacity=Load(9000, 10_000, 1000))

    assert refused.value.leg_seq == 1
    legs = await Leg.filter(trip_id=trip.id).order_by("seq")
    capacities = [(leg.capacity_g, leg.capacity_cm3, leg.chilled_capacity_g) for leg in legs]
    assert capacities == [(9000, 10_000, 1000)] * 3
    assert await capacity.invariant_violations() == []


# --- moving to a later trip ---------------------------------------------------------------------


async def test_rebook_takes_the_first_later_trip_with_room_within_the_dates() -> None:
    # Given three days of a 10 kg bus; the second day's is full from the hub to stop 2.
    today = pin_clock("05:00")
    net = await make_network(stations=2, capacity_g=10_000, capacity_cm3=10_000)
    trips = await schedule(net, days=3)
    await reserve(trips[1], Direction.DOWN, 0, 2, 9000)
    goods = await reserve(trips[0], Direction.DOWN, 0, 2, 4000)
    station = net.stations[1]  # stop 2

    # When the goods on the first trip look for another bus: up to the second day, then the third.
    targets = await capacity.later_trips(trips[0], until=today + dt.timedelta(days=2))
    too_soon = await capacity.rebook(
        goods, station_id=station.id, targets=targets, latest=today + dt.timedelta(days=1)
    )
    ride = await capacity.rebook(
        goods, station_id=station.id, targets=targets, latest=today + dt.timedelta(days=2)
    )

    # Then only the third day's bus takes them, and the full one is as it was.
    assert [target.trip.id for target in targets] == [trips[1].id, trips[2].id]
    assert too_soon is None
    assert ride is not None and (ride.trip_id, ride.stop_seq) == (trips[2].id, 2)
    assert (ride.shipment.from_seq, ride.shipment.to_seq) == (0, 2)
    assert await used_g(trips[1]) == [9000, 9000, 0]
    assert await used_g(trips[2]) == [4000, 4000, 0]
    # Its room as the search sees it is kept up to date for the next shipment.
    assert [room.weight_g for room in targets[1].rooms] == [6000, 6000, 10_000]


# --- refusals carry data ------------------------------------------------------------------------


async def test_no_capacity_names_the_leg_and_the_next_date_for_an_order() -> None:
    # Given a 10 kg bus on three days; produce fills legs 2.. of the first day's.
    shop = await make_shop(stations=4, capacity_g=10_000, days=3)
    await capacity.reserve(
        trip_id=shop.trips[0].id, direction=Direction.UP, from_seq=2, to_seq=5, load=Load(9000)
    )

    with pytest.raises(DomainError) as refused:
        await place(shop, station=4, lines={"RICE": 2})

    told_the_next_date(refused.value, leg_seq=2, next_date=SERVICE_DATE + dt.timedelta(days=1))
    assert refused.value.field == ["serviceDate"]
    assert await used_g(shop.trips[0]) == [0, 0, 9000, 9000, 9000]


async def test_no_capacity_names_the_leg_and_the_next_date_for_produce() -> None:
    # Given a 20 kg bus on two days; the first day's carries 15 kg from the hub to stop 2.
    today = pin_clock("05:00")
    net = await make_network(stations=2, capacity_g=20_000)
    trips = await schedule(net, days=2)
    await load_down(trip_id=trips[0].id, to_seq=2, weight_g=15_000)
    listing = await make_listing(await make_farmer(net.stations[0]), ready_until=today)

    with pytest.raises(DomainError) as refused:
        await purchases.buy_produce(
            viewer=Viewer.of(await make_buyer()),
            listing_id=listing.id,
            quantity=20,  # 10 kg from stop 1 up to the hub: legs 1 and 2
            idempotency_key=None,
        )

    told_the_next_date(refused.value, leg_seq=1, next_date=today + dt.timedelta(days=1))
    assert refused.value.field == ["quantity"]
    assert await used_g(trips[0]) == [15_000, 15_000, 0]
    assert (await ProduceListing.get(id=listing.id)).sold == 0


async def test_produce_whose_bus_has_passed_is_told_the_next_date_with_room() -> None:
    # Given today's bus left at 06:00 and it is now 15:00; tomorrow's is empty.
    today = pin_clock("15:00")
    net = await make_network(stations=2)
    await schedule(net, days=2)
    listing = await make_listing(await make_farmer(net.stations[0]), ready_until=today)

    with pytest.raises(NoCapacity) as refused:
        await purchases.buy_produce(
            viewer=Viewer.of(await make_buyer()),
            listing_id=listing.id,
            quantity=2,
            idempotency_key=None,
        )

    # Then no leg is to blame, and the buyer learns tomorrow has room.
    assert (refused.value.leg_seq, refused.value.next_date) == (None, today + dt.timedelta(1))
    assert f"the next date with room is {today + dt.timedelta(1)}" in refused.value.message
    assert (await ProduceListing.get(id=listing.id)).sold == 0


async def test_out_of_stock_says_how_many_are_left_and_takes_nothing() -> None:
    shop = await make_shop(stock=5)
    await place(shop, lines={"FISH": 3})

    with pytest.raises(DomainErrors) as refused:
        await place(shop, lines={"RICE": 6, "DUMP": 1, "FISH": 3})

    assert [(e.code, e.field, e.remaining) for e in refused.value.errors] == [
        (ErrorCode.OUT_OF_STOCK, ["lines", "0", "quantity"], 5),
        (ErrorCode.OUT_OF_STOCK, ["lines", "2", "quantity"], 2),
    ]
    assert (await sold(shop.item("RICE")), await sold(shop.item("DUMP"))) == (0, 0)
    assert await sold(shop.item("FISH")) == 3


async def test_out_of_stock_for_produce_says_how_many_are_left() -> None:
    pin_clock("05:00")
    net = await make_network(stations=2)
    await schedule(net)
    listing = await make_listing(await make_farmer(net.stations[0]), quantity=4)

    with pytest.raises(DomainError) as refused:
        await purchases.buy_produce(
            viewer=Viewer.of(await make_buyer()),
            listing_id=listing.id,
            quantity=5,
            idempotency_key=None,
        )

    error = refused.value
    assert (error.code, error.field, error.remaining) == (ErrorCode.OUT_OF_STOCK, ["quantity"], 4)
    assert "only 4 斤 left" in error.message
    assert await ProducePurchase.all().count() == 0
    assert (await ProduceListing.get(id=listing.id)).sold == 0
