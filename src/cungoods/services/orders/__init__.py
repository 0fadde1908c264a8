"""Downstream group-buy orders: placed by the evening cutoff, carried to the village station on
the next morning's bus, handed out by the station leader against a pickup code.

Lifecycle: PLACED -> CONFIRMED (cutoff) -> LOADED -> IN_TRANSIT -> AT_STATION -> PICKED_UP, or
PLACED -> CANCELLED. Every change writes its event in the same transaction (the outbox).

- visibility.py: who sees an order, reading orders.
- placing.py: placeOrder (stock, a seat on the bus, the order).
- cutoff.py: the sale window's cutoff, and cancelling before it (refunded in full).
- expiry.py: orders paid through the provider that never were: released at pay-by or cutoff.
- handout.py: orders moving with their trip, and the pickup at the station.
- The capacity outlook of a station is services/capacity/outlook.py (re-exported here).

Concurrency (PostgreSQL, READ COMMITTED): placing and cancelling read the sale window FOR SHARE
while its cutoff is ahead, and the cutoff claims that row by an UPDATE, which waits for them.
So the cutoff never misses an order still being placed, and nothing is placed or cancelled once
it has run. Every transaction here locks in the same order (idempotency key, window, order,
sale items by id, legs by seq), so they never deadlock one another. SQLite runs one write
transaction at a time, so the same code is correct there too.
"""

from cungoods.services.capacity import NoCapacity
from cungoods.services.capacity.outlook import (
    MAX_OUTLOOK_DAYS,
    DayCapacity,
    capacity_outlook,
    outlook,
)
from cungoods.services.orders.cutoff import (
    cancel_order,
    cut_off,
    next_cutoff_at,
    run_cutoff,
    run_due_cutoffs,
    window_before_cutoff,
)
from cungoods.services.orders.expiry import expire_unpaid, release_unpaid
from cungoods.services.orders.handout import (
    MAX_WRONG_CODES,
    advance_trip_orders,
    confirm_pickup,
    mark_loaded,
)
from cungoods.services.orders.placing import (
    MAX_LINES,
    MAX_QUANTITY,
    ORDER_PREFIX,
    PLACE_ORDER,
    LineRequest,
    place_order,
)
from cungoods.services.orders.unlock import unlock_pickup_code
from cungoods.services.orders.visibility import (
    can_see,
    get_order,
    history,
    my_orders,
    sees_pickup_code,
)

# NO_CAPACITY for an order is the one NoCapacity (leg_seq, next_date), as for produce.
OrderNoCapacity = NoCapacity

__all__ = [
    "MAX_LINES",
    "MAX_OUTLOOK_DAYS",
    "MAX_QUANTITY",
    "MAX_WRONG_CODES",
    "ORDER_PREFIX",
    "PLACE_ORDER",
    "DayCapacity",
    "LineRequest",
    "OrderNoCapacity",
    "advance_trip_orders",
    "can_see",
    "cancel_order",
    "capacity_outlook",
    "confirm_pickup",
    "cut_off",
    "expire_unpaid",
    "get_order",
    "history",
    "mark_loaded",
    "my_orders",
    "next_cutoff_at",
    "outlook",
    "place_order",
    "release_unpaid",
    "run_cutoff",
    "run_due_cutoffs",
    "sees_pickup_code",
    "unlock_pickup_code",
    "window_before_cutoff",
]
