"""Authorization as docs/authorization.md has it, the rules of issue 16: pickup codes for the
buyer and the station's leader only, a driver's loading plan without buyers' orders or prices,
accounts shown by node only to whom they concern, trips cancelled by dispatchers only, a
locked pickup code unlocked by the leader or a dispatcher, and recordTripEvent retried safely."""

from __future__ import annotations

from typing import Any

import httpx

from builders import gql, make_user, token_for
from builders_orders import bring_to_station, make_leader, make_shop, place
from cungoods.api.ids import to_global_id
from cungoods.models import Event, Order, Trip
from cungoods.models.enums import Role, TripStatus
from cungoods.services import orders

MANIFEST = """query($t: ID!, $s: ID!) { stationManifest(tripId: $t, stationId: $s) {
  orders { number pickupCode } } }"""
STOP_MANIFESTS = (
    """query($t: ID!) { trip(id: $t) { stops { manifest { orders { pickupCode } } } } }"""
)
LOADING = """query($t: ID!) { loadingPlan(tripId: $t) { steps { crate { orders {
  number order { id totalFen } lines { quantity unitPriceFen } } } } } }"""
NODE_USER = """query($id: ID!) { node(id: $id) { ... on User { name roles } } }"""
RECORD = """mutation($input: RecordTripEventInput!) { recordTripEvent(input: $input) {
  trip { status delayMinutes } errors { code field } } }"""
UNLOCK = """mutation($input: UnlockPickupCodeInput!) { unlockPickupCode(input: $input) {
  order { id status } errors { code field } } }"""
PICKUP = """mutation($input: ConfirmPickupInput!) { confirmPickup(input: $input) {
  order { status } errors { code } } }"""


def _crate_orders(body: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        order for step in body["data"]["loadingPlan"]["steps"] for order in step["crate"]["orders"]
    ]


async def test_dispatchers_see_no_pickup_codes_in_manifests(client: httpx.AsyncClient) -> None:
    # Given a confirmed order to station 2, its station's leader and a dispatcher
    shop = await make_shop()
    order = await place(shop, station=2)
    await orders.cut_off(window_id=order.window_id)
    leader = await make_leader(shop.station(2))
    variables = {
        "t": to_global_id("Trip", order.trip_id),
        "s": to_global_id("Station", order.station_id),
    }

    # When each reads the station's manifest
    as_leader = await gql(client, MANIFEST, variables, token=token_for(leader))
    as_dispatcher = await gql(client, MANIFEST, variables, token=token_for(shop.dispatcher))
    stops = await gql(
        client, STOP_MANIFESTS, {"t": variables["t"]}, token=token_for(shop.dispatcher)
    )

    # Then only the leader sees the code; the dispatcher sees the order without it
    assert as_leader["data"]["stationManifest"]["orders"] == [
        {"number": order.number, "pickupCode": order.pickup_code}
    ]
    assert as_dispatcher["data"]["stationManifest"]["orders"] == [
        {"number": order.number, "pickupCode": None}
    ]
    codes = [
        o["pickupCode"]
        for stop in stops["data"]["trip"]["stops"]
        if stop["manifest"]
        for o in stop["manifest"]["orders"]
    ]
    assert codes == [None]


async def test_a_drivers_loading_plan_has_order_numbers_but_no_orders_or_prices(
    client: httpx.AsyncClient,
) -> None:
    # Given a confirmed order on the trip
    shop = await make_shop()
    order = await place(shop, station=2)
    await orders.cut_off(window_id=order.window_id)
    trip = {"t": to_global_id("Trip", order.trip_id)}

    # When the trip's driver and a dispatcher read the loading plan
    as_driver = _crate_orders(await gql(client, LOADING, trip, token=token_for(shop.net.driver)))
    as_dispatcher = _crate_orders(
        await gql(client, LOADING, trip, token=token_for(shop.dispatcher))
    )

    # Then the driver gets the number and quantities only, the dispatcher the order and prices
    assert as_driver == [
        {"number": order.number, "order": None, "lines": [{"quantity": 2, "unitPriceFen": None}]}
    ]
    assert as_dispatcher == [
        {
            "number": order.number,
            "order": {"id": to_global_id("Order", order.id), "totalFen": order.total_fen},
            "lines": [{"quantity": 2, "unitPriceFen": 890}],
        }
    ]


async def test_node_shows_an_account_only_to_whom_it_concerns(client: httpx.AsyncClient) -> None:
    # Given a buyer, another buyer, a dispatcher and a station leader
    shop = await make_shop()
    other = await make_user(Role.BUYER, name="另一个买家")
    leader = await make_leader(shop.station(1))
    buyer_id = {"id": to_global_id("User", shop.buyer.id)}

    # When each looks the buyer up by id, Then only she and the dispatcher see her
    seen = {
        who: (await gql(client, NODE_USER, buyer_id, token=token))["data"]["node"]
        for who, token in (
            ("anonymous", None),
            ("other buyer", token_for(other)),
            ("leader", token_for(leader)),
            ("herself", token_for(shop.buyer)),
            ("dispatcher", token_for(shop.dispatcher)),
        )
    }
    assert seen == {
        "anonymous": None,
        "other buyer": None,
        "leader": None,
        "herself": {"name": "俞林英", "roles": ["BUYER"]},
        "dispatcher": {"name": "俞林英", "roles": ["BUYER"]},
    }
    # And a station leader is public, as the station's contact
    public = await gql(client, NODE_USER, {"id": to_global_id("User", leader.id)})
    assert public["data"]["node"]["roles"] == ["LEADER"]


