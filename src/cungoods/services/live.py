"""Who may follow what: each live topic and the viewers allowed to watch it.

A subscription asks here for its topic once, when it starts; the broker then streams that topic.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from cungoods.db import sql
from cungoods.db.batched import Batched
from cungoods.events.outbox import topics_of
from cungoods.models import (
    Event,
    EventTopic,
    Order,
    ProduceListing,
    ProducePurchase,
    Station,
    Trip,
    TripStop,
)
from cungoods.models.enums import OrderStatus, PurchaseStatus
from cungoods.services import clock, orders, purchases
from cungoods.services.auth import Viewer, require_viewer
from cungoods.services.errors import DomainError, not_allowed, not_found

_TRIP_TABLE = Trip._meta.db_table


async def _existing_trips(ids: list[int]) -> dict[int, bool]:
    marks = sql.placeholders(1, len(ids))
    rows = await sql.fetch(f"SELECT id FROM {_TRIP_TABLE} WHERE id IN ({marks})", *ids)
    return {int(row["id"]): True for row in rows}


# Every subscriber of a trip's board asks this as it subscribes (thousands in a burst when the
# buses leave): one plain query per turn of the event loop for all of them (db/batched.py).
_trip_exists: Batched[int, bool] = Batched(_existing_trips)


async def trip_topic(*, viewer: Viewer | None, trip_id: int) -> str:
    """A trip's progress: anyone signed in may follow it."""
    require_viewer(viewer)
    if not await _trip_exists.load(trip_id):
        raise not_found("trip", "tripId")
    return topics_of(trip_id=trip_id)[0]


async def order_topic(*, viewer: Viewer | None, order_id: int) -> str:
    """An order's status: its buyer, its station's leader and dispatchers."""
    signed_in = require_viewer(viewer)
    order = await Order.get_or_none(id=order_id).only("id", "buyer_id", "station_id")
    if order is None:
        raise not_found("order", "orderId")
    if not orders.can_see(signed_in, order):
        raise not_allowed("only the buyer, the station's leader or a dispatcher may follow it")
    return topics_of(order_id=order_id)[0]


async def purchase_topic(*, viewer: Viewer | None, purchase_id: int) -> str:
    """A produce purchase: its buyer, the farmer, the handover station's leader, dispatchers."""
    signed_in = require_viewer(viewer)
    purchase = await ProducePurchase.get_or_none(id=purchase_id).only(
        "id", "buyer_id", "listing_id", "station_id"
    )
    if purchase is None:
        raise not_found("purchase", "purchaseId")
    listing = await ProduceListing.get(id=purchase.listing_id).only("id", "farmer_id")
    if not purchases.may_see_purchase(
        signed_in,
        buyer_id=purchase.buyer_id,
        farmer_id=listing.farmer_id,
        station_id=purchase.station_id,
    ):
        raise not_allowed(
            "only the buyer, the farmer, the station's leader or a dispatcher may follow it"
        )
    return topics_of(purchase_id=purchase_id)[0]


async def station_topic(*, viewer: Viewer | None, station_id: int) -> str:
    """Everything arriving at and leaving a station: its leader and dispatchers."""
    signed_in = require_viewer(viewer)
    if not await Station.exists(id=station_id):
        raise not_found("station", "stationId")
    if not (signed_in.leads(station_id) or signed_in.is_dispatcher):
        raise not_allowed("only the station's leader or a dispatcher may follow it")
    return topics_of(station_id=station_id)[0]


def own_topic(*, viewer: Viewer | None) -> str:
    """The viewer's own orders and purchases (as buyer or as farmer)."""
    signed_in = require_viewer(viewer)
    return topics_of(user_ids=(signed_in.id,))[0]


async def visible_event(*, viewer: Viewer | None, event_id: int) -> tuple[Event, str] | None:
    """An event and the first of its topics the viewer may follow (their own stream first,
    then the order's or purchase's, the station's, the trip's), or None when they may follow
    none of them: `node(id)` on a DeliveryEvent shows what a subscription would have."""
    if viewer is None:
        return None
    event = await Event.get_or_none(id=event_id)
    if event is None:
        return None
    topics = {row.topic for row in await EventTopic.filter(event_id=event_id).only("topic")}
    for topic in sorted(topics, key=_preference):
        if await _may_follow(viewer, topic):
            return event, topic
    return None


_PREFERENCE = ("user", "order", "purchase", "station", "trip")


def _preference(topic: str) -> int:
    name = topic.partition(":")[0]
    return _PREFERENCE.index(name) if name in _PREFERENCE else len(_PREFERENCE)


async def _may_follow(viewer: Viewer, topic: str) -> bool:
    """Whether the viewer may follow `topic`, by the same rule its subscription asks."""
    name, _, raw_id = topic.partition(":")
    if not raw_id.isdigit():
        return False
    pk = int(raw_id)
    try:
        if name == "user":
            return own_topic(viewer=viewer) == topic
        if name == "order":
            await order_topic(viewer=viewer, order_id=pk)
        elif name == "purchase":
            await purchase_topic(viewer=viewer, purchase_id=pk)
        elif name == "station":
            await station_topic(viewer=viewer, station_id=pk)
        elif name == "trip":
            await trip_topic(viewer=viewer, trip_id=pk)
        else:
            return False
    except DomainError:
        return False
    return True


@dataclass(frozen=True)
class TripAudience:
    """Who follows a trip's events live besides its own topic: the stations it stops at and
    the people whose orders or purchases ride it and are not done."""

    station_ids: tuple[int, ...]
    user_ids: tuple[int, ...]


_DONE_ORDERS = (OrderStatus.CANCELLED.value, OrderStatus.PICKED_UP.value)
_DONE_PURCHASES = (PurchaseStatus.CANCELLED.value, PurchaseStatus.COLLECTED.value)
_RIDERS_SQL = (
    f"SELECT buyer_id FROM {Order._meta.db_table} WHERE trip_id = $1 AND status NOT IN ($2, $3) "
    f"UNION SELECT buyer_id FROM {ProducePurchase._meta.db_table} "
    "WHERE trip_id = $1 AND status NOT IN ($4, $5)"
)


async def trip_audience(*, trip_id: int) -> TripAudience:
    """The stations and people a trip's event (a delay, an arrival) reaches live."""
    stops = await TripStop.filter(trip_id=trip_id, station_id__isnull=False).values("station_id")
    rows = await sql.fetch(_RIDERS_SQL, trip_id, *_DONE_ORDERS, *_DONE_PURCHASES)
    return TripAudience(
        station_ids=tuple(sorted({int(stop["station_id"]) for stop in stops})),
        user_ids=tuple(sorted({int(row["buyer_id"]) for row in rows})),
    )


async def start_of_day_cursor() -> int:
    """The cursor just before today's first event (service time zone): following a topic
    after it replays everything since midnight, then goes on live, from the same table."""
    midnight = clock.at(clock.today(), "00:00").astimezone(dt.UTC)
    last = await Event.filter(at__lt=midnight).order_by("-id").limit(1).values("id")
    return int(last[0]["id"]) if last else 0
