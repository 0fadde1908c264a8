"""Withdrawing (issue 13 item 8): a buyer cancels a produce purchase before its handover (a full
refund, the stock and the room on the bus given back at once), a buyer closes a purchase
request (its open offers close, each farmer told), a farmer withdraws an offer (the buyer
told). Refused cases change nothing; the races are proven on PostgreSQL."""

from __future__ import annotations

import asyncio
import datetime as dt
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from builders import gql, make_network, schedule, token_for
from builders_produce import (
    gid,
    legs_of,
    make_buyer,
    make_dispatcher,
    make_farmer,
    make_leader,
    make_listing,
    pin_clock,
)
from cungoods.models import (
    Event,
    EventTopic,
    LedgerTransaction,
    Payment,
    ProduceListing,
    ProduceOffer,
    ProducePurchase,
    ProduceRequest,
    Shipment,
    Station,
    User,
)
from cungoods.models.enums import (
    AccountKind,
    LedgerKind,
    OfferStatus,
    PaymentState,
    PurchaseStatus,
    RequestStatus,
    ShipmentState,
)
from cungoods.services import capacity, clock, purchases
from cungoods.services.auth import Viewer
from cungoods.services.capacity import Load
from cungoods.services.errors import DomainError
from cungoods.services.money import ledger
from races import holding

PURCHASE = "id status quantity totalFen paymentStatus paidFen refundedFen listing { sold }"
BUY = f"""
mutation($input: BuyProduceInput!) {{
  buyProduce(input: $input) {{ purchase {{ {PURCHASE} }} errors {{ code field }} }}
}}
"""
CANCEL = f"""
mutation($input: CancelPurchaseInput!) {{
  cancelPurchase(input: $input) {{ purchase {{ {PURCHASE} }} errors {{ code field message }} }}
}}
"""
HANDOVER = """
mutation($input: ConfirmHandoverInput!) {
  confirmHandover(input: $input) { purchase { status } errors { code field } }
}
"""
START_PAYMENT = """
mutation($input: StartPaymentInput!) {
  startPayment(input: $input) { payment { id } errors { code field } }
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
  acceptOffer(input: $input) {{ purchase {{ {PURCHASE} }} errors {{ code field }} }}
}}
"""
CLOSE_REQUEST = """
mutation($input: CloseRequestInput!) {
  closeRequest(input: $input) {
    request { id status acceptedQuantity offers { id status } } errors { code field }
  }
}
"""
WITHDRAW = """
mutation($input: WithdrawOfferInput!) {
  withdrawOffer(input: $input) { offer { id status } errors { code field } }
}
"""


async def run(
    client: httpx.AsyncClient, mutation: str, user: User | None, **values: Any
) -> dict[str, Any]:
    """A mutation over GraphQL; returns its payload."""
    token = token_for(user) if user is not None else None
    body = await gql(client, mutation, {"input": values}, token=token)
    assert "errors" not in body, body
    payload: dict[str, Any] = next(iter(body["data"].values()))
    return payload


def codes(payload: dict[str, Any]) -> list[str]:
    return [error["code"] for error in payload["errors"]]


async def wallet(user: User) -> int:
    return await ledger.balance_of(AccountKind.BUYER_WALLET, user.id)


async def held() -> int:
    return await ledger.balance_of(AccountKind.PRODUCE_HELD)


async def used(trip_id: int) -> list[Load]:
    """What each leg of the trip carries, as the capacity ledger counts it."""
    return [capacity.leg_used(leg) for leg in await legs_of(trip_id)]


async def topics(event: Event) -> set[str]:
    return set(await EventTopic.filter(event_id=event.id).values_list("topic", flat=True))


@dataclass
class Scene:
    station: Station
    farmer: User
    leader: User
    buyer: User
    listing: ProduceListing


