"""Trip events reported by the driver (or a dispatcher), and what they move on board.

A trip runs stop by stop: DEPARTED from the hub (stop 0), then ARRIVED and LEFT at each station
in order, ARRIVED back at the hub (the last stop), COMPLETED. DELAYED and CANCELLED may come at
any point before the end. Each event, the status moves it causes and their outbox events commit
in one transaction. The trip row is locked first (as trip changes do, then the orders and the
purchases, in id order), so two reports of the same stop (driver and dispatcher at once) apply
one after the other and the second is refused.

With an idempotency key (services/idempotency.run_once, as placeOrder has) a driver on a flaky
network retries safely: the same key with the same report is applied once and answers the trip.
Only dispatchers cancel a whole trip (`require_may_cancel`, the one rule for CANCELLED here and
for cancelTrip); the driver reports the rest.

Guards (issue 13): a trip's events are taken on its service date only, from an early start
(`early_start`, CUNGOODS_TRIP_EVENTS_EARLY_HOURS, by default 18:00 the evening before, when the
hub loads); a delay or a cancellation may be announced any time before the end. A trip late
past midnight may still be run to its end. The bus is LOADED at the hub (`mark_loaded`, or by
the departure itself), and a produce purchase its farmer never handed over does not stay on a
bus that has left its station: it moves to the next trip of the route with room within the
listing's ready-until, or is cancelled and refunded (trip_changes.move_no_shows).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from enum import StrEnum

from tortoise.transactions import in_transaction

from cungoods.events import outbox
from cungoods.models import ProduceListing, ProducePurchase, Route, Station, Trip, TripStop
from cungoods.models.enums import OrderStatus, PurchaseStatus, TripStatus
from cungoods.services import clock, live, orders, returns, trip_changes
from cungoods.services.auth import Viewer, require_dispatcher, require_viewer
from cungoods.services.errors import DomainError, ErrorCode, invalid, not_allowed, not_found
from cungoods.services.idempotency import run_once

MAX_DELAY_MINUTES = 24 * 60
DEFAULT_EARLY_START = dt.timedelta(hours=6)  # 18:00 the evening before the service date
MAX_NOTE_LENGTH = 200
RECORD_TRIP_EVENT = "recordTripEvent"


class TripEventKind(StrEnum):
    DEPARTED = "DEPARTED"  # left the hub (stop 0)
    ARRIVED = "ARRIVED"  # at a stop; the last stop is the hub
    LEFT = "LEFT"  # left a station
    DELAYED = "DELAYED"  # running late by some minutes
    COMPLETED = "COMPLETED"  # back at the hub, trip over
    CANCELLED = "CANCELLED"


# What may be said of a trip before its day: it will be late, it will not run. Running it (the
# departure, the stops, the end) waits for its service date.
ANNOUNCEMENTS = frozenset({TripEventKind.DELAYED, TripEventKind.CANCELLED})


def require_may_cancel(viewer: Viewer | None) -> Viewer:
    """Who may cancel a whole trip: dispatchers (and admins), never its driver."""
    return require_dispatcher(viewer)


def _state(message: str) -> DomainError:
    return DomainError(ErrorCode.INVALID_STATE, message)


async def record_trip_event(
    *,
    viewer: Viewer | None,
    trip_id: int,
    kind: TripEventKind | str,
    stop_seq: int | None = None,
    minutes: int | None = None,
    note: str = "",
    idempotency_key: str | None = None,
    early_start: dt.timedelta = DEFAULT_EARLY_START,
) -> Trip:
    """Record what happened to a trip (its driver or a dispatcher; CANCELLED: dispatchers only)
    and move what is on board; returns the trip as it is now. A retry with the same key is
    applied once."""
    signed_in = require_viewer(viewer)
    kind = TripEventKind(kind)
    note = (note or "").strip()
    if len(note) > MAX_NOTE_LENGTH:
        raise invalid(f"the note is at most {MAX_NOTE_LENGTH} characters", "note")
    if kind is TripEventKind.DELAYED and (minutes is None or not 1 <= minutes <= MAX_DELAY_MINUTES):
        raise invalid(f"a delay is 1 to {MAX_DELAY_MINUTES} minutes", "minutes")
    if kind is TripEventKind.CANCELLED:
        require_may_cancel(signed_in)

    async def work() -> int:
        # FOR NO KEY UPDATE: orders and purchases being booked on the trip meanwhile only
        # check their foreign key to it, and need not wait for us.
        trip = await Trip.filter(id=trip_id).select_for_update(no_key=True).first()
        if trip is None:
            raise not_found("trip", "tripId")
        if not (signed_in.is_dispatcher or trip.driver_id == signed_in.id):
            raise not_allowed("only the trip's driver or a dispatcher may report its events")
        if trip.status in (TripStatus.COMPLETED, TripStatus.CANCELLED):
            raise _state(f"the trip is {trip.status.value.lower()}: it takes no more events")
        if kind not in ANNOUNCEMENTS:
            require_service_day(trip, early_start)
        run = _Run(trip, await TripStop.filter(trip_id=trip.id).order_by("seq"))
        await run.apply(kind, stop_seq=stop_seq, minutes=minutes or 0, note=note)
        return trip.id

    request = {
        "trip": trip_id,
        "kind": kind.value,
        "stop": stop_seq,
        "minutes": minutes,
        "note": note,
    }
    done = await run_once(
        user_id=signed_in.id,
        operation=RECORD_TRIP_EVENT,
        key=idempotency_key,
        request=request,
        work=work,
    )
    return await Trip.get(id=done)


def require_service_day(trip: Trip, early_start: dt.timedelta) -> None:
    """A trip is run on its service date (from `early_start` before its midnight), not before:
    a driver cannot run tomorrow's trip today."""
    opens = clock.at(trip.service_date, "00:00") - early_start
    if clock.now() < opens:
        local = clock.local(opens)
        raise DomainError(
            ErrorCode.INVALID_STATE,
            f"this trip runs on {trip.service_date}: its events are taken from "
            f"{local:%Y-%m-%d %H:%M}",
            ["tripId"],
        )


