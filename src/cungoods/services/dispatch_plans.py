"""The hub's arithmetic, without a database: crates per station and temperature class, the order
they go on the bus, the load profile of a trip's legs, and which reservations still fit when a
trip gets a smaller vehicle.

Everything here takes plain values and returns plain values, so it is tested on its own
(tests/test_dispatch_plans.py); services/dispatch.py and services/trip_changes.py feed it rows.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from cungoods.models.enums import Direction, Temperature
from cungoods.services.capacity import Load

# Crates of one station go on in this order: ambient first, then chilled, then frozen (the
# coldest goods wait in the hub's cold store the longest).
TEMPERATURE_ORDER: dict[Temperature, int] = {
    Temperature.AMBIENT: 0,
    Temperature.CHILLED: 1,
    Temperature.FROZEN: 2,
}


class Space(StrEnum):
    """Where a crate rides: the cargo box, or the chilled compartment (chilled and frozen)."""

    AMBIENT = "AMBIENT"
    CHILLED = "CHILLED"


def space_of(temperature: Temperature) -> Space:
    return Space.AMBIENT if temperature is Temperature.AMBIENT else Space.CHILLED


# --- crates and the pick list -----------------------------------------------------------------


@dataclass(frozen=True)
class Line:
    """One order line as the hub picks it: a product, how many, and what one unit weighs."""

    order_id: int
    product_id: int
    quantity: int
    unit_weight_g: int
    unit_volume_cm3: int
    temperature: Temperature
    unit_price_fen: int = 0

    @property
    def load(self) -> Load:
        return Load.of_units(
            quantity=self.quantity,
            weight_g=self.unit_weight_g,
            volume_cm3=self.unit_volume_cm3,
            temperature=self.temperature,
        )


@dataclass(frozen=True)
class OrderToPack:
    """An order to pack for a trip: where it goes (station, stop seq) and its lines."""

    order_id: int
    station_id: int
    stop_seq: int
    lines: tuple[Line, ...]


@dataclass(frozen=True)
class CrateOrder:
    """An order's lines of one temperature class, packed in one crate."""

    order_id: int
    lines: tuple[Line, ...]


@dataclass(frozen=True)
class Crate:
    """What goes off the bus at one stop in one temperature class (one crate per class per
    station; a real crate may be several boxes, the hub sub-packs it)."""

    station_id: int
    stop_seq: int
    temperature: Temperature
    orders: tuple[CrateOrder, ...]
    load: Load

    @property
    def space(self) -> Space:
        return space_of(self.temperature)

    @property
    def units(self) -> int:
        return sum(line.quantity for order in self.orders for line in order.lines)


@dataclass(frozen=True)
class PickTotal:
    """Per product: the units to pick for the trip, from how many orders, and their load."""

    product_id: int
    quantity: int
    orders: int
    load: Load


def crates_of(orders: Iterable[OrderToPack]) -> list[Crate]:
    """One crate per station per temperature class, by stop then class; orders in a crate by
    id, and an order with lines of several classes appears in each of those crates."""
    grouped: dict[tuple[int, int, Temperature], dict[int, list[Line]]] = {}
    for order in orders:
        for line in order.lines:
            key = (order.stop_seq, order.station_id, line.temperature)
            grouped.setdefault(key, {}).setdefault(order.order_id, []).append(line)
    crates = []
    for (stop_seq, station_id, temperature), by_order in grouped.items():
        packed = tuple(
            CrateOrder(order_id, tuple(lines)) for order_id, lines in sorted(by_order.items())
        )
        load = _sum(line.load for order in packed for line in order.lines)
        crates.append(Crate(station_id, stop_seq, temperature, packed, load))
    crates.sort(key=lambda crate: (crate.stop_seq, TEMPERATURE_ORDER[crate.temperature]))
    return crates


def pick_totals(orders: Iterable[OrderToPack]) -> list[PickTotal]:
    """Per product (by id), the units to pick across all the orders."""
    quantity: dict[int, int] = {}
    order_ids: dict[int, set[int]] = {}
    load: dict[int, Load] = {}
    for order in orders:
        for line in order.lines:
            quantity[line.product_id] = quantity.get(line.product_id, 0) + line.quantity
            order_ids.setdefault(line.product_id, set()).add(order.order_id)
            load[line.product_id] = load.get(line.product_id, Load()) + line.load
    return [
        PickTotal(product_id, quantity[product_id], len(order_ids[product_id]), load[product_id])
        for product_id in sorted(quantity)
    ]


# --- loading order ----------------------------------------------------------------------------


