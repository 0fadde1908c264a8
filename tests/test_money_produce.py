"""Produce money (issue 12 item 6): buyProduce and acceptOffer paid from the wallet or through
the provider, the money held by the platform until the buyer collects at the hub, then split
between the farmer, the platform's fee and the station leader's collection fee; a short handover
refunds the missing units; an unpaid purchase is released; amounts that would not fit a 32-bit
Int are refused with nothing stored."""

from __future__ import annotations

import datetime as dt
from typing import Any

import httpx
import pytest

from builders import change_events, gql, make_network, make_user, schedule, token_for
from builders_produce import (
    codes,
    gid,
    legs_of,
    make_buyer,
    make_dispatcher,
    make_farmer,
    make_leader,
    make_listing,
    pin_clock,
)
from cungoods.api.ids import pk_of
from cungoods.models import (
    Event,
    EventTopic,
    LedgerEntry,
    LedgerTransaction,
    ProduceListing,
    ProduceOffer,
    ProducePurchase,
    ProduceRequest,
    Shipment,
    TripStop,
    User,
)
from cungoods.models.enums import (
    AccountKind,
    Direction,
    LedgerKind,
    OfferStatus,
    PurchaseStatus,
    RequestStatus,
    Role,
    ShipmentState,
)
from cungoods.services import capacity, clock, purchases
from cungoods.services.money import ledger
from races import holding

MONEY = "payWith paymentStatus paidFen refundedFen payBy"
BUY = f"""
mutation($input: BuyProduceInput!) {{
  buyProduce(input: $input) {{
    purchase {{ id status quantity totalFen collectCode {MONEY} }}
    errors {{ code field shortfallFen }}
  }}
}}
"""
HANDOVER = f"""
mutation($input: ConfirmHandoverInput!) {{
  confirmHandover(input: $input) {{
    purchase {{ status handedOverQuantity totalFen {MONEY} }} errors {{ code field }}
  }}
}}
"""
HUB = """
mutation($input: ConfirmHubReceiptInput!) {
  confirmHubReceipt(input: $input) { purchase { status } errors { code field } }
}
"""
COLLECT = f"""
mutation($input: ConfirmCollectionInput!) {{
  confirmCollection(input: $input) {{ purchase {{ status {MONEY} }} errors {{ code field }} }}
}}
"""
CREATE_LISTING = """
mutation($input: CreateListingInput!) {
  createListing(input: $input) { listing { id } errors { code field } }
}
"""
UPDATE_LISTING = """
mutation($input: UpdateListingInput!) {
  updateListing(input: $input) { listing { id priceFen } errors { code field } }
}
"""
POST_REQUEST = """
mutation($input: PostProduceRequestInput!) {
  postProduceRequest(input: $input) { request { id } errors { code field } }
}
"""
OFFER = """
mutation($input: MakeOfferInput!) {
  makeOffer(input: $input) { offer { id } errors { code field } }
}
"""
ACCEPT = f"""
mutation($input: AcceptOfferInput!) {{
  acceptOffer(input: $input) {{
    purchase {{ id status totalFen {MONEY} }} errors {{ code field shortfallFen }}
  }}
}}
"""


async def run(client: httpx.AsyncClient, mutation: str, user: User, **values: Any) -> Any:
    body = await gql(client, mutation, {"input": values}, token=token_for(user))
    assert "errors" not in body, body
    return next(iter(body["data"].values()))


async def wallet(user: User) -> int:
    return await ledger.balance_of(AccountKind.BUYER_WALLET, user.id)


async def held() -> int:
    return await ledger.balance_of(AccountKind.PRODUCE_HELD)


async def scene(stations: int = 3) -> dict[str, Any]:
    """A route with trips today, a farmer and the leader at station 2, a dispatcher."""
    pin_clock("05:00")
    net = await make_network(stations=stations)
    trips = await schedule(net, days=3)
    station = net.stations[1]
    return {
        "net": net,
        "trips": trips,
        "station": station,
        "farmer": await make_farmer(station),
        "leader": await make_leader(station),
        "dispatcher": await make_dispatcher(),
    }


