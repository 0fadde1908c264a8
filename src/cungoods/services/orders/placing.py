"""Placing a group-buy order: in one transaction, take the stock, reserve room on the service
date's bus from the hub to the station, write the order, its lines and its event."""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from cungoods.db import sql
from cungoods.events.outbox import record_order_status
from cungoods.models import Order, OrderLine, RouteStop, SaleWindow, Station
from cungoods.models.enums import (
    AccountKind,
    Direction,
    LedgerKind,
    OrderStatus,
    PaymentStatus,
    PayWith,
    Role,
    TripStatus,
)
from cungoods.services import capacity, clock, group_rules, stock
from cungoods.services.auth import Viewer, require_role
from cungoods.services.capacity import Load, NoCapacity, Seat
from cungoods.services.errors import DomainError, DomainErrors, ErrorCode, invalid, not_found
from cungoods.services.idempotency import run_once
from cungoods.services.money import ledger
from cungoods.services.orders.cutoff import local_time, window_before_cutoff

PLACE_ORDER = "placeOrder"
MAX_LINES = 30
MAX_QUANTITY = 99
ORDER_PREFIX = "QJ"  # 衢江 (Qujiang): the county's order numbers read QJ20261129-000123
# How long an order paid through the provider may wait UNPAID (CUNGOODS_PAYMENT_TIMEOUT_MINUTES).
DEFAULT_PAY_TIMEOUT = dt.timedelta(minutes=15)


@dataclass(frozen=True)
class LineRequest:
    sale_item_id: int
    quantity: int