async def scene() -> Scene:
    """A route with trips for three days, a farmer and the leader at its second station, 100 斤
    of ponkan at 3.50 元 listed there, and a buyer with money in the wallet."""
    pin_clock("05:00")
    net = await make_network(stations=3)
    await schedule(net, days=3)
    station = net.stations[1]
    farmer = await make_farmer(station)
    return Scene(
        station=station,
        farmer=farmer,
        leader=await make_leader(station),
        buyer=await make_buyer(),
        listing=await make_listing(farmer, price_fen=350, quantity=100),
    )


async def buy(
    client: httpx.AsyncClient, world: Scene, quantity: int, pay_with: str = "BALANCE"
) -> dict[str, Any]:
    bought = await run(
        client,
        BUY,
        world.buyer,
        listingId=gid("ProduceListing", world.listing.id),
        quantity=quantity,
        payWith=pay_with,
    )
    assert bought["errors"] == []
    purchase: dict[str, Any] = bought["purchase"]
    return purchase


@dataclass(frozen=True)
class Snapshot:
    """Everything a cancellation touches: to show a refused one changed nothing."""

    status: PurchaseStatus
    wallet: int
    held: int
    sold: int
    legs: list[Load]
    events: int
    ledger_transactions: int


async def snapshot(world: Scene, purchase_id: int) -> Snapshot:
    purchase = await ProducePurchase.get(id=purchase_id)
    return Snapshot(
        status=purchase.status,
        wallet=await wallet(world.buyer),
        held=await held(),
        sold=(await ProduceListing.get(id=world.listing.id)).sold,
        legs=await used(purchase.trip_id),
        events=await Event.all().count(),
        ledger_transactions=await LedgerTransaction.all().count(),
    )


# --- cancelPurchase ------------------------------------------------------------------------------


async def test_a_buyer_cancels_a_paid_purchase_before_handover_and_gets_everything_back(
    client: httpx.AsyncClient,
) -> None:
    # Given 20 斤 at 3.50 元 bought from the wallet, riding the earliest bus
    world = await scene()
    start = await wallet(world.buyer)
    bought = await buy(client, world, 20)
    stored = await ProducePurchase.get()
    assert await wallet(world.buyer) == start - 7_000
    assert any(load.weight_g == 10_000 for load in await used(stored.trip_id))

    # When the buyer cancels it before the farmer hands it over
    cancelled = await run(client, CANCEL, world.buyer, purchaseId=bought["id"])

    # Then it is CANCELLED and every fen paid is back in the wallet, none held for it
    assert cancelled["errors"] == []
    purchase = cancelled["purchase"]
    assert (purchase["status"], purchase["paymentStatus"]) == ("CANCELLED", "REFUNDED")
    assert (purchase["paidFen"], purchase["refundedFen"]) == (7_000, 7_000)
    assert await wallet(world.buyer) == start
    assert await held() == 0
    assert await LedgerTransaction.filter(kind=LedgerKind.REFUND).count() == 1
    # And the stock and the room on the bus are back at once
    assert purchase["listing"]["sold"] == 0
    assert (await Shipment.get(id=stored.shipment_id)).state is ShipmentState.RELEASED
    assert await used(stored.trip_id) == [Load()] * len(await legs_of(stored.trip_id))
    # And the buyer and the farmer hear who cancelled; the buyer hears of the refund too
    event = await Event.get(kind="PURCHASE_CANCELLED", purchase_id=stored.id)
    assert "cancelled by the buyer" in event.message
    assert {f"user:{world.buyer.id}", f"user:{world.farmer.id}"} <= await topics(event)
    refunded = await Event.get(kind="PURCHASE_REFUNDED", purchase_id=stored.id)
    assert refunded.message.startswith("70.00 元")
    assert f"user:{world.buyer.id}" in await topics(refunded)
    assert await ledger.invariant_violations() == []
    assert await capacity.invariant_violations() == []


