"""Produce purchases: buying from a listing, the ride from the station to the hub, and the
handover chain (handed over at the station, received at the hub, collected by the buyer).

A purchase takes stock from the listing and capacity from the earliest bus that has room, in the
one transaction of the use case: a purchase never exists without its reservation.

The money (issue 12): paid by BALANCE, the buyer's wallet pays the total into PRODUCE_HELD in
that same transaction; paid through the PROVIDER, the purchase waits UNPAID until `pay_by` and
is released by `expire_unpaid` if the provider never confirms. A short handover refunds the
missing units at once; at collection the money held is split between the farmer, the platform's
fee and the handover station leader's collection fee (services/money/fees.py).
"""

from __future__ import annotations

import datetime as dt
import hmac
import secrets
import uuid

from tortoise.expressions import F, Q
from tortoise.transactions import in_transaction

from cungoods.events.outbox import record_purchase_status
from cungoods.models import (
    ProduceListing,
    ProduceOffer,
    ProducePurchase,
    ProduceRequest,
    RouteStop,
    Shipment,
    TripStop,
    User,
)
from cungoods.models.enums import (
    AccountKind,
    Direction,
    LedgerKind,
    ListingStatus,
    OfferStatus,
    PaymentStatus,
    PayWith,
    PurchaseStatus,
    RequestStatus,
    Role,
)
from cungoods.services import capacity, clock, stock
from cungoods.services.auth import Viewer, require_dispatcher, require_role, require_viewer
from cungoods.services.capacity import Load, NoCapacity, Ride, Way
from cungoods.services.errors import DomainError, ErrorCode, invalid, not_allowed, not_found
from cungoods.services.idempotency import run_once
from cungoods.services.listings import MAX_QUANTITY, MAX_TOTAL_FEN
from cungoods.services.money import credited, fees, ledger, payments, refunds
from cungoods.services.pagination import Page, PageArgs, page

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
    *, viewer: Viewer | None, page_args: PageArgs, max_size: int
) -> Page[ProducePurchase]:
    """A buyer's purchases, and the purchases of a farmer's listings (both, for someone who is
    both)."""
    signed_in = require_viewer(viewer)
    query = ProducePurchase.filter(Q(buyer_id=signed_in.id) | Q(listing__farmer_id=signed_in.id))
    return await page(query, window=page_args, max_size=max_size)


# --- buying ----------------------------------------------------------------------------------


async def buy_produce(
    *,
    viewer: Viewer | None,
    listing_id: int,
    quantity: int,
    idempotency_key: str | None,
    pay_with: PayWith = PayWith.BALANCE,
) -> ProducePurchase:
    """A BUYER buys from a listing: stock, a seat on the earliest bus with room, the purchase,
    its payment (or its wait for one) and its event, all in one transaction, at most once per
    idempotency key."""
    buyer = require_role(viewer, Role.BUYER)
    if not 1 <= quantity <= MAX_QUANTITY:
        raise invalid(f"buy 1 to {MAX_QUANTITY} units", "quantity")

    async def work() -> int:
        listing = await ProduceListing.get_or_none(id=listing_id)
        if listing is None:
            raise not_found("listing", "listingId")
        if listing.farmer_id == buyer.id:
            raise not_allowed("you cannot buy your own produce")
        check_on_sale(listing)
        if quantity < listing.min_quantity:
            raise invalid(f"the minimum order is {listing.min_quantity} {listing.unit}", "quantity")
        check_total(quantity, listing.price_fen, "quantity")
        purchase = await place_purchase(
            listing=listing,
            buyer_id=buyer.id,
            quantity=quantity,
            unit_price_fen=listing.price_fen,
            earliest=listing.ready_from,
            pay_with=pay_with,
        )
        return purchase.id

    try:
        purchase_id = await run_once(
            user_id=buyer.id,
            operation="buyProduce",
            key=idempotency_key,
            request={"listingId": listing_id, "quantity": quantity, "payWith": pay_with.value},
            work=work,
        )
    except NoCapacity as refused:
        # After the rollback, as for orders: the search for another date holds no locks.
        raise await capacity.with_next_date(refused) from None
    return await ProducePurchase.get(id=purchase_id)