async def mark_loaded(
    *, viewer: Viewer | None, trip_id: int, early_start: dt.timedelta = DEFAULT_EARLY_START
) -> Trip:
    """The hub has loaded the bus (a dispatcher or the trip's driver, before departure): the
    trip's confirmed orders are LOADED, their buyers told. The departure does the same for
    whatever is still only confirmed, so LOADED is always passed through."""
    signed_in = require_viewer(viewer)
    async with in_transaction():
        trip = await Trip.filter(id=trip_id).select_for_update(no_key=True).first()
        if trip is None:
            raise not_found("trip", "tripId")
        if not (signed_in.is_dispatcher or trip.driver_id == signed_in.id):
            raise not_allowed("only the trip's driver or a dispatcher may mark it loaded")
        if trip.status is not TripStatus.SCHEDULED:
            raise _state("the bus is loaded before it departs: this trip has already left")
        require_service_day(trip, early_start)
        loaded = await orders.mark_loaded(trip_id=trip.id)
        route = await Route.get(id=trip.route_id)
        await outbox.record(
            f"{outbox.TRIP_PREFIX}LOADED",
            message=f"{route.code} is loaded at the hub ({len(loaded)} orders)",
            trip_id=trip.id,
            stop_seq=0,
            status=trip.status.value,
        )
    return trip


