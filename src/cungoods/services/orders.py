"""Downstream group-buy orders: placed by the evening cutoff, carried to the village station on
the next morning's bus, handed out by the station leader against a pickup code.

Lifecycle: PLACED -> CONFIRMED (cutoff) -> LOADED -> IN_TRANSIT -> AT_STATION -> PICKED_UP, or
PLACED -> CANCELLED. Every change writes its event in the same transaction (the outbox).

Concurrency (PostgreSQL, READ COMMITTED): placing and cancelling read the sale window FOR SHARE
while its cutoff is ahead, and the cutoff claims that row by an UPDATE, which waits for them.
So the cutoff never misses an order still being placed, and nothing is placed or cancelled once
it has run. Every transaction here locks in the same order (idempotency key, window, order,
sale items by id, legs by seq), so they never deadlock one another. SQLite runs one write
transaction at a time, so the same code is correct there too.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from tortoise import connections
from tortoise.expressions import F
from tortoise.transactions import in_transaction

from cungoods.db import sql
from cungoods.events.outbox import record_order_status
from cungoods.models import (
    Event,
    Leg,
    Order,
    OrderLine,
    RouteStop,
    SaleItem,
    SaleWindow,
    Shipment,
    Station,
    TripStop,
)
from cungoods.models.enums import Direction, OrderStatus, Role, TripStatus
from cungoods.services import capacity, clock
from cungoods.services.auth import Viewer, require_dispatcher, require_role, require_viewer
from cungoods.services.capacity import Load, NoCapacity
from cungoods.services.errors import (
    DomainError,
    DomainErrors,
    ErrorCode,
    invalid,
    not_allowed,
    not_found,
)
from cungoods.services.idempotency import run_once
from cungoods.services.pagination import Page

PLACE_ORDER = "placeOrder"
MAX_LINES = 30
MAX_QUANTITY = 99
MAX_WRONG_CODES = 5
MAX_OUTLOOK_DAYS = capacity.OUTLOOK_DAYS
ORDER_PREFIX = "QJ"  # 衢江 (Qujiang): the county's order numbers read QJ20261129-000123


@dataclass(frozen=True)
class LineRequest:
    sale_item_id: int
    quantity: int


class OrderNoCapacity(DomainError):
    """NO_CAPACITY for an order: which leg refused, and the next service date with room."""

    def __init__(self, message: str, *, leg_seq: int, next_date: dt.date | None) -> None:
        super().__init__(ErrorCode.NO_CAPACITY, message, ["serviceDate"])
        self.leg_seq = leg_seq
        self.next_date = next_date


class _Full(Exception):
    """The bus is full: raised inside the transaction (so it rolls back), turned into
    OrderNoCapacity after it, so the search for another date holds no locks."""

    def __init__(self, refused: NoCapacity, *, route_id: int, to_seq: int, load: Load) -> None:
        super().__init__(refused.message)
        self.leg_seq = refused.leg_seq
        self.route_id = route_id
        self.to_seq = to_seq
        self.load = load


@dataclass(frozen=True)
class _Stop:
    trip_id: int
    route_id: int
    seq: int


# --- who sees what -----------------------------------------------------------------------------


def can_see(viewer: Viewer | None, order: Order) -> bool:
    """The buyer, the leader of the order's station, and dispatchers."""
    return viewer is not None and (
        order.buyer_id == viewer.id or viewer.leads(order.station_id) or viewer.is_dispatcher
    )


def sees_pickup_code(viewer: Viewer | None, order: Order) -> bool:
    """The code is the key to the goods: only the buyer and the leader handing them out."""
    return viewer is not None and (order.buyer_id == viewer.id or viewer.leads(order.station_id))


async def get_order(*, viewer: Viewer | None, order_id: int) -> Order:
    signed_in = require_viewer(viewer)
    order = await Order.get_or_none(id=order_id)
    if order is None:
        raise not_found("order", "id")
    if not can_see(signed_in, order):
        raise not_allowed("this order belongs to someone else")
    return order


async def my_orders(
    *, viewer: Viewer | None, first: int, after_id: int | None, max_size: int
) -> Page[Order]:
    """The viewer's own orders, newest first."""
    signed_in = require_viewer(viewer)
    if not 0 <= first <= max_size:
        raise invalid(f"first is 0 to {max_size}", "first")
    query = Order.filter(buyer_id=signed_in.id)
    total = await query.count()
    window = query.filter(id__lt=after_id) if after_id is not None else query
    rows = await window.order_by("-id").limit(first + 1)
    return Page(items=rows[:first], has_next=len(rows) > first, total=total)


