"""Purchase requests (求购): a buyer asks, farmers quote, the buyer accepts."""

from __future__ import annotations

import datetime as dt
from typing import Any

import httpx

from builders import gql, make_network, schedule, token_for
from builders_produce import (
    codes,
    gid,
    load_down,
    make_buyer,
    make_farmer,
    make_listing,
    make_person,
    pin_clock,
)
from cungoods.api.ids import pk_of
from cungoods.models import (
    ProduceListing,
    ProduceOffer,
    ProducePurchase,
    ProduceRequest,
    Shipment,
    User,
)
from cungoods.models.enums import ListingStatus, OfferStatus, RequestStatus, Role
from cungoods.services import capacity

POST = """
mutation($input: PostProduceRequestInput!) {
  postProduceRequest(input: $input) {
    request { id what unit quantity stillNeeded maxPriceFen neededBy status buyer { name } }
    errors { code field }
  }
}
"""
OFFER = """
mutation($input: MakeOfferInput!) {
  makeOffer(input: $input) {
    offer { id quantity priceFen readyOn status farmer { name }
            listing { id title unit unitWeightG quantity station { code } } }
    errors { code message field }
  }
}
"""
ACCEPT = """
mutation($input: AcceptOfferInput!) {
  acceptOffer(input: $input) {
    purchase { id quantity unitPriceFen totalFen status collectCode offer { id status }
               trip { serviceDate } }
    errors { code message field }
  }
}
"""
REQUESTS = """
query($openOnly: Boolean) {
  produceRequests(openOnly: $openOnly) {
    totalCount nodes { what status stillNeeded offers { quantity farmer { name } } }
  }
}
"""


async def mutate(
    client: httpx.AsyncClient, query: str, user: User, **values: Any
) -> dict[str, Any]:
    body = await gql(client, query, {"input": values}, token=token_for(user))
    payload: dict[str, Any] = next(iter(body["data"].values()))
    return payload


async def post_request(
    client: httpx.AsyncClient, buyer: User, today: dt.date, **values: Any
) -> dict[str, Any]:
    data: dict[str, Any] = {
        "what": "农家土鸡蛋",
        "category": "禽蛋",
        "quantity": 500,
        "maxPriceFen": 900,
        "neededBy": (today + dt.timedelta(days=5)).isoformat(),
    }
    data.update(values)
    return await mutate(client, POST, buyer, **data)


async def test_a_request_is_met_by_two_offers_and_the_third_closes(
    client: httpx.AsyncClient,
) -> None:
    today = pin_clock("05:00")
    net = await make_network(stations=3)
    await schedule(net, days=4)
    restaurant = await make_buyer(name="衢州土菜馆")
    egg_farmer = await make_farmer(net.stations[0], name="汪美英")
    hill_farmer = await make_farmer(net.stations[1], name="赖金福")
    late_farmer = await make_farmer(net.stations[2], name="余水根")
    eggs = await make_listing(egg_farmer, title="散养土鸡蛋", unit="斤", quantity=400)

    posted = await post_request(client, restaurant, today)
    assert posted["errors"] == []
    assert posted["request"]["unit"] == "斤"
    request_id = posted["request"]["id"]

    from_listing = await mutate(
        client,
        OFFER,
        egg_farmer,
        requestId=request_id,
        listingId=gid("ProduceListing", eggs.id),
        quantity=300,
        priceFen=850,
    )
    ready = today + dt.timedelta(days=1)
    new_produce = await mutate(
        client,
        OFFER,
        hill_farmer,
        requestId=request_id,
        quantity=200,
        priceFen=880,
        readyOn=ready.isoformat(),
        produce={"unitWeightG": 500, "unitVolumeCm3": 900, "variety": "高山土鸡蛋"},
    )
    third = await mutate(
        client,
        OFFER,
        late_farmer,
        requestId=request_id,
        quantity=100,
        priceFen=800,
        produce={"unitWeightG": 500, "unitVolumeCm3": 900},
    )
    assert from_listing["errors"] == new_produce["errors"] == third["errors"] == []
    made = new_produce["offer"]["listing"]
    assert (made["title"], made["unit"], made["quantity"]) == ("农家土鸡蛋", "斤", 200)
    assert made["station"]["code"] == net.stations[1].code

    # The buyer sees every offer; a farmer only their own.
    seen_by_buyer = (await gql(client, REQUESTS, token=token_for(restaurant)))["data"]
    seen_by_farmer = (await gql(client, REQUESTS, token=token_for(egg_farmer)))["data"]
    assert len(seen_by_buyer["produceRequests"]["nodes"][0]["offers"]) == 3
    assert seen_by_farmer["produceRequests"]["nodes"][0]["offers"] == [
        {"quantity": 300, "farmer": {"name": "汪美英"}}
    ]

    first = await mutate(client, ACCEPT, restaurant, offerId=from_listing["offer"]["id"])
    assert first["errors"] == []
    assert first["purchase"]["status"] == "RESERVED"
    assert (first["purchase"]["quantity"], first["purchase"]["unitPriceFen"]) == (300, 850)
    assert first["purchase"]["offer"]["status"] == "ACCEPTED"
    assert (await ProduceListing.get(id=eggs.id)).sold == 300
    request = await ProduceRequest.get()
    assert (request.accepted_quantity, request.status) == (300, RequestStatus.OPEN)

    second = await mutate(client, ACCEPT, restaurant, offerId=new_produce["offer"]["id"])
    assert second["errors"] == []
    assert second["purchase"]["trip"]["serviceDate"] == ready.isoformat()  # when it is ready
    request = await ProduceRequest.get()
    assert (request.accepted_quantity, request.status) == (500, RequestStatus.FULFILLED)
    closed = await ProduceOffer.get(id=pk_of(third["offer"]["id"], "ProduceOffer"))
    assert closed.status is OfferStatus.CLOSED

    too_late = await mutate(client, ACCEPT, restaurant, offerId=third["offer"]["id"])
    assert codes(too_late) == [("INVALID_STATE", ["offerId"])]
    no_more = await mutate(
        client,
        OFFER,
        late_farmer,
        requestId=request_id,
        quantity=10,
        priceFen=800,
        produce={"unitWeightG": 500, "unitVolumeCm3": 900},
    )
    assert codes(no_more) == [("INVALID_STATE", ["requestId"])]
    assert await ProducePurchase.all().count() == 2
    open_requests = (await gql(client, REQUESTS))["data"]["produceRequests"]
    all_requests = (await gql(client, REQUESTS, {"openOnly": False}))["data"]["produceRequests"]
    assert open_requests["totalCount"] == 0
    assert all_requests["nodes"][0]["status"] == "FULFILLED"
    assert await capacity.invariant_violations() == []