async def test_only_a_dispatcher_cancels_a_trip_through_record_trip_event(
    client: httpx.AsyncClient,
) -> None:
    # Given a scheduled trip with an order on it
    shop = await make_shop()
    order = await place(shop, station=2)
    events_before = await Event.all().count()
    cancel = {"input": {"tripId": to_global_id("Trip", order.trip_id), "kind": "CANCELLED"}}

    # When its driver reports it CANCELLED
    refused = await gql(client, RECORD, cancel, token=token_for(shop.net.driver))

    # Then it is refused and nothing changed
    assert refused["data"]["recordTripEvent"] == {
        "trip": None,
        "errors": [{"code": "NOT_ALLOWED", "field": None}],
    }
    assert (await Trip.get(id=order.trip_id)).status is TripStatus.SCHEDULED
    assert await Event.all().count() == events_before

    # And a dispatcher may
    done = await gql(client, RECORD, cancel, token=token_for(shop.dispatcher))
    assert done["data"]["recordTripEvent"]["trip"]["status"] == "CANCELLED"


async def test_a_retried_trip_event_with_the_same_key_is_applied_once(
    client: httpx.AsyncClient,
) -> None:
    # Given a trip and its driver on a flaky network
    shop = await make_shop()
    trip_id = to_global_id("Trip", shop.trips[0].id)
    delay = {"tripId": trip_id, "kind": "DELAYED", "minutes": 5, "idempotencyKey": "d-1"}
    driver = token_for(shop.net.driver)

    # When the same report is sent twice with one key
    first = await gql(client, RECORD, {"input": delay}, token=driver)
    again = await gql(client, RECORD, {"input": delay}, token=driver)

    # Then it is applied once, and both answers show the trip as it is
    assert first["data"]["recordTripEvent"]["trip"] == {"status": "SCHEDULED", "delayMinutes": 5}
    assert again["data"]["recordTripEvent"] == first["data"]["recordTripEvent"]
    assert await Event.filter(kind="TRIP_DELAYED").count() == 1

    # And the same key with another report is refused, changing nothing
    other = await gql(client, RECORD, {"input": delay | {"minutes": 9}}, token=driver)
    assert other["data"]["recordTripEvent"]["errors"] == [
        {"code": "IDEMPOTENCY_KEY_REUSED", "field": ["idempotencyKey"]}
    ]
    assert (await Trip.get(id=shop.trips[0].id)).delay_minutes == 5


async def test_the_leader_or_a_dispatcher_unlocks_a_locked_pickup_code(
    client: httpx.AsyncClient,
) -> None:
    # Given an order at its station, its leader, another station's leader
    shop = await make_shop()
    order = await bring_to_station(await place(shop, station=2))
    leader = await make_leader(shop.station(2))
    other_leader = await make_leader(shop.station(1))
    oid = to_global_id("Order", order.id)

    # When the code is not locked yet, unlocking is refused and changes nothing
    early = await gql(client, UNLOCK, {"input": {"orderId": oid}}, token=token_for(leader))
    assert early["data"]["unlockPickupCode"]["errors"] == [
        {"code": "INVALID_STATE", "field": ["orderId"]}
    ]

    # When five wrong codes lock it
    wrong = {
        "input": {
            "orderId": oid,
            "pickupCode": "000000" if order.pickup_code != "000000" else "111111",
        }
    }
    for _ in range(5):
        await gql(client, PICKUP, wrong, token=token_for(leader))
    right = {"input": {"orderId": oid, "pickupCode": order.pickup_code}}
    locked = await gql(client, PICKUP, right, token=token_for(leader))
    assert locked["data"]["confirmPickup"]["errors"] == [{"code": "RATE_LIMITED"}]

    # Then another station's leader may not unlock it (still locked, no event)
    refused = await gql(client, UNLOCK, {"input": {"orderId": oid}}, token=token_for(other_leader))
    assert refused["data"]["unlockPickupCode"]["errors"] == [{"code": "NOT_ALLOWED", "field": None}]
    assert (await Order.get(id=order.id)).wrong_code_attempts == 5
    assert not await Event.filter(kind="PICKUP_CODE_UNLOCKED").exists()

    # And its leader does: the unlock is an event, and the right code now hands it out
    done = await gql(client, UNLOCK, {"input": {"orderId": oid}}, token=token_for(leader))
    assert done["data"]["unlockPickupCode"] == {
        "order": {"id": oid, "status": "AT_STATION"},
        "errors": [],
    }
    event = await Event.get(kind="PICKUP_CODE_UNLOCKED")
    assert (event.order_id, event.station_id) == (order.id, order.station_id)
    picked = await gql(client, PICKUP, right, token=token_for(leader))
    assert picked["data"]["confirmPickup"] == {"order": {"status": "PICKED_UP"}, "errors": []}