async def bus_back(purchase_id: str) -> None:
    """The bus carrying the purchase is back at the hub (its last stop): the hub may take it in."""
    purchase = await ProducePurchase.get(id=pk_of(purchase_id, "ProducePurchase"))
    back = await TripStop.filter(trip_id=purchase.trip_id).order_by("-seq").first()
    assert back is not None
    await TripStop.filter(id=back.id).update(arrived_at=clock.now())


async def bring_to_hub(
    client: httpx.AsyncClient, world: dict[str, Any], purchase_id: str, quantity: int
) -> dict[str, Any]:
    handed = await run(client, HANDOVER, world["leader"], purchaseId=purchase_id, quantity=quantity)
    assert handed["errors"] == []
    await bus_back(purchase_id)
    received = await run(client, HUB, world["dispatcher"], purchaseId=purchase_id)
    assert received["errors"] == []
    result: dict[str, Any] = handed
    return result


async def nothing_changed(listing: ProduceListing, buyer: User, balance: int) -> None:
    """A refused purchase: no purchase, no seat, no stock, no event, no money moved."""
    assert await ProducePurchase.all().count() == 0
    assert await Shipment.filter(direction=Direction.UP).count() == 0
    assert (await ProduceListing.get(id=listing.id)).sold == 0
    assert await change_events() == 0
    assert await wallet(buyer) == balance
    assert await held() == 0
    assert await LedgerTransaction.filter(kind=LedgerKind.PAYMENT).count() == 0
    assert await capacity.invariant_violations() == []
    assert await ledger.invariant_violations() == []


# --- paid from the wallet, collected, the farmer credited -------------------------------------


async def test_bought_by_balance_and_collected_the_farmer_gets_the_total_less_5_and_2_percent(
    client: httpx.AsyncClient,
) -> None:
    # Given 37 斤 at 3.33 元: 12,321 fen, whose 5 % (616.05) and 2 % (246.42) both round down.
    world = await scene()
    listing = await make_listing(world["farmer"], price_fen=333, quantity=100)
    buyer = await make_buyer()
    start = await wallet(buyer)

    # When the buyer pays from the wallet
    bought = await run(client, BUY, buyer, listingId=gid("ProduceListing", listing.id), quantity=37)

    # Then the money leaves the wallet and is held by the platform, in the same transaction.
    assert bought["errors"] == []
    purchase = bought["purchase"]
    assert (purchase["payWith"], purchase["paymentStatus"]) == ("BALANCE", "PAID")
    assert (purchase["totalFen"], purchase["paidFen"], purchase["refundedFen"]) == (12321, 12321, 0)
    assert purchase["payBy"] is None
    assert await wallet(buyer) == start - 12321
    assert await held() == 12321
    payment = await LedgerTransaction.get(kind=LedgerKind.PAYMENT)
    assert payment.purchase_id == (await ProducePurchase.get()).id

    # When all 37 斤 are handed over, reach the hub and are collected
    await bring_to_hub(client, world, purchase["id"], 37)
    assert await held() == 12321  # nothing is released before collection
    collected = await run(
        client,
        COLLECT,
        world["dispatcher"],
        purchaseId=purchase["id"],
        collectCode=purchase["collectCode"],
    )

    # Then the held money is split to the fen, in one balanced transaction.
    assert collected["errors"] == []
    assert collected["purchase"]["status"] == "COLLECTED"
    farmer_id, leader_id = world["farmer"].id, world["leader"].id
    assert await ledger.balance_of(AccountKind.FARMER_PAYABLE, farmer_id) == 12321 - 616 - 246
    assert await ledger.balance_of(AccountKind.PLATFORM_REVENUE) == 616
    assert await ledger.balance_of(AccountKind.LEADER_COMMISSION, leader_id) == 246
    assert await held() == 0
    credit = await LedgerTransaction.get(kind=LedgerKind.FARMER_CREDIT)
    assert credit.purchase_id == payment.purchase_id
    assert await LedgerEntry.filter(transaction_id=credit.id).count() == 4
    assert await ledger.invariant_violations() == []


