"""Produce purchases: buying from a listing, the ride from the station to the hub, and the
handover chain (handed over at the station, received at the hub, collected by the buyer).

A purchase takes stock from the listing and capacity from the earliest bus that has room, in the
one transaction of the use case: a purchase never exists without its reservation.
"""

from __future__ import annotations

import datetime as dt
import hmac
import secrets
import uuid

from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from cungoods.events.outbox import record_purchase_status
from cungoods.models import ProduceListing, ProducePurchase, RouteStop, Shipment
from cungoods.models.enums import Direction, ListingStatus, PurchaseStatus, Role
from cungoods.services import capacity, clock, stock
from cungoods.services.auth import Viewer, require_dispatcher, require_role, require_viewer
from cungoods.services.capacity import Load, NoCapacity, Ride, Way
from cungoods.services.errors import DomainError, ErrorCode, invalid, not_allowed, not_found
from cungoods.services.idempotency import run_once
from cungoods.services.pagination import Page, page

CODE_DIGITS = 6


# --- who may see what ------------------------------------------------------------------------


def may_see_purchase(
    viewer: Viewer | None, *, buyer_id: int, farmer_id: int, station_id: int
) -> bool:
    """The buyer, the farmer, the handover station's leader and dispatchers."""
    if viewer is None:
        return False
    return viewer.id in (buyer_id, farmer_id) or viewer.leads(station_id) or viewer.is_dispatcher


def may_see_collect_code(viewer: Viewer | None, *, buyer_id: int) -> bool:
    """The collect code proves the buyer is collecting: only they (and the hub staff) see it."""
    return viewer is not None and (viewer.id == buyer_id or viewer.is_dispatcher)


async def my_purchases(
    *, viewer: Viewer | None, first: int, after_id: int | None, max_size: int
) -> Page[ProducePurchase]:
    """A buyer's purchases, and the purchases of a farmer's listings (both, for someone who is
    both)."""
    signed_in = require_viewer(viewer)
    query = ProducePurchase.filter(Q(buyer_id=signed_in.id) | Q(listing__farmer_id=signed_in.id))
    return await page(query, first=first, after_id=after_id, max_size=max_size)


# --- buying ----------------------------------------------------------------------------------


async def buy_produce(
    *, viewer: Viewer | None, listing_id: int, quantity: int, idempotency_key: str | None
) -> ProducePurchase:
    """A BUYER buys from a listing: stock, a seat on the earliest bus with room, the purchase and
    its event, all in one transaction, at most once per idempotency key."""
    buyer = require_role(viewer, Role.BUYER)
    if quantity < 1:
        raise invalid("buy at least one unit", "quantity")

    async def work() -> int:
        listing = await ProduceListing.get_or_none(id=listing_id)
        if listing is None:
            raise not_found("listing", "listingId")
        if listing.farmer_id == buyer.id:
            raise not_allowed("you cannot buy your own produce")
        check_on_sale(listing)
        if quantity < listing.min_quantity:
            raise invalid(f"the minimum order is {listing.min_quantity} {listing.unit}", "quantity")
        purchase = await place_purchase(
            listing=listing,
            buyer_id=buyer.id,
            quantity=quantity,
            unit_price_fen=listing.price_fen,
            earliest=listing.ready_from,
        )
        return purchase.id

    try:
        purchase_id = await run_once(
            user_id=buyer.id,
            operation="buyProduce",
            key=idempotency_key,
            request={"listingId": listing_id, "quantity": quantity},
            work=work,
        )
    except NoCapacity as refused:
        # After the rollback, as for orders: the search for another date holds no locks.
        raise await capacity.with_next_date(refused) from None
    return await ProducePurchase.get(id=purchase_id)


def check_on_sale(listing: ProduceListing) -> None:
    """INVALID_STATE for a closed listing or one past its ready-until date."""
    if listing.status is not ListingStatus.OPEN:
        raise DomainError(ErrorCode.INVALID_STATE, "the listing is closed", ["listingId"])
    if listing.ready_until < clock.today():
        raise DomainError(
            ErrorCode.INVALID_STATE,
            f"the produce was ready until {listing.ready_until.isoformat()}",
            ["listingId"],
        )


async def place_purchase(
    *,
    listing: ProduceListing,
    buyer_id: int,
    quantity: int,
    unit_price_fen: int,
    earliest: dt.date,
    offer_id: int | None = None,
) -> ProducePurchase:
    """Inside the caller's transaction: take the stock, reserve the ride, store the purchase and
    write its event. Raises (and leaves the rollback to the caller) when any step refuses."""
    want = stock.Want(id=listing.id, quantity=quantity, field=("quantity",), unit=listing.unit)
    await stock.take(stock.LISTINGS, [want])
    ride = await reserve_ride(listing=listing, quantity=quantity, earliest=earliest)
    purchase = await ProducePurchase.create(
        # A unique placeholder until the id is known: the number is made from the id.
        number=uuid.uuid4().hex,
        buyer_id=buyer_id,
        listing_id=listing.id,
        offer_id=offer_id,
        station_id=listing.station_id,
        quantity=quantity,
        unit_price_fen=unit_price_fen,
        total_fen=quantity * unit_price_fen,
        trip_id=ride.trip_id,
        shipment_id=ride.shipment.id,
        status=PurchaseStatus.RESERVED,
        collect_code=f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}",
    )
    purchase.number = f"P{clock.today():%Y%m%d}-{purchase.id:05d}"
    await ProducePurchase.filter(id=purchase.id).update(number=purchase.number)
    await record_purchase_status(
        purchase,
        farmer_id=listing.farmer_id,
        message=f"{quantity} {listing.unit} {listing.title}",
        stop_seq=ride.stop_seq,
    )
    return purchase


