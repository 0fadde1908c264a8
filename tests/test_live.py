"""Live delivery status over graphql-transport-ws: every status change in order, resuming after a
drop without gaps or repeats, who may follow what, bad input, shutdown and health."""

from __future__ import annotations

from typing import Any

import pytest
from tortoise.transactions import in_transaction

import builders_orders
import builders_produce
from builders import sample, token_for
from builders_live import (
    MY_UPDATES,
    ORDER_UPDATES,
    PURCHASE_UPDATES,
    STATION_UPDATES,
    TRIP_UPDATES,
    Closed,
    LiveServer,
    buy_produce,
    gid,
    live_server,
    make_line,
    make_user,
    move_order,
    move_purchase,
    place_order,
    subscription,
)
from cungoods.api.extensions.fanout import SharedEventExecution
from cungoods.api.ids import to_cursor
from cungoods.config import Settings
from cungoods.events import outbox
from cungoods.models import Event, EventTopic
from cungoods.models.enums import OrderStatus, PurchaseStatus, Role
from cungoods.services import orders, purchases, trips
from cungoods.services.auth import Viewer


def kinds(events: list[dict[str, Any]]) -> list[str]:
    return [event["kind"] for event in events]


async def run_trip(live: LiveServer, token: str, trip_gid: str, *steps: tuple[str, int]) -> None:
    for kind, seq in steps:
        payload = await live.record(token, tripId=trip_gid, kind=kind, stopSeq=seq)
        assert payload["errors"] == [], (kind, seq, payload)


async def topic_ids(topic: str) -> list[int]:
    ids = await EventTopic.filter(topic=topic).order_by("event_id").values_list("event_id")
    return [row[0] for row in ids]


def event_ids(events: list[dict[str, Any]]) -> list[int]:
    """The event ids behind DeliveryEvent ids (global ids of DeliveryEvent:pk)."""
    from cungoods.api.ids import pk_of

    return [pk_of(event["id"], "DeliveryEvent") for event in events]