async def test_without_a_leader_at_collection_the_collection_fee_stays_with_the_platform(
    client: httpx.AsyncClient,
) -> None:
    world = await scene()
    listing = await make_listing(world["farmer"], price_fen=333, quantity=100)
    buyer = await make_buyer()
    bought = await run(client, BUY, buyer, listingId=gid("ProduceListing", listing.id), quantity=37)
    purchase = bought["purchase"]
    await bring_to_hub(client, world, purchase["id"], 37)
    # The leader gives up the station between the handover and the collection.
    await User.filter(id=world["leader"].id).update(roles=[Role.BUYER.value])

    collected = await run(
        client,
        COLLECT,
        world["dispatcher"],
        purchaseId=purchase["id"],
        collectCode=purchase["collectCode"],
    )

    assert collected["errors"] == []
    farmer_id = world["farmer"].id
    assert await ledger.balance_of(AccountKind.FARMER_PAYABLE, farmer_id) == 12321 - 616 - 246
    assert await ledger.balance_of(AccountKind.PLATFORM_REVENUE) == 616 + 246
    assert await ledger.balance_of(AccountKind.LEADER_COMMISSION, world["leader"].id) == 0
    assert await held() == 0
    assert await ledger.invariant_violations() == []


async def test_a_wallet_that_cannot_pay_buys_nothing_and_is_told_the_shortfall(
    client: httpx.AsyncClient,
) -> None:
    world = await scene()
    listing = await make_listing(world["farmer"], price_fen=350, quantity=100)
    buyer = await make_user(Role.BUYER, wallet_fen=1_000)

    refused = await run(
        client, BUY, buyer, listingId=gid("ProduceListing", listing.id), quantity=20
    )

    assert refused["purchase"] is None
    assert [(e["code"], e["shortfallFen"]) for e in refused["errors"]] == [
        ("INSUFFICIENT_FUNDS", 6_000)
    ]
    await nothing_changed(listing, buyer, 1_000)
    for trip in world["trips"]:
        assert all(leg.used_g == 0 for leg in await legs_of(trip.id))


async def test_a_short_handover_refunds_the_missing_units_to_the_wallet_at_once(
    client: httpx.AsyncClient,
) -> None:
    # Given 20 斤 at 3.50 元 paid from the wallet
    world = await scene()
    listing = await make_listing(world["farmer"], price_fen=350, quantity=100)
    buyer = await make_buyer()
    start = await wallet(buyer)
    bought = await run(client, BUY, buyer, listingId=gid("ProduceListing", listing.id), quantity=20)
    purchase = bought["purchase"]
    assert await wallet(buyer) == start - 7_000

    # When the farmer brings only 15 斤
    handed = await run(client, HANDOVER, world["leader"], purchaseId=purchase["id"], quantity=15)

    # Then the 5 missing 斤 (1,750 fen) are back in the wallet and no longer held.
    assert handed["errors"] == []
    after = handed["purchase"]
    assert (after["handedOverQuantity"], after["totalFen"]) == (15, 5_250)
    assert (after["paidFen"], after["refundedFen"]) == (7_000, 1_750)
    assert after["paymentStatus"] == "PARTLY_REFUNDED"
    assert await wallet(buyer) == start - 5_250
    assert await held() == 5_250
    assert await LedgerTransaction.filter(kind=LedgerKind.REFUND).count() == 1
    assert await ledger.invariant_violations() == []

    # And at collection only what was handed over is split: 5 % of 5,250 is 262.5, 2 % is 105.
    await bus_back(purchase["id"])
    await run(client, HUB, world["dispatcher"], purchaseId=purchase["id"])
    collected = await run(
        client,
        COLLECT,
        world["dispatcher"],
        purchaseId=purchase["id"],
        collectCode=purchase["collectCode"],
    )
    assert collected["errors"] == []
    farmer_id = world["farmer"].id
    assert await ledger.balance_of(AccountKind.FARMER_PAYABLE, farmer_id) == 5_250 - 262 - 105
    assert await ledger.balance_of(AccountKind.PLATFORM_REVENUE) == 262
    assert await ledger.balance_of(AccountKind.LEADER_COMMISSION, world["leader"].id) == 105
    assert await held() == 0
    assert await ledger.invariant_violations() == []