async def test_bad_offers_are_refused_and_store_nothing(client: httpx.AsyncClient) -> None:
    today = pin_clock("05:00")
    net = await make_network(stations=2)
    buyer_farmer = await make_person(Role.BUYER, Role.FARMER, station=net.stations[0])
    farmer = await make_farmer(net.stations[0])
    neighbour = await make_farmer(net.stations[1], name="孟德华")
    request_id = (await post_request(client, buyer_farmer, today))["request"]["id"]
    eggs = await make_listing(farmer, unit="斤", quantity=100)
    boxed = await make_listing(farmer, unit="箱", quantity=100)
    theirs = await make_listing(neighbour, unit="斤")
    produce = {"unitWeightG": 500, "unitVolumeCm3": 900}
    base = {"requestId": request_id, "quantity": 50, "priceFen": 800}
    cases: list[tuple[User, dict[str, Any], list[tuple[str, list[str] | None]]]] = [
        (buyer_farmer, {"produce": produce}, [("NOT_ALLOWED", None)]),  # their own request
        (farmer, {"listingId": gid("ProduceListing", theirs.id)}, [("NOT_ALLOWED", None)]),
        (
            farmer,
            {"listingId": gid("ProduceListing", boxed.id)},
            [("INVALID_INPUT", ["listingId"])],
        ),
        (
            farmer,
            {"listingId": gid("ProduceListing", eggs.id), "quantity": 101},
            [("OUT_OF_STOCK", ["quantity"])],
        ),
        (farmer, {"produce": produce, "quantity": 501}, [("INVALID_INPUT", ["quantity"])]),
        (farmer, {"produce": produce, "priceFen": 901}, [("INVALID_INPUT", ["priceFen"])]),
        (
            farmer,
            {"produce": {**produce, "unitWeightG": 0}},
            [("INVALID_INPUT", ["produce", "unitWeightG"])],
        ),
        (
            farmer,
            {"produce": {**produce, "stationId": gid("Station", 999)}},
            [("NOT_FOUND", ["produce", "stationId"])],
        ),
        (
            farmer,
            {"produce": produce, "listingId": gid("ProduceListing", eggs.id)},
            [("INVALID_INPUT", ["listingId"])],
        ),
        (farmer, {}, [("INVALID_INPUT", ["listingId"])]),
        (await make_buyer(), {"produce": produce}, [("NOT_ALLOWED", None)]),
    ]
    for who, values, expected in cases:
        result = await mutate(client, OFFER, who, **{**base, **values})
        assert result["offer"] is None
        assert codes(result) == expected, values
    assert await ProduceOffer.all().count() == 0
    assert await ProduceListing.all().count() == 3