async def history(*, order_id: int) -> list[Event]:
    """The order's status events, oldest first."""
    return await Event.filter(order_id=order_id, status__not_isnull=True).order_by("id")


# --- placing -----------------------------------------------------------------------------------


async def place_order(
    *,
    viewer: Viewer | None,
    station_id: int,
    service_date: dt.date,
    lines: Sequence[LineRequest],
    idempotency_key: str | None = None,
) -> Order:
    """Order goods for pickup at a station on a service date (BUYER), in one transaction: take
    the stock, reserve room on that date's bus from the hub to the station, write the order and
    its event. With an idempotency key, a retry of the same request returns the same order."""
    buyer = require_role(viewer, Role.BUYER)
    _check_lines(lines)
    request = {
        "stationId": station_id,
        "serviceDate": service_date.isoformat(),
        "lines": [[line.sale_item_id, line.quantity] for line in lines],
    }
    made: list[Order] = []

    async def work() -> int:
        order = await _place(
            buyer_id=buyer.id, station_id=station_id, service_date=service_date, lines=lines
        )
        made.append(order)
        return order.id

    try:
        order_id = await run_once(
            user_id=buyer.id,
            operation=PLACE_ORDER,
            key=idempotency_key,
            request=request,
            work=work,
        )
    except _Full as full:
        raise await _no_capacity(full, service_date=service_date) from None
    if made and made[-1].id == order_id:
        return made[-1]
    return await Order.get(id=order_id)  # a retry: the order the first call made


def _check_lines(lines: Sequence[LineRequest]) -> None:
    if not lines:
        raise invalid("an order has at least one line", "lines")
    if len(lines) > MAX_LINES:
        raise invalid(f"an order has at most {MAX_LINES} lines", "lines")
    problems: list[DomainError] = []
    seen: set[int] = set()
    for i, line in enumerate(lines):
        if not 1 <= line.quantity <= MAX_QUANTITY:
            problems.append(
                invalid(f"a quantity is 1 to {MAX_QUANTITY}", "lines", str(i), "quantity")
            )
        if line.sale_item_id in seen:
            problems.append(
                invalid("this item is ordered twice: give one line", "lines", str(i), "saleItemId")
            )
        seen.add(line.sale_item_id)
    if problems:
        raise DomainErrors(problems)


async def _place(
    *, buyer_id: int, station_id: int, service_date: dt.date, lines: Sequence[LineRequest]
) -> Order:
    window = await _open_window(service_date=service_date, now=clock.now())
    items = await _items(line.sale_item_id for line in lines)
    wrong = [
        DomainError(
            ErrorCode.NOT_FOUND,
            f"that item is not on sale for {service_date}",
            ["lines", str(i), "saleItemId"],
        )
        for i, line in enumerate(lines)
        if line.sale_item_id not in items or items[line.sale_item_id].window_id != window.id
    ]
    if wrong:
        raise DomainErrors(wrong)
    await _take_stock(lines, items)

    stops = await _stops_serving(station_id=station_id, service_date=service_date)
    load = Load()
    for line in lines:
        item = items[line.sale_item_id]
        load += Load.of_units(
            quantity=line.quantity,
            weight_g=item.weight_g,
            volume_cm3=item.volume_cm3,
            temperature=item.temperature,
        )
    shipment, stop = await _reserve(stops, load)

    order = await sql.insert(
        Order,
        # The shipment id is unique and known before the order row exists: the number needs no
        # second write.
        number=f"{ORDER_PREFIX}{service_date:%Y%m%d}-{shipment.id:06d}",
        buyer_id=buyer_id,
        station_id=station_id,
        window_id=window.id,
        service_date=service_date,
        trip_id=stop.trip_id,
        shipment_id=shipment.id,
        status=OrderStatus.PLACED,
        total_fen=sum(items[line.sale_item_id].price_fen * line.quantity for line in lines),
        pickup_code=f"{secrets.randbelow(1_000_000):06d}",
        wrong_code_attempts=0,
        created_at=sql.now(),
    )
    await sql.insert_many(
        OrderLine,
        ("order_id", "sale_item_id", "quantity", "unit_price_fen"),
        (
            (order.id, line.sale_item_id, line.quantity, items[line.sale_item_id].price_fen)
            for line in lines
        ),
    )
    await record_order_status(
        order, message=f"order {order.number} placed for {service_date}", stop_seq=stop.seq
    )
    return order


