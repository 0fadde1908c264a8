"""Purchase requests (求购): a buyer asks, farmers quote, the buyer accepts a quote.

Quantities of a request and of its offers count in the request's unit, so an offer from a listing
sold in another unit is refused rather than compared wrongly.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

from tortoise.expressions import F
from tortoise.transactions import in_transaction

from cungoods.events.outbox import record
from cungoods.models import ProduceListing, ProduceOffer, ProducePurchase, ProduceRequest
from cungoods.models.enums import OfferStatus, PayWith, RequestStatus, Role, Temperature
from cungoods.services import capacity, clock
from cungoods.services.auth import Viewer, require_role, require_viewer
from cungoods.services.capacity import NoCapacity
from cungoods.services.errors import (
    DomainError,
    DomainErrors,
    ErrorCode,
    invalid,
    not_allowed,
    not_found,
)
from cungoods.services.idempotency import run_once
from cungoods.services.listings import MAX_PRICE_FEN, MAX_QUANTITY, ListingFields, new_listing
from cungoods.services.pagination import Page, PageArgs, page
from cungoods.services.purchases import check_on_sale, check_total, place_purchase

DEFAULT_UNIT = "斤"
# New produce offered on a request stays on sale this long after it is ready, unless the farmer
# says otherwise: room on a bus may take a few days to find.
DEFAULT_OFFER_WINDOW_DAYS = 7
MAX_NEEDED_AHEAD_DAYS = 180
# Events for the farmer (their offer closed with the request) and the buyer (an offer withdrawn).
OFFER_CLOSED = "OFFER_CLOSED"
OFFER_WITHDRAWN = "OFFER_WITHDRAWN"


@dataclass(frozen=True)
class NewProduce:
    """Produce a farmer offers without listing it first: a listing is made for it, in the
    request's unit. Title and category default to the request's."""

    unit_weight_g: int
    unit_volume_cm3: int
    title: str | None = None
    category: str | None = None
    variety: str = ""
    grade: str = ""
    station_id: int | None = None
    ready_until: dt.date | None = None
    temperature: Temperature = Temperature.AMBIENT
    description: str = ""
    photo_urls: Sequence[str] = field(default_factory=tuple)


async def post_produce_request(
    *,
    viewer: Viewer | None,
    what: str,
    quantity: int,
    max_price_fen: int,
    needed_by: dt.date,
    category: str = "",
    unit: str = DEFAULT_UNIT,
) -> ProduceRequest:
    """A BUYER asks farmers for produce (求购): what, how much, the most they pay per unit."""
    buyer = require_role(viewer, Role.BUYER)
    what, category, unit = what.strip(), category.strip(), unit.strip()
    if not 1 <= len(what) <= 100:
        raise invalid("say what you want in 1 to 100 characters", "what")
    if len(category) > 32:
        raise invalid("category has at most 32 characters", "category")
    if not 1 <= len(unit) <= 16:
        raise invalid("unit has 1 to 16 characters", "unit")
    if not 1 <= quantity <= MAX_QUANTITY:
        raise invalid(f"quantity is between 1 and {MAX_QUANTITY}", "quantity")
    if not 1 <= max_price_fen <= MAX_PRICE_FEN:
        raise invalid(f"maxPriceFen is between 1 and {MAX_PRICE_FEN}", "maxPriceFen")
    today = clock.today()
    if needed_by < today:
        raise invalid("neededBy is already past", "neededBy")
    if (needed_by - today).days > MAX_NEEDED_AHEAD_DAYS:
        raise invalid(f"neededBy is at most {MAX_NEEDED_AHEAD_DAYS} days ahead", "neededBy")
    async with in_transaction():
        return await ProduceRequest.create(
            buyer_id=buyer.id,
            what=what,
            category=category,
            unit=unit,
            quantity=quantity,
            max_price_fen=max_price_fen,
            needed_by=needed_by,
        )


async def produce_requests(
    *, open_only: bool, page_args: PageArgs, max_size: int
) -> Page[ProduceRequest]:
    """Requests farmers may quote on; `open_only` leaves out met, closed and expired ones."""
    query = ProduceRequest.all()
    if open_only:
        query = query.filter(status=RequestStatus.OPEN, needed_by__gte=clock.today())
    return await page(query, window=page_args, max_size=max_size)


def _check_open(request: ProduceRequest) -> None:
    if request.status is not RequestStatus.OPEN:
        raise DomainError(
            ErrorCode.INVALID_STATE, f"the request is {request.status.value}", ["requestId"]
        )
    if request.needed_by < clock.today():
        raise DomainError(
            ErrorCode.INVALID_STATE,
            f"the request was needed by {request.needed_by.isoformat()}",
            ["requestId"],
        )


async def make_offer(
    *,
    viewer: Viewer | None,
    request_id: int,
    quantity: int,
    price_fen: int,
    listing_id: int | None = None,
    produce: NewProduce | None = None,
    ready_on: dt.date | None = None,
) -> ProduceOffer:
    """A FARMER quotes on an open request, from one of their listings or with new produce (for
    which a listing is made)."""
    farmer = require_role(viewer, Role.FARMER)
    if (listing_id is None) == (produce is None):
        raise invalid("offer from a listing or new produce: give one of them", "listingId")
    async with in_transaction():
        # Locked, so that an offer is never made on a request its buyer is closing meanwhile.
        request = await ProduceRequest.filter(id=request_id).select_for_update().get_or_none()
        if request is None:
            raise not_found("request", "requestId")
        if request.buyer_id == farmer.id:
            raise not_allowed("you cannot quote on your own request")
        _check_open(request)
        still_needed = request.quantity - request.accepted_quantity
        if not 1 <= quantity <= still_needed:
            raise invalid(f"the buyer still needs 1 to {still_needed} {request.unit}", "quantity")
        if not 1 <= price_fen <= request.max_price_fen:
            raise invalid(
                f"the buyer pays at most {request.max_price_fen} fen per {request.unit}",
                "priceFen",
            )
        check_total(quantity, price_fen, "quantity")
        today = clock.today()
        if ready_on is not None and ready_on < today:
            raise invalid("readyOn is already past", "readyOn")
        if listing_id is not None:
            listing = await _own_listing(farmer, listing_id, request=request, quantity=quantity)
            ready = ready_on or max(listing.ready_from, today)
            if not listing.ready_from <= ready <= listing.ready_until:
                raise invalid(
                    f"the listing is ready from {listing.ready_from.isoformat()} "
                    f"until {listing.ready_until.isoformat()}",
                    "readyOn",
                )
        else:
            assert produce is not None
            ready = ready_on or today
            listing = await _listing_for(farmer, produce, request, quantity, price_fen, ready)
        return await ProduceOffer.create(
            request_id=request.id,
            farmer_id=farmer.id,
            listing_id=listing.id,
            quantity=quantity,
            price_fen=price_fen,
            ready_on=ready,
        )


async def _own_listing(
    farmer: Viewer, listing_id: int, *, request: ProduceRequest, quantity: int
) -> ProduceListing:
    listing = await ProduceListing.get_or_none(id=listing_id)
    if listing is None:
        raise not_found("listing", "listingId")
    if listing.farmer_id != farmer.id:
        raise not_allowed("you can only offer from your own listings")
    check_on_sale(listing)
    if listing.unit != request.unit:
        raise invalid(
            f"the request counts in {request.unit}, the listing in {listing.unit}", "listingId"
        )
    left = listing.quantity - listing.sold
    if quantity > left:
        raise DomainError(
            ErrorCode.OUT_OF_STOCK,
            f"the listing has {left} {listing.unit} left",
            ["quantity"],
            remaining=max(left, 0),
        )
    return listing


async def _listing_for(
    farmer: Viewer,
    produce: NewProduce,
    request: ProduceRequest,
    quantity: int,
    price_fen: int,
    ready: dt.date,
) -> ProduceListing:
    values = ListingFields(
        title=produce.title if produce.title is not None else request.what,
        category=produce.category if produce.category is not None else request.category,
        unit=request.unit,
        unit_weight_g=produce.unit_weight_g,
        unit_volume_cm3=produce.unit_volume_cm3,
        price_fen=price_fen,
        quantity=quantity,
        ready_from=ready,
        ready_until=produce.ready_until or ready + dt.timedelta(days=DEFAULT_OFFER_WINDOW_DAYS),
        variety=produce.variety,
        grade=produce.grade,
        station_id=produce.station_id,
        temperature=produce.temperature,
        description=produce.description,
        photo_urls=produce.photo_urls,
    )
    return await new_listing(farmer=farmer, values=values, prefix=("produce",))


async def accept_offer(
    *,
    viewer: Viewer | None,
    offer_id: int,
    idempotency_key: str | None,
    pay_with: PayWith = PayWith.BALANCE,
) -> ProducePurchase:
    """The request's buyer accepts a quote: the purchase is made with its reservation at the
    offer's price and paid as `pay_with` says (as buyProduce). A request fully met is FULFILLED
    and its other open offers close.

    Locks go request row first, then the offer, the listing and the legs: every acceptance on a
    request queues on the request row, so two of them never wait on each other's offers."""
    buyer = require_role(viewer, Role.BUYER)

    async def work() -> int:
        offer = await ProduceOffer.get_or_none(id=offer_id)
        if offer is None:
            raise not_found("offer", "offerId")
        request = await ProduceRequest.get(id=offer.request_id)
        if request.buyer_id != buyer.id:
            raise not_allowed("only the buyer who asked may accept an offer")
        if offer.status is not OfferStatus.OPEN:
            raise DomainError(
                ErrorCode.INVALID_STATE, f"the offer is {offer.status.value}", ["offerId"]
            )
        _check_open(request)
        check_total(offer.quantity, offer.price_fen, "offerId")
        counted = await ProduceRequest.filter(id=request.id, status=RequestStatus.OPEN).update(
            accepted_quantity=F("accepted_quantity") + offer.quantity
        )
        if counted != 1:
            raise DomainError(ErrorCode.INVALID_STATE, "the request is no longer open", ["offerId"])
        accepted = await ProduceOffer.filter(id=offer.id, status=OfferStatus.OPEN).update(
            status=OfferStatus.ACCEPTED
        )
        if accepted != 1:
            raise DomainError(ErrorCode.INVALID_STATE, "the offer is no longer open", ["offerId"])
        listing = await ProduceListing.get(id=offer.listing_id)
        try:
            check_on_sale(listing)
            purchase = await place_purchase(
                listing=listing,
                buyer_id=buyer.id,
                quantity=offer.quantity,
                unit_price_fen=offer.price_fen,
                earliest=offer.ready_on,
                pay_with=pay_with,
                offer_id=offer.id,
            )
        except DomainError as error:
            # The listing, stock and bus are the offer's: point the buyer at what they sent
            # (keeping what the error says as data: leg_seq, remaining).
            for each in error.errors if isinstance(error, DomainErrors) else [error]:
                each.field = ["offerId"]
            error.field = ["offerId"]
            raise
        await _close_if_met(request.id)
        return purchase.id

    try:
        purchase_id = await run_once(
            user_id=buyer.id,
            operation="acceptOffer",
            key=idempotency_key,
            request={"offerId": offer_id, "payWith": pay_with.value},
            work=work,
        )
    except NoCapacity as refused:
        # After the rollback, as for orders and buyProduce.
        raise await capacity.with_next_date(refused) from None
    return await ProducePurchase.get(id=purchase_id)


