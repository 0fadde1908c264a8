"""Trip changes (DISPATCHER): a smaller (or bigger) vehicle for a trip, or a cancelled trip.

What no longer fits moves to the next scheduled trip of the same route that has room for it;
what cannot move is cancelled with its stock given back. Every buyer and farmer concerned gets
an event, the trip gets one, and the capacity invariant holds after, all in one transaction.

Rules (decided here):
- Who keeps a seat after a vehicle swap: reservations are admitted oldest first (by when the
  shipment was made, then id) and each keeps its seat if it still fits beside those before it;
  so only what does not fit moves, and of two competing for the same room the later one does.
  What is already on board (a trip under way) never moves.
- Where an order may go: a later scheduled trip of the same route on its service date, or on
  the next day at the latest (MAX_ORDER_SHIFT_DAYS), counted from the date it was sold for
  (its sale window's date, so moving twice cannot drift it further). The order's service date
  becomes the new trip's date and the buyer is told; a LOADED order is unloaded (CONFIRMED).
- Where produce may go: a later scheduled trip of the same route on or before the listing's
  ready-until date (the farmer said how long it keeps). A HANDED_OVER purchase waits with the
  leader for that bus.
- What cannot go anywhere is cancelled: an order's sale-item stock and a purchase's listing
  stock are given back, and its capacity is released.

Locking (PostgreSQL), in this order so nothing here deadlocks with the other use cases: the
trip row (FOR NO KEY UPDATE, so bookings in flight can still check their foreign key to it); the
sale windows of the trip's orders (FOR UPDATE: placements and buyer cancellations hold them FOR
SHARE, so none of them is half-way through a sale item or a leg of this trip); the listings of
its purchases; its movable orders and purchases; its legs, in seq order; then the legs of the
trips things move to, by the capacity mechanism's conditional updates. A purchase takes no sale
window, so one may land on the trip between the first look and the leg locks: the reservations
are read again once the legs are locked, and such latecomers move too.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

from tortoise.transactions import in_transaction

from cungoods.events import outbox
from cungoods.models import (
    Leg,
    Order,
    ProduceListing,
    ProducePurchase,
    Route,
    SaleWindow,
    Shipment,
    Trip,
    Vehicle,
)
from cungoods.models.enums import (
    Direction,
    OrderStatus,
    PurchaseStatus,
    ShipmentState,
    TripStatus,
)
from cungoods.services import capacity, clock, stock
from cungoods.services.auth import Viewer, require_dispatcher
from cungoods.services.capacity import CapacityTooSmall, Load, Ride, Target
from cungoods.services.dispatch_plans import Booking, Span, keep_what_fits
from cungoods.services.errors import DomainError, ErrorCode, invalid, not_found
from cungoods.services.money import payments, refunds
from cungoods.services.orders import expiry as order_expiry

MAX_ORDER_SHIFT_DAYS = 1
MAX_REASON_LENGTH = 200
MOVABLE_ORDERS: tuple[OrderStatus, ...] = (
    OrderStatus.PLACED,
    OrderStatus.CONFIRMED,
    OrderStatus.LOADED,
)
MOVABLE_PURCHASES: tuple[PurchaseStatus, ...] = (
    PurchaseStatus.RESERVED,
    PurchaseStatus.HANDED_OVER,
)
VEHICLE_CHANGED = f"{outbox.TRIP_PREFIX}VEHICLE_CHANGED"


@dataclass
class TripChange:
    """What a trip change did: the trip as it is now, and what moved or was cancelled."""

    trip: Trip
    moved_orders: list[Order] = field(default_factory=list)
    cancelled_orders: list[Order] = field(default_factory=list)
    moved_purchases: list[ProducePurchase] = field(default_factory=list)
    cancelled_purchases: list[ProducePurchase] = field(default_factory=list)
    # Reservations nobody owns any more (none in normal operation): released.
    released_unowned: int = 0


# --- use cases --------------------------------------------------------------------------------


async def swap_vehicle(*, viewer: Viewer | None, trip_id: int, vehicle_id: int) -> TripChange:
    """Run a scheduled trip with another vehicle (DISPATCHER): its legs take the vehicle's
    capacity, and what no longer fits moves to a later trip or is cancelled."""
    require_dispatcher(viewer)
    async with in_transaction():
        trip = await _locked_trip(trip_id)
        if trip.status is not TripStatus.SCHEDULED:
            raise DomainError(
                ErrorCode.INVALID_STATE,
                f"the trip is {trip.status.value.lower()}: only a scheduled trip changes vehicle",
                ["tripId"],
            )
        vehicle = await Vehicle.get_or_none(id=vehicle_id)
        if vehicle is None:
            raise not_found("vehicle", "vehicleId")
        if vehicle.id == trip.vehicle_id:
            raise invalid("the trip already runs with this vehicle", "vehicleId")
        route = await Route.get(id=trip.route_id)
        await _check_vehicle_free(vehicle, trip, route)
        new_capacity = Load(vehicle.capacity_g, vehicle.capacity_cm3, vehicle.chilled_capacity_g)
        cargo = await _Cargo.lock(trip)
        _kept, moving = keep_what_fits(
            [new_capacity] * len(cargo.legs), cargo.bookings(), fixed=cargo.fixed_spans()
        )
        reason = f"{route.code} on {trip.service_date} now runs with a smaller bus"
        change = await _move_off(trip, route, cargo, [b.key for b in moving], reason=reason)
        try:
            await capacity.set_capacity(trip_id=trip.id, capacity=new_capacity)
        except CapacityTooSmall as refused:
            raise DomainError(
                ErrorCode.INVALID_STATE,
                f"leg {refused.leg_seq} of the trip holds more than the new vehicle carries: "
                "try again",
                ["vehicleId"],
                leg_seq=refused.leg_seq,
            ) from None
        await Trip.filter(id=trip.id).update(vehicle_id=vehicle.id)
        trip.vehicle_id = vehicle.id
        await outbox.record(
            VEHICLE_CHANGED,
            message=f"{route.code} on {trip.service_date} runs with {vehicle.plate}"
            + _summary(change),
            trip_id=trip.id,
            status=trip.status.value,
        )
    change.trip = trip
    return change


async def cancel_trip(*, viewer: Viewer | None, trip_id: int, reason: str) -> TripChange:
    """Cancel a trip that has not finished (DISPATCHER): what has not boarded moves to a later
    trip of the route or is cancelled; what is on board (a trip under way) stays as it is."""
    require_dispatcher(viewer)
    reason = (reason or "").strip()
    if len(reason) > MAX_REASON_LENGTH:
        raise invalid(f"the reason is at most {MAX_REASON_LENGTH} characters", "reason")
    async with in_transaction():
        trip = await _locked_trip(trip_id)
        if trip.status in (TripStatus.COMPLETED, TripStatus.CANCELLED):
            raise DomainError(
                ErrorCode.INVALID_STATE,
                f"the trip is {trip.status.value.lower()}: it takes no more events",
            )
        route = await Route.get(id=trip.route_id)
        await Trip.filter(id=trip.id).update(status=TripStatus.CANCELLED)
        trip.status = TripStatus.CANCELLED
        # The same event recordTripEvent(CANCELLED) writes (TRIP_CANCELLED), so followers see
        # one kind of it; services/trips.py is not imported, so it may call back into this module.
        await outbox.record(
            f"{outbox.TRIP_PREFIX}{TripStatus.CANCELLED.value}",
            message=f"{route.code} is cancelled" + (f": {reason}" if reason else ""),
            trip_id=trip.id,
            status=trip.status.value,
        )
        change = await move_off_cancelled_trip(trip_id=trip.id, reason=reason)
    change.trip = trip
    return change


async def move_off_cancelled_trip(*, trip_id: int, reason: str = "") -> TripChange:
    """Move everything that has not boarded off a cancelled trip (or cancel it), releasing its
    reservations. Call inside the transaction that cancelled the trip, after locking its row
    FOR NO KEY UPDATE (see _locked_trip); recordTripEvent(CANCELLED) may call this. Running it
    again finds nothing to move."""
    trip = await Trip.get(id=trip_id)
    route = await Route.get(id=trip.route_id)
    cargo = await _Cargo.lock(trip)
    why = f"{route.code} on {trip.service_date} is cancelled" + (f" ({reason})" if reason else "")
    return await _move_off(
        trip, route, cargo, [booking.key for booking in cargo.bookings()], reason=why
    )


async def move_no_shows(*, trip_id: int, station_id: int | None) -> TripChange:
    """Produce purchases still RESERVED on a trip whose bus has left their station (one station,
    or every station when it is back at the hub): the farmer never handed them over. Each moves
    to the next trip of the route with room within its listing's ready-until, or is cancelled
    and refunded in full, its stock given back; either way this trip's reservation is released
    now and buyer and farmer are told. Call inside the trip event's transaction (the trip row
    locked)."""
    query = ProducePurchase.filter(trip_id=trip_id, status=PurchaseStatus.RESERVED)
    if station_id is not None:
        query = query.filter(station_id=station_id)
    if not await query.exists():
        return TripChange(trip=await Trip.get(id=trip_id))
    trip = await Trip.get(id=trip_id)
    route = await Route.get(id=trip.route_id)
    cargo = await _Cargo.lock(trip)
    leaving = [
        shipment_id
        for shipment_id, purchase in cargo.purchases.items()
        if purchase.status is PurchaseStatus.RESERVED
        and (station_id is None or purchase.station_id == station_id)
        and shipment_id not in cargo.fixed
    ]
    why = f"not handed over when {route.code} left on {trip.service_date}"
    return await _move_off(trip, route, cargo, leaving, reason=why)


# --- what is on the trip ----------------------------------------------------------------------


@dataclass
class _Cargo:
    """A trip's legs and live reservations, with the orders and purchases that own them, all
    locked (see the module's locking order)."""

    legs: list[Leg]
    shipments: list[Shipment]
    orders: dict[int, Order]  # by shipment id: movable orders
    purchases: dict[int, ProducePurchase]  # by shipment id: movable purchases
    listings: dict[int, ProduceListing]
    windows: dict[int, SaleWindow]
    fixed: set[int]  # shipment ids that stay: their orders or purchases are on board

    @classmethod
    async def lock(cls, trip: Trip) -> _Cargo:
        seen_orders = await Order.filter(trip_id=trip.id, status__in=list(MOVABLE_ORDERS))
        seen_purchases = await ProducePurchase.filter(
            trip_id=trip.id, status__in=list(MOVABLE_PURCHASES)
        )
        window_ids = {order.window_id for order in seen_orders}
        same_day = SaleWindow.filter(service_date=trip.service_date).only("id")
        window_ids |= {window.id for window in await same_day}
        windows = {
            w.id: w
            for w in await SaleWindow.filter(id__in=sorted(window_ids))
            .select_for_update()
            .order_by("id")
        }
        listings = {
            listing.id: listing
            for listing in await ProduceListing.filter(
                id__in=sorted({p.listing_id for p in seen_purchases})
            )
            .select_for_update()
            .order_by("id")
        }
        orders = {
            order.shipment_id: order
            for order in await Order.filter(trip_id=trip.id, status__in=list(MOVABLE_ORDERS))
            .select_for_update()
            .order_by("id")
            if order.window_id in windows
        }
        purchases = {
            purchase.shipment_id: purchase
            for purchase in await ProducePurchase.filter(
                trip_id=trip.id, status__in=list(MOVABLE_PURCHASES)
            )
            .select_for_update()
            .order_by("id")
            if purchase.listing_id in listings
        }
        legs = await Leg.filter(trip_id=trip.id).select_for_update().order_by("seq")
        # With the legs locked nothing new lands on the trip: read what is on it now.
        shipments = await Shipment.filter(trip_id=trip.id, state=ShipmentState.RESERVED).order_by(
            "created_at", "id"
        )
        cargo = cls(
            legs=legs,
            shipments=shipments,
            orders=orders,
            purchases=purchases,
            listings=listings,
            windows=windows,
            fixed=set(),
        )
        await cargo._own_the_rest()
        return cargo

    async def _own_the_rest(self) -> None:
        """Reservations made after the first look (a purchase needs no sale window, so one may
        have landed before the legs were locked) join the move; those of orders and purchases
        already on board stay; those of nobody are released with the rest."""
        others = [s.id for s in self.shipments if s.id not in self.orders]
        others = [i for i in others if i not in self.purchases]
        if not others:
            return
        for order in await Order.filter(shipment_id__in=others).select_for_update().order_by("id"):
            if order.status in MOVABLE_ORDERS:
                self.orders[order.shipment_id] = order
            else:
                self.fixed.add(order.shipment_id)
        for purchase in (
            await ProducePurchase.filter(shipment_id__in=others).select_for_update().order_by("id")
        ):
            if purchase.status in MOVABLE_PURCHASES:
                self.purchases[purchase.shipment_id] = purchase
            else:
                self.fixed.add(purchase.shipment_id)
        missing_windows = {o.window_id for o in self.orders.values()} - set(self.windows)
        for window in await SaleWindow.filter(id__in=sorted(missing_windows)):
            self.windows[window.id] = window
        missing_listings = {p.listing_id for p in self.purchases.values()} - set(self.listings)
        for listing in (
            await ProduceListing.filter(id__in=sorted(missing_listings))
            .select_for_update()
            .order_by("id")
        ):
            self.listings[listing.id] = listing

    def bookings(self) -> list[Booking]:
        """What may move, oldest first."""
        return [
            Booking(key=s.id, span=_span(s, s.from_seq, s.to_seq))
            for s in self.shipments
            if s.id not in self.fixed
        ]

    def latest(self, order: Order) -> dt.date:
        """The last date an order may move to, counted from the date it was sold for (so moving
        twice cannot drift it further)."""
        return self.windows[order.window_id].service_date + dt.timedelta(days=MAX_ORDER_SHIFT_DAYS)

    def fixed_spans(self) -> list[Span]:
        return [_span(s, s.from_seq, s.to_seq) for s in self.shipments if s.id in self.fixed]


def _span(shipment: Shipment, from_seq: int, to_seq: int) -> Span:
    return Span(
        from_seq=from_seq,
        to_seq=to_seq,
        load=capacity.shipment_load(shipment),
        direction=Direction(shipment.direction),
    )


# --- moving -----------------------------------------------------------------------------------


async def _move_off(
    trip: Trip, route: Route, cargo: _Cargo, shipment_ids: Sequence[int], *, reason: str
) -> TripChange:
    change = TripChange(trip=trip)
    if not shipment_ids:
        return change
    by_id = {s.id: s for s in cargo.shipments}
    leaving = [by_id[i] for i in shipment_ids]
    targets = await _targets(trip, cargo, leaving)
    trips = {target.trip.id: target.trip for target in targets}
    for shipment in leaving:
        order = cargo.orders.get(shipment.id)
        purchase = cargo.purchases.get(shipment.id)
        if order is not None:
            ride = await capacity.rebook(
                shipment, station_id=order.station_id, targets=targets, latest=cargo.latest(order)
            )
            if ride is None:
                await _cancel_order(order, reason=reason)
                change.cancelled_orders.append(order)
            else:
                await _move_order(order, ride, trips[ride.trip_id], route, reason=reason)
                change.moved_orders.append(order)
        elif purchase is not None:
            listing = cargo.listings[purchase.listing_id]
            ride = await capacity.rebook(
                shipment,
                station_id=purchase.station_id,
                targets=targets,
                latest=listing.ready_until,
            )
            if ride is None:
                await _cancel_purchase(purchase, listing, reason=reason)
                change.cancelled_purchases.append(purchase)
            else:
                moved_to = trips[ride.trip_id]
                await _move_purchase(purchase, listing, ride, moved_to, route, reason=reason)
                change.moved_purchases.append(purchase)
        else:
            change.released_unowned += 1
    if await capacity.release_many(leaving) != len(leaving):
        raise RuntimeError("a reservation being moved was released by someone else")
    return change


async def _targets(trip: Trip, cargo: _Cargo, leaving: Sequence[Shipment]) -> list[Target]:
    """The later trips of the route anything leaving may go to (up to the latest date any of it
    may ride), earliest first, with the room left on their legs (three queries)."""
    latest = [cargo.latest(o) for s in leaving if (o := cargo.orders.get(s.id)) is not None] + [
        cargo.listings[p.listing_id].ready_until
        for s in leaving
        if (p := cargo.purchases.get(s.id)) is not None
    ]
    if not latest:
        return []
    return await capacity.later_trips(trip, until=max(latest))


def _when(trip: Trip, route: Route) -> str:
    departs = trip.departs_at.astimezone(clock.tz())
    return f"{route.code} on {trip.service_date} (leaves the hub {departs:%H:%M})"


async def _move_order(order: Order, ride: Ride, trip: Trip, route: Route, *, reason: str) -> None:
    # Unloaded from the bus that is not going: it is loaded again for the new one.
    status = OrderStatus.CONFIRMED if order.status is OrderStatus.LOADED else order.status
    left = order.trip_id
    await Order.filter(id=order.id).update(
        trip_id=trip.id,
        shipment_id=ride.shipment.id,
        service_date=trip.service_date,
        status=status,
    )
    order.trip_id, order.shipment_id = trip.id, ride.shipment.id
    order.service_date, order.status = trip.service_date, status
    await outbox.record_order_status(
        order,
        message=f"{reason}: order {order.number} now rides {_when(trip, route)}; "
        f"pick it up on {trip.service_date}",
        stop_seq=ride.stop_seq,
        from_trip_id=left,
    )


async def _cancel_order(order: Order, *, reason: str) -> None:
    await Order.filter(id=order.id, status=order.status).update(status=OrderStatus.CANCELLED)
    await stock.give_back_order(order.id)
    order.status = OrderStatus.CANCELLED
    # The refund first, so the cancellation is the order's last event.
    await order_expiry.settle_cancelled(order, reason=f"{reason}: no bus could carry it")
    await outbox.record_order_status(
        order,
        message=f"{reason}: no bus has room for order {order.number} within "
        f"{MAX_ORDER_SHIFT_DAYS} day, so it is cancelled and refunded",
    )


async def _move_purchase(
    purchase: ProducePurchase,
    listing: ProduceListing,
    ride: Ride,
    trip: Trip,
    route: Route,
    *,
    reason: str,
) -> None:
    left = purchase.trip_id
    await ProducePurchase.filter(id=purchase.id).update(
        trip_id=trip.id, shipment_id=ride.shipment.id
    )
    purchase.trip_id, purchase.shipment_id = trip.id, ride.shipment.id
    await outbox.record_purchase_status(
        purchase,
        farmer_id=listing.farmer_id,
        message=f"{reason}: {listing.title} now rides {_when(trip, route)}",
        stop_seq=ride.stop_seq,
        from_trip_id=left,
    )


async def _cancel_purchase(
    purchase: ProducePurchase, listing: ProduceListing, *, reason: str
) -> None:
    await ProducePurchase.filter(id=purchase.id, status=purchase.status).update(
        status=PurchaseStatus.CANCELLED
    )
    await stock.give_back(stock.LISTINGS, [(listing.id, purchase.quantity)])
    purchase.status = PurchaseStatus.CANCELLED
    # The refund first, so the cancellation is the purchase's last event.
    await payments.expire_intents(purchase_id=purchase.id)
    await refunds.refund(
        purchase_id=purchase.id,
        amount_fen=await refunds.refundable_fen(purchase_id=purchase.id),
        reason=f"{reason}: no bus could carry it",
    )
    await outbox.record_purchase_status(
        purchase,
        farmer_id=listing.farmer_id,
        message=f"{reason}: no bus has room for {listing.title} by "
        f"{listing.ready_until}, so the purchase is cancelled",
    )


async def _check_vehicle_free(vehicle: Vehicle, trip: Trip, route: Route) -> None:
    """A vehicle runs one trip at a time: refuse one that is out on another trip then."""
    ends = trip.departs_at + dt.timedelta(minutes=route.return_minutes)
    others = await Trip.filter(
        vehicle_id=vehicle.id,
        status__in=[TripStatus.SCHEDULED, TripStatus.IN_PROGRESS],
        service_date__gte=trip.service_date - dt.timedelta(days=1),
        service_date__lte=trip.service_date + dt.timedelta(days=1),
    ).prefetch_related("route")
    for other in others:
        other_ends = other.departs_at + dt.timedelta(minutes=other.route.return_minutes)
        if other.id != trip.id and other.departs_at < ends and trip.departs_at < other_ends:
            raise DomainError(
                ErrorCode.INVALID_STATE,
                f"{vehicle.plate} runs {other.route.code} at that time",
                ["vehicleId"],
            )


async def _locked_trip(trip_id: int) -> Trip:
    """The trip row, locked against other trip changes and trip events. FOR NO KEY UPDATE (on
    PostgreSQL): a plain FOR UPDATE would also block the foreign-key checks of orders and
    purchases being booked on the trip meanwhile, which then wait for us while we wait for the
    legs they hold: a deadlock."""
    trip = await Trip.filter(id=trip_id).select_for_update(no_key=True).first()
    if trip is None:
        raise not_found("trip", "tripId")
    return trip


def _summary(change: TripChange) -> str:
    parts = []
    if change.moved_orders or change.moved_purchases:
        parts.append(
            f"{len(change.moved_orders)} orders and {len(change.moved_purchases)} purchases "
            "moved to later buses"
        )
    if change.cancelled_orders or change.cancelled_purchases:
        parts.append(
            f"{len(change.cancelled_orders)} orders and {len(change.cancelled_purchases)} "
            "purchases cancelled"
        )
    return (": " + ", ".join(parts)) if parts else ""