async def _window_before_cutoff(
    *, now: dt.datetime, service_date: dt.date | None = None, window_id: int | None = None
) -> SaleWindow | None:
    """The sale window if its cutoff has neither passed nor run, else None.

    On PostgreSQL the row is read FOR SHARE, so the cutoff (an UPDATE of this row) waits until
    this transaction ends and never misses an order placed meanwhile; many placements share the
    lock at once. A window past its cutoff matches no row and is not locked, so once the cutoff
    time has come, late requests do not hold the cutoff up."""
    utc = now.astimezone(dt.UTC)
    if connections.get("default").capabilities.dialect != "postgres":
        query = SaleWindow.filter(cutoff_done_at=None, cutoff_at__gt=utc)
        if window_id is not None:
            return await query.get_or_none(id=window_id)
        return await query.get_or_none(service_date=service_date)
    # Tortoise has no FOR SHARE: plain SQL (services/sql.py), read back as the model.
    if window_id is not None:
        column, value = "id", window_id
    else:
        assert service_date is not None
        column, value = "service_date", service_date
    rows = await sql.fetch(
        f"SELECT * FROM sale_window WHERE {column} = $1 AND cutoff_done_at IS NULL "
        "AND cutoff_at > $2 FOR SHARE",
        value,
        utc,
    )
    return SaleWindow._init_from_db(**rows[0]) if rows else None


async def _open_window(*, service_date: dt.date, now: dt.datetime) -> SaleWindow:
    """The window taking orders for the date, locked as above; the reason if there is none."""
    window = await _window_before_cutoff(now=now, service_date=service_date)
    if window is None:
        closed = await SaleWindow.get_or_none(service_date=service_date)
        if closed is None:
            raise DomainError(
                ErrorCode.NOT_FOUND, f"nothing is on sale for {service_date}", ["serviceDate"]
            )
        raise DomainError(
            ErrorCode.CUTOFF_PASSED,
            f"orders for {service_date} closed at {_local(closed.cutoff_at)}",
            ["serviceDate"],
        )
    if now < window.opens_at:
        raise DomainError(
            ErrorCode.INVALID_STATE,
            f"orders for {service_date} open at {_local(window.opens_at)}",
            ["serviceDate"],
        )
    return window


@dataclass(frozen=True)
class _Item:
    """A sale item with what placing an order needs of its product."""

    id: int
    window_id: int
    price_fen: int
    name: str
    unit: str
    weight_g: int
    volume_cm3: int
    temperature: str


# placeOrder's reads and the stock decrement in plain SQL (services/sql.py): it is the hottest
# path of the API, and the ORM's statement building cost more than the statements themselves.
_ITEMS_SQL = (
    "SELECT si.id, si.window_id, si.price_fen, p.name, p.unit, p.weight_g, p.volume_cm3, "
    "p.temperature FROM sale_item si JOIN product p ON p.id = si.product_id WHERE si.id IN ({})"
)
# The conditional decrement: it matches only while the stock covers the quantity.
_TAKE_STOCK_SQL = "UPDATE sale_item SET sold = sold + $1 WHERE id = $2 AND sold <= stock - $1"
_STOPS_SQL = (
    "SELECT ts.trip_id, ts.seq, t.route_id FROM trip_stop ts JOIN trip t ON t.id = ts.trip_id "
    "WHERE ts.station_id = $1 AND t.service_date = $2 AND t.status = $3 ORDER BY t.departs_at"
)


async def _items(ids: Iterable[int]) -> dict[int, _Item]:
    wanted = list(ids)
    rows = await sql.fetch(_ITEMS_SQL.format(sql.placeholders(1, len(wanted))), *wanted)
    return {row["id"]: _Item(**row) for row in rows}


async def _take_stock(lines: Sequence[LineRequest], items: dict[int, _Item]) -> None:
    """Conditional decrements in ascending item id order (a fixed order: no deadlocks); every
    shortfall is reported, not just the first."""
    shortfalls: list[DomainError] = []
    for index, line in sorted(enumerate(lines), key=lambda pair: pair[1].sale_item_id):
        taken = await sql.execute(_TAKE_STOCK_SQL, line.quantity, line.sale_item_id)
        if taken == 1:
            continue
        fresh = await SaleItem.get(id=line.sale_item_id)
        item = items[line.sale_item_id]
        left = max(0, fresh.stock - fresh.sold)
        shortfalls.append(
            DomainError(
                ErrorCode.OUT_OF_STOCK,
                f"{item.name}: only {left} {item.unit} left"
                if left
                else f"{item.name} is sold out",
                ["lines", str(index), "quantity"],
            )
        )
    if shortfalls:
        raise DomainErrors(shortfalls)


