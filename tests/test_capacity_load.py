"""The capacity arithmetic without a database: loads, the room on a leg, the tightest of several
legs, which leg refuses a load, and where the hub is on a trip."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from cungoods.models import Leg, Shipment
from cungoods.models.enums import Direction, Temperature
from cungoods.services.capacity import (
    Load,
    arrival_seq,
    first_refusing,
    leg_room,
    room_on,
    rooms_of,
    shipment_load,
    span,
    tightest,
    total,
)
from cungoods.services.capacity.load import taking


@pytest.fixture(autouse=True)
def clean() -> Iterator[None]:
    """No database here: this replaces the suite's per-test database reset (and so these tests
    run once, not once per backend)."""
    yield


def leg(seq: int, *, used_g: int = 0, capacity_g: int = 10_000, chilled_g: int = 0) -> Leg:
    return Leg(
        trip_id=1,
        seq=seq,
        capacity_g=capacity_g,
        capacity_cm3=100_000,
        chilled_capacity_g=2_000,
        used_g=used_g,
        used_cm3=used_g,
        used_chilled_g=chilled_g,
    )


def test_loads_add_and_subtract_measure_by_measure() -> None:
    assert Load(1000, 2000, 300) + Load(500, 100, 0) == Load(1500, 2100, 300)
    assert Load(1000, 2000, 300) - Load(500, 100, 300) == Load(500, 1900, 0)
    assert total([Load(1, 2, 3), Load(10, 20, 30), Load()]) == Load(11, 22, 33)
    assert total([]) == Load()


def test_a_load_fits_only_where_every_measure_has_room() -> None:
    room = Load(1000, 1000, 100)

    assert Load(1000, 1000, 100).fits_in(room)
    assert not Load(1001, 10, 0).fits_in(room)
    assert not Load(10, 1001, 0).fits_in(room)
    assert not Load(10, 10, 101).fits_in(room)


def test_chilled_and_frozen_goods_also_take_chilled_space() -> None:
    ambient = Load.of_units(quantity=3, weight_g=1000, volume_cm3=1500, temperature="AMBIENT")
    chilled = Load.of_units(
        quantity=2, weight_g=500, volume_cm3=800, temperature=Temperature.CHILLED
    )
    frozen = Load.of_units(quantity=1, weight_g=1000, volume_cm3=2000, temperature="FROZEN")

    assert ambient == Load(3000, 4500, 0)
    assert chilled == Load(1000, 1600, 1000)
    assert frozen == Load(1000, 2000, 1000)


def test_part_of_a_load_is_its_share_of_the_units() -> None:
    twenty = Load.of_units(quantity=20, weight_g=500, volume_cm3=900, temperature="CHILLED")

    assert twenty.part(15, 20) == Load.of_units(
        quantity=15, weight_g=500, volume_cm3=900, temperature="CHILLED"
    )
    assert twenty.part(20, 20) == twenty


def test_the_room_on_a_leg_is_its_capacity_less_what_is_reserved() -> None:
    assert leg_room(leg(0, used_g=3000, chilled_g=500)) == Load(7000, 97_000, 1500)
    shipment = Shipment(weight_g=4000, volume_cm3=6000, chilled_g=1000)
    assert shipment_load(shipment) == Load(4000, 6000, 1000)


def test_the_tightest_of_several_rooms_takes_the_smallest_of_each_measure() -> None:
    rooms = [Load(900, 5000, 100), Load(300, 9000, 100), Load(950, 1000, 50)]

    assert tightest(rooms) == Load(300, 1000, 50)
    assert tightest([]) == Load()  # no legs: no room
    assert Load(300, 1000, 50).min(Load(10, 20_000, 60)) == Load(10, 1000, 50)


def test_rooms_are_indexed_by_leg_seq_and_a_span_takes_its_tightest_leg() -> None:
    # Legs given out of order; leg 1 is nearly full.
    rooms = rooms_of([leg(2, used_g=500), leg(0, used_g=1000), leg(1, used_g=9500)])

    assert [room.weight_g for room in rooms] == [9000, 500, 9500]
    assert room_on(rooms, 0, 3).weight_g == 500
    assert room_on(rooms, 2, 3).weight_g == 9500
    assert room_on(rooms, 2, 5) == Load()  # past the trip's last leg: no room
    assert room_on(rooms, 1, 1) == Load()  # no leg at all


def test_the_first_leg_without_room_is_the_one_that_refuses() -> None:
    rooms = rooms_of([leg(0, used_g=1000), leg(1, used_g=9500), leg(2, used_g=9900)])

    assert first_refusing(rooms, 0, 3, Load(600)) == 1
    assert first_refusing(rooms, 2, 3, Load(600)) == 2
    assert first_refusing(rooms, 0, 1, Load(600)) is None
    assert first_refusing(rooms, 0, 3, Load(100)) is None
    assert first_refusing(rooms, 2, 4, Load(1)) == 3  # the trip has no leg 3


def test_taking_a_load_lowers_only_the_legs_it_spans() -> None:
    rooms = [Load(1000), Load(1000), Load(1000)]

    assert taking(rooms, 1, 3, Load(400)) == [Load(1000), Load(600), Load(600)]
    assert rooms == [Load(1000), Load(1000), Load(1000)]


def test_goods_ride_down_from_the_hub_and_produce_up_to_it() -> None:
    # A trip through four villages: stops 0 (hub) .. 5 (hub again), legs 0 .. 4.
    rooms = rooms_of([leg(seq) for seq in range(5)])

    assert arrival_seq(rooms) == 5
    assert span(Direction.DOWN, 3) == (0, 3)
    assert span(Direction.UP, 3, arrival_seq(rooms)) == (3, 5)
    with pytest.raises(ValueError):
        span(Direction.UP, 3)