class _Run:
    """One event being applied to a trip whose row is locked."""

    def __init__(self, trip: Trip, stops: Sequence[TripStop]) -> None:
        self.trip = trip
        self.stops = {stop.seq: stop for stop in stops}
        self.last = max(self.stops)
        self.now = clock.now()
        self.route_code = ""

    async def apply(
        self, kind: TripEventKind, *, stop_seq: int | None, minutes: int, note: str
    ) -> None:
        route = await Route.get(id=self.trip.route_id)
        self.route_code = route.code
        if kind is TripEventKind.DEPARTED:
            await self.departed(stop_seq)
        elif kind is TripEventKind.ARRIVED:
            await self.arrived(self._seq(stop_seq, 1, self.last))
        elif kind is TripEventKind.LEFT:
            await self.left(self._seq(stop_seq, 1, self.last - 1))
        elif kind is TripEventKind.DELAYED:
            where = None if stop_seq is None else self._seq(stop_seq, 0, self.last)
            await self.delayed(where, minutes, note)
        elif kind is TripEventKind.COMPLETED:
            await self.completed()
        else:
            await self.cancelled(note)

    def _seq(self, stop_seq: int | None, low: int, high: int) -> int:
        if stop_seq is None:
            raise invalid("say which stop (stopSeq)", "stopSeq")
        if not low <= stop_seq <= high:
            raise invalid(f"stopSeq must be from {low} to {high} for this event", "stopSeq")
        return stop_seq

    def _require_running(self) -> None:
        if self.trip.status is not TripStatus.IN_PROGRESS:
            raise _state("the trip has not departed yet")

    async def _set_trip_status(self, status: TripStatus) -> None:
        self.trip.status = status
        await Trip.filter(id=self.trip.id).update(status=status)

    async def _record(
        self,
        kind: TripEventKind,
        message: str,
        stop: TripStop | None,
        *,
        params: dict[str, object] | None = None,
        tell_leaders_of: tuple[int, ...] = (),
    ) -> None:
        # The stations the trip serves and the people whose goods ride it follow it live.
        audience = await live.trip_audience(trip_id=self.trip.id)
        await outbox.record(
            f"{outbox.TRIP_PREFIX}{kind.value}",
            message=message,
            trip_id=self.trip.id,
            station_id=None if stop is None else stop.station_id,
            stop_seq=None if stop is None else stop.seq,
            status=self.trip.status.value,
            station_ids=audience.station_ids,
            followers=audience.user_ids,
            params={"route": self.route_code, **(params or {})},
            tell_leaders_of=tell_leaders_of,
        )

    async def _place(self, stop: TripStop) -> str:
        if stop.station_id is None:
            return "the hub"
        station = await Station.get(id=stop.station_id)
        return station.name

    # -- the events -------------------------------------------------------------------------

    async def departed(self, stop_seq: int | None) -> None:
        if stop_seq not in (None, 0):
            raise invalid("a trip departs from the hub, stop 0", "stopSeq")
        if self.trip.status is not TripStatus.SCHEDULED:
            raise _state("the trip has already departed")
        hub = self.stops[0]
        await TripStop.filter(id=hub.id).update(departed_at=self.now)
        await self._set_trip_status(TripStatus.IN_PROGRESS)
        await self._record(TripEventKind.DEPARTED, f"{self.route_code} left the hub", hub)
        # What the cutoff confirmed (and the hub loaded) is on board now. Orders still PLACED
        # were never confirmed, so they are not on the bus and stay as they are. Orders nobody
        # marked loaded pass through LOADED first, so every order's history has it.
        await orders.mark_loaded(trip_id=self.trip.id)
        await orders.advance_trip_orders(
            trip_id=self.trip.id,
            from_statuses=(OrderStatus.CONFIRMED, OrderStatus.LOADED),
            to_status=OrderStatus.IN_TRANSIT,
            stop_seq=0,
            message=f"on the bus ({self.route_code})",
        )

    async def arrived(self, seq: int) -> None:
        self._require_running()
        stop, previous = self.stops[seq], self.stops[seq - 1]
        if stop.arrived_at is not None:
            raise _state(f"the bus has already arrived at stop {seq}")
        if previous.departed_at is None:
            raise _state(f"the bus has not left stop {seq - 1} yet")
        await TripStop.filter(id=stop.id).update(arrived_at=self.now)
        place = await self._place(stop)
        await self._record(
            TripEventKind.ARRIVED,
            f"{self.route_code} arrived at {place}",
            stop,
            params={"place": place},
            tell_leaders_of=() if stop.station_id is None else (stop.station_id,),
        )
        if stop.station_id is not None:
            await orders.advance_trip_orders(
                trip_id=self.trip.id,
                from_statuses=(OrderStatus.IN_TRANSIT,),
                to_status=OrderStatus.AT_STATION,
                station_id=stop.station_id,
                stop_seq=seq,
                message=f"arrived at {place}: ready for pickup",
            )
        else:
            await _move_purchases(
                self.trip.id,
                station_id=None,
                moving=(PurchaseStatus.IN_TRANSIT,),
                to=PurchaseStatus.AT_HUB,
                stop_seq=seq,
                message="arrived at the hub",
            )
            # Stations the bus passed without a LEFT report: what was never handed over there
            # does not stay booked on a bus that is back.
            await trip_changes.move_no_shows(trip_id=self.trip.id, station_id=None)
            # Orders nobody collected came back on it: refunded, their room released.
            await returns.back_at_hub(trip_id=self.trip.id)

    async def left(self, seq: int) -> None:
        self._require_running()
        stop = self.stops[seq]
        if stop.arrived_at is None:
            raise _state(f"the bus has not arrived at stop {seq} yet")
        if stop.departed_at is not None:
            raise _state(f"the bus has already left stop {seq}")
        await TripStop.filter(id=stop.id).update(departed_at=self.now)
        place = await self._place(stop)
        await self._record(TripEventKind.LEFT, f"{self.route_code} left {place}", stop)
        # Produce the leader took in rides to the hub now.
        assert stop.station_id is not None  # only the hub stops have no station
        await _move_purchases(
            self.trip.id,
            station_id=stop.station_id,
            moving=(PurchaseStatus.HANDED_OVER,),
            to=PurchaseStatus.IN_TRANSIT,
            stop_seq=seq,
            message=f"on the bus from {place} to the hub ({self.route_code})",
        )
        # Purchases still RESERVED were never handed over: off this bus, now.
        await trip_changes.move_no_shows(trip_id=self.trip.id, station_id=stop.station_id)

    async def delayed(self, where: int | None, minutes: int, note: str) -> None:
        # Every stop the bus has not reached yet is expected that much later.
        ahead = [
            stop
            for stop in self.stops.values()
            if (stop.departed_at is None if stop.seq == 0 else stop.arrived_at is None)
        ]
        for stop in ahead:
            stop.expected_at = stop.expected_at + dt.timedelta(minutes=minutes)
        if ahead:
            await TripStop.bulk_update(ahead, fields=["expected_at"])
        self.trip.delay_minutes += minutes
        await Trip.filter(id=self.trip.id).update(delay_minutes=self.trip.delay_minutes)
        message = f"{self.route_code} is running {minutes} min late" + (f": {note}" if note else "")
        await self._record(
            TripEventKind.DELAYED,
            message,
            None if where is None else self.stops[where],
            params={"minutes": minutes},
            # The leaders of the stations the bus has yet to reach are told it is late.
            tell_leaders_of=tuple(s.station_id for s in ahead if s.station_id is not None),
        )

    async def completed(self) -> None:
        self._require_running()
        if self.stops[self.last].arrived_at is None:
            raise _state("the bus has not arrived back at the hub yet")
        await self._set_trip_status(TripStatus.COMPLETED)
        await self._record(TripEventKind.COMPLETED, f"{self.route_code} completed its run", None)

    async def cancelled(self, note: str) -> None:
        # What has not boarded moves to the route's next trip with room (or is cancelled with
        # its stock given back), in this same transaction: the trip row is already locked.
        await self._set_trip_status(TripStatus.CANCELLED)
        message = f"{self.route_code} is cancelled" + (f": {note}" if note else "")
        await self._record(TripEventKind.CANCELLED, message, None)
        await trip_changes.move_off_cancelled_trip(trip_id=self.trip.id, reason=note)


async def _move_purchases(
    trip_id: int,
    *,
    station_id: int | None,
    moving: tuple[PurchaseStatus, ...],
    to: PurchaseStatus,
    stop_seq: int,
    message: str,
) -> None:
    """Move the trip's purchases (at one station, or all) in `moving` to `to`: one UPDATE for
    all, one outbox event each (reaching the buyer and the farmer). The rows are locked in id
    order first, so a concurrent change of one of them cannot slip between reading and updating
    (orders move the same way, by orders.advance_trip_orders)."""
    query = ProducePurchase.filter(trip_id=trip_id, status__in=[status.value for status in moving])
    if station_id is not None:
        query = query.filter(station_id=station_id)
    purchases = await query.order_by("id").select_for_update()
    if not purchases:
        return
    farmers = dict(
        await ProduceListing.filter(
            id__in={purchase.listing_id for purchase in purchases}
        ).values_list("id", "farmer_id")
    )
    await ProducePurchase.filter(id__in=[purchase.id for purchase in purchases]).update(status=to)
    for purchase in purchases:
        purchase.status = to
        await outbox.record_purchase_status(
            purchase, farmer_id=farmers[purchase.listing_id], message=message, stop_seq=stop_seq
        )