async def reserve_ride(*, listing: ProduceListing, quantity: int, earliest: dt.date) -> Ride:
    """Reserve room for the produce from its station to the hub on the earliest scheduled trip
    from max(earliest, today) to the listing's ready-until date that has room and has not
    passed the station yet."""
    stops = await RouteStop.filter(station_id=listing.station_id)
    if not stops:
        raise DomainError(
            ErrorCode.STATION_NOT_SERVED, "no bus route stops at this station", ["listingId"]
        )
    return await capacity.book(
        ways=[
            Way(stop.route_id, Direction.UP, stop.seq, stop.minutes_from_departure)
            for stop in stops
        ],
        load=Load.of_units(
            quantity=quantity,
            weight_g=listing.unit_weight_g,
            volume_cm3=listing.unit_volume_cm3,
            temperature=listing.temperature,
        ),
        start=max(earliest, clock.today()),
        end=listing.ready_until,
        field=["quantity"],
    )


# --- the handover chain ----------------------------------------------------------------------


async def confirm_handover(
    *, viewer: Viewer | None, purchase_id: int, quantity: int
) -> ProducePurchase:
    """The handover station's leader takes the produce in. Less than bought gives the unused
    capacity back and lowers the total; the listing's stock stays taken (the farmer did not
    have it)."""
    leader = require_role(viewer, Role.LEADER)
    async with in_transaction():
        purchase = await _purchase(purchase_id)
        if not leader.leads(purchase.station_id):
            raise not_allowed("only the leader of the handover station takes produce in")
        if not 1 <= quantity <= purchase.quantity:
            raise invalid(f"hand over 1 to {purchase.quantity} units", "quantity")
        total = quantity * purchase.unit_price_fen
        await _move(
            purchase,
            PurchaseStatus.RESERVED,
            PurchaseStatus.HANDED_OVER,
            handed_over_quantity=quantity,
            total_fen=total,
        )
        purchase.handed_over_quantity, purchase.total_fen = quantity, total
        if quantity < purchase.quantity:
            shipment = await Shipment.get(id=purchase.shipment_id)
            shrunk = capacity.shipment_load(shipment).part(quantity, purchase.quantity)
            await capacity.shrink(shipment, shrunk)
        message = f"{quantity} of {purchase.quantity} handed over"
        await _record(purchase, message=message)
    return purchase


async def confirm_hub_receipt(*, viewer: Viewer | None, purchase_id: int) -> ProducePurchase:
    """The hub takes the produce off the bus (if the arrival did not already say so)."""
    require_dispatcher(viewer)
    async with in_transaction():
        purchase = await _purchase(purchase_id)
        await _move(
            purchase,
            (PurchaseStatus.HANDED_OVER, PurchaseStatus.IN_TRANSIT),
            PurchaseStatus.AT_HUB,
        )
        await _record(purchase, message="received at the hub")
    return purchase


async def confirm_collection(
    *, viewer: Viewer | None, purchase_id: int, collect_code: str
) -> ProducePurchase:
    """The buyer collects at the hub, showing the collect code to the dispatcher."""
    require_dispatcher(viewer)
    async with in_transaction():
        purchase = await _purchase(purchase_id)
        if purchase.status is not PurchaseStatus.AT_HUB:
            raise _wrong_state(purchase.status, (PurchaseStatus.AT_HUB,))
        if not hmac.compare_digest(collect_code.strip().encode(), purchase.collect_code.encode()):
            raise DomainError(ErrorCode.WRONG_CODE, "that collect code is wrong", ["collectCode"])
        await _move(purchase, PurchaseStatus.AT_HUB, PurchaseStatus.COLLECTED)
        await _record(purchase, message="collected by the buyer")
    return purchase


async def _purchase(purchase_id: int) -> ProducePurchase:
    purchase = await ProducePurchase.get_or_none(id=purchase_id)
    if purchase is None:
        raise not_found("purchase", "purchaseId")
    return purchase


async def _move(
    purchase: ProducePurchase,
    expected: PurchaseStatus | tuple[PurchaseStatus, ...],
    to: PurchaseStatus,
    **changes: object,
) -> None:
    """A status change by conditional update: of two racing confirmations one wins, the other
    gets INVALID_STATE."""
    allowed = expected if isinstance(expected, tuple) else (expected,)
    moved = await ProducePurchase.filter(id=purchase.id, status__in=allowed).update(
        status=to, **changes
    )
    if moved != 1:
        now = await ProducePurchase.get(id=purchase.id)
        raise _wrong_state(now.status, allowed)
    purchase.status = to


def _wrong_state(status: PurchaseStatus, allowed: tuple[PurchaseStatus, ...]) -> DomainError:
    return DomainError(
        ErrorCode.INVALID_STATE,
        f"the purchase is {status.value}, not {' or '.join(s.value for s in allowed)}",
        ["purchaseId"],
    )


async def _record(purchase: ProducePurchase, *, message: str) -> None:
    listing = await ProduceListing.get(id=purchase.listing_id)
    await record_purchase_status(purchase, farmer_id=listing.farmer_id, message=message)