# --- paid through the provider, never paid, released ------------------------------------------


async def test_an_unpaid_provider_purchase_expires_and_gives_back_stock_and_capacity_once(
    client: httpx.AsyncClient,
) -> None:
    # Given a purchase to be paid through the provider
    world = await scene()
    listing = await make_listing(world["farmer"], price_fen=350, quantity=100)
    buyer = await make_buyer()
    start = await wallet(buyer)
    bought = await run(
        client,
        BUY,
        buyer,
        listingId=gid("ProduceListing", listing.id),
        quantity=20,
        payWith="PROVIDER",
    )

    # Then it waits UNPAID for 15 minutes, with its stock and its seat taken and no money moved.
    assert bought["errors"] == []
    purchase = bought["purchase"]
    assert (purchase["payWith"], purchase["paymentStatus"], purchase["paidFen"]) == (
        "PROVIDER",
        "UNPAID",
        0,
    )
    stored = await ProducePurchase.get()
    assert stored.pay_by is not None
    assert abs(stored.pay_by - (clock.now() + dt.timedelta(minutes=15))) < dt.timedelta(seconds=5)
    assert dt.datetime.fromisoformat(purchase["payBy"]) == stored.pay_by
    assert await wallet(buyer) == start
    assert (await ProduceListing.get(id=listing.id)).sold == 20
    trip_id = stored.trip_id
    assert any(leg.used_g for leg in await legs_of(trip_id))

    # And the leader cannot take unpaid produce in.
    refused = await run(client, HANDOVER, world["leader"], purchaseId=purchase["id"], quantity=20)
    assert codes(refused) == [("INVALID_STATE", ["purchaseId"])]
    assert (await ProducePurchase.get()).status is PurchaseStatus.RESERVED

    # When the expiry runs before payBy nothing happens; after it, the purchase is released.
    assert await purchases.expire_unpaid(now=stored.pay_by - dt.timedelta(seconds=1)) == 0
    assert await purchases.expire_unpaid(now=stored.pay_by + dt.timedelta(seconds=1)) == 1

    # Then stock and capacity are back exactly, and buyer and farmer hear of it.
    released = await ProducePurchase.get()
    assert released.status is PurchaseStatus.CANCELLED
    assert (await ProduceListing.get(id=listing.id)).sold == 0
    assert (await Shipment.get(id=released.shipment_id)).state is ShipmentState.RELEASED
    assert all(leg.used_g == 0 and leg.used_cm3 == 0 for leg in await legs_of(trip_id))
    event = await Event.get(purchase_id=released.id, status="CANCELLED")
    topics = set(await EventTopic.filter(event_id=event.id).values_list("topic", flat=True))
    assert {f"user:{buyer.id}", f"user:{world['farmer'].id}"} <= topics
    assert await wallet(buyer) == start
    assert await ledger.invariant_violations() == []
    assert await capacity.invariant_violations() == []

    # And running it again gives back nothing twice.
    assert await purchases.expire_unpaid(now=stored.pay_by + dt.timedelta(hours=1)) == 0
    assert (await ProduceListing.get(id=listing.id)).sold == 0
    assert await capacity.invariant_violations() == []


