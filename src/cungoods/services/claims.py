"""After-sale claims (售后): a buyer claims units of a picked-up order (spoiled, wrong, missing)
within CUNGOODS_CLAIM_HOURS of pickup; a dispatcher approves (refunding up to what the claimed
units cost, through the refund path, which takes the leader's commission back in proportion) or
rejects (no money moves). Reading claims: the dispatchers' queue and the buyer's own.

Rules (decided here):
- One open claim per order line at a time: a claim line holds the key "order:sale item" while
  its claim is FILED, under a unique index, so even two filings at once cannot both hold it.
- Claimed units never exceed the line's units less those of approved claims before (an
  approved claim's units are settled, whatever it refunded); a rejected claim's units are free
  again, so the buyer may file once more within the window.
- An approval refunds at most the claimed units' price (`claimed_fen`), and never more than is
  left to refund of the order.

Locks: the order row (FOR UPDATE) first, then the claim, then the accounts (refund).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from cungoods.events.outbox import record
from cungoods.models import Claim, ClaimLine, Event, Order, OrderLine
from cungoods.models.enums import ClaimKind, ClaimStatus, OrderStatus
from cungoods.services import clock
from cungoods.services.auth import Viewer, require_dispatcher, require_viewer
from cungoods.services.errors import (
    DomainError,
    DomainErrors,
    ErrorCode,
    invalid,
    not_allowed,
    not_found,
)
from cungoods.services.money import refunds
from cungoods.services.orders.cutoff import local_time
from cungoods.services.orders.shortfall import yuan
from cungoods.services.pagination import Page, PageArgs, page

CLAIM_FILED = "CLAIM_FILED"
CLAIM_RESOLVED = "CLAIM_RESOLVED"
DEFAULT_CLAIM_WINDOW = dt.timedelta(hours=24)
MAX_LINES = 30
MAX_UNITS = 99
MAX_REASON = 500
MAX_NOTE = 200
MAX_PHOTOS = 9
MAX_URL = 500


@dataclass(frozen=True)
class ClaimLineRequest:
    sale_item_id: int
    units: int


def can_see(viewer: Viewer | None, claim: Claim, order: Order) -> bool:
    """The buyer, the leader of the order's station, and dispatchers."""
    return viewer is not None and (
        claim.buyer_id == viewer.id or viewer.leads(order.station_id) or viewer.is_dispatcher
    )


def _open_key(order_id: int, sale_item_id: int) -> str:
    return f"{order_id}:{sale_item_id}"


def _check_filing(
    lines: Sequence[ClaimLineRequest], reason: str, photo_urls: Sequence[str]
) -> tuple[str, list[str]]:
    problems: list[DomainError] = []
    if not 1 <= len(lines) <= MAX_LINES:
        problems.append(invalid(f"a claim has 1 to {MAX_LINES} lines", "lines"))
    seen: set[int] = set()
    for i, line in enumerate(lines):
        if not 1 <= line.units <= MAX_UNITS:
            problems.append(invalid(f"units are 1 to {MAX_UNITS}", "lines", str(i), "units"))
        if line.sale_item_id in seen:
            problems.append(
                invalid("this item is claimed twice: give one line", "lines", str(i), "saleItemId")
            )
        seen.add(line.sale_item_id)
    text = reason.strip()
    if not 1 <= len(text) <= MAX_REASON:
        problems.append(invalid(f"a reason has 1 to {MAX_REASON} characters", "reason"))
    urls = [url.strip() for url in photo_urls]
    if len(urls) > MAX_PHOTOS:
        problems.append(invalid(f"at most {MAX_PHOTOS} photos", "photoUrls"))
    elif any(
        not url.startswith(("https://", "http://")) or not 8 < len(url) <= MAX_URL for url in urls
    ):
        problems.append(
            invalid(
                f"photo URLs are http(s) addresses of at most {MAX_URL} characters", "photoUrls"
            )
        )
    if problems:
        raise problems[0] if len(problems) == 1 else DomainErrors(problems)
    return text, urls


async def _picked_up_at(order: Order) -> dt.datetime:
    if order.picked_up_at is not None:
        return order.picked_up_at
    # Orders handed out before the instant was kept: the pickup event's time.
    event = await Event.filter(order_id=order.id, status=OrderStatus.PICKED_UP.value).first()
    return event.at if event is not None else dt.datetime.min.replace(tzinfo=dt.UTC)


