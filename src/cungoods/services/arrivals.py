"""The arrival check at the station (到货验收): the leader looks over what the bus brought while it
stands at the station, and reports what is missing or damaged.

The orders are AT_STATION (ready for pickup) from the moment the bus arrives (services/trips.py);
the check corrects them: each missing or damaged unit is taken off its order's line, refunded
through the refund path (commission follows the lines), written off the stock, recorded as a
claim against the hub (kind ARRIVAL, APPROVED at once) and told to the buyer
(ORDER_ARRIVAL_SHORT). An order left with nothing is CANCELLED; the rest waits for pickup. The
bus room is not given back: the units rode to the station, and the shipment ends there.

Once per trip and station, and only while the bus is there (arrived, not left). A leader who
never confirms leaves nothing in limbo: when the bus leaves, the delivery stands as it came (the
orders are already ready for pickup), the check is closed (INVALID_STATE), and anything found
wrong later is an after-sale claim of the buyer's (services/claims.py).

Locks (PostgreSQL): the trip row FOR NO KEY UPDATE (so the bus cannot be reported LEFT half-way
through), the orders FOR UPDATE in id order, then sale items, accounts (the global order).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from cungoods.db import sql
from cungoods.events.outbox import record
from cungoods.models import ArrivalCheck, Claim, ClaimLine, Order, OrderLine, Trip, TripStop
from cungoods.models.enums import ClaimKind, ClaimStatus, OrderStatus, TripStatus
from cungoods.services.auth import Viewer, require_viewer
from cungoods.services.errors import (
    DomainError,
    DomainErrors,
    ErrorCode,
    invalid,
    not_allowed,
    not_found,
)
from cungoods.services.orders.shortfall import Cut, items_of, take_off, yuan

ORDER_ARRIVAL_SHORT = "ORDER_ARRIVAL_SHORT"
ARRIVAL_CONFIRMED = "ARRIVAL_CONFIRMED"
MAX_MISSING = 200
MAX_REASON = 200


@dataclass(frozen=True)
class Missing:
    """`units` of the order's line of a sale item did not arrive, or arrived unusable."""

    order_id: int
    sale_item_id: int
    units: int
    reason: str


@dataclass(frozen=True)
class Arrival:
    """A confirmed arrival check and the claims it recorded."""

    check: ArrivalCheck
    claims: list[Claim]


def _check_input(missing: Sequence[Missing]) -> list[Missing]:
    if len(missing) > MAX_MISSING:
        raise invalid(f"at most {MAX_MISSING} missing lines", "missing")
    problems: list[DomainError] = []
    seen: set[tuple[int, int]] = set()
    cleaned: list[Missing] = []
    for i, entry in enumerate(missing):
        reason = entry.reason.strip()
        if not 1 <= entry.units <= 99:
            problems.append(invalid("units are 1 to 99", "missing", str(i), "units"))
        if not 1 <= len(reason) <= MAX_REASON:
            problems.append(
                invalid(f"a reason has 1 to {MAX_REASON} characters", "missing", str(i), "reason")
            )
        key = (entry.order_id, entry.sale_item_id)
        if key in seen:
            problems.append(invalid("this line is listed twice: give one entry", "missing", str(i)))
        seen.add(key)
        cleaned.append(Missing(entry.order_id, entry.sale_item_id, entry.units, reason))
    if problems:
        raise problems[0] if len(problems) == 1 else DomainErrors(problems)
    return cleaned