async def test_cancelling_an_unpaid_provider_purchase_expires_its_payment_and_moves_no_money(
    client: httpx.AsyncClient,
) -> None:
    # Given 20 斤 bought to be paid through the provider, its payment started
    world = await scene()
    start = await wallet(world.buyer)
    bought = await buy(client, world, 20, pay_with="PROVIDER")
    started = await run(
        client, START_PAYMENT, world.buyer, purchaseId=bought["id"], idempotencyKey="pay-1"
    )
    assert started["errors"] == []
    stored = await ProducePurchase.get()

    # When the buyer cancels it
    cancelled = await run(client, CANCEL, world.buyer, purchaseId=bought["id"])

    # Then the intent is expired, nothing was refunded (nothing was paid), stock and room are back
    assert cancelled["errors"] == []
    assert cancelled["purchase"]["status"] == "CANCELLED"
    assert (await Payment.get()).state is PaymentState.EXPIRED
    assert await wallet(world.buyer) == start
    assert await LedgerTransaction.filter(kind=LedgerKind.REFUND).count() == 0
    assert (await ProduceListing.get(id=world.listing.id)).sold == 0
    assert all(load == Load() for load in await used(stored.trip_id))
    # And the expiry later finds nothing left to release
    assert stored.pay_by is not None
    assert await purchases.expire_unpaid(now=stored.pay_by + dt.timedelta(minutes=1)) == 0
    assert (await ProduceListing.get(id=world.listing.id)).sold == 0
    assert await capacity.invariant_violations() == []


async def _request_with_offer(
    client: httpx.AsyncClient, world: Scene, farmer: User, *, quantity: int, offered: int
) -> tuple[str, str]:
    """The buyer's request for `quantity` 斤 of eggs and `farmer`'s quote of `offered` 斤."""
    posted = await run(
        client,
        POST_REQUEST,
        world.buyer,
        what="农家土鸡蛋",
        quantity=quantity,
        maxPriceFen=900,
        neededBy=(clock.today() + dt.timedelta(days=5)).isoformat(),
    )
    assert posted["errors"] == []
    request_id: str = posted["request"]["id"]
    offer_id = await _offer(client, farmer, request_id, quantity=offered)
    return request_id, offer_id


async def _offer(client: httpx.AsyncClient, farmer: User, request_id: str, *, quantity: int) -> str:
    eggs = await make_listing(farmer, title="散养土鸡蛋", quantity=quantity)
    offered = await run(
        client,
        OFFER,
        farmer,
        requestId=request_id,
        listingId=gid("ProduceListing", eggs.id),
        quantity=quantity,
        priceFen=850,
    )
    assert offered["errors"] == []
    offer_id: str = offered["offer"]["id"]
    return offer_id


async def test_cancelling_a_purchase_from_an_accepted_offer_gives_the_request_its_units_back(
    client: httpx.AsyncClient,
) -> None:
    # Given a request for 60 斤 met by one accepted offer (51,000 fen paid from the wallet)
    world = await scene()
    start = await wallet(world.buyer)
    _, offer_id = await _request_with_offer(client, world, world.farmer, quantity=60, offered=60)
    accepted = await run(client, ACCEPT, world.buyer, offerId=offer_id)
    assert accepted["errors"] == []
    assert (await ProduceRequest.get()).status is RequestStatus.FULFILLED

    # When the buyer cancels that purchase
    cancelled = await run(client, CANCEL, world.buyer, purchaseId=accepted["purchase"]["id"])

    # Then the money is back, and the request is open again for the 60 斤
    assert cancelled["errors"] == []
    assert await wallet(world.buyer) == start
    request = await ProduceRequest.get()
    assert (request.status, request.accepted_quantity) == (RequestStatus.OPEN, 0)
    assert (await ProduceOffer.get()).status is OfferStatus.CLOSED
    assert (await ProduceListing.get(title="散养土鸡蛋")).sold == 0
    assert await ledger.invariant_violations() == []
    assert await capacity.invariant_violations() == []


