"""Races, proven on PostgreSQL (SQLite serialises every writer, so nothing races there):
buyers for the last kilograms, downstream and upstream reservations for one bus, and retried
keyed mutations.

Each race proves its calls overlapped (tests/races.py): a row lock they need is held until as
many of them as the server's pool allows wait for it inside their transactions, then all go at
once. A test whose calls happened to run one after another fails."""

from __future__ import annotations

import asyncio
import datetime as dt
import random
from collections import Counter
from collections.abc import Awaitable

import pytest
from tortoise.transactions import in_transaction

from builders import fund_buyers, make_network, schedule
from builders_produce import make_farmer, make_listing, pin_clock
from cungoods.models import (
    Leg,
    ProduceListing,
    ProduceOffer,
    ProducePurchase,
    ProduceRequest,
    Shipment,
    User,
)
from cungoods.models.enums import Direction, OfferStatus, RequestStatus, Role
from cungoods.services import capacity, purchases, requests
from cungoods.services.auth import Viewer
from cungoods.services.capacity import Load
from cungoods.services.errors import DomainError
from races import holding, pool_size

pytestmark = pytest.mark.pg_only
KG = 1000


async def buyers(count: int) -> list[Viewer]:
    """Buyers stored in one statement (no password hashing: they never sign in), each with
    money in their wallet (buyProduce and acceptOffer pay from it by default)."""
    await User.bulk_create(
        [
            User(phone=f"1350{n:07d}", name=f"买家{n}", password_hash="-", roles=[Role.BUYER])
            for n in range(count)
        ]
    )
    users = await User.filter(phone__startswith="1350").order_by("id")
    await fund_buyers(users)
    return [Viewer.of(user) for user in users]


async def outcomes(calls: list[Awaitable[object]]) -> list[object]:
    """Run every call at once (or collect the outcomes of racers already run); each result is
    what it returned or the DomainError it raised. Anything else (a deadlock, a constraint
    violation) fails the test."""
    results = await asyncio.gather(*calls, return_exceptions=True)
    unexpected = [
        r for r in results if isinstance(r, BaseException) and not isinstance(r, DomainError)
    ]
    assert unexpected == []
    return list(results)


def error_codes(results: list[object]) -> Counter[str]:
    return Counter(str(r.code) for r in results if isinstance(r, DomainError))


async def test_buyers_racing_for_the_last_kilograms_never_get_more_than_there_is() -> None:
    # Given 10 斤 left of a listing, and 40 buyers wanting 1 to 3 斤 each, all at once.
    pin_clock("05:00")
    net = await make_network(stations=2)
    await schedule(net)
    listing = await make_listing(await make_farmer(net.stations[0]), quantity=100, sold=90)
    crowd = await buyers(40)
    rng = random.Random(4)
    wants = [rng.randint(1, 3) for _ in crowd]

    # Every buyer reaches the conditional update of the listing's stock (locked here) and waits
    # there; then they all go at once.
    async with holding(ProduceListing, id=listing.id) as race:
        racers = race.start(
            purchases.buy_produce(
                viewer=buyer, listing_id=listing.id, quantity=want, idempotency_key=None
            )
            for buyer, want in zip(crowd, wants, strict=True)
        )
        await race.blocked(min(len(crowd), pool_size()))
    results = await outcomes(racers)

    # Then what was sold is exactly what the purchases hold, never more than the 10 left; the
    # rest were told it is out of stock; every purchase has its reservation.
    bought = [r for r in results if isinstance(r, ProducePurchase)]
    stored = await ProduceListing.get(id=listing.id)
    assert stored.sold == 90 + sum(p.quantity for p in bought)
    assert stored.sold <= stored.quantity
    assert stored.sold >= 98  # someone wanting 1 or 2 would have taken what was left
    assert set(error_codes(results)) == {"OUT_OF_STOCK"}
    assert await ProducePurchase.all().count() == len(bought)
    assert await Shipment.filter(direction=Direction.UP).count() == len(bought)
    assert await capacity.invariant_violations() == []


async def test_orders_and_produce_racing_for_one_bus_never_overfill_a_leg() -> None:
    # Given one 100 kg bus through four villages, farmers at every village with produce ready
    # only today, and 40 downstream reservations and 40 produce purchases of 10 kg each,
    # to and from random villages, all at once.
    today = pin_clock("05:00")
    net = await make_network(stations=4, capacity_g=100 * KG, capacity_cm3=50_000_000)
    trip = (await schedule(net))[0]
    listings = [
        await make_listing(
            await make_farmer(station), quantity=1000, unit_weight_g=500, ready_until=today
        )
        for station in net.stations
    ]
    crowd = await buyers(40)
    rng = random.Random(7)

    async def ship_down(to_seq: int) -> Shipment:
        async with in_transaction():
            return await capacity.reserve(
                trip_id=trip.id,
                direction=Direction.DOWN,
                from_seq=0,
                to_seq=to_seq,
                load=Load(10 * KG, 10_000, 0),
            )

    calls: list[Awaitable[object]] = [ship_down(rng.randint(1, 4)) for _ in range(40)]
    calls += [
        purchases.buy_produce(
            viewer=buyer,
            listing_id=rng.choice(listings).id,
            quantity=20,  # 10 kg
            idempotency_key=None,
        )
        for buyer in crowd
    ]
    # Half of each kind first (as many as the pool holds), shuffled, then the other half.
    first, second = calls[:20] + calls[40:60], calls[20:40] + calls[60:]
    rng.shuffle(first)
    rng.shuffle(second)

    # With the bus's legs locked, the first half waits for them inside their transactions
    # (purchases of one listing behind the first one's stock): 20 downstream and 20 upstream
    # reservations at once, the second half queueing for a connection; then all go at once.
    async with holding(Leg, trip_id=trip.id) as race:
        racers = race.start(first)
        await race.blocked(min(len(first), pool_size()))
        racers += race.start(second)
    results = await outcomes(racers)

    # Then no leg carries more than the bus holds, each leg's usage is exactly the live
    # shipments over it, and every refusal was for capacity.
    assert await capacity.invariant_violations() == []
    for leg in await Leg.filter(trip_id=trip.id):
        assert leg.used_g <= leg.capacity_g
    assert set(error_codes(results)) <= {"NO_CAPACITY"}
    down = [r for r in results if isinstance(r, Shipment)]
    up = [r for r in results if isinstance(r, ProducePurchase)]
    assert down and up
    assert await Shipment.filter(direction=Direction.DOWN).count() == len(down)
    assert await Shipment.filter(direction=Direction.UP).count() == len(up)
    assert sum([listing.sold for listing in await ProduceListing.all()]) == 20 * len(up)
    assert len(down) + len(up) + sum(error_codes(results).values()) == 80