@dataclass(frozen=True)
class LoadingStep:
    """A crate's turn to go on the bus: `step` counts over the whole bus from 1, `position`
    within its space (the cargo box or the chilled compartment)."""

    step: int
    position: int
    crate: Crate

    @property
    def space(self) -> Space:
        return self.crate.space


def loading_order(crates: Iterable[Crate]) -> list[LoadingStep]:
    """Last stop loaded first, so each stop's crates are at the door when the bus gets there;
    chilled and frozen crates go in the chilled compartment, ambient ones in the cargo box,
    each space filled in the same last-stop-first order."""
    ordered = sorted(
        crates, key=lambda crate: (-crate.stop_seq, TEMPERATURE_ORDER[crate.temperature])
    )
    positions: dict[Space, int] = {}
    steps = []
    for step, crate in enumerate(ordered, 1):
        positions[crate.space] = positions.get(crate.space, 0) + 1
        steps.append(LoadingStep(step=step, position=positions[crate.space], crate=crate))
    return steps


# --- the load profile of a trip ---------------------------------------------------------------


@dataclass(frozen=True)
class Span:
    """A reservation on a trip: a load from stop `from_seq` to stop `to_seq` (legs from_seq ..
    to_seq - 1) in one direction."""

    from_seq: int
    to_seq: int
    load: Load
    direction: Direction = Direction.DOWN

    def covers(self, leg_seq: int) -> bool:
        return self.from_seq <= leg_seq < self.to_seq


@dataclass(frozen=True)
class LegLoad:
    """One leg: what the vehicle can carry on it, and what rides on it each way."""

    seq: int
    capacity: Load
    down: Load
    up: Load

    @property
    def used(self) -> Load:
        return self.down + self.up

    @property
    def free(self) -> Load:
        return self.capacity - self.used

    @property
    def fill(self) -> float:
        """The share (0..1) of the tightest of weight, volume and chilled weight."""
        return max(
            _share(self.used.weight_g, self.capacity.weight_g),
            _share(self.used.volume_cm3, self.capacity.volume_cm3),
            _share(self.used.chilled_g, self.capacity.chilled_g),
        )


def load_profile(capacities: Sequence[Load], spans: Iterable[Span]) -> list[LegLoad]:
    """Per leg (capacities[i] is leg i), the sum of the spans covering it, each way."""
    down = [Load() for _ in capacities]
    up = [Load() for _ in capacities]
    for span in spans:
        for seq in range(max(span.from_seq, 0), min(span.to_seq, len(capacities))):
            if span.direction is Direction.DOWN:
                down[seq] += span.load
            else:
                up[seq] += span.load
    return [LegLoad(seq, capacity, down[seq], up[seq]) for seq, capacity in enumerate(capacities)]


def fullest_leg(profile: Sequence[LegLoad]) -> LegLoad | None:
    """The leg where the bus is fullest (the first of equals); None for no legs."""
    return max(profile, key=lambda leg: (leg.fill, -leg.seq), default=None)


# --- what still fits after a trip change -------------------------------------------------------


@dataclass(frozen=True)
class Booking:
    """A reservation that may have to make room: its key (the shipment id) and span."""

    key: int
    span: Span


@dataclass
class Room:
    """The room left on each leg of a trip, kept up to date as bookings are placed on it."""

    legs: list[Load] = field(default_factory=list)

    def fits(self, span: Span) -> bool:
        if not 0 <= span.from_seq < span.to_seq <= len(self.legs):
            return False
        return all(span.load.fits_in(self.legs[seq]) for seq in range(span.from_seq, span.to_seq))

    def take(self, span: Span) -> None:
        for seq in range(span.from_seq, span.to_seq):
            self.legs[seq] = self.legs[seq] - span.load


def keep_what_fits(
    capacities: Sequence[Load], bookings: Sequence[Booking], *, fixed: Sequence[Span] = ()
) -> tuple[list[Booking], list[Booking]]:
    """(kept, to move) when the legs can carry only `capacities`.

    `fixed` is what cannot move (already on board): it always stays. Then the bookings keep their
    seats in the order given (the caller passes them oldest first: who booked first keeps the
    seat), each only if it still fits on every leg it spans beside what is kept already. So only
    what does not fit moves, and of two that compete for the same room the later one does."""
    room = Room(list(capacities))
    for span in fixed:
        room.take(span)
    kept: list[Booking] = []
    moving: list[Booking] = []
    for booking in bookings:
        if room.fits(booking.span):
            room.take(booking.span)
            kept.append(booking)
        else:
            moving.append(booking)
    return kept, moving


def _sum(loads: Iterable[Load]) -> Load:
    total = Load()
    for load in loads:
        total += load
    return total


def _share(used: int, capacity: int) -> float:
    if capacity <= 0:
        return 0.0 if used <= 0 else 1.0
    return used / capacity