async def test_refused_cancellations_change_nothing(client: httpx.AsyncClient) -> None:
    # Given the buyer's paid purchase of 20 斤
    world = await scene()
    bought = await buy(client, world, 20)
    stored = await ProducePurchase.get()
    others = (await make_buyer("另一个买家"), world.farmer, world.leader, await make_dispatcher())
    before = await snapshot(world, stored.id)

    # When someone else tries: another buyer, the farmer, the leader, a dispatcher, nobody
    refusals = [await run(client, CANCEL, person, purchaseId=bought["id"]) for person in others]
    anonymous = await run(client, CANCEL, None, purchaseId=bought["id"])
    unknown = await run(client, CANCEL, world.buyer, purchaseId=gid("ProducePurchase", 999_999))

    # Then each is refused and nothing moved
    assert [codes(refused) for refused in refusals] == [["NOT_ALLOWED"]] * 4
    assert codes(anonymous) == ["UNAUTHENTICATED"]
    assert [(e["code"], e["field"]) for e in unknown["errors"]] == [("NOT_FOUND", ["purchaseId"])]
    assert await snapshot(world, stored.id) == before

    # When the farmer has handed it over, the buyer can no longer cancel it
    handed = await run(client, HANDOVER, world.leader, purchaseId=bought["id"], quantity=20)
    assert handed["errors"] == []
    before = await snapshot(world, stored.id)
    late = await run(client, CANCEL, world.buyer, purchaseId=bought["id"])
    assert [(e["code"], e["field"]) for e in late["errors"]] == [("INVALID_STATE", ["purchaseId"])]
    assert await snapshot(world, stored.id) == before
    assert before.status is PurchaseStatus.HANDED_OVER


async def test_a_purchase_cancelled_twice_is_refunded_once(client: httpx.AsyncClient) -> None:
    world = await scene()
    start = await wallet(world.buyer)
    bought = await buy(client, world, 20)
    assert (await run(client, CANCEL, world.buyer, purchaseId=bought["id"]))["errors"] == []
    stored = await ProducePurchase.get()
    before = await snapshot(world, stored.id)

    again = await run(client, CANCEL, world.buyer, purchaseId=bought["id"])

    assert codes(again) == ["INVALID_STATE"]
    assert "CANCELLED" in again["errors"][0]["message"]
    assert await snapshot(world, stored.id) == before
    assert before.wallet == start
    assert before.sold == 0


# --- closeRequest ------------------------------------------------------------------------------