async def _close_if_met(request_id: int) -> None:
    request = await ProduceRequest.get(id=request_id)
    if request.accepted_quantity < request.quantity:
        return
    await ProduceRequest.filter(id=request_id).update(status=RequestStatus.FULFILLED)
    await ProduceOffer.filter(request_id=request_id, status=OfferStatus.OPEN).update(
        status=OfferStatus.CLOSED
    )


# --- withdrawing ------------------------------------------------------------------------------


async def close_request(*, viewer: Viewer | None, request_id: int) -> ProduceRequest:
    """The request's buyer no longer wants it: an OPEN request is CLOSED with its open offers,
    and each farmer who offered hears of it. Accepted offers and their purchases stay as they
    are. Locks the request row first, then the offers, as acceptOffer does."""
    signed_in = require_viewer(viewer)
    async with in_transaction():
        request = await ProduceRequest.get_or_none(id=request_id)
        if request is None:
            raise not_found("request", "requestId")
        if request.buyer_id != signed_in.id:
            raise not_allowed("only the buyer who asked may close a request")
        closed = await ProduceRequest.filter(id=request.id, status=RequestStatus.OPEN).update(
            status=RequestStatus.CLOSED
        )
        if closed != 1:
            current = await ProduceRequest.get(id=request.id)
            raise DomainError(
                ErrorCode.INVALID_STATE, f"the request is {current.status.value}", ["requestId"]
            )
        # Locked and read in one step: an offer its farmer withdraws meanwhile is not told twice.
        offers = await (
            ProduceOffer.filter(request_id=request.id, status=OfferStatus.OPEN)
            .select_for_update()
            .order_by("id")
        )
        if offers:
            await ProduceOffer.filter(id__in=[offer.id for offer in offers]).update(
                status=OfferStatus.CLOSED
            )
        for offer in offers:
            await record(
                OFFER_CLOSED,
                message=f"the buyer closed the request for {request.what}: your offer of "
                f"{offer.quantity} {request.unit} is closed",
                user_ids=(offer.farmer_id,),
                trip_topic=False,
                params={"what": request.what, "quantity": offer.quantity, "unit": request.unit},
            )
        request = await ProduceRequest.get(id=request.id)
    return request