@pytest.mark.pg_only
async def test_expiries_racing_for_one_unpaid_purchase_release_it_once(
    client: httpx.AsyncClient,
) -> None:
    # Given an unpaid purchase past its payBy, and five timers (one per server) expiring at once
    world = await scene()
    listing = await make_listing(world["farmer"], price_fen=350, quantity=100)
    buyer = await make_buyer()
    bought = await run(
        client,
        BUY,
        buyer,
        listingId=gid("ProduceListing", listing.id),
        quantity=20,
        payWith="PROVIDER",
    )
    assert bought["errors"] == []
    stored = await ProducePurchase.get()
    assert stored.pay_by is not None
    late = stored.pay_by + dt.timedelta(minutes=1)

    # When they all wait on the purchase row and then go at once
    async with holding(ProducePurchase, id=stored.id) as race:
        racers = race.start(purchases.expire_unpaid(now=late) for _ in range(5))
        await race.blocked(5)
    released = [await racer for racer in racers]

    # Then exactly one released it, and stock and capacity came back once.
    assert sorted(released) == [0, 0, 0, 0, 1]
    assert (await ProducePurchase.get()).status is PurchaseStatus.CANCELLED
    assert (await ProduceListing.get(id=listing.id)).sold == 0
    assert all(leg.used_g == 0 for leg in await legs_of(stored.trip_id))
    assert await Event.filter(purchase_id=stored.id, status="CANCELLED").count() == 1
    assert await capacity.invariant_violations() == []


# --- purchase requests: acceptOffer pays the same two ways --------------------------------------


async def _offer(
    client: httpx.AsyncClient, world: dict[str, Any], buyer: User, *, quantity: int, price: int
) -> str:
    """A request by `buyer` for `quantity` 斤 and a farmer's quote on it at `price` fen."""
    today = clock.today()
    posted = await run(
        client,
        POST_REQUEST,
        buyer,
        what="农家土鸡蛋",
        quantity=quantity,
        maxPriceFen=price,
        neededBy=(today + dt.timedelta(days=5)).isoformat(),
    )
    assert posted["errors"] == []
    eggs = await make_listing(world["farmer"], title="散养土鸡蛋", quantity=quantity)
    offered = await run(
        client,
        OFFER,
        world["farmer"],
        requestId=posted["request"]["id"],
        listingId=gid("ProduceListing", eggs.id),
        quantity=quantity,
        priceFen=price,
    )
    assert offered["errors"] == []
    offer_id: str = offered["offer"]["id"]
    return offer_id


async def test_an_accepted_offer_is_paid_from_the_wallet_or_refused_whole(
    client: httpx.AsyncClient,
) -> None:
    world = await scene()
    poor = await make_user(Role.BUYER, wallet_fen=5_000)
    offer_id = await _offer(client, world, poor, quantity=60, price=850)

    # A wallet of 50 元 cannot pay 60 斤 at 8.50 元: nothing is accepted or taken.
    refused = await run(client, ACCEPT, poor, offerId=offer_id)
    assert [(e["code"], e["shortfallFen"]) for e in refused["errors"]] == [
        ("INSUFFICIENT_FUNDS", 46_000)
    ]
    assert (await ProduceOffer.get()).status is OfferStatus.OPEN
    assert (await ProduceRequest.get()).accepted_quantity == 0
    assert await ProducePurchase.all().count() == 0
    assert (await ProduceListing.get()).sold == 0
    assert await wallet(poor) == 5_000

    # Topped up, the same acceptance pays 51,000 fen into the platform's hold.
    await ledger.post(
        LedgerKind.TOP_UP,
        ledger.transfer(
            source=await ledger.account(AccountKind.PAYMENTS_CLEARING),
            target=await ledger.account(AccountKind.BUYER_WALLET, poor.id),
            amount_fen=46_000,
        ),
    )
    accepted = await run(client, ACCEPT, poor, offerId=offer_id)
    assert accepted["errors"] == []
    bought = accepted["purchase"]
    assert (bought["payWith"], bought["paymentStatus"], bought["paidFen"]) == (
        "BALANCE",
        "PAID",
        51_000,
    )
    assert await wallet(poor) == 0
    assert await held() == 51_000
    assert (await ProduceRequest.get()).status is RequestStatus.FULFILLED
    assert await ledger.invariant_violations() == []


