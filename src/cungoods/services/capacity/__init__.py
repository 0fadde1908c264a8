"""The capacity rule (DESIGN.md): one mechanism for both directions.

- load.py: the arithmetic (Load, the room on a leg, the tightest of several legs), no database.
- ledger.py: reserve (in its own savepoint), release, release_many, shrink, set_capacity, and
  the invariant as one query.
- rides.py: the first trip with room (orders, produce, trip changes), where the hub is on a
  trip, and NoCapacity completed with the next date with room.
- outlook.py: a station's room per service date.
"""

from cungoods.services.capacity.ledger import (
    ADD_LOAD_SQL,
    LOCK_LEGS_SQL,
    WITHIN_CAPACITY_SQL,
    CapacityTooSmall,
    NoCapacity,
    invariant_violations,
    release,
    release_many,
    reserve,
    set_capacity,
    shrink,
)
from cungoods.services.capacity.load import (
    Load,
    first_refusing,
    leg_capacity,
    leg_down,
    leg_room,
    leg_used,
    room_on,
    rooms_of,
    shipment_load,
    tightest,
    total,
)
from cungoods.services.capacity.outlook import DayCapacity, capacity_outlook, outlook
from cungoods.services.capacity.rides import (
    HUB_DEPARTURE_SEQ,
    OUTLOOK_DAYS,
    Ride,
    Seat,
    Target,
    Way,
    arrival_seq,
    book,
    later_trips,
    next_date_with_room,
    rebook,
    span,
    take_first,
    with_next_date,
)

__all__ = [
    "ADD_LOAD_SQL",
    "HUB_DEPARTURE_SEQ",
    "LOCK_LEGS_SQL",
    "OUTLOOK_DAYS",
    "WITHIN_CAPACITY_SQL",
    "CapacityTooSmall",
    "DayCapacity",
    "Load",
    "NoCapacity",
    "Ride",
    "Seat",
    "Target",
    "Way",
    "arrival_seq",
    "book",
    "capacity_outlook",
    "first_refusing",
    "invariant_violations",
    "later_trips",
    "leg_capacity",
    "leg_down",
    "leg_room",
    "leg_used",
    "next_date_with_room",
    "outlook",
    "rebook",
    "release",
    "release_many",
    "reserve",
    "room_on",
    "rooms_of",
    "set_capacity",
    "shipment_load",
    "shrink",
    "span",
    "take_first",
    "tightest",
    "total",
    "with_next_date",
]