async def confirm_arrival(
    *, viewer: Viewer | None, trip_id: int, station_id: int, missing: Sequence[Missing]
) -> Arrival:
    """The station's leader confirms what the bus brought, listing what is missing or damaged
    (refunded, claimed against the hub, the buyer told); once, while the bus is there."""
    signed_in = require_viewer(viewer)
    if not signed_in.leads(station_id):
        raise not_allowed("only the station's leader checks what arrives there")
    wanted = _check_input(missing)
    async with in_transaction():
        trip = await Trip.filter(id=trip_id).select_for_update(no_key=True).first()
        if trip is None:
            raise not_found("trip", "tripId")
        stop = await TripStop.get_or_none(trip_id=trip.id, station_id=station_id)
        if stop is None:
            raise DomainError(
                ErrorCode.INVALID_INPUT, "this trip does not stop at the station", ["stationId"]
            )
        if trip.status is not TripStatus.IN_PROGRESS or stop.arrived_at is None:
            raise DomainError(
                ErrorCode.INVALID_STATE, "the bus has not arrived at the station yet", ["tripId"]
            )
        if stop.departed_at is not None:
            raise DomainError(
                ErrorCode.INVALID_STATE,
                "the bus has left the station: the delivery stands as it came; report what is "
                "wrong as an after-sale claim",
                ["tripId"],
            )
        if await ArrivalCheck.exists(trip_id=trip.id, station_id=station_id):
            raise DomainError(
                ErrorCode.ALREADY_EXISTS, "this arrival was already confirmed", ["tripId"]
            )
        cuts = await _cuts(wanted, trip_id=trip.id, station_id=station_id)
        by_order: dict[int, list[Missing]] = defaultdict(list)
        for entry in wanted:
            by_order[entry.order_id].append(entry)
        outcomes = await take_off(
            cuts,
            reason=lambda cut: (
                f"{cut.item.name} missing or damaged on arrival ({cut.units} {cut.item.unit})"
            ),
            free_capacity=False,
            cancel_message=lambda order: (
                f"order {order.number} cancelled: nothing of it arrived usable"
            ),
        )
        try:
            check = await ArrivalCheck.create(
                trip_id=trip.id,
                station_id=station_id,
                leader_id=signed_in.id,
                missing_units=sum(cut.units for cut in cuts),
                refunded_fen=sum(cut.refund_fen for cut in cuts),
            )
        except IntegrityError:
            raise DomainError(
                ErrorCode.ALREADY_EXISTS, "this arrival was already confirmed", ["tripId"]
            ) from None
        claims: list[Claim] = []
        now = sql.now()
        for outcome in outcomes:
            order = outcome.order
            reasons = dict.fromkeys(entry.reason for entry in by_order[order.id])
            claim = await Claim.create(
                kind=ClaimKind.ARRIVAL,
                status=ClaimStatus.APPROVED,
                order_id=order.id,
                buyer_id=order.buyer_id,
                filed_by_id=signed_in.id,
                reason=" / ".join(reasons)[:500],
                photo_urls=[],
                claimed_fen=outcome.refund_fen,
                refund_fen=outcome.refund_fen,
                note="recorded at the arrival check: against the hub",
                resolved_by_id=signed_in.id,
                resolved_at=now,
            )
            await ClaimLine.bulk_create(
                [
                    ClaimLine(
                        claim_id=claim.id,
                        sale_item_id=cut.item.id,
                        units=cut.units,
                        unit_price_fen=cut.unit_price_fen,
                        open_key=None,
                    )
                    for cut in outcome.cuts
                ]
            )
            claims.append(claim)
            what = ", ".join(f"{cut.units} {cut.item.unit} {cut.item.name}" for cut in outcome.cuts)
            await record(
                ORDER_ARRIVAL_SHORT,
                message=f"order {order.number}: {what} missing or damaged on arrival, "
                f"{yuan(outcome.refund_fen)} refunded",
                trip_id=trip.id,
                order_id=order.id,
                station_id=order.station_id,
                user_ids=(order.buyer_id,),
                trip_topic=False,
                params={
                    "number": order.number,
                    "what": what,
                    "amount_fen": outcome.refund_fen,
                },
            )
        await record(
            ARRIVAL_CONFIRMED,
            message=f"arrival checked: {check.missing_units} units missing or damaged, "
            f"{yuan(check.refunded_fen)} refunded",
            trip_id=trip.id,
            station_id=station_id,
            stop_seq=stop.seq,
            trip_topic=False,
        )
    return Arrival(check=check, claims=claims)


async def _cuts(wanted: Sequence[Missing], *, trip_id: int, station_id: int) -> list[Cut]:
    """The cuts the entries ask for, with their orders locked; every problem reported at once."""
    order_ids = sorted({entry.order_id for entry in wanted})
    orders = {
        order.id: order
        for order in await Order.filter(id__in=order_ids).select_for_update().order_by("id")
    }
    lines = {
        (line.order_id, line.sale_item_id): line
        for line in await OrderLine.filter(order_id__in=order_ids)
    }
    items = await items_of(sorted({entry.sale_item_id for entry in wanted}))
    problems: list[DomainError] = []
    cuts: list[Cut] = []
    for i, entry in enumerate(wanted):
        order = orders.get(entry.order_id)
        if order is None or order.trip_id != trip_id or order.station_id != station_id:
            problems.append(
                DomainError(
                    ErrorCode.NOT_FOUND,
                    "no such order came for this station on this trip",
                    ["missing", str(i), "orderId"],
                )
            )
            continue
        if order.status is not OrderStatus.AT_STATION:
            problems.append(
                DomainError(
                    ErrorCode.INVALID_STATE,
                    f"order {order.number} is {order.status.value}, not waiting at the station",
                    ["missing", str(i), "orderId"],
                )
            )
            continue
        line = lines.get((entry.order_id, entry.sale_item_id))
        if line is None:
            problems.append(
                DomainError(
                    ErrorCode.NOT_FOUND,
                    f"order {order.number} has no such item",
                    ["missing", str(i), "saleItemId"],
                )
            )
            continue
        if entry.units > line.quantity:
            problems.append(
                invalid(
                    f"order {order.number} has only {line.quantity} of it",
                    "missing",
                    str(i),
                    "units",
                )
            )
            continue
        cuts.append(
            Cut(
                order=order,
                item=items[entry.sale_item_id],
                units=entry.units,
                unit_price_fen=line.unit_price_fen,
            )
        )
    if problems:
        raise problems[0] if len(problems) == 1 else DomainErrors(problems)
    return cuts
