"""buyProduce: stock and a seat on the earliest bus with room, in one transaction, or nothing."""

from __future__ import annotations

import datetime as dt
import re

import httpx

from builders import change_events, gql, make_network, schedule, token_for
from builders_produce import (
    buy,
    codes,
    gid,
    legs_of,
    load_down,
    make_buyer,
    make_farmer,
    make_listing,
    make_person,
    pin_clock,
)
from cungoods.models import Event, EventTopic, ProduceListing, ProducePurchase, Shipment
from cungoods.models.enums import Direction, ListingStatus, Role
from cungoods.services import capacity


async def nothing_was_bought(listing: ProduceListing, sold: int = 0) -> None:
    """A refused purchase leaves no trace: no purchase, no reservation, no event, stock as it
    was, every leg as it was."""
    assert await ProducePurchase.all().count() == 0
    assert await Shipment.filter(direction=Direction.UP).count() == 0
    assert await change_events() == 0
    assert (await ProduceListing.get(id=listing.id)).sold == sold
    assert await capacity.invariant_violations() == []


async def test_a_buyer_buys_ponkan_and_it_rides_the_first_bus_to_the_hub(
    client: httpx.AsyncClient,
) -> None:
    today = pin_clock("05:00")
    net = await make_network(stations=4)
    trips = await schedule(net, days=3)
    farmer = await make_farmer(net.stations[2])  # boards at seq 3; the hub is seq 5
    listing = await make_listing(farmer, quantity=100, price_fen=350, unit_weight_g=500)
    buyer = await make_buyer()

    result = await buy(client, buyer, listing, 20)

    assert result["errors"] == []
    purchase = result["purchase"]
    assert purchase["status"] == "RESERVED"
    assert (purchase["quantity"], purchase["unitPriceFen"], purchase["totalFen"]) == (20, 350, 7000)
    assert re.fullmatch(r"\d{6}", purchase["collectCode"])
    assert re.fullmatch(r"P\d{8}-\d{5}", purchase["number"])
    assert purchase["station"]["code"] == net.stations[2].code
    assert purchase["trip"]["serviceDate"] == today.isoformat()
    assert purchase["load"] == {"weightG": 10_000, "volumeCm3": 20_000, "chilledG": 0}
    assert (purchase["listing"]["sold"], purchase["listing"]["remaining"]) == (20, 80)
    shipment = await Shipment.get(direction=Direction.UP)
    assert (shipment.trip_id, shipment.from_seq, shipment.to_seq) == (trips[0].id, 3, 5)
    assert [leg.used_g for leg in await legs_of(trips[0].id)] == [0, 0, 0, 10_000, 10_000]
    stored = await ProducePurchase.get()
    event = await Event.get(purchase_id__not_isnull=True)
    assert (event.kind, event.purchase_id, event.status) == (
        "PURCHASE_RESERVED",
        stored.id,
        "RESERVED",
    )
    topics = {t.topic for t in await EventTopic.filter(event_id=event.id)}
    assert topics == {
        f"purchase:{stored.id}",
        f"station:{net.stations[2].id}",
        f"user:{buyer.id}",
        f"user:{farmer.id}",
    }
    assert await capacity.invariant_violations() == []


async def test_a_bus_that_has_passed_the_station_is_no_use(client: httpx.AsyncClient) -> None:
    today = pin_clock("07:00")  # the 06:00 bus passed the third village at 06:40
    net = await make_network(stations=4)
    await schedule(net, days=2)
    farmer = await make_farmer(net.stations[2])
    listing = await make_listing(farmer)

    result = await buy(client, await make_buyer(), listing, 10)

    assert result["purchase"]["trip"]["serviceDate"] == (today + dt.timedelta(days=1)).isoformat()


async def test_produce_ready_later_rides_the_first_bus_after_it_is_ready(
    client: httpx.AsyncClient,
) -> None:
    today = pin_clock("05:00")
    net = await make_network(stations=2)
    await schedule(net, days=5)
    farmer = await make_farmer(net.stations[0])
    ready = today + dt.timedelta(days=2)
    listing = await make_listing(farmer, ready_from=ready, ready_until=ready + dt.timedelta(days=2))

    result = await buy(client, await make_buyer(), listing, 10)

    assert result["purchase"]["trip"]["serviceDate"] == ready.isoformat()


async def test_a_full_bus_sends_the_produce_on_the_next_one_within_its_ready_dates(
    client: httpx.AsyncClient,
) -> None:
    pin_clock("05:00")
    net = await make_network(stations=2, capacity_g=20_000)
    trips = await schedule(net, days=3)
    await load_down(trip_id=trips[0].id, to_seq=2, weight_g=15_000)  # legs 0 and 1 nearly full
    farmer = await make_farmer(net.stations[0])  # rides legs 1 and 2
    listing = await make_listing(farmer)

    result = await buy(client, await make_buyer(), listing, 20)  # 10 kg

    assert result["purchase"]["trip"]["id"] == gid("Trip", trips[1].id)


