"""Capacity arithmetic, without a database: loads, the room on a leg, the tightest of several legs.

A trip's legs are numbered by the stop they leave (leg k runs from stop k to stop k + 1), so a
list of per-leg rooms is indexed by leg seq, and a shipment from stop `from_seq` to stop `to_seq`
spans legs from_seq .. to_seq - 1.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from cungoods.models import Leg, Shipment
from cungoods.models.enums import Temperature


@dataclass(frozen=True)
class Load:
    """Weight, volume and the part of the weight that needs chilled space."""

    weight_g: int = 0
    volume_cm3: int = 0
    chilled_g: int = 0

    def __add__(self, other: Load) -> Load:
        return Load(
            self.weight_g + other.weight_g,
            self.volume_cm3 + other.volume_cm3,
            self.chilled_g + other.chilled_g,
        )

    def __sub__(self, other: Load) -> Load:
        return Load(
            self.weight_g - other.weight_g,
            self.volume_cm3 - other.volume_cm3,
            self.chilled_g - other.chilled_g,
        )

    def fits_in(self, room: Load) -> bool:
        return (
            self.weight_g <= room.weight_g
            and self.volume_cm3 <= room.volume_cm3
            and self.chilled_g <= room.chilled_g
        )

    def min(self, other: Load) -> Load:
        """The smaller of each measure: what fits in both rooms."""
        return Load(
            min(self.weight_g, other.weight_g),
            min(self.volume_cm3, other.volume_cm3),
            min(self.chilled_g, other.chilled_g),
        )

    def part(self, part: int, whole: int) -> Load:
        """The load of `part` of the `whole` units this load is made of (rounded down: exact for
        a load made as whole × the unit's load)."""
        return Load(
            self.weight_g * part // whole,
            self.volume_cm3 * part // whole,
            self.chilled_g * part // whole,
        )

    @classmethod
    def of_units(
        cls, *, quantity: int, weight_g: int, volume_cm3: int, temperature: Temperature | str
    ) -> Load:
        """What `quantity` units weigh; chilled and frozen goods also take chilled space."""
        weight = quantity * weight_g
        chilled = weight if Temperature(temperature) is not Temperature.AMBIENT else 0
        return cls(weight, quantity * volume_cm3, chilled)


def total(loads: Iterable[Load]) -> Load:
    result = Load()
    for load in loads:
        result += load
    return result


def tightest(rooms: Iterable[Load]) -> Load:
    """What fits in every one of `rooms` (no room at all for no rooms)."""
    result: Load | None = None
    for room in rooms:
        result = room if result is None else result.min(room)
    return result if result is not None else Load()


def leg_capacity(leg: Leg) -> Load:
    return Load(leg.capacity_g, leg.capacity_cm3, leg.chilled_capacity_g)


def leg_used(leg: Leg) -> Load:
    return Load(leg.used_g, leg.used_cm3, leg.used_chilled_g)


def leg_down(leg: Leg) -> Load:
    return Load(leg.down_g, leg.down_cm3, leg.down_chilled_g)


def leg_room(leg: Leg) -> Load:
    return leg_capacity(leg) - leg_used(leg)


def shipment_load(shipment: Shipment) -> Load:
    return Load(shipment.weight_g, shipment.volume_cm3, shipment.chilled_g)


def rooms_of(legs: Iterable[Leg]) -> list[Load]:
    """The room left on each leg of one trip, indexed by leg seq (a leg missing has none)."""
    by_seq = {leg.seq: leg_room(leg) for leg in legs}
    return [by_seq.get(seq, Load()) for seq in range(max(by_seq, default=-1) + 1)]


def room_on(rooms: Sequence[Load], from_seq: int, to_seq: int) -> Load:
    """The room on the tightest of legs from_seq .. to_seq - 1."""
    if not 0 <= from_seq < to_seq <= len(rooms):
        return Load()
    return tightest(rooms[from_seq:to_seq])


def first_refusing(rooms: Sequence[Load], from_seq: int, to_seq: int, load: Load) -> int | None:
    """The first of legs from_seq .. to_seq - 1 without room for `load` (a leg the trip does not
    have refuses), or None when every leg has room."""
    for seq in range(from_seq, to_seq):
        if not 0 <= seq < len(rooms) or not load.fits_in(rooms[seq]):
            return seq
    return None


def taking(rooms: Sequence[Load], from_seq: int, to_seq: int, load: Load) -> list[Load]:
    """The rooms once `load` rides legs from_seq .. to_seq - 1."""
    return [room - load if from_seq <= seq < to_seq else room for seq, room in enumerate(rooms)]
