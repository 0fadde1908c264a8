"""The hub's arithmetic without a database: crates, the pick list, loading order, the load
profile of a trip's legs, and who keeps a seat when a trip gets a smaller vehicle."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from cungoods.models.enums import Direction, Temperature
from cungoods.services.capacity import Load
from cungoods.services.dispatch_plans import (
    Booking,
    Line,
    OrderToPack,
    Room,
    Space,
    Span,
    crates_of,
    fullest_leg,
    keep_what_fits,
    load_profile,
    loading_order,
    pick_totals,
)

AMBIENT, CHILLED, FROZEN = Temperature.AMBIENT, Temperature.CHILLED, Temperature.FROZEN
RICE, FISH, DUMPLINGS = 1, 2, 3
UNIT = {RICE: (1000, 1500, AMBIENT), FISH: (500, 800, CHILLED), DUMPLINGS: (1000, 2000, FROZEN)}


@pytest.fixture(autouse=True)
def clean() -> Iterator[None]:
    """No database here: this replaces the suite's per-test database reset (and so these tests
    run once, not once per backend)."""
    yield


def line(order_id: int, product: int, quantity: int) -> Line:
    weight, volume, temperature = UNIT[product]
    return Line(order_id, product, quantity, weight, volume, temperature, unit_price_fen=100)


def order(order_id: int, station: int, seq: int, **quantities: int) -> OrderToPack:
    products = {"rice": RICE, "fish": FISH, "dumplings": DUMPLINGS}
    lines = tuple(line(order_id, products[name], q) for name, q in quantities.items())
    return OrderToPack(order_id=order_id, station_id=station, stop_seq=seq, lines=lines)


ORDERS = [
    order(1, station=11, seq=1, rice=2, fish=1),
    order(2, station=12, seq=2, rice=1),
    order(3, station=12, seq=2, fish=2, dumplings=1),
    order(4, station=13, seq=3, dumplings=3),
]


def test_one_crate_per_station_per_temperature_class() -> None:
    # When the orders are packed
    crates = crates_of(ORDERS)

    # Then each station gets one crate per class it has goods of, by stop then class
    assert [(c.stop_seq, c.temperature) for c in crates] == [
        (1, AMBIENT),
        (1, CHILLED),
        (2, AMBIENT),
        (2, CHILLED),
        (2, FROZEN),
        (3, FROZEN),
    ]
    # and an order with goods of several classes is in each of those crates, with those lines
    chilled_at_1 = crates[1]
    assert [
        (o.order_id, [(li.product_id, li.quantity) for li in o.lines]) for o in chilled_at_1.orders
    ] == [(1, [(FISH, 1)])]
    assert [o.order_id for o in crates[2].orders] == [2]
    assert crates[4].units == 1 and crates[5].units == 3
    # and a crate's load is its lines' (chilled and frozen goods also take chilled space)
    assert crates[0].load == Load(2000, 3000, 0)
    assert crates[5].load == Load(3000, 6000, 3000)
    assert crates[5].space is Space.CHILLED and crates[0].space is Space.AMBIENT


def test_the_pick_list_adds_up_the_lines_per_product() -> None:
    totals = pick_totals(ORDERS)

    assert [(t.product_id, t.quantity, t.orders) for t in totals] == [
        (RICE, 3, 2),
        (FISH, 3, 2),
        (DUMPLINGS, 4, 2),
    ]
    assert totals[1].load == Load(1500, 2400, 1500)
    # and every unit in a crate is a unit picked
    assert sum(t.quantity for t in totals) == sum(c.units for c in crates_of(ORDERS))


def test_the_last_stop_is_loaded_first_each_space_in_that_order() -> None:
    steps = loading_order(crates_of(ORDERS))

    # Then the crates go on from the last stop back to the first
    assert [s.crate.stop_seq for s in steps] == [3, 2, 2, 2, 1, 1]
    assert [s.step for s in steps] == [1, 2, 3, 4, 5, 6]
    # with chilled and frozen goods in the chilled compartment, numbered there in the same order
    chilled = [
        (s.position, s.crate.stop_seq, s.crate.temperature)
        for s in steps
        if s.space is Space.CHILLED
    ]
    assert chilled == [(1, 3, FROZEN), (2, 2, CHILLED), (3, 2, FROZEN), (4, 1, CHILLED)]
    ambient = [(s.position, s.crate.stop_seq) for s in steps if s.space is Space.AMBIENT]
    assert ambient == [(1, 2), (2, 1)]


def test_nothing_to_pack_packs_nothing() -> None:
    assert crates_of([]) == []
    assert pick_totals([]) == []
    assert loading_order([]) == []
    assert crates_of([order(9, station=1, seq=1)]) == []  # an order without lines


def test_the_load_profile_counts_each_shipment_on_the_legs_it_spans() -> None:
    # Given a bus of 100 kg over 4 legs (hub -> s1 -> s2 -> s3 -> hub)
    capacity = Load(100_000, 1_000_000, 30_000)
    spans = [
        Span(0, 1, Load(10_000, 1, 0)),  # down to s1
        Span(0, 3, Load(20_000, 2, 5_000)),  # down to s3
        Span(1, 4, Load(30_000, 3, 0), Direction.UP),  # produce from s1
        Span(3, 4, Load(40_000, 4, 0), Direction.UP),  # produce from s3
    ]

    profile = load_profile([capacity] * 4, spans)

    assert [(leg.down.weight_g, leg.up.weight_g) for leg in profile] == [
        (30_000, 0),
        (20_000, 30_000),
        (20_000, 30_000),
        (0, 70_000),
    ]
    assert profile[3].used == Load(70_000, 7, 0)
    assert profile[3].free == Load(30_000, 999_993, 30_000)
    assert profile[1].fill == pytest.approx(0.5)
    # The fullest leg is the last one; chilled space counts when it is the tightest
    assert fullest_leg(profile) == profile[3]
    assert load_profile([capacity], [Span(0, 1, Load(1, 1, 27_000))])[0].fill == pytest.approx(0.9)
    assert fullest_leg([]) is None


def test_a_smaller_vehicle_keeps_the_oldest_bookings_that_fit_and_moves_the_rest() -> None:
    # Given bookings in the order they were made on a 3-leg trip
    w = lambda kg: Load(kg * 1000, 0, 0)  # noqa: E731
    bookings = [
        Booking(1, Span(0, 2, w(40))),
        Booking(2, Span(0, 1, w(30))),
        Booking(3, Span(0, 2, w(20))),
        Booking(4, Span(2, 3, w(50), Direction.UP)),
        Booking(5, Span(1, 3, w(10), Direction.UP)),
    ]

    # When the legs can carry only 60 kg
    kept, moving = keep_what_fits([w(60)] * 3, bookings)

    # Then the oldest keep their seats where they fit, and only what does not fit moves
    assert [b.key for b in kept] == [1, 3, 4]
    assert [b.key for b in moving] == [2, 5]
    # And what is kept fits on every leg
    profile = load_profile([w(60)] * 3, [b.span for b in kept])
    assert all(leg.used.fits_in(leg.capacity) for leg in profile)


def test_what_is_on_board_always_stays() -> None:
    w = lambda kg: Load(kg * 1000, 0, 0)  # noqa: E731
    kept, moving = keep_what_fits(
        [w(50)], [Booking(1, Span(0, 1, w(20)))], fixed=[Span(0, 1, w(40))]
    )
    assert kept == [] and [b.key for b in moving] == [1]


def test_room_refuses_spans_beyond_the_trip() -> None:
    room = Room([Load(10, 10, 10)] * 2)
    assert room.fits(Span(0, 2, Load(10, 10, 10)))
    assert not room.fits(Span(1, 3, Load(1, 1, 1)))
    room.take(Span(0, 1, Load(4, 4, 4)))
    assert not room.fits(Span(0, 2, Load(7, 0, 0)))
    assert room.fits(Span(1, 2, Load(10, 10, 10)))