async def file_claim(
    *,
    viewer: Viewer | None,
    order_id: int,
    lines: Sequence[ClaimLineRequest],
    reason: str,
    photo_urls: Sequence[str] = (),
    claim_window: dt.timedelta = DEFAULT_CLAIM_WINDOW,
) -> Claim:
    """The order's buyer claims units of it after pickup, within `claim_window` of the pickup
    (later: CLAIM_WINDOW_CLOSED). The claim waits FILED for a dispatcher."""
    signed_in = require_viewer(viewer)
    text, urls = _check_filing(lines, reason, photo_urls)
    async with in_transaction():
        order = await Order.filter(id=order_id).select_for_update().first()
        if order is None:
            raise not_found("order", "orderId")
        if order.buyer_id != signed_in.id:
            raise not_allowed("only the order's buyer files a claim on it")
        if order.status is not OrderStatus.PICKED_UP:
            raise DomainError(
                ErrorCode.INVALID_STATE,
                f"an after-sale claim is filed once the order is picked up ({order.status.value})",
                ["orderId"],
            )
        closes = (await _picked_up_at(order)) + claim_window
        if clock.now() > closes:
            raise DomainError(
                ErrorCode.CLAIM_WINDOW_CLOSED,
                f"claims on order {order.number} were taken until {local_time(closes)}",
                ["orderId"],
            )
        bought = {line.sale_item_id: line for line in await OrderLine.filter(order_id=order.id)}
        settled = await _settled_units(order.id)
        open_keys = {
            str(key)
            for key in await ClaimLine.filter(
                open_key__in=[_open_key(order.id, line.sale_item_id) for line in lines]
            ).values_list("open_key", flat=True)
        }
        problems: list[DomainError] = []
        for i, line in enumerate(lines):
            bought_line = bought.get(line.sale_item_id)
            if bought_line is None:
                problems.append(
                    DomainError(
                        ErrorCode.NOT_FOUND,
                        f"order {order.number} has no such item",
                        ["lines", str(i), "saleItemId"],
                    )
                )
            elif _open_key(order.id, line.sale_item_id) in open_keys:
                problems.append(
                    DomainError(
                        ErrorCode.ALREADY_EXISTS,
                        "this line already has a claim waiting for a decision",
                        ["lines", str(i), "saleItemId"],
                    )
                )
            else:
                left = bought_line.quantity - settled.get(line.sale_item_id, 0)
                if line.units > left:
                    problems.append(
                        DomainError(
                            ErrorCode.INVALID_INPUT,
                            f"only {left} of this line may still be claimed",
                            ["lines", str(i), "units"],
                            remaining=left,
                        )
                    )
        if problems:
            raise problems[0] if len(problems) == 1 else DomainErrors(problems)
        claimed_fen = sum(line.units * bought[line.sale_item_id].unit_price_fen for line in lines)
        claim = await Claim.create(
            kind=ClaimKind.AFTER_SALE,
            status=ClaimStatus.FILED,
            order_id=order.id,
            buyer_id=order.buyer_id,
            filed_by_id=signed_in.id,
            reason=text,
            photo_urls=urls,
            claimed_fen=claimed_fen,
        )
        try:
            await ClaimLine.bulk_create(
                [
                    ClaimLine(
                        claim_id=claim.id,
                        sale_item_id=line.sale_item_id,
                        units=line.units,
                        unit_price_fen=bought[line.sale_item_id].unit_price_fen,
                        open_key=_open_key(order.id, line.sale_item_id),
                    )
                    for line in lines
                ]
            )
        except IntegrityError:
            raise DomainError(
                ErrorCode.ALREADY_EXISTS, "a line already has a claim waiting", ["lines"]
            ) from None
        await record(
            CLAIM_FILED,
            message=f"claim on order {order.number} filed ({yuan(claimed_fen)} claimed): "
            "the hub will decide",
            trip_id=order.trip_id,
            order_id=order.id,
            user_ids=(order.buyer_id,),
            trip_topic=False,
            params={"number": order.number, "amount_fen": claimed_fen},
        )
    return claim