async def test_closing_a_request_closes_its_open_offers_and_tells_each_farmer(
    client: httpx.AsyncClient,
) -> None:
    # Given a request for 100 斤 with three quotes: one accepted, two open
    world = await scene()
    second = await make_farmer(world.station, name="王二")
    third = await make_farmer(world.station, name="李三")
    request_id, accepted_id = await _request_with_offer(
        client, world, world.farmer, quantity=100, offered=30
    )
    open_ids = [
        await _offer(client, second, request_id, quantity=20),
        await _offer(client, third, request_id, quantity=10),
    ]
    accepted = await run(client, ACCEPT, world.buyer, offerId=accepted_id)
    assert accepted["errors"] == []
    before = await Event.all().count()

    # When someone other than its buyer tries to close it, nothing happens
    for person in (await make_buyer("另一个买家"), second):
        refused = await run(client, CLOSE_REQUEST, person, requestId=request_id)
        assert codes(refused) == ["NOT_ALLOWED"]
    assert (await ProduceRequest.get()).status is RequestStatus.OPEN
    assert await ProduceOffer.filter(status=OfferStatus.OPEN).count() == 2

    # When its buyer closes it
    closed = await run(client, CLOSE_REQUEST, world.buyer, requestId=request_id)

    # Then the request and its open offers are CLOSED; the accepted offer and its purchase stay
    assert closed["errors"] == []
    request = closed["request"]
    assert (request["status"], request["acceptedQuantity"]) == ("CLOSED", 30)
    statuses = {offer["id"]: offer["status"] for offer in request["offers"]}
    assert statuses == {accepted_id: "ACCEPTED", open_ids[0]: "CLOSED", open_ids[1]: "CLOSED"}
    assert (await ProducePurchase.get()).status is PurchaseStatus.RESERVED
    # And each farmer whose offer closed is told, and only they
    told = await Event.filter(kind="OFFER_CLOSED").order_by("id")
    assert [await topics(event) for event in told] == [{f"user:{second.id}"}, {f"user:{third.id}"}]
    assert all("农家土鸡蛋" in event.message for event in told)
    assert await Event.all().count() == before + 2

    # And nothing more can be offered or accepted on it, and closing again is refused
    late_offer = await _try_offer(client, second, request_id)
    assert codes(late_offer) == ["INVALID_STATE"]
    late_accept = await run(client, ACCEPT, world.buyer, offerId=open_ids[0])
    assert codes(late_accept) == ["INVALID_STATE"]
    again = await run(client, CLOSE_REQUEST, world.buyer, requestId=request_id)
    assert [(e["code"], e["field"]) for e in again["errors"]] == [("INVALID_STATE", ["requestId"])]
    assert await Event.all().count() == before + 2

    # And cancelling the accepted purchase later leaves the request closed
    cancelled = await run(client, CANCEL, world.buyer, purchaseId=accepted["purchase"]["id"])
    assert cancelled["errors"] == []
    stored = await ProduceRequest.get()
    assert (stored.status, stored.accepted_quantity) == (RequestStatus.CLOSED, 0)


async def _try_offer(client: httpx.AsyncClient, farmer: User, request_id: str) -> dict[str, Any]:
    listing = await make_listing(farmer, title="土鸡蛋", quantity=5)
    return await run(
        client,
        OFFER,
        farmer,
        requestId=request_id,
        listingId=gid("ProduceListing", listing.id),
        quantity=5,
        priceFen=800,
    )


# --- withdrawOffer -------------------------------------------------------------------------------


async def test_a_farmer_withdraws_an_open_offer_and_the_buyer_is_told(
    client: httpx.AsyncClient,
) -> None:
    # Given the buyer's request with the farmer's quote on it
    world = await scene()
    _, offer_id = await _request_with_offer(client, world, world.farmer, quantity=60, offered=40)
    before = await Event.all().count()

    # When another farmer or the buyer tries to withdraw it, nothing happens
    for person in (await make_farmer(world.station, name="王二"), world.buyer):
        refused = await run(client, WITHDRAW, person, offerId=offer_id)
        assert codes(refused) == ["NOT_ALLOWED"]
    assert (await ProduceOffer.get()).status is OfferStatus.OPEN
    assert await Event.all().count() == before

    # When its farmer withdraws it
    withdrawn = await run(client, WITHDRAW, world.farmer, offerId=offer_id)

    # Then it is CLOSED and the buyer is told
    assert withdrawn["errors"] == []
    assert withdrawn["offer"]["status"] == "CLOSED"
    event = await Event.get(kind="OFFER_WITHDRAWN")
    assert await topics(event) == {f"user:{world.buyer.id}"}
    assert "农家土鸡蛋" in event.message
    # And it can no longer be accepted or withdrawn again; the request stays open
    late_accept = await run(client, ACCEPT, world.buyer, offerId=offer_id)
    assert codes(late_accept) == ["INVALID_STATE"]
    assert await ProducePurchase.all().count() == 0
    again = await run(client, WITHDRAW, world.farmer, offerId=offer_id)
    assert [(e["code"], e["field"]) for e in again["errors"]] == [("INVALID_STATE", ["offerId"])]
    assert (await ProduceRequest.get()).status is RequestStatus.OPEN
    assert await Event.all().count() == before + 1