async def withdraw_offer(*, viewer: Viewer | None, offer_id: int) -> ProduceOffer:
    """The farmer takes back an OPEN offer (CLOSED), and the request's buyer hears of it. The
    conditional update decides a withdrawal racing an acceptance once."""
    signed_in = require_viewer(viewer)
    async with in_transaction():
        offer = await ProduceOffer.get_or_none(id=offer_id)
        if offer is None:
            raise not_found("offer", "offerId")
        if offer.farmer_id != signed_in.id:
            raise not_allowed("only the farmer who made an offer may withdraw it")
        withdrawn = await ProduceOffer.filter(id=offer.id, status=OfferStatus.OPEN).update(
            status=OfferStatus.CLOSED
        )
        if withdrawn != 1:
            current = await ProduceOffer.get(id=offer.id)
            raise DomainError(
                ErrorCode.INVALID_STATE, f"the offer is {current.status.value}", ["offerId"]
            )
        request = await ProduceRequest.get(id=offer.request_id)
        await record(
            OFFER_WITHDRAWN,
            message=f"an offer of {offer.quantity} {request.unit} for {request.what} "
            "was withdrawn by its farmer",
            user_ids=(request.buyer_id,),
            trip_topic=False,
            params={"what": request.what, "quantity": offer.quantity, "unit": request.unit},
        )
        offer = await ProduceOffer.get(id=offer.id)
    return offer


def may_see_offer(viewer: Viewer | None, *, farmer_id: int, buyer_id: int) -> bool:
    """An offer is between the farmer and the request's buyer (and dispatchers)."""
    return viewer is not None and (viewer.id in (farmer_id, buyer_id) or viewer.is_dispatcher)