async def _stops_serving(*, station_id: int, service_date: dt.date) -> list[_Stop]:
    """The station's stop on each bookable trip of that date, earliest departure first."""
    rows = await sql.fetch(_STOPS_SQL, station_id, service_date, TripStatus.SCHEDULED)
    if rows:
        return [_Stop(row["trip_id"], row["route_id"], row["seq"]) for row in rows]
    station = await Station.get_or_none(id=station_id)
    if station is None:
        raise not_found("station", "stationId")
    if not await RouteStop.exists(station_id=station_id):
        raise DomainError(
            ErrorCode.STATION_NOT_SERVED, f"no bus route serves {station.name}", ["stationId"]
        )
    raise DomainError(
        ErrorCode.STATION_NOT_SERVED,
        f"no bus runs to {station.name} on {service_date}",
        ["stationId"],
    )


async def _reserve(stops: list[_Stop], load: Load) -> tuple[Shipment, _Stop]:
    """Room from the hub (seq 0) to the station on the first trip that has it. With several
    trips that day, each try runs in a savepoint so a refusal leaves nothing behind."""
    first_refusal: _Full | None = None
    for stop in stops:
        try:
            if len(stops) == 1:
                shipment = await _reserve_on(stop, load)
            else:
                async with in_transaction():
                    shipment = await _reserve_on(stop, load)
            return shipment, stop
        except NoCapacity as refused:
            first_refusal = first_refusal or _Full(
                refused, route_id=stop.route_id, to_seq=stop.seq, load=load
            )
    assert first_refusal is not None
    raise first_refusal


async def _reserve_on(stop: _Stop, load: Load) -> Shipment:
    return await capacity.reserve(
        trip_id=stop.trip_id, direction=Direction.DOWN, from_seq=0, to_seq=stop.seq, load=load
    )


async def _no_capacity(full: _Full, *, service_date: dt.date) -> OrderNoCapacity:
    next_date = await capacity.next_date_with_room(
        route_id=full.route_id, from_seq=0, to_seq=full.to_seq, load=full.load, after=service_date
    )
    later = (
        f"the next date with room is {next_date}"
        if next_date
        else f"no date in the next {capacity.OUTLOOK_DAYS} days has room"
    )
    return OrderNoCapacity(
        f"the bus on {service_date} is full on leg {full.leg_seq} "
        f"(stop {full.leg_seq} → {full.leg_seq + 1}): {later}",
        leg_seq=full.leg_seq,
        next_date=next_date,
    )


# --- cancelling and the cutoff -----------------------------------------------------------------


async def cancel_order(*, viewer: Viewer | None, order_id: int) -> Order:
    """The buyer withdraws an order before the cutoff: stock and bus room go back."""
    signed_in = require_viewer(viewer)
    async with in_transaction():
        order = await Order.get_or_none(id=order_id)
        if order is None:
            raise not_found("order", "orderId")
        if order.buyer_id != signed_in.id:
            raise not_allowed("only the buyer may cancel an order")
        if order.status is OrderStatus.CANCELLED:
            raise DomainError(
                ErrorCode.INVALID_STATE, "the order is already cancelled", ["orderId"]
            )
        window = await _window_before_cutoff(now=clock.now(), window_id=order.window_id)
        if window is None:
            closed = await SaleWindow.get(id=order.window_id)
            raise DomainError(
                ErrorCode.CUTOFF_PASSED,
                f"orders for {order.service_date} closed at {_local(closed.cutoff_at)}: "
                "the goods are being packed",
                ["orderId"],
            )
        flipped = await Order.filter(id=order.id, status=OrderStatus.PLACED).update(
            status=OrderStatus.CANCELLED
        )
        if flipped != 1:
            current = await Order.get(id=order.id)
            raise DomainError(
                ErrorCode.INVALID_STATE, f"the order is {current.status}", ["orderId"]
            )
        for line in await OrderLine.filter(order_id=order.id).order_by("sale_item_id"):
            await SaleItem.filter(id=line.sale_item_id, sold__gte=line.quantity).update(
                sold=F("sold") - line.quantity
            )
        await capacity.release(await Shipment.get(id=order.shipment_id))
        order.status = OrderStatus.CANCELLED
        await record_order_status(order, message=f"order {order.number} cancelled by the buyer")
    return order