async def test_an_unpaid_accepted_offer_that_expires_gives_the_request_its_units_back(
    client: httpx.AsyncClient,
) -> None:
    world = await scene()
    buyer = await make_buyer()
    offer_id = await _offer(client, world, buyer, quantity=60, price=850)
    accepted = await run(client, ACCEPT, buyer, offerId=offer_id, payWith="PROVIDER")
    assert accepted["purchase"]["paymentStatus"] == "UNPAID"
    assert (await ProduceRequest.get()).status is RequestStatus.FULFILLED

    pay_by = (await ProducePurchase.get()).pay_by
    assert pay_by is not None
    assert await purchases.expire_unpaid(now=pay_by + dt.timedelta(seconds=1)) == 1

    request = await ProduceRequest.get()
    assert (request.status, request.accepted_quantity) == (RequestStatus.OPEN, 0)
    assert (await ProduceOffer.get()).status is OfferStatus.CLOSED
    assert (await ProduceListing.get()).sold == 0
    assert await capacity.invariant_violations() == []


# --- amounts that cannot overflow a 32-bit Int --------------------------------------------------


async def test_amounts_past_a_32_bit_int_are_refused_and_nothing_is_stored(
    client: httpx.AsyncClient,
) -> None:
    world = await scene()
    farmer, buyer = world["farmer"], await make_buyer()
    today = clock.today()
    listing_values = {
        "title": "明前龙顶",
        "category": "茶叶",
        "unit": "斤",
        "unitWeightG": 500,
        "unitVolumeCm3": 1000,
        "readyFrom": today.isoformat(),
        "readyUntil": (today + dt.timedelta(days=3)).isoformat(),
    }

    # createListing: each figure fits, their product (10^11 fen) does not.
    created = await run(
        client, CREATE_LISTING, farmer, **listing_values, priceFen=100_000_000, quantity=1_000
    )
    assert codes(created) == [("INVALID_INPUT", ["quantity"])]
    assert await ProduceListing.all().count() == 0

    # updateListing: raising the price past it is refused and the listing stays as it was.
    ok = await run(
        client, CREATE_LISTING, farmer, **listing_values, priceFen=80_000, quantity=1_000
    )
    listing_id = ok["listing"]["id"]
    raised = await run(client, UPDATE_LISTING, farmer, listingId=listing_id, priceFen=50_000_000)
    assert codes(raised) == [("INVALID_INPUT", ["quantity"])]
    assert (await ProduceListing.get()).price_fen == 80_000

    # buyProduce from a listing stored before the check: 30 × 10^8 fen does not fit.
    old = await make_listing(farmer, price_fen=100_000_000, quantity=1_000_000)
    bought = await run(client, BUY, buyer, listingId=gid("ProduceListing", old.id), quantity=30)
    assert codes(bought) == [("INVALID_INPUT", ["quantity"])]
    assert await ProducePurchase.all().count() == 0
    assert (await ProduceListing.get(id=old.id)).sold == 0

    # makeOffer: 1,000 斤 at 10^7 fen is 10^10 fen.
    posted = await run(
        client,
        POST_REQUEST,
        buyer,
        what="明前龙顶",
        quantity=1_000_000,
        maxPriceFen=100_000_000,
        neededBy=(today + dt.timedelta(days=5)).isoformat(),
    )
    offers = await ProduceOffer.all().count()
    offered = await run(
        client,
        OFFER,
        farmer,
        requestId=posted["request"]["id"],
        quantity=1_000,
        priceFen=10_000_000,
        produce={"unitWeightG": 500, "unitVolumeCm3": 900},
    )
    assert codes(offered) == [("INVALID_INPUT", ["quantity"])]
    assert await ProduceOffer.all().count() == offers == 0
    assert await ProduceListing.all().count() == 2  # no listing made for the offer

    # acceptOffer on an offer stored before the check: refused, nothing accepted.
    request = await ProduceRequest.get()
    stored = await ProduceOffer.create(
        request=request,
        farmer=farmer,
        listing=old,
        quantity=1_000,
        price_fen=10_000_000,
        ready_on=today,
    )
    accepted = await run(client, ACCEPT, buyer, offerId=gid("ProduceOffer", stored.id))
    assert codes(accepted) == [("INVALID_INPUT", ["offerId"])]
    assert (await ProduceOffer.get(id=stored.id)).status is OfferStatus.OPEN
    assert (await ProduceRequest.get()).accepted_quantity == 0
    assert await ProducePurchase.all().count() == 0
    assert await held() == 0
