"""Both directions on one trip: the room downstream goods free as they come off the bus carries
the farmers' produce back to the hub."""

from __future__ import annotations

import datetime as dt

import httpx

from builders import gql, make_network, schedule
from builders_produce import (
    buy,
    codes,
    gid,
    legs_of,
    load_down,
    make_buyer,
    make_farmer,
    make_listing,
    pin_clock,
)
from cungoods.services import capacity

KG = 1000
TRIP = """
query($id: ID!) {
  trip(id: $id) {
    legs { seq capacity { weightG } used { weightG } down { weightG } up { weightG } }
    utilization { down up overall }
  }
}
"""


async def test_produce_from_later_stations_rides_in_the_room_downstream_goods_left(
    client: httpx.AsyncClient,
) -> None:
    # Given a 100 kg bus through four villages (stops 1-4, back at the hub at stop 5) leaving
    # full: 60 kg for the first village and 40 kg for the second.
    today = pin_clock("05:00")
    net = await make_network(stations=4, capacity_g=100 * KG, capacity_cm3=10_000_000)
    trip = (await schedule(net))[0]
    await load_down(trip_id=trip.id, to_seq=1, weight_g=60 * KG)
    await load_down(trip_id=trip.id, to_seq=2, weight_g=40 * KG)
    buyer = await make_buyer()
    first_village = await make_farmer(net.stations[0], name="徐国平")
    third_village = await make_farmer(net.stations[2], name="姜秀芳")
    rice = await make_listing(
        first_village,
        title="晚稻新米",
        unit="袋",
        unit_weight_g=5 * KG,
        quantity=20,
        ready_until=today,
    )
    ponkan = await make_listing(
        third_village, title="椪柑", unit="斤", unit_weight_g=500, quantity=200, ready_until=today
    )

    # When the first village sends 70 kg of rice: the leg after it still carries the 40 kg for
    # the second village, so there is room for 60 kg only.
    refused = await buy(client, buyer, rice, 14)
    # And the third village sends 90 kg of ponkan, after all downstream goods are off.
    carried = await buy(client, buyer, ponkan, 180)

    # Then the rice waits and the ponkan rides: 100 kg out and 90 kg back on a 100 kg bus.
    assert codes(refused) == [("NO_CAPACITY", ["quantity"])]
    assert f"the {today.isoformat()} bus is full on leg 1" in refused["errors"][0]["message"]
    assert carried["errors"] == []
    assert carried["purchase"]["trip"]["id"] == gid("Trip", trip.id)
    body = (await gql(client, TRIP, {"id": gid("Trip", trip.id)}))["data"]["trip"]
    assert [
        (leg["seq"], leg["down"]["weightG"] // KG, leg["up"]["weightG"] // KG)
        for leg in body["legs"]
    ] == [(0, 100, 0), (1, 40, 0), (2, 0, 0), (3, 0, 90), (4, 0, 90)]
    assert all(leg["used"]["weightG"] <= leg["capacity"]["weightG"] for leg in body["legs"])
    # Weight × legs over capacity × legs: (100 + 40) / 500 out, (90 + 90) / 500 back.
    assert body["utilization"] == {"down": 0.28, "up": 0.36, "overall": 0.64}
    assert await capacity.invariant_violations() == []


async def test_the_same_produce_does_not_fit_when_the_goods_ride_to_the_last_village(
    client: httpx.AsyncClient,
) -> None:
    # Given the same 100 kg bus, but its 100 kg of downstream goods are for the last village:
    # they fill every leg up to the fourth stop.
    today = pin_clock("05:00")
    net = await make_network(stations=4, capacity_g=100 * KG, capacity_cm3=10_000_000)
    trips = await schedule(net, days=2)
    await load_down(trip_id=trips[0].id, to_seq=4, weight_g=100 * KG)
    farmer = await make_farmer(net.stations[2])
    ponkan = await make_listing(farmer, unit_weight_g=500, quantity=200, ready_until=today)

    # When the third village sends 90 kg.
    refused = await buy(client, await make_buyer(), ponkan, 180)

    # Then leg 3 (stop 3 → 4) is still full of goods for the last village: no room today, and
    # tomorrow's empty bus is named as the next date with room.
    assert codes(refused) == [("NO_CAPACITY", ["quantity"])]
    message = refused["errors"][0]["message"]
    assert f"the {today.isoformat()} bus is full on leg 3" in message
    assert f"the next date with room is {today + dt.timedelta(days=1)}" in message
    assert [leg.used_g // KG for leg in await legs_of(trips[0].id)] == [100, 100, 100, 100, 0]
    assert await capacity.invariant_violations() == []