async def place_order(
    *,
    viewer: Viewer | None,
    station_id: int,
    service_date: dt.date,
    lines: Sequence[LineRequest],
    idempotency_key: str | None = None,
    pay_with: PayWith = PayWith.BALANCE,
    pay_timeout: dt.timedelta = DEFAULT_PAY_TIMEOUT,
) -> Order:
    """Order goods for pickup at a station on a service date (BUYER), in one transaction: take
    the stock, reserve room on that date's bus from the hub to the station, write the order and
    its event, and pay it from the buyer's wallet (BALANCE: INSUFFICIENT_FUNDS, and nothing
    taken, when it cannot) or leave it UNPAID until `pay_timeout` or the cutoff (PROVIDER).
    With an idempotency key, a retry of the same request returns the same order."""
    buyer = require_role(viewer, Role.BUYER)
    _check_lines(lines)
    request = {
        "stationId": station_id,
        "serviceDate": service_date.isoformat(),
        "lines": [[line.sale_item_id, line.quantity] for line in lines],
        "payWith": pay_with.value,
    }
    made: list[Order] = []

    async def work() -> int:
        order = await _place(
            buyer_id=buyer.id,
            station_id=station_id,
            service_date=service_date,
            lines=lines,
            pay_with=pay_with,
            pay_timeout=pay_timeout,
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
    except NoCapacity as refused:
        # After the rollback: the search for another date holds no locks.
        raise await capacity.with_next_date(refused) from None
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
    *,
    buyer_id: int,
    station_id: int,
    service_date: dt.date,
    lines: Sequence[LineRequest],
    pay_with: PayWith,
    pay_timeout: dt.timedelta,
) -> Order:
    now = clock.now()
    window = await _open_window(service_date=service_date, now=now)
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
    await stock.take(
        stock.SALE_ITEMS,
        [
            stock.Want(
                id=line.sale_item_id,
                quantity=line.quantity,
                field=("lines", str(i), "quantity"),
                name=items[line.sale_item_id].name,
                unit=items[line.sale_item_id].unit,
            )
            for i, line in enumerate(lines)
        ],
    )
    # 限购: after the stock, whose row locks make the count race-safe (group_rules.py).
    await group_rules.check_limits(
        buyer_id=buyer_id,
        wanted=[
            group_rules.Wanted(
                sale_item_id=line.sale_item_id,
                max_per_buyer=items[line.sale_item_id].max_per_buyer,
                quantity=line.quantity,
                field=("lines", str(i), "quantity"),
            )
            for i, line in enumerate(lines)
        ],
    )

    seats = await _seats(station_id=station_id, service_date=service_date)
    load = capacity.total(
        Load.of_units(
            quantity=line.quantity,
            weight_g=items[line.sale_item_id].weight_g,
            volume_cm3=items[line.sale_item_id].volume_cm3,
            temperature=items[line.sale_item_id].temperature,
        )
        for line in lines
    )
    ride = await capacity.take_first(
        seats,
        direction=Direction.DOWN,
        load=load,
        start=service_date,
        end=service_date,
        field=["serviceDate"],
    )

    total_fen = sum(items[line.sale_item_id].price_fen * line.quantity for line in lines)
    by_balance = pay_with is PayWith.BALANCE
    order = await sql.insert(
        Order,
        # The shipment id is unique and known before the order row exists: the number needs no
        # second write.
        number=f"{ORDER_PREFIX}{service_date:%Y%m%d}-{ride.shipment.id:06d}",
        buyer_id=buyer_id,
        station_id=station_id,
        window_id=window.id,
        service_date=service_date,
        trip_id=ride.trip_id,
        shipment_id=ride.shipment.id,
        status=OrderStatus.PLACED,
        total_fen=total_fen,
        pay_with=pay_with,
        payment_status=PaymentStatus.PAID if by_balance else PaymentStatus.UNPAID,
        paid_fen=total_fen if by_balance else 0,
        refunded_fen=0,
        pay_by=None,
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
    if not by_balance:
        # Through the ORM, so SQLite stores the instant as every other query compares it.
        order.pay_by = min(now + pay_timeout, window.cutoff_at).astimezone(dt.UTC)
        await Order.filter(id=order.id).update(pay_by=order.pay_by)
    elif total_fen > 0:
        # Accounts are locked last (after the legs), as in every use case that moves money.
        wallet, revenue = await ledger.accounts(
            (AccountKind.BUYER_WALLET, buyer_id), (AccountKind.PLATFORM_REVENUE, None)
        )
        await ledger.post(
            LedgerKind.PAYMENT,
            ledger.transfer(source=wallet, target=revenue, amount_fen=total_fen),
            order_id=order.id,
            memo=f"order {order.number}",
        )
    await record_order_status(
        order, message=f"order {order.number} placed for {service_date}", stop_seq=ride.stop_seq
    )
    return order


async def _open_window(*, service_date: dt.date, now: dt.datetime) -> SaleWindow:
    """The window taking orders for the date, locked (see cutoff.py); the reason if there is
    none."""
    window = await window_before_cutoff(now=now, service_date=service_date)
    if window is None:
        closed = await SaleWindow.get_or_none(service_date=service_date)
        if closed is None:
            raise DomainError(
                ErrorCode.NOT_FOUND, f"nothing is on sale for {service_date}", ["serviceDate"]
            )
        raise DomainError(
            ErrorCode.CUTOFF_PASSED,
            f"orders for {service_date} closed at {local_time(closed.cutoff_at)}",
            ["serviceDate"],
        )
    if now < window.opens_at:
        raise DomainError(
            ErrorCode.INVALID_STATE,
            f"orders for {service_date} open at {local_time(window.opens_at)}",
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
    max_per_buyer: int | None


# placeOrder's reads in plain SQL (db/sql.py): it is the hottest path of the API, and the ORM's
# statement building cost more than the statements themselves.
_ITEMS_SQL = (
    "SELECT si.id, si.window_id, si.price_fen, p.name, p.unit, p.weight_g, p.volume_cm3, "
    "p.temperature, si.max_per_buyer "
    "FROM sale_item si JOIN product p ON p.id = si.product_id WHERE si.id IN ({})"
)
_STOPS_SQL = (
    "SELECT ts.trip_id, ts.seq, t.route_id FROM trip_stop ts JOIN trip t ON t.id = ts.trip_id "
    "WHERE ts.station_id = $1 AND t.service_date = $2 AND t.status = $3 ORDER BY t.departs_at"
)


async def _items(ids: Iterable[int]) -> dict[int, _Item]:
    wanted = list(ids)
    rows = await sql.fetch(_ITEMS_SQL.format(sql.placeholders(1, len(wanted))), *wanted)
    return {row["id"]: _Item(**row) for row in rows}


async def _seats(*, station_id: int, service_date: dt.date) -> list[Seat]:
    """The station's seat on each bookable trip of that date (from the hub down to its stop),
    earliest departure first."""
    rows = await sql.fetch(_STOPS_SQL, station_id, service_date, TripStatus.SCHEDULED)
    if rows:
        return [
            Seat(
                row["trip_id"],
                row["route_id"],
                service_date,
                row["seq"],
                *capacity.span(Direction.DOWN, row["seq"]),
            )
            for row in rows
        ]
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