async def test_bad_requests_are_refused(client: httpx.AsyncClient) -> None:
    today = pin_clock("05:00")
    buyer = await make_buyer()
    farmer = await make_person(Role.FARMER)
    yesterday = (today - dt.timedelta(days=1)).isoformat()
    cases = [
        (buyer, {"what": " "}, [("INVALID_INPUT", ["what"])]),
        (buyer, {"quantity": 0}, [("INVALID_INPUT", ["quantity"])]),
        (buyer, {"maxPriceFen": 0}, [("INVALID_INPUT", ["maxPriceFen"])]),
        (buyer, {"neededBy": yesterday}, [("INVALID_INPUT", ["neededBy"])]),
        (farmer, {}, [("NOT_ALLOWED", None)]),
    ]
    for who, values, expected in cases:
        assert codes(await post_request(client, who, today, **values)) == expected, values
    assert await ProduceRequest.all().count() == 0


async def test_only_the_requests_buyer_accepts_and_a_retry_buys_once(
    client: httpx.AsyncClient,
) -> None:
    today = pin_clock("05:00")
    net = await make_network(stations=2)
    await schedule(net, days=2)
    buyer = await make_buyer()
    farmer = await make_farmer(net.stations[0])
    request_id = (await post_request(client, buyer, today))["request"]["id"]
    offer_id = (
        await mutate(
            client,
            OFFER,
            farmer,
            requestId=request_id,
            quantity=100,
            priceFen=850,
            produce={"unitWeightG": 500, "unitVolumeCm3": 900},
        )
    )["offer"]["id"]

    intruder = await mutate(client, ACCEPT, await make_buyer(), offerId=offer_id)
    first = await mutate(client, ACCEPT, buyer, offerId=offer_id, idempotencyKey="accept-1")
    retry = await mutate(client, ACCEPT, buyer, offerId=offer_id, idempotencyKey="accept-1")
    another_key = await mutate(client, ACCEPT, buyer, offerId=offer_id, idempotencyKey="accept-2")

    assert codes(intruder) == [("NOT_ALLOWED", None)]
    assert first["errors"] == []
    assert retry["purchase"]["id"] == first["purchase"]["id"]
    assert retry["purchase"]["collectCode"] == first["purchase"]["collectCode"]
    assert codes(another_key) == [("INVALID_STATE", ["offerId"])]
    assert await ProducePurchase.all().count() == 1
    assert (await ProduceRequest.get()).accepted_quantity == 100


async def test_an_offer_with_no_bus_room_stays_open(client: httpx.AsyncClient) -> None:
    today = pin_clock("05:00")
    net = await make_network(stations=2, capacity_g=20_000)
    trips = await schedule(net, days=1)
    await load_down(trip_id=trips[0].id, to_seq=2, weight_g=15_000)
    buyer = await make_buyer()
    farmer = await make_farmer(net.stations[0])
    request_id = (await post_request(client, buyer, today))["request"]["id"]
    offer_id = (
        await mutate(
            client,
            OFFER,
            farmer,
            requestId=request_id,
            quantity=20,
            priceFen=850,
            produce={"unitWeightG": 500, "unitVolumeCm3": 900, "readyUntil": today.isoformat()},
        )
    )["offer"]["id"]

    refused = await mutate(client, ACCEPT, buyer, offerId=offer_id)

    assert codes(refused) == [("NO_CAPACITY", ["offerId"])]
    assert (await ProduceOffer.get()).status is OfferStatus.OPEN
    assert (await ProduceRequest.get()).accepted_quantity == 0
    assert (await ProduceListing.get()).sold == 0
    assert await ProducePurchase.all().count() == 0
    assert await Shipment.all().count() == 1  # only the downstream goods


async def test_an_offer_whose_listing_sold_out_or_closed_cannot_be_accepted(
    client: httpx.AsyncClient,
) -> None:
    today = pin_clock("05:00")
    net = await make_network(stations=2)
    await schedule(net, days=2)
    buyer = await make_buyer()
    farmer = await make_farmer(net.stations[0])
    sold_out = await make_listing(farmer, quantity=50)
    closing = await make_listing(farmer, quantity=50)
    request_id = (await post_request(client, buyer, today))["request"]["id"]
    offers = [
        (
            await mutate(
                client,
                OFFER,
                farmer,
                requestId=request_id,
                listingId=gid("ProduceListing", listing.id),
                quantity=50,
                priceFen=850,
            )
        )["offer"]["id"]
        for listing in (sold_out, closing)
    ]
    await ProduceListing.filter(id=sold_out.id).update(sold=45)  # others bought it meanwhile
    await ProduceListing.filter(id=closing.id).update(status=ListingStatus.CLOSED)

    out = await mutate(client, ACCEPT, buyer, offerId=offers[0])
    closed = await mutate(client, ACCEPT, buyer, offerId=offers[1])

    assert codes(out) == [("OUT_OF_STOCK", ["offerId"])]
    assert codes(closed) == [("INVALID_STATE", ["offerId"])]
    assert await ProducePurchase.all().count() == 0
    assert (await ProduceRequest.get()).accepted_quantity == 0
    assert {o.status for o in await ProduceOffer.all()} == {OfferStatus.OPEN}