async def run_cutoff(*, viewer: Viewer | None, service_date: dt.date) -> SaleWindow:
    """Close the window of a service date and confirm its orders (DISPATCHER). The server also
    does this by itself at each cutoff time; running it again changes nothing."""
    require_dispatcher(viewer)
    window = await SaleWindow.get_or_none(service_date=service_date)
    if window is None:
        raise DomainError(
            ErrorCode.NOT_FOUND, f"no sale window for {service_date}", ["serviceDate"]
        )
    if window.cutoff_done_at is None and clock.now() < window.cutoff_at:
        raise DomainError(
            ErrorCode.INVALID_STATE,
            f"orders for {service_date} are taken until {_local(window.cutoff_at)}",
            ["serviceDate"],
        )
    await cut_off(window_id=window.id)
    return await SaleWindow.get(id=window.id)


async def cut_off(*, window_id: int) -> int:
    """Mark the window cut off and confirm its placed orders, one event each; returns how many.
    Claiming the window row first makes concurrent runs (another server process) a no-op."""
    async with in_transaction():
        claimed = await SaleWindow.filter(id=window_id, cutoff_done_at=None).update(
            cutoff_done_at=clock.now().astimezone(dt.UTC)
        )
        if claimed != 1:
            return 0
        orders = (
            await Order.filter(window_id=window_id, status=OrderStatus.PLACED)
            .select_for_update()
            .order_by("id")
        )
        if orders:
            await Order.filter(
                id__in=[order.id for order in orders], status=OrderStatus.PLACED
            ).update(status=OrderStatus.CONFIRMED)
        for order in orders:
            order.status = OrderStatus.CONFIRMED
            await record_order_status(
                order, message=f"order {order.number} confirmed: ordering has closed"
            )
        return len(orders)


async def run_due_cutoffs(*, now: dt.datetime | None = None) -> list[int]:
    """Cut off every window whose cutoff time has come; returns their ids."""
    # In UTC: SQLite compares the stored text, which Tortoise writes in UTC.
    moment = (now or clock.now()).astimezone(dt.UTC)
    due = await SaleWindow.filter(cutoff_at__lte=moment, cutoff_done_at=None).order_by("cutoff_at")
    for window in due:
        await cut_off(window_id=window.id)
    return [window.id for window in due]


async def next_cutoff_at() -> dt.datetime | None:
    """When the next window still to be cut off closes."""
    window = await SaleWindow.filter(cutoff_done_at=None).order_by("cutoff_at").first()
    return None if window is None else window.cutoff_at


# --- on the way and at the station --------------------------------------------------------------


async def advance_trip_orders(
    *,
    trip_id: int,
    from_statuses: Sequence[OrderStatus],
    to_status: OrderStatus,
    station_id: int | None = None,
    stop_seq: int | None = None,
    message: str = "",
) -> list[Order]:
    """Move the trip's orders (optionally one station's) that are in `from_statuses` to
    `to_status`, one event each. Call inside the caller's transaction (a trip event)."""
    query = Order.filter(trip_id=trip_id, status__in=list(from_statuses))
    if station_id is not None:
        query = query.filter(station_id=station_id)
    orders = await query.select_for_update().order_by("id")
    if not orders:
        return []
    await Order.filter(
        id__in=[order.id for order in orders], status__in=list(from_statuses)
    ).update(status=to_status)
    for order in orders:
        order.status = to_status
        await record_order_status(order, message=message, stop_seq=stop_seq)
    return orders


async def mark_loaded(*, trip_id: int) -> list[Order]:
    """The trip's confirmed orders are on the bus (call inside the trip event's transaction)."""
    return await advance_trip_orders(
        trip_id=trip_id,
        from_statuses=(OrderStatus.CONFIRMED,),
        to_status=OrderStatus.LOADED,
        stop_seq=0,
        message="loaded on the bus at the hub",
    )