async def test_fifty_retries_of_one_buy_make_one_purchase() -> None:
    pin_clock("05:00")
    net = await make_network(stations=2)
    await schedule(net)
    listing = await make_listing(await make_farmer(net.stations[0]), quantity=100)
    (buyer,) = await buyers(1)

    # The first retry claims the key and waits for the listing's stock (locked here), the
    # others for its claim of the key; then they all go at once.
    async with holding(ProduceListing, id=listing.id) as race:
        racers = race.start(
            purchases.buy_produce(
                viewer=buyer, listing_id=listing.id, quantity=7, idempotency_key="retry-me"
            )
            for _ in range(50)
        )
        await race.blocked(min(50, pool_size()))
    results = await outcomes(racers)

    assert {r.id for r in results if isinstance(r, ProducePurchase)} == {
        (await ProducePurchase.get()).id
    }
    assert error_codes(results) == Counter()
    assert (await ProduceListing.get(id=listing.id)).sold == 7
    assert await Shipment.all().count() == 1
    assert await capacity.invariant_violations() == []


async def _request_with_offers(quantity: int, offers: int, each: int) -> tuple[Viewer, list[int]]:
    today = pin_clock("05:00")
    net = await make_network(stations=2)
    await schedule(net, days=2)
    (buyer,) = await buyers(1)
    request = await ProduceRequest.create(
        buyer_id=buyer.id,
        what="土鸡蛋",
        unit="斤",
        quantity=quantity,
        max_price_fen=900,
        needed_by=today + dt.timedelta(days=3),
    )
    offer_ids = []
    for n in range(offers):
        farmer = await make_farmer(net.stations[n % 2], name=f"农户{n}")
        listing = await make_listing(farmer, quantity=each)
        offer = await ProduceOffer.create(
            request=request,
            farmer=farmer,
            listing=listing,
            quantity=each,
            price_fen=850,
            ready_on=today,
        )
        offer_ids.append(offer.id)
    return buyer, offer_ids


async def test_fifty_retries_of_one_acceptance_make_one_purchase() -> None:
    buyer, (offer_id,) = await _request_with_offers(quantity=100, offers=1, each=100)

    # The first retry claims the key and waits for the request (locked here), the others for
    # its claim of the key; then they all go at once.
    async with holding(ProduceRequest, id=(await ProduceRequest.get()).id) as race:
        racers = race.start(
            requests.accept_offer(viewer=buyer, offer_id=offer_id, idempotency_key="yes-please")
            for _ in range(50)
        )
        await race.blocked(min(50, pool_size()))
    results = await outcomes(racers)

    assert len({r.id for r in results if isinstance(r, ProducePurchase)}) == 1
    assert error_codes(results) == Counter()
    assert await ProducePurchase.all().count() == 1
    request = await ProduceRequest.get()
    assert (request.accepted_quantity, request.status) == (100, RequestStatus.FULFILLED)
    assert await capacity.invariant_violations() == []


async def test_accepting_every_offer_at_once_fills_the_request_and_closes_the_rest() -> None:
    # Given a request for 300 斤 and five offers of 100: the buyer accepts all five at once.
    buyer, offer_ids = await _request_with_offers(quantity=300, offers=5, each=100)

    # Every acceptance reaches the conditional update of the request (locked here) and waits
    # there; then they all go at once.
    async with holding(ProduceRequest, id=(await ProduceRequest.get()).id) as race:
        racers = race.start(
            requests.accept_offer(viewer=buyer, offer_id=offer_id, idempotency_key=None)
            for offer_id in offer_ids
        )
        await race.blocked(len(offer_ids))
    results = await outcomes(racers)

    # Then three are bought, the request is met, and the other two are closed.
    assert len([r for r in results if isinstance(r, ProducePurchase)]) == 3
    assert error_codes(results) == Counter({"INVALID_STATE": 2})
    request = await ProduceRequest.get()
    assert (request.accepted_quantity, request.status) == (300, RequestStatus.FULFILLED)
    statuses = Counter(o.status for o in await ProduceOffer.all())
    assert statuses == Counter({OfferStatus.ACCEPTED: 3, OfferStatus.CLOSED: 2})
    assert await capacity.invariant_violations() == []