def check_total(quantity: int, unit_price_fen: int, field: str) -> None:
    """INVALID_INPUT when a purchase's total would not fit a 32-bit Int of fen."""
    if quantity * unit_price_fen > MAX_TOTAL_FEN:
        raise invalid(f"a purchase comes to at most {MAX_TOTAL_FEN} fen: buy fewer", field)


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
    pay_with: PayWith,
    offer_id: int | None = None,
) -> ProducePurchase:
    """Inside the caller's transaction: take the stock, reserve the ride, store the purchase, pay
    for it from the wallet (or set it waiting for the provider) and write its event. Raises (and
    leaves the rollback to the caller) when any step refuses, INSUFFICIENT_FUNDS included."""
    want = stock.Want(id=listing.id, quantity=quantity, field=("quantity",), unit=listing.unit)
    await stock.take(stock.LISTINGS, [want])
    ride = await reserve_ride(listing=listing, quantity=quantity, earliest=earliest)
    total = quantity * unit_price_fen
    by_balance = pay_with is PayWith.BALANCE
    purchase = await ProducePurchase.create(
        # A unique placeholder until the id is known: the number is made from the id.
        number=uuid.uuid4().hex,
        buyer_id=buyer_id,
        listing_id=listing.id,
        offer_id=offer_id,
        station_id=listing.station_id,
        quantity=quantity,
        unit_price_fen=unit_price_fen,
        total_fen=total,
        pay_with=pay_with,
        payment_status=PaymentStatus.PAID if by_balance else PaymentStatus.UNPAID,
        paid_fen=total if by_balance else 0,
        pay_by=None if by_balance else clock.now() + fees.terms().payment_timeout,
        trip_id=ride.trip_id,
        shipment_id=ride.shipment.id,
        status=PurchaseStatus.RESERVED,
        collect_code=f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}",
    )
    purchase.number = f"P{clock.today():%Y%m%d}-{purchase.id:05d}"
    await ProducePurchase.filter(id=purchase.id).update(number=purchase.number)
    if by_balance:
        wallet = await ledger.account(AccountKind.BUYER_WALLET, buyer_id)
        held = await ledger.account(AccountKind.PRODUCE_HELD)
        await ledger.post(
            LedgerKind.PAYMENT,
            ledger.transfer(source=wallet, target=held, amount_fen=total),
            purchase_id=purchase.id,
            memo=purchase.number,
        )
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
    """The handover station's leader takes the produce in (a paid purchase only: an unpaid one
    may still be released). Less than bought gives the unused capacity back, lowers the total
    and refunds the missing units at once; the listing's stock stays taken (the farmer did not
    have it)."""
    leader = require_role(viewer, Role.LEADER)
    async with in_transaction():
        purchase = await _purchase(purchase_id)
        if not leader.leads(purchase.station_id):
            raise not_allowed("only the leader of the handover station takes produce in")
        if not 1 <= quantity <= purchase.quantity:
            raise invalid(f"hand over 1 to {purchase.quantity} units", "quantity")
        total = quantity * purchase.unit_price_fen
        # Conditional on being paid too: an expiry racing with the handover releases the
        # purchase or finds it handed over, never both.
        moved = await (
            ProducePurchase.filter(id=purchase.id, status=PurchaseStatus.RESERVED)
            .exclude(payment_status=PaymentStatus.UNPAID)
            .update(
                status=PurchaseStatus.HANDED_OVER, handed_over_quantity=quantity, total_fen=total
            )
        )
        if moved != 1:
            now = await ProducePurchase.get(id=purchase.id)
            if now.status is PurchaseStatus.RESERVED:
                raise DomainError(
                    ErrorCode.INVALID_STATE,
                    "the purchase is not paid yet: take the produce in once it is",
                    ["purchaseId"],
                )
            raise _wrong_state(now.status, (PurchaseStatus.RESERVED,))
        missing = purchase.quantity - quantity
        purchase.status = PurchaseStatus.HANDED_OVER
        purchase.handed_over_quantity, purchase.total_fen = quantity, total
        if missing:
            shipment = await Shipment.get(id=purchase.shipment_id)
            shrunk = capacity.shipment_load(shipment).part(quantity, purchase.quantity)
            await capacity.shrink(shipment, shrunk)
        message = f"{quantity} of {purchase.quantity} handed over"
        await _record(purchase, message=message)
        if missing and purchase.paid_fen > 0:
            await refunds.refund(
                purchase_id=purchase.id,
                amount_fen=missing * purchase.unit_price_fen,
                reason=f"{missing} of {purchase.quantity} not handed over",
            )
            purchase = await ProducePurchase.get(id=purchase.id)
    return purchase