async def _settled_units(order_id: int) -> dict[int, int]:
    """Units per sale item of the order's approved after-sale claims."""
    rows = await ClaimLine.filter(
        claim__order_id=order_id,
        claim__kind=ClaimKind.AFTER_SALE,
        claim__status=ClaimStatus.APPROVED,
    ).values_list("sale_item_id", "units")
    settled: dict[int, int] = {}
    for sale_item_id, units in rows:
        settled[int(sale_item_id)] = settled.get(int(sale_item_id), 0) + int(units)
    return settled


async def resolve_claim(
    *,
    viewer: Viewer | None,
    claim_id: int,
    approve: bool,
    refund_fen: int | None = None,
    note: str = "",
) -> Claim:
    """Decide a filed claim (DISPATCHER): approve refunds `refund_fen` (by default all the
    claimed units cost, at most that) through the refund path; reject moves no money."""
    decider = require_dispatcher(viewer)
    text = (note or "").strip()
    if len(text) > MAX_NOTE:
        raise invalid(f"a note is at most {MAX_NOTE} characters", "note")
    async with in_transaction():
        found = await Claim.get_or_none(id=claim_id)
        if found is None:
            raise not_found("claim", "claimId")
        order = await Order.filter(id=found.order_id).select_for_update().first()
        assert order is not None  # a foreign key
        claim = await Claim.filter(id=claim_id).select_for_update().first()
        assert claim is not None
        if claim.status is not ClaimStatus.FILED:
            raise DomainError(
                ErrorCode.INVALID_STATE,
                f"the claim was already decided ({claim.status.value})",
                ["claimId"],
            )
        amount = 0
        if approve:
            amount = claim.claimed_fen if refund_fen is None else refund_fen
            if not 1 <= amount <= claim.claimed_fen:
                raise invalid(
                    f"an approval refunds 1 to {claim.claimed_fen} fen (what the claimed units "
                    "cost)",
                    "refundFen",
                )
            left = await refunds.refundable_fen(order_id=order.id)
            if amount > left:
                raise invalid(f"only {left} fen of the order is left to refund", "refundFen")
            await refunds.refund(
                order_id=order.id,
                amount_fen=amount,
                reason=f"after-sale claim {claim.id}: {claim.reason}"[:200],
            )
        elif refund_fen:
            raise invalid("a rejected claim refunds nothing", "refundFen")
        claim.status = ClaimStatus.APPROVED if approve else ClaimStatus.REJECTED
        claim.refund_fen = amount
        claim.note = text
        claim.resolved_by_id = decider.id
        claim.resolved_at = clock.now().astimezone(dt.UTC)
        await claim.save(
            update_fields=["status", "refund_fen", "note", "resolved_by_id", "resolved_at"]
        )
        await ClaimLine.filter(claim_id=claim.id).update(open_key=None)
        decided = f"approved: {yuan(amount)} refunded" if approve else "rejected: no money moves"
        await record(
            CLAIM_RESOLVED,
            message=f"claim on order {order.number} {decided}" + (f" ({text})" if text else ""),
            trip_id=order.trip_id,
            order_id=order.id,
            user_ids=(order.buyer_id,),
            trip_topic=False,
            params={
                "variant": claim.status.value,
                "number": order.number,
                "amount_fen": amount,
                "note": f" ({text})" if text else "",
            },
        )
    return claim


async def claims(
    *,
    viewer: Viewer | None,
    status: ClaimStatus | None,
    page_args: PageArgs,
    max_size: int,
) -> Page[Claim]:
    """Claims, oldest first (the dispatchers' queue), optionally of one status (DISPATCHER)."""
    require_dispatcher(viewer)
    query = Claim.all() if status is None else Claim.filter(status=status)
    return await page(query, window=page_args, max_size=max_size)


async def my_claims(*, viewer: Viewer | None, page_args: PageArgs, max_size: int) -> Page[Claim]:
    """The claims on the viewer's own orders (theirs and the arrival checks'), newest first."""
    signed_in = require_viewer(viewer)
    query = Claim.filter(buyer_id=signed_in.id)
    return await page(query, window=page_args, max_size=max_size, newest_first=True)