def own_changes(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The order and purchase events among a person's updates (not the bus's progress)."""
    return [event for event in events if not event["kind"].startswith("TRIP_")]


async def test_a_buyer_sees_every_status_of_her_order_from_placement_to_pickup(
    settings: Settings,
) -> None:
    # Given a buyer following her own updates, and the leader of her station following it
    line = await make_line(stations=2)
    buyer = await make_user(Role.BUYER, station=line.station(2))
    leader = await make_user(Role.LEADER, station=line.station(2))
    driver = token_for(line.driver)
    station_id = gid("Station", line.station(2).id)
    async with (
        live_server(settings) as live,
        live.socket(token_for(buyer)) as mine,
        live.socket(token_for(leader)) as station,
    ):
        await mine.follow("mine", MY_UPDATES)
        await station.follow("station", STATION_UPDATES, {"id": station_id})

        # When she orders, and (following that order too) the cutoff confirms it, the bus
        # brings it to her station and she picks it up
        order = await place_order(line, 2, buyer)
        async with live.socket(token_for(buyer)) as one:
            await one.follow("order", ORDER_UPDATES, {"id": gid("Order", order.id)})
            await move_order(order, OrderStatus.CONFIRMED)
            await run_trip(live, driver, line.trip_gid, ("DEPARTED", 0), ("ARRIVED", 1))
            await run_trip(live, driver, line.trip_gid, ("LEFT", 1), ("ARRIVED", 2))
            await move_order(order, OrderStatus.PICKED_UP)

            # Then she sees every status change, in order, once, and the progress of the bus
            # carrying it (issue 13)
            statuses = ["PLACED", "CONFIRMED", "LOADED", "IN_TRANSIT", "AT_STATION", "PICKED_UP"]
            everything = await mine.events("mine", "myUpdates", 10)
            assert kinds(everything) == [
                "ORDER_PLACED",
                "ORDER_CONFIRMED",
                "TRIP_DEPARTED",
                "ORDER_LOADED",
                "ORDER_IN_TRANSIT",
                "TRIP_ARRIVED",
                "TRIP_LEFT",
                "TRIP_ARRIVED",
                "ORDER_AT_STATION",
                "ORDER_PICKED_UP",
            ]
            seen = [event for event in everything if event["kind"].startswith("ORDER_")]
            assert [event["status"] for event in seen] == statuses
            assert {event["topic"] for event in everything} == {f"user:{buyer.id}"}
            assert seen[4]["stopSeq"] == 2
            # and the order's own stream has everything since it was subscribed
            followed = await one.events("order", "orderUpdates", 5)
            assert [event["id"] for event in followed] == [event["id"] for event in seen[1:]]

        # And the leader sees the order and the bus on its way to her station
        at_station = await station.events("station", "stationUpdates", 10)
        assert kinds(at_station) == kinds(everything)


async def test_a_purchase_is_followed_from_purchase_to_collection(settings: Settings) -> None:
    # Given a city buyer and the farmer following their own updates
    line = await make_line(stations=2)
    buyer = await make_user(Role.BUYER)
    farmer = await make_user(Role.FARMER, station=line.station(1))
    driver = token_for(line.driver)
    async with (
        live_server(settings) as live,
        live.socket(token_for(buyer)) as buyer_socket,
        live.socket(token_for(farmer)) as farmer_socket,
    ):
        await buyer_socket.follow("b", MY_UPDATES)
        await farmer_socket.follow("f", MY_UPDATES)

        # When the produce is bought, handed over, carried to the hub and collected
        purchase = await buy_produce(line, 1, buyer, farmer)
        await move_purchase(purchase, PurchaseStatus.HANDED_OVER)
        await run_trip(
            live,
            driver,
            line.trip_gid,
            *[("DEPARTED", 0), ("ARRIVED", 1), ("LEFT", 1), ("ARRIVED", 2), ("LEFT", 2)],
            ("ARRIVED", 3),
        )
        await move_purchase(purchase, PurchaseStatus.COLLECTED)

        # Then both see every status, in order
        statuses = ["RESERVED", "HANDED_OVER", "IN_TRANSIT", "AT_HUB", "COLLECTED"]
        seen = {}
        # (the buyer also follows the bus carrying her purchase: issue 13)
        for socket, op, who, count in (
            (buyer_socket, "b", buyer, 11),
            (farmer_socket, "f", farmer, 5),
        ):
            received = await socket.events(op, "myUpdates", count)
            seen[op] = [e for e in received if e["kind"].startswith("PURCHASE_")]
            assert kinds(seen[op]) == [f"PURCHASE_{status}" for status in statuses]
            assert {event["topic"] for event in seen[op]} == {f"user:{who.id}"}
        assert [e["id"] for e in seen["b"]] == [e["id"] for e in seen["f"]]

        # And the purchase's own stream, from the first event's cursor, replays the rest
        async with live.socket(token_for(farmer)) as again:
            variables = {"id": gid("ProducePurchase", purchase.id), "after": seen["f"][0]["cursor"]}
            await again.subscribe("p", PURCHASE_UPDATES, variables)
            replayed = await again.events("p", "purchaseUpdates", 4)
        assert [e["id"] for e in replayed] == [e["id"] for e in seen["f"][1:]]


async def test_a_subscriber_that_drops_and_resumes_misses_nothing_and_gets_nothing_twice(
    settings: Settings,
) -> None:
    # Given someone following a trip
    line = await make_line(stations=3)
    watcher = token_for(await make_user(Role.BUYER))
    driver = token_for(line.driver)
    async with live_server(settings) as live:
        async with live.socket(watcher) as socket:
            await socket.follow("t", TRIP_UPDATES, {"id": line.trip_gid})
            await run_trip(live, driver, line.trip_gid, ("DEPARTED", 0), ("ARRIVED", 1))
            before = await socket.events("t", "tripUpdates", 2)
        # When the connection drops, the bus goes on
        await run_trip(live, driver, line.trip_gid, ("LEFT", 1), ("ARRIVED", 2), ("LEFT", 2))

        # and the subscriber comes back with its last cursor
        async with live.socket(watcher) as socket:
            await socket.subscribe(
                "t", TRIP_UPDATES, {"id": line.trip_gid, "after": before[-1]["cursor"]}
            )
            missed = await socket.events("t", "tripUpdates", 3)
            # then live events follow the replay
            await run_trip(live, driver, line.trip_gid, ("ARRIVED", 3))
            live_one = await socket.next_event("t", "tripUpdates")

    # Then it has every event of the trip exactly once, in order
    received = before + missed + [live_one]
    assert kinds(received) == [
        "TRIP_DEPARTED",
        "TRIP_ARRIVED",
        "TRIP_LEFT",
        "TRIP_ARRIVED",
        "TRIP_LEFT",
        "TRIP_ARRIVED",
    ]
    assert event_ids(received) == await topic_ids(f"trip:{line.trip.id}")


async def test_a_long_replay_hands_over_to_live_events_without_gap_or_repeat(
    settings: Settings,
) -> None:
    # Given a trip that has had 150 events (more than a subscriber reads at once)
    line = await make_line(stations=1)
    dispatcher = Viewer.of(line.dispatcher)
    for _ in range(150):
        await trips.record_trip_event(
            viewer=dispatcher, trip_id=line.trip.id, kind="DELAYED", minutes=1
        )
    first = await Event.filter(trip_id=line.trip.id).order_by("id").first()
    assert first is not None
    async with live_server(settings) as live, live.socket(token_for(line.driver)) as socket:
        # When a subscriber resumes after the first one, and more events come while it replays
        await socket.follow("t", TRIP_UPDATES, {"id": line.trip_gid, "after": to_cursor(first.id)})
        replayed = await socket.events("t", "tripUpdates", 110)
        for _ in range(5):
            await trips.record_trip_event(
                viewer=dispatcher, trip_id=line.trip.id, kind="DELAYED", minutes=2
            )
        rest = await socket.events("t", "tripUpdates", 149 - 110 + 5)

    # Then it gets all of them after its cursor, in order, each once
    assert event_ids(replayed + rest) == (await topic_ids(f"trip:{line.trip.id}"))[1:]


async def test_loaders_are_fresh_for_every_event(settings: Settings) -> None:
    # Given a subscription asking for the trip's status and delay with each event
    line = await make_line(stations=1)
    fields = "kind trip { status delayMinutes stops { seq expectedAt } }"
    query = subscription("tripUpdates", "tripId: $id", fields)
    dispatcher = token_for(line.dispatcher)
    async with live_server(settings) as live, live.socket(dispatcher) as socket:
        await socket.follow("t", query, {"id": line.trip_gid})

        # When the trip is delayed twice and departs, each event read before the next
        seen = []
        for change in ({"kind": "DELAYED", "minutes": 10}, {"kind": "DELAYED", "minutes": 5}):
            await live.record(dispatcher, tripId=line.trip_gid, **change)
            seen.append(await socket.next_event("t", "tripUpdates"))
        await live.record(dispatcher, tripId=line.trip_gid, kind="DEPARTED")
        seen.append(await socket.next_event("t", "tripUpdates"))

    # Then each event shows the trip as it is then, not as the socket first loaded it
    assert [(e["trip"]["status"], e["trip"]["delayMinutes"]) for e in seen] == [
        ("SCHEDULED", 10),
        ("SCHEDULED", 15),
        ("IN_PROGRESS", 15),
    ]


async def test_bad_subscription_input_gets_an_error_and_the_socket_keeps_working(
    settings: Settings,
) -> None:
    # Given a buyer with an order, and someone else's order
    line = await make_line(stations=2)
    buyer = await make_user(Role.BUYER)
    other = await make_user(Role.BUYER)
    theirs = await place_order(line, 1, other)
    leader_elsewhere = await make_user(Role.LEADER, station=line.station(2))
    cases = [
        (TRIP_UPDATES, {"id": gid("Trip", 999)}, "NOT_FOUND"),
        (TRIP_UPDATES, {"id": "garbage"}, "INVALID_INPUT"),
        (TRIP_UPDATES, {"id": line.trip_gid, "after": "not-a-cursor"}, "INVALID_INPUT"),
        (TRIP_UPDATES, {"id": line.trip_gid, "after": gid("Trip", 1)}, "INVALID_INPUT"),
        (ORDER_UPDATES, {"id": gid("Order", 999)}, "NOT_FOUND"),
        (ORDER_UPDATES, {"id": gid("Order", theirs.id)}, "NOT_ALLOWED"),
        (STATION_UPDATES, {"id": gid("Station", line.station(1).id)}, "NOT_ALLOWED"),
        (PURCHASE_UPDATES, {"id": gid("ProducePurchase", 999)}, "NOT_FOUND"),
        (MY_UPDATES, {"after": "%%%"}, "INVALID_INPUT"),
    ]
    async with live_server(settings) as live, live.socket(token_for(buyer)) as socket:
        # When it subscribes with bad input, each time it gets a coded error message
        for n, (query, variables, code) in enumerate(cases):
            await socket.subscribe(f"bad{n}", query, variables)
            error = await socket.error_of(f"bad{n}")
            assert error["extensions"]["code"] == code, (variables, error)
            assert error["message"], error

        # Then the same socket still serves a good subscription
        await socket.follow("good", TRIP_UPDATES, {"id": line.trip_gid})
        await live.record(token_for(line.driver), tripId=line.trip_gid, kind="DEPARTED")
        assert (await socket.next_event("good", "tripUpdates"))["kind"] == "TRIP_DEPARTED"

    # (a leader of another station is refused the same way)
    async with live_server(settings) as live, live.socket(token_for(leader_elsewhere)) as socket:
        await socket.subscribe("s", STATION_UPDATES, {"id": gid("Station", line.station(1).id)})
        assert (await socket.error_of("s"))["extensions"]["code"] == "NOT_ALLOWED"


async def test_who_may_follow_an_order_a_purchase_and_a_station(settings: Settings) -> None:
    # Given an order and a purchase at station 1, and people with and without a stake in them
    line = await make_line(stations=2)
    buyer = await make_user(Role.BUYER)
    farmer = await make_user(Role.FARMER, station=line.station(1))
    leader = await make_user(Role.LEADER, station=line.station(1))
    stranger = await make_user(Role.BUYER)
    other_farmer = await make_user(Role.FARMER, station=line.station(1))
    order = await place_order(line, 1, buyer)
    purchase = await buy_produce(line, 1, buyer, farmer)
    order_id, purchase_id = gid("Order", order.id), gid("ProducePurchase", purchase.id)
    station_id = gid("Station", line.station(1).id)
    allowed = {
        (ORDER_UPDATES, order_id): {buyer, leader, line.dispatcher},
        (PURCHASE_UPDATES, purchase_id): {buyer, farmer, leader, line.dispatcher},
        (STATION_UPDATES, station_id): {leader, line.dispatcher},
    }
    everyone = [buyer, farmer, leader, stranger, other_farmer, line.dispatcher, line.driver]
    async with live_server(settings) as live:
        for (query, target), people in allowed.items():
            for person in everyone:
                async with live.socket(token_for(person)) as socket:
                    if person in people:
                        # allowed: the next change comes through
                        await socket.follow("s", query, {"id": target})
                        await move_order(order, OrderStatus.CONFIRMED)
                        await move_purchase(purchase, PurchaseStatus.HANDED_OVER)
                        event = (await socket.receive())["payload"]
                        assert "errors" not in event, (query, person.name, event)
                    else:
                        await socket.subscribe("s", query, {"id": target})
                        error = await socket.error_of("s")
                        assert error["extensions"]["code"] == "NOT_ALLOWED", (query, person.name)


async def test_a_socket_without_a_token_may_query_but_not_subscribe(settings: Settings) -> None:
    line = await make_line(stations=1)
    async with live_server(settings) as live:
        async with live.socket() as socket:
            # Queries and mutations over the socket are like HTTP ones
            await socket.subscribe("q", "{ viewer { id } }")
            answer = (await socket.receive())["payload"]
            assert answer["data"] == {"viewer": None} and "errors" not in answer
            assert await socket.receive() == {"id": "q", "type": "complete"}
            # but a subscription needs a signed-in viewer: the socket is closed with 4401
            await socket.subscribe("s", TRIP_UPDATES, {"id": line.trip_gid})
            with pytest.raises(Closed) as closed:
                await socket.receive()
            assert closed.value.code == 4401

        # A bad token is refused at connection_init with 4401, which graphql-ws clients do not
        # retry (4403 they would, with the same token)
        async with live.raw_socket() as socket:
            await socket.send({"type": "connection_init", "payload": {"token": "forged"}})
            with pytest.raises(Closed) as closed:
                await socket.receive()
            assert closed.value.code == 4401


async def test_an_event_that_rolled_back_is_never_delivered(settings: Settings) -> None:
    # Given someone following a trip
    line = await make_line(stations=1)
    async with live_server(settings) as live, live.socket(token_for(line.driver)) as socket:
        await socket.follow("t", TRIP_UPDATES, {"id": line.trip_gid})

        # When an event is written in a transaction that fails, then one that commits
        with pytest.raises(RuntimeError):
            async with in_transaction():
                await outbox.record("TRIP_DELAYED", message="never", trip_id=line.trip.id)
                raise RuntimeError("the use case failed after writing its event")
        await outbox.record("TRIP_DELAYED", message="really", trip_id=line.trip.id)

        # Then only the committed one arrives
        assert (await socket.next_event("t", "tripUpdates"))["message"] == "really"


async def test_shutting_down_completes_open_subscriptions(settings: Settings) -> None:
    line = await make_line(stations=1)
    watcher = token_for(line.dispatcher)
    async with live_server(settings) as live:
        socket_cm = live.socket(watcher)
        socket = await socket_cm.__aenter__()
        try:
            await socket.follow("t", TRIP_UPDATES, {"id": line.trip_gid})
            await live.record(watcher, tripId=line.trip_gid, kind="DEPARTED")
            assert (await socket.next_event("t", "tripUpdates"))["kind"] == "TRIP_DEPARTED"
            broker = live.app.state.broker
            assert broker.subscriber_count == 1

            # When the server shuts down (its lifespan ends: the broker stops first)
            await broker.stop()

            # Then the subscription is completed, not cut off
            assert await socket.receive() == {"id": "t", "type": "complete"}
            assert broker.subscriber_count == 0
        finally:
            await socket_cm.__aexit__(None, None, None)


async def test_healthz_says_whether_events_reach_this_server(settings: Settings) -> None:
    async with live_server(settings) as live:
        health = (await live.http.get("/healthz")).json()
    kind = "memory" if settings.is_sqlite else "postgres"
    assert health == {
        "ok": True,
        "database": True,
        "listener": True,
        "broker": kind,
        "subscribers": 0,
    }


async def test_subscribers_with_the_same_scalar_selection_share_one_execution_per_event(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given three people following a trip with the same scalar-only document, one asking for
    # the trip too, and one using a fragment
    line = await make_line(stations=1)
    executions: list[str] = []
    original = SharedEventExecution.execute_operation

    def counting(self: SharedEventExecution, serially: bool | None = None) -> object:
        if self.root_value is not None:
            executions.append(self.operation.selection_set.selections[0].name.value)
        return original(self, serially)

    monkeypatch.setattr(SharedEventExecution, "execute_operation", counting)
    nested = subscription("tripUpdates", "tripId: $id", "kind trip { status }")
    fragment = (
        "subscription($id: ID!) { tripUpdates(tripId: $id) { ...E } } "
        "fragment E on DeliveryEvent { kind stopSeq }"
    )
    tokens = [token_for(await make_user(Role.BUYER)) for _ in range(5)]
    async with (
        live_server(settings) as live,
        live.socket(tokens[0]) as a,
        live.socket(tokens[1]) as b,
        live.socket(tokens[2]) as c,
        live.socket(tokens[3]) as d,
        live.socket(tokens[4]) as e,
    ):
        for socket in (a, b, c):
            await socket.follow("t", TRIP_UPDATES, {"id": line.trip_gid})
        await d.follow("t", nested, {"id": line.trip_gid})
        await e.follow("t", fragment, {"id": line.trip_gid})
        # (the subscriptions are registered once a first event reaches them all)
        await live.record(token_for(line.driver), tripId=line.trip_gid, kind="DEPARTED")
        for socket in (a, b, c, d, e):
            await socket.next_event("t", "tripUpdates")
        executions.clear()

        # When the bus arrives at the station
        await live.record(token_for(line.driver), tripId=line.trip_gid, kind="ARRIVED", stopSeq=1)

        # Then everyone gets what they asked for
        plain = [await s.next_event("t", "tripUpdates") for s in (a, b, c)]
        assert plain[0] == plain[1] == plain[2]
        assert plain[0]["kind"] == "TRIP_ARRIVED"
        assert await d.next_event("t", "tripUpdates") == {
            "kind": "TRIP_ARRIVED",
            "trip": {"status": "IN_PROGRESS"},
        }
        assert await e.next_event("t", "tripUpdates") == {"kind": "TRIP_ARRIVED", "stopSeq": 1}
    # and the three identical scalar selections were executed once, the others once each
    assert sorted(executions) == ["tripUpdates"] * 3


async def test_a_result_shared_with_other_subscribers_reaches_each_as_strawberry_sends_it(
    settings: Settings,
) -> None:
    # Given three people following a trip with the same scalar-only document (the same
    # operation id too, so their messages can be compared whole)
    line = await make_line(stations=1)
    tokens = [token_for(await make_user(Role.BUYER)) for _ in range(3)]
    driver = token_for(line.driver)
    async with (
        live_server(settings) as live,
        live.socket(tokens[0]) as a,
        live.socket(tokens[1]) as b,
        live.socket(tokens[2]) as c,
    ):
        for socket in (a, b, c):
            await socket.follow("t", TRIP_UPDATES, {"id": line.trip_gid})
        direct = await sample(live.http, "cungoods_events_delivered_total", path="direct")
        executed = await sample(live.http, "cungoods_events_delivered_total", path="executed")

        # When the bus departs (every subscription's first event goes through execution)
        # and then arrives (one of them executes it, the other two send its shared result)
        await live.record(driver, tripId=line.trip_gid, kind="DEPARTED")
        departed = [await socket.receive() for socket in (a, b, c)]
        await live.record(driver, tripId=line.trip_gid, kind="ARRIVED", stopSeq=1)
        arrived = [await socket.receive() for socket in (a, b, c)]

        # Then all three got the very same messages, the cost report included
        assert departed[0] == departed[1] == departed[2]
        assert arrived[0] == arrived[1] == arrived[2]
        for message, kind in ((departed[0], "TRIP_DEPARTED"), (arrived[0], "TRIP_ARRIVED")):
            assert message["id"] == "t" and message["type"] == "next"
            assert set(message["payload"]) == {"data", "extensions"}
            assert message["payload"]["data"]["tripUpdates"]["kind"] == kind
            assert message["payload"]["extensions"] == departed[0]["payload"]["extensions"]
        assert set(departed[0]["payload"]["extensions"]["cost"]) == {"requested", "budget"}
        # and /metrics tells the two paths apart
        assert await sample(live.http, "cungoods_events_delivered_total", path="executed") == (
            executed + 3 + 1
        )
        assert await sample(live.http, "cungoods_events_delivered_total", path="direct") == (
            direct + 2
        )


async def test_the_live_metrics_count_open_subscriptions_and_the_events_picked_up(
    settings: Settings,
) -> None:
    # Given a server with no subscriber yet
    line = await make_line(stations=1)
    tokens = [token_for(await make_user(Role.BUYER)) for _ in range(2)]
    async with live_server(settings) as live:
        opened = await sample(live.http, "cungoods_open_subscriptions")
        published = await sample(live.http, "cungoods_events_published_total")

        # When two people follow the trip and the bus departs
        async with live.socket(tokens[0]) as a, live.socket(tokens[1]) as b:
            for socket in (a, b):
                await socket.follow("t", TRIP_UPDATES, {"id": line.trip_gid})
            assert await sample(live.http, "cungoods_open_subscriptions") == opened + 2
            await live.record(token_for(line.driver), tripId=line.trip_gid, kind="DEPARTED")
            for socket in (a, b):
                await socket.next_event("t", "tripUpdates")

            # Then the event was picked up once (however many it reached)
            assert await sample(live.http, "cungoods_events_published_total") == published + 1

        # and once they hang up, their subscriptions are no longer counted as open
        assert await sample(live.http, "cungoods_open_subscriptions") == opened


async def test_the_real_use_cases_reach_subscribers_from_placement_to_pickup_and_collection(
    settings: Settings,
) -> None:
    # Given a shop (a sale window open for tomorrow's bus), a villager at station 2 and a city
    # buyer of a farmer's produce at station 1, both following their own updates
    shop = await builders_orders.make_shop(stations=2)
    villager = shop.buyer
    leader = await builders_orders.make_leader(shop.station(2))
    farmer = await builders_produce.make_farmer(shop.station(1))
    city_buyer = await builders_produce.make_buyer()
    listing = await builders_produce.make_listing(farmer, ready_from=shop.trip.service_date)
    driver, dispatcher = token_for(shop.net.driver), Viewer.of(shop.dispatcher)
    trip_gid = gid("Trip", shop.trip.id)
    async with (
        live_server(settings) as live,
        live.socket(token_for(villager)) as villager_socket,
        live.socket(token_for(city_buyer)) as buyer_socket,
    ):
        await villager_socket.follow("v", MY_UPDATES)
        await buyer_socket.follow("b", MY_UPDATES)

        # When the villager orders and the farmer's produce is bought for the same bus
        order = await builders_orders.place(shop, buyer=villager, station=2)
        purchase = await purchases.buy_produce(
            viewer=Viewer.of(city_buyer), listing_id=listing.id, quantity=10, idempotency_key=None
        )
        assert purchase.trip_id == order.trip_id == shop.trip.id
        # ordering closes, the farmer hands over, the bus runs its route
        builders_orders.after_cutoff()
        await orders.run_cutoff(viewer=dispatcher, service_date=shop.trip.service_date)
        await purchases.confirm_handover(
            viewer=Viewer.of(await builders_produce.make_leader(shop.station(1))),
            purchase_id=purchase.id,
            quantity=10,
        )
        await run_trip(live, driver, trip_gid, ("DEPARTED", 0), ("ARRIVED", 1), ("LEFT", 1))
        await run_trip(live, driver, trip_gid, ("ARRIVED", 2))
        # the villager picks her order up, the bus reaches the hub, the buyer collects
        await orders.confirm_pickup(
            viewer=Viewer.of(leader), order_id=order.id, pickup_code=order.pickup_code
        )
        await run_trip(live, driver, trip_gid, ("LEFT", 2), ("ARRIVED", 3))
        await purchases.confirm_collection(
            viewer=dispatcher, purchase_id=purchase.id, collect_code=purchase.collect_code
        )

        # Then each sees every status change of theirs, in order, between the progress of
        # the bus carrying it (4 trip events until the order is picked up, 6 for the produce)
        order_statuses = ["PLACED", "CONFIRMED", "LOADED", "IN_TRANSIT", "AT_STATION", "PICKED_UP"]
        seen = own_changes(await villager_socket.events("v", "myUpdates", 6 + 4))
        assert [e["status"] for e in seen] == order_statuses
        purchase_statuses = ["RESERVED", "HANDED_OVER", "IN_TRANSIT", "AT_HUB", "COLLECTED"]
        seen = own_changes(await buyer_socket.events("b", "myUpdates", 5 + 6))
        assert [e["status"] for e in seen] == purchase_statuses