async def confirm_pickup(*, viewer: Viewer | None, order_id: int, pickup_code: str) -> Order:
    """The station leader hands an order out against its pickup code. Each try is counted
    before the code is compared, so even concurrent guesses stop at the limit."""
    signed_in = require_viewer(viewer)
    order = await Order.get_or_none(id=order_id)
    if order is None:
        raise not_found("order", "orderId")
    if not signed_in.leads(order.station_id):
        raise not_allowed("only the leader of the order's station hands it out")
    if order.status is not OrderStatus.AT_STATION:
        raise DomainError(
            ErrorCode.INVALID_STATE,
            "the order was already picked up"
            if order.status is OrderStatus.PICKED_UP
            else f"the order is not at the station yet ({order.status})",
            ["orderId"],
        )
    outcome: DomainError | None = None
    async with in_transaction():
        claimed = await Order.filter(id=order.id, wrong_code_attempts__lt=MAX_WRONG_CODES).update(
            wrong_code_attempts=F("wrong_code_attempts") + 1
        )
        if claimed != 1:
            outcome = DomainError(
                ErrorCode.RATE_LIMITED,
                f"{MAX_WRONG_CODES} wrong codes: this order is locked, ask the hub to help",
                ["pickupCode"],
            )
        elif secrets.compare_digest(pickup_code.strip().encode(), order.pickup_code.encode()):
            flipped = await Order.filter(id=order.id, status=OrderStatus.AT_STATION).update(
                status=OrderStatus.PICKED_UP,
                wrong_code_attempts=F("wrong_code_attempts") - 1,  # a right code is no strike
            )
            if flipped != 1:
                raise DomainError(
                    ErrorCode.INVALID_STATE, "the order changed meanwhile: look again", ["orderId"]
                )
            order.status = OrderStatus.PICKED_UP
            await record_order_status(order, message=f"order {order.number} picked up")
        else:
            left = MAX_WRONG_CODES - order.wrong_code_attempts - 1
            outcome = DomainError(
                ErrorCode.WRONG_CODE,
                f"wrong pickup code ({max(left, 0)} tries left)",
                ["pickupCode"],
            )
    # Raised after the commit: the counted try must stay counted.
    if outcome is not None:
        raise outcome
    return order


# --- capacity outlook --------------------------------------------------------------------------


@dataclass(frozen=True)
class DayCapacity:
    """For one service date: the room left on the station's bus from the hub down to the
    station and from the station back up to the hub (zero when no bus runs)."""

    service_date: dt.date
    trip_id: int | None
    stop_seq: int | None
    down: Load
    up: Load


async def capacity_outlook(*, station_id: int, start: dt.date, days: int) -> list[DayCapacity]:
    """Per date from `start`, the room left to and from the station (two queries in all)."""
    if not 1 <= days <= MAX_OUTLOOK_DAYS:
        raise invalid(f"days is 1 to {MAX_OUTLOOK_DAYS}", "days")
    if not await Station.exists(id=station_id):
        raise not_found("station", "stationId")
    stops = (
        await TripStop.filter(
            station_id=station_id,
            trip__service_date__gte=start,
            trip__service_date__lt=start + dt.timedelta(days=days),
            trip__status=TripStatus.SCHEDULED,
        )
        .order_by("trip__departs_at")
        .values("trip_id", "seq", "trip__service_date")
    )
    legs = await Leg.filter(trip_id__in=[row["trip_id"] for row in stops])
    return outlook(start=start, days=days, stops=stops, legs=legs)


def outlook(
    *, start: dt.date, days: int, stops: Sequence[dict[str, Any]], legs: Sequence[Leg]
) -> list[DayCapacity]:
    """The arithmetic of capacity_outlook: per date, the first trip's tightest leg on the way
    down (legs 0 .. seq-1) and on the way back (legs seq .. last)."""
    legs_of: dict[int, list[Leg]] = {}
    for leg in legs:
        legs_of.setdefault(leg.trip_id, []).append(leg)
    first_stop: dict[dt.date, dict[str, Any]] = {}
    for row in stops:
        first_stop.setdefault(row["trip__service_date"], row)
    result = []
    for offset in range(days):
        day = start + dt.timedelta(days=offset)
        row = first_stop.get(day)
        if row is None:
            result.append(DayCapacity(day, None, None, Load(), Load()))
            continue
        trip_legs = legs_of.get(row["trip_id"], [])
        seq = row["seq"]
        result.append(
            DayCapacity(
                service_date=day,
                trip_id=row["trip_id"],
                stop_seq=seq,
                down=_tightest([leg for leg in trip_legs if leg.seq < seq]),
                up=_tightest([leg for leg in trip_legs if leg.seq >= seq]),
            )
        )
    return result


def _tightest(legs: Sequence[Leg]) -> Load:
    rooms = [capacity.leg_room(leg) for leg in legs]
    if not rooms:
        return Load()
    return Load(
        min(room.weight_g for room in rooms),
        min(room.volume_cm3 for room in rooms),
        min(room.chilled_g for room in rooms),
    )


def _local(moment: dt.datetime) -> str:
    return moment.astimezone(clock.tz()).strftime("%Y-%m-%d %H:%M")