async def test_no_room_within_the_ready_dates_is_no_capacity_with_the_next_date(
    client: httpx.AsyncClient,
) -> None:
    today = pin_clock("05:00")
    net = await make_network(stations=2, capacity_g=20_000)
    trips = await schedule(net, days=3)
    await load_down(trip_id=trips[0].id, to_seq=2, weight_g=15_000)
    farmer = await make_farmer(net.stations[0])
    listing = await make_listing(farmer, ready_until=today)

    result = await buy(client, await make_buyer(), listing, 20)

    assert result["purchase"] is None
    assert codes(result) == [("NO_CAPACITY", ["quantity"])]
    tomorrow = (today + dt.timedelta(days=1)).isoformat()
    assert f"the next date with room is {tomorrow}" in result["errors"][0]["message"]
    await nothing_was_bought(listing)
    assert [leg.used_g for leg in await legs_of(trips[0].id)] == [15_000, 15_000, 0]


async def test_no_bus_at_all_is_no_capacity(client: httpx.AsyncClient) -> None:
    pin_clock("05:00")
    net = await make_network(stations=2)  # no trips scheduled
    farmer = await make_farmer(net.stations[0])
    listing = await make_listing(farmer)

    result = await buy(client, await make_buyer(), listing, 5)

    assert codes(result) == [("NO_CAPACITY", ["quantity"])]
    await nothing_was_bought(listing)


async def test_more_than_is_left_is_out_of_stock_and_says_how_much_is_left(
    client: httpx.AsyncClient,
) -> None:
    pin_clock("05:00")
    net = await make_network(stations=2)
    await schedule(net)
    farmer = await make_farmer(net.stations[0])
    listing = await make_listing(farmer, quantity=10, sold=8)

    result = await buy(client, await make_buyer(), listing, 5)

    assert codes(result) == [("OUT_OF_STOCK", ["quantity"])]
    assert "only 2 斤 left" in result["errors"][0]["message"]
    await nothing_was_bought(listing, sold=8)


async def test_refused_purchases_get_their_codes_and_change_nothing(
    client: httpx.AsyncClient,
) -> None:
    today = pin_clock("05:00")
    net = await make_network(stations=2)
    await schedule(net, days=2)
    farmer = await make_person(Role.FARMER, Role.BUYER, station=net.stations[0])
    buyer = await make_buyer()
    open_listing = await make_listing(farmer, min_quantity=10)
    closed = await make_listing(farmer, status=ListingStatus.CLOSED)
    past = await make_listing(
        farmer,
        ready_from=today - dt.timedelta(days=5),
        ready_until=today - dt.timedelta(days=1),
    )
    cases = [
        (buyer, closed, 10, [("INVALID_STATE", ["listingId"])]),
        (buyer, past, 10, [("INVALID_STATE", ["listingId"])]),
        (farmer, open_listing, 10, [("NOT_ALLOWED", None)]),  # buying your own
        (buyer, open_listing, 5, [("INVALID_INPUT", ["quantity"])]),  # below the minimum
        (buyer, open_listing, 0, [("INVALID_INPUT", ["quantity"])]),
        (await make_farmer(net.stations[1]), open_listing, 10, [("NOT_ALLOWED", None)]),
    ]
    for who, listing, quantity, expected in cases:
        result = await buy(client, who, listing, quantity)
        assert result["purchase"] is None
        assert codes(result) == expected, (listing.title, quantity)
    missing = (
        await gql(
            client,
            "mutation($i: BuyProduceInput!) { buyProduce(input: $i) { errors { code field } } }",
            {"i": {"listingId": gid("ProduceListing", 999), "quantity": 1}},
            token=token_for(buyer),
        )
    )["data"]["buyProduce"]
    assert [(e["code"], e["field"]) for e in missing["errors"]] == [("NOT_FOUND", ["listingId"])]
    await nothing_was_bought(open_listing)


async def test_a_retried_purchase_with_the_same_key_is_made_once(
    client: httpx.AsyncClient,
) -> None:
    pin_clock("05:00")
    net = await make_network(stations=2)
    await schedule(net)
    listing = await make_listing(await make_farmer(net.stations[0]))
    buyer = await make_buyer()

    first = await buy(client, buyer, listing, 10, key="buy-ponkan-1")
    retry = await buy(client, buyer, listing, 10, key="buy-ponkan-1")
    other = await buy(client, buyer, listing, 12, key="buy-ponkan-1")

    assert first["purchase"]["id"] == retry["purchase"]["id"]
    assert codes(other) == [("IDEMPOTENCY_KEY_REUSED", ["idempotencyKey"])]
    assert await ProducePurchase.all().count() == 1
    assert (await ProduceListing.get(id=listing.id)).sold == 10
    assert await capacity.invariant_violations() == []


async def test_a_failed_purchase_does_not_use_up_its_key(client: httpx.AsyncClient) -> None:
    pin_clock("05:00")
    net = await make_network(stations=2)
    listing = await make_listing(await make_farmer(net.stations[0]))
    buyer = await make_buyer()

    refused = await buy(client, buyer, listing, 10, key="k1")  # no bus yet
    await schedule(net)
    retried = await buy(client, buyer, listing, 10, key="k1")

    assert codes(refused) == [("NO_CAPACITY", ["quantity"])]
    assert retried["errors"] == []
    assert await ProducePurchase.all().count() == 1