async def confirm_hub_receipt(*, viewer: Viewer | None, purchase_id: int) -> ProducePurchase:
    """The hub takes the produce off the bus (if the arrival did not already say so)."""
    require_dispatcher(viewer)
    async with in_transaction():
        purchase = await _purchase(purchase_id)
        # Only off a bus that is back: while it is still out the produce cannot be at the hub.
        back = await TripStop.filter(trip_id=purchase.trip_id).order_by("-seq").first()
        if back is None or back.arrived_at is None:
            raise DomainError(
                ErrorCode.INVALID_STATE,
                "the bus carrying it has not arrived back at the hub yet",
                ["purchaseId"],
            )
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
    """The buyer collects at the hub, showing the collect code to the dispatcher; the money held
    for it is released to the farmer, less the fees, in the same transaction."""
    require_dispatcher(viewer)
    async with in_transaction():
        purchase = await _purchase(purchase_id)
        if purchase.status is not PurchaseStatus.AT_HUB:
            raise _wrong_state(purchase.status, (PurchaseStatus.AT_HUB,))
        if not hmac.compare_digest(collect_code.strip().encode(), purchase.collect_code.encode()):
            raise DomainError(ErrorCode.WRONG_CODE, "that collect code is wrong", ["collectCode"])
        await _move(purchase, PurchaseStatus.AT_HUB, PurchaseStatus.COLLECTED)
        listing = await ProduceListing.get(id=purchase.listing_id)
        await _release_to_farmer(purchase, farmer_id=listing.farmer_id)
        await record_purchase_status(
            purchase, farmer_id=listing.farmer_id, message="collected by the buyer"
        )
    return purchase


async def _release_to_farmer(purchase: ProducePurchase, *, farmer_id: int) -> None:
    """Move what is held for a collected purchase out of PRODUCE_HELD in one balanced
    transaction: the farmer's payable, the platform's fee, the station leader's collection fee.
    What is held is what was paid less what was refunded (a short handover's refund), i.e. the
    total of what was handed over; a purchase from before the money existed holds nothing."""
    held = purchase.paid_fen - purchase.refunded_fen
    if held <= 0:
        return
    leader_id = await station_leader(purchase.station_id)
    split = fees.split_produce(held, has_leader=leader_id is not None)
    legs = [
        ledger.Leg(await ledger.account(AccountKind.PRODUCE_HELD), -held),
        ledger.Leg(await ledger.account(AccountKind.FARMER_PAYABLE, farmer_id), split.farmer_fen),
        ledger.Leg(await ledger.account(AccountKind.PLATFORM_REVENUE), split.platform_fen),
    ]
    if leader_id is not None and split.leader_fen:
        commission = await ledger.account(AccountKind.LEADER_COMMISSION, leader_id)
        legs.append(ledger.Leg(commission, split.leader_fen))
    await ledger.post(LedgerKind.FARMER_CREDIT, legs, purchase_id=purchase.id, memo=purchase.number)
    await credited.tell_credited(
        user_id=farmer_id,
        amount_fen=split.farmer_fen,
        what=f"produce {purchase.number} collected",
        purchase_id=purchase.id,
    )
    if leader_id is not None:
        await credited.tell_credited(
            user_id=leader_id,
            amount_fen=split.leader_fen,
            what=f"collection fee on produce {purchase.number}",
            purchase_id=purchase.id,
        )


async def station_leader(station_id: int) -> int | None:
    """The user id of the station's leader (the first, should there be several), if any."""
    users = await User.filter(station_id=station_id).order_by("id").values_list("id", "roles")
    return next((int(pk) for pk, roles in users if Role.LEADER.value in roles), None)


# --- releasing unpaid purchases --------------------------------------------------------------