async def test_an_accepted_offer_cannot_be_withdrawn(client: httpx.AsyncClient) -> None:
    world = await scene()
    _, offer_id = await _request_with_offer(client, world, world.farmer, quantity=60, offered=40)
    assert (await run(client, ACCEPT, world.buyer, offerId=offer_id))["errors"] == []
    before = await Event.all().count()

    refused = await run(client, WITHDRAW, world.farmer, offerId=offer_id)

    assert codes(refused) == ["INVALID_STATE"]
    assert (await ProduceOffer.get()).status is OfferStatus.ACCEPTED
    assert (await ProducePurchase.get()).status is PurchaseStatus.RESERVED
    assert await Event.all().count() == before


# --- races (PostgreSQL) --------------------------------------------------------------------------


@pytest.mark.pg_only
async def test_a_cancel_racing_the_handover_is_decided_once(client: httpx.AsyncClient) -> None:
    # Given a paid purchase of 20 斤, its buyer cancelling while the leader takes it in
    world = await scene()
    start = await wallet(world.buyer)
    await buy(client, world, 20)
    stored = await ProducePurchase.get()

    async with holding(ProducePurchase, id=stored.id) as race:
        cancel, handover = race.start(
            [
                purchases.cancel_purchase(viewer=Viewer.of(world.buyer), purchase_id=stored.id),
                purchases.confirm_handover(
                    viewer=Viewer.of(world.leader), purchase_id=stored.id, quantity=20
                ),
            ]
        )
        await race.blocked(2)
    results = await asyncio.gather(cancel, handover, return_exceptions=True)

    # Then exactly one won, the other was refused INVALID_STATE, and the books agree with it
    refused = [r for r in results if isinstance(r, DomainError)]
    assert len(refused) == 1 and str(refused[0].code) == "INVALID_STATE"
    assert not any(isinstance(r, BaseException) and r not in refused for r in results)
    now = await ProducePurchase.get()
    sold = (await ProduceListing.get(id=world.listing.id)).sold
    if now.status is PurchaseStatus.CANCELLED:
        assert (await wallet(world.buyer), await held(), sold) == (start, 0, 0)
        assert all(load == Load() for load in await used(stored.trip_id))
    else:
        assert now.status is PurchaseStatus.HANDED_OVER
        assert (await wallet(world.buyer), await held(), sold) == (start - 7_000, 7_000, 20)
        assert any(load.weight_g == 10_000 for load in await used(stored.trip_id))
    assert await ledger.invariant_violations() == []
    assert await capacity.invariant_violations() == []


@pytest.mark.pg_only
async def test_cancels_racing_for_one_purchase_refund_it_once(client: httpx.AsyncClient) -> None:
    # Given a paid purchase, cancelled five times at once (a buyer tapping, retries)
    world = await scene()
    start = await wallet(world.buyer)
    await buy(client, world, 20)
    stored = await ProducePurchase.get()
    buyer = Viewer.of(world.buyer)

    async with holding(ProducePurchase, id=stored.id) as race:
        racers = race.start(
            purchases.cancel_purchase(viewer=buyer, purchase_id=stored.id) for _ in range(5)
        )
        await race.blocked(5)
    results = await asyncio.gather(*racers, return_exceptions=True)

    # Then one cancelled it; the others were refused, and the money and stock came back once
    refused = [r for r in results if isinstance(r, DomainError)]
    assert len(refused) == 4 and {str(r.code) for r in refused} == {"INVALID_STATE"}
    assert sum(isinstance(r, ProducePurchase) for r in results) == 1
    assert await wallet(world.buyer) == start
    assert await LedgerTransaction.filter(kind=LedgerKind.REFUND).count() == 1
    assert (await ProduceListing.get(id=world.listing.id)).sold == 0
    assert all(load == Load() for load in await used(stored.trip_id))
    assert await Event.filter(kind="PURCHASE_CANCELLED").count() == 1
    assert await ledger.invariant_violations() == []
    assert await capacity.invariant_violations() == []