async def expire_unpaid(*, now: dt.datetime) -> int:
    """Cancel every purchase still UNPAID (and not yet handed over) past its `pay_by`: its stock
    and its room on the bus are given back, an accepted offer's units go back to the request,
    its pending provider payment is marked expired, and the buyer and the farmer hear of it.
    Each in its own transaction, by conditional update, so a payment or a handover racing with
    it wins or loses whole. Returns how many were released."""
    due = await ProducePurchase.filter(
        status=PurchaseStatus.RESERVED, payment_status=PaymentStatus.UNPAID, pay_by__lt=now
    ).order_by("id")
    released = 0
    for purchase_id in (purchase.id for purchase in due):
        async with in_transaction():
            if await _release_unpaid(purchase_id, now=now):
                released += 1
    return released


async def _release_unpaid(purchase_id: int, *, now: dt.datetime) -> bool:
    cancelled = await ProducePurchase.filter(
        id=purchase_id,
        status=PurchaseStatus.RESERVED,
        payment_status=PaymentStatus.UNPAID,
        pay_by__lt=now,
    ).update(status=PurchaseStatus.CANCELLED)
    if cancelled != 1:
        return False  # paid, handed over or released meanwhile
    await _release(purchase_id, why="not paid in time")
    return True


# --- the buyer withdrawing -------------------------------------------------------------------


async def cancel_purchase(*, viewer: Viewer | None, purchase_id: int) -> ProducePurchase:
    """The buyer cancels a purchase before the farmer hands it over: everything paid comes
    back, its stock and its room on the bus are given back, an accepted offer's units go back to
    the request, and the buyer and the farmer hear of it. The conditional update from RESERVED
    decides a cancel racing a handover (or another cancel, or the expiry) once."""
    signed_in = require_viewer(viewer)
    async with in_transaction():
        purchase = await _purchase(purchase_id)
        if purchase.buyer_id != signed_in.id:
            raise not_allowed("only the buyer may cancel a purchase")
        await _move(purchase, PurchaseStatus.RESERVED, PurchaseStatus.CANCELLED)
        await _release(purchase.id, why="cancelled by the buyer before the handover")
        purchase = await ProducePurchase.get(id=purchase.id)
    return purchase


async def _release(purchase_id: int, *, why: str) -> None:
    """Inside the transaction that just moved the purchase from RESERVED to CANCELLED (so this
    runs once per purchase): an accepted offer's units back to its request, the stock back to
    the listing, the room on the bus back, pending provider payments expired, the buyer and the
    farmer told `why`, and whatever was paid refunded in full. The offer and the request are
    touched before the listing and the legs, in the order acceptOffer locks them."""
    purchase = await ProducePurchase.get(id=purchase_id)
    listing = await ProduceListing.get(id=purchase.listing_id)
    if purchase.offer_id is not None:
        await _reopen_offer(purchase.offer_id, quantity=purchase.quantity)
    await stock.give_back(stock.LISTINGS, [(listing.id, purchase.quantity)])
    await capacity.release(await Shipment.get(id=purchase.shipment_id))
    await payments.expire_intents(purchase_id=purchase.id)
    await record_purchase_status(
        purchase,
        farmer_id=listing.farmer_id,
        message=f"{why}: {purchase.quantity} {listing.unit} {listing.title} released",
    )
    # Read under the row lock the cancelling UPDATE holds: a payment that landed before it
    # counts, and one landing after finds the purchase cancelled and goes straight back.
    await refunds.refund(
        purchase_id=purchase.id,
        amount_fen=await refunds.refundable_fen(purchase_id=purchase.id),
        reason=why,
    )


async def _reopen_offer(offer_id: int, *, quantity: int) -> None:
    """An accepted offer whose purchase was released (never paid, or cancelled by the buyer):
    the offer closes and the request needs its units again (open again if the offer had met
    it; a request its buyer closed stays closed)."""
    offer = await ProduceOffer.get(id=offer_id)
    await ProduceOffer.filter(id=offer_id).update(status=OfferStatus.CLOSED)
    await ProduceRequest.filter(id=offer.request_id).update(
        accepted_quantity=F("accepted_quantity") - quantity
    )
    await ProduceRequest.filter(id=offer.request_id, status=RequestStatus.FULFILLED).update(
        status=RequestStatus.OPEN
    )


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
