"""The response cache (api/extensions/response_cache.py): repeated reads are answered from it,
yet once a mutation's response is back no read shows what was before it; viewers who may see
different things never share an answer; with the cache off the answers are the same."""

from __future__ import annotations

import asyncio
import datetime as dt
import re
from collections.abc import Callable
from typing import Any

import asyncpg
import httpx
import pytest

from builders import gql, make_network, make_user, schedule, token_for
from builders_dispatch import Scene, make_scene
from builders_live import live_server, statements
from builders_orders import SERVICE_DATE, after_cutoff, make_shop, place, set_clock, viewer
from builders_produce import gid
from cungoods.api.extensions.response_cache import Entry, ResponseStore
from cungoods.config import Settings
from cungoods.events.watermark import Mark
from cungoods.models import Order, Trip, User
from cungoods.models.enums import Role
from cungoods.services import orders, returns, trips
from cungoods.services.orders import LineRequest

STOPS_WITH_MANIFESTS = """
query Stops($trip: ID!) {
  trip(id: $trip) {
    status delayMinutes
    driver { name phone }
    stops { seq expectedAt station { name leader { name phone } }
            manifest { orders { number pickupCode buyer { name }
                                lines { product { name } quantity } }
                       produce { title quantity } } }
  }
}
"""
TRIPS = """
query Trips($date: Date!) {
  trips(date: $date) { id status delayMinutes legs { seq used { weightG } } }
}
"""
LOADING_PLAN = """
query Plan($trip: ID!) {
  loadingPlan(tripId: $trip) { collections { stopSeq produce { title quantity } } }
}
"""
MANIFEST = """
query Manifest($trip: ID!, $station: ID!) {
  stationManifest(tripId: $trip, stationId: $station) { expectedAt orders { number pickupCode } }
}
"""
DELAY = """
mutation Delay($input: RecordTripEventInput!) {
  recordTripEvent(input: $input) { trip { delayMinutes } errors { code } }
}
"""
MY_ORDERS = """
query Mine {
  myOrders(first: 10) {
    totalCount edges { node { number status pickupCode trip { delayMinutes } } }
  }
}
"""
ORDER = """
query One($id: ID!) {
  order(id: $id) { number status pickupCode trip { delayMinutes } history { status } }
}
"""
MARK_LOADED = """
mutation Load($input: MarkLoadedInput!) { markLoaded(input: $input) { errors { code } } }
"""
UPDATE_LISTING = """
mutation Retitle($input: UpdateListingInput!) {
  updateListing(input: $input) { listing { title } errors { code } }
}
"""


def on(settings: Settings) -> Settings:
    return settings.model_copy(update={"response_cache": True})


@pytest.fixture
async def scene() -> Scene:
    return await make_scene()


async def counts(http: httpx.AsyncClient) -> dict[str, float]:
    """The cache's counters in /metrics (process-wide: compare before and after)."""
    text = (await http.get("/metrics")).text
    found = re.findall(r'cungoods_response_cache_total\{outcome="(\w+)"\} ([0-9.e+]+)', text)
    return {outcome: float(value) for outcome, value in found}


async def operations(http: httpx.AsyncClient, name: str) -> int:
    """How many queries of this name the server has counted in /metrics."""
    text = (await http.get("/metrics")).text
    found = re.search(
        rf'cungoods_graphql_requests_total{{operation="{name}",type="query"}} ([0-9.e+]+)', text
    )
    return int(float(found.group(1))) if found else 0


def delta(before: dict[str, float], after: dict[str, float]) -> dict[str, int]:
    return {key: int(after[key] - before.get(key, 0)) for key in after}


async def delay(
    http: httpx.AsyncClient, scene: Scene, minutes: int, trip: Trip | None = None
) -> None:
    """The dispatcher reports the scene's trip (or `trip`) `minutes` late."""
    trip_id = gid("Trip", (trip or scene.trip).id)
    body = await gql(
        http,
        DELAY,
        {"input": {"tripId": trip_id, "kind": "DELAYED", "minutes": minutes}},
        token=token_for(scene.shop.dispatcher),
    )
    assert body["data"]["recordTripEvent"]["errors"] == []


async def test_a_repeated_read_is_a_hit_and_metrics_count_it(
    settings: Settings,
    scene: Scene,
) -> None:
    async with live_server(on(settings)) as cached:
        variables = {"trip": gid("Trip", scene.trip.id)}
        token = token_for(scene.shop.dispatcher)
        before = await counts(cached.http)
        counted = await operations(cached.http, "Stops")

        first = await gql(cached.http, STOPS_WITH_MANIFESTS, variables, token=token)
        second = await gql(cached.http, STOPS_WITH_MANIFESTS, variables, token=token)
        third = await gql(cached.http, STOPS_WITH_MANIFESTS, variables, token=token)

        # The hits (answered before the schema runs) are the whole response, its cost too,
        # and each is counted as an operation like any other
        assert first == second == third
        assert first["extensions"]["cost"]["requested"] > 0
        assert delta(before, await counts(cached.http)) == {
            "hit": 2,
            "miss": 1,
            "invalidated": 0,
            "stored": 1,
        }
        assert await operations(cached.http, "Stops") - counted == 3
        # Over GET as well (queries may be sent with GET): the same entry
        got = await cached.http.get(
            "/graphql",
            params={
                "query": STOPS_WITH_MANIFESTS,
                "variables": f'{{"trip": "{variables["trip"]}"}}',
            },
            headers={"Authorization": f"Bearer {token}"},
        )
        assert got.json() == first


async def test_after_a_mutation_response_the_same_process_never_serves_the_old_answer(
    settings: Settings,
    scene: Scene,
) -> None:
    async with live_server(on(settings)) as cached:
        trip = gid("Trip", scene.trip.id)
        leader = token_for(scene.leaders[1])
        station = gid("Station", scene.shop.station(1).id)
        date = str(scene.trip.service_date)
        for _ in range(2):  # cached, then served from the cache
            trips = (await gql(cached.http, TRIPS, {"date": date}))["data"]["trips"]
            manifest = (
                await gql(cached.http, MANIFEST, {"trip": trip, "station": station}, token=leader)
            )["data"]["stationManifest"]
        assert trips[0]["delayMinutes"] == 0
        before = await counts(cached.http)

        await delay(cached.http, scene, 25)

        trips_now = (await gql(cached.http, TRIPS, {"date": date}))["data"]["trips"]
        manifest_now = (
            await gql(cached.http, MANIFEST, {"trip": trip, "station": station}, token=leader)
        )["data"]["stationManifest"]
        assert trips_now[0]["delayMinutes"] == 25
        assert manifest_now["expectedAt"] != manifest["expectedAt"]
        changes = delta(before, await counts(cached.http))
        assert changes["invalidated"] == 2 and changes["hit"] == 0


async def test_the_first_read_after_a_change_reads_the_event_log_once(
    settings: Settings,
    scene: Scene,
) -> None:
    async with live_server(on(settings)) as cached:
        variables = {
            "trip": gid("Trip", scene.trip.id),
            "station": gid("Station", scene.shop.station(1).id),
        }
        leader = token_for(scene.leaders[1])
        await gql(cached.http, MANIFEST, variables, token=leader)
        await delay(cached.http, scene, 10)

        with statements() as sent:
            changed = await gql(cached.http, MANIFEST, variables, token=leader)
        before = await counts(cached.http)
        again = await gql(cached.http, MANIFEST, variables, token=leader)

        # The recheck that found the kept answer changed is also the mark of the new one: one
        # look at the event log, and the answer then kept is served again
        looks = [
            text
            for text in sent
            if re.search(r"FROM event WHERE id >|MAX\(id\).* FROM event", text)
        ]
        assert len(looks) == 1
        assert again == changed
        assert delta(before, await counts(cached.http))["hit"] == 1


async def test_an_answer_about_one_trip_outlives_another_trips_events_but_not_its_own(
    settings: Settings,
    scene: Scene,
) -> None:
    # Another route's bus runs the same day
    other = await make_network(code="R2", stations=2, hub=scene.shop.net.hub)
    [bus] = await schedule(other, SERVICE_DATE)
    async with live_server(on(settings)) as cached:
        trip = gid("Trip", scene.trip.id)
        leader = token_for(scene.leaders[1])
        variables = {"trip": trip, "station": gid("Station", scene.shop.station(1).id)}
        date = {"date": str(SERVICE_DATE)}
        for _ in range(2):
            manifest = await gql(cached.http, MANIFEST, variables, token=leader)
            board = (await gql(cached.http, TRIPS, date))["data"]["trips"]
        assert len(board) == 2
        before = await counts(cached.http)

        # When the other bus is reported late, the leader's manifest of this one is served
        # again as it was; the board, which shows both buses, shows the delay at once
        await delay(cached.http, scene, 20, trip=bus)
        assert await gql(cached.http, MANIFEST, variables, token=leader) == manifest
        board = (await gql(cached.http, TRIPS, date))["data"]["trips"]
        delays = {row["id"]: row["delayMinutes"] for row in board}
        assert delays == {gid("Trip", bus.id): 20, trip: 0}
        changes = delta(before, await counts(cached.http))
        assert changes == {"hit": 1, "miss": 1, "invalidated": 1, "stored": 1}

        # When this bus is late, the next read of its manifest shows it
        await delay(cached.http, scene, 25)
        now = await gql(cached.http, MANIFEST, variables, token=leader)
        assert (
            now["data"]["stationManifest"]["expectedAt"]
            != (manifest["data"]["stationManifest"]["expectedAt"])
        )
        assert (
            now["data"]["stationManifest"]["orders"]
            == (manifest["data"]["stationManifest"]["orders"])
        )


TRIP_OF_ORDER = """
query Where($id: ID!) { order(id: $id) { number status trip { id serviceDate } } }
"""
CANCEL_TRIP = """
mutation Cancel($input: CancelTripInput!) { cancelTrip(input: $input) { errors { code } } }
"""


async def test_an_order_moved_to_another_trip_shows_at_once_on_both(settings: Settings) -> None:
    # An order to station 1 on today's bus, confirmed at the cutoff; tomorrow's bus runs too
    shop = await make_shop(days=2)
    mine = await place(shop, station=1)
    await orders.cut_off(window_id=shop.window.id)
    after_cutoff()
    today, tomorrow = shop.trips
    dispatcher = token_for(shop.dispatcher)
    station = gid("Station", shop.station(1).id)
    reads = {
        "order": (TRIP_OF_ORDER, {"id": gid("Order", mine.id)}, token_for(shop.buyer)),
        "today": (MANIFEST, {"trip": gid("Trip", today.id), "station": station}, dispatcher),
        "tomorrow": (MANIFEST, {"trip": gid("Trip", tomorrow.id), "station": station}, dispatcher),
    }

    async def read_all(http: httpx.AsyncClient) -> dict[str, Any]:
        return {
            name: (await gql(http, query, variables, token=token))["data"]
            for name, (query, variables, token) in reads.items()
        }

    async with live_server(on(settings)) as cached:
        for _ in range(2):  # computed, then served from the cache
            first = await read_all(cached.http)
        assert first["order"]["order"]["trip"]["id"] == gid("Trip", today.id)
        assert [o["number"] for o in first["today"]["stationManifest"]["orders"]] == [mine.number]
        assert first["tomorrow"]["stationManifest"]["orders"] == []

        # When the dispatcher cancels today's bus, the order moves to tomorrow's
        body = await gql(
            cached.http,
            CANCEL_TRIP,
            {"input": {"tripId": gid("Trip", today.id), "reason": "车辆故障"}},
            token=dispatcher,
        )
        assert body["data"]["cancelTrip"]["errors"] == []

        # Then every read shows the move at once: the order on tomorrow's bus, in tomorrow's
        # manifest (the move's event is of the trip it goes to) and not in today's
        now = await read_all(cached.http)
        assert now["order"]["order"]["trip"]["id"] == gid("Trip", tomorrow.id)
        assert [o["number"] for o in now["tomorrow"]["stationManifest"]["orders"]] == [mine.number]
        assert now["today"]["stationManifest"]["orders"] == []


async def test_goods_nobody_picked_up_leave_their_trips_manifest_as_they_ride_back(
    settings: Settings,
) -> None:
    # Today's bus has run its whole route: orders A and E wait at station 1
    scene = await make_scene(days=4)
    today = scene.trip
    set_clock(SERVICE_DATE, "06:00")
    steps = [("DEPARTED", None)] + [
        (kind, seq) for seq in (1, 2, 3, 4) for kind in ("ARRIVED", "LEFT")
    ]
    for kind, seq in steps + [("ARRIVED", 5)]:
        await trips.record_trip_event(
            viewer=scene.dispatcher, trip_id=today.id, kind=kind, stop_seq=seq
        )
    variables = {"trip": gid("Trip", today.id), "station": gid("Station", scene.shop.station(1).id)}
    leader = token_for(scene.leaders[1])
    waiting = {scene.orders["A"].number, scene.orders["E"].number}
    async with live_server(on(settings)) as cached:
        for _ in range(2):
            manifest = (await gql(cached.http, MANIFEST, variables, token=leader))["data"]
        assert {o["number"] for o in manifest["stationManifest"]["orders"]} == waiting

        # When the grace period is over, the timer puts them on a later bus back to the hub
        set_clock(SERVICE_DATE + dt.timedelta(days=2), "07:00")
        assert (await returns.sweep(now=returns.clock.now()))[0] >= 2

        # Then today's manifest no longer lists them (the move's event names the trip it left)
        manifest = (await gql(cached.http, MANIFEST, variables, token=leader))["data"]
        assert manifest["stationManifest"]["orders"] == []


SOLD_OF_ORDER = """
query Sold($id: ID!) { order(id: $id) { number lines { quantity saleItem { sold } } } }
"""


async def test_stock_shown_with_one_trips_order_moves_with_every_trips_orders(
    settings: Settings,
) -> None:
    # Two routes' buses on the same day sell from the same sale window
    shop = await make_shop()
    other = await make_network(code="R2", stations=2, hub=shop.net.hub)
    [bus] = await schedule(other, SERVICE_DATE)
    mine = await place(shop, station=1, lines={"RICE": 2})
    async with live_server(on(settings)) as cached:
        variables = {"id": gid("Order", mine.id)}
        buyer = token_for(shop.buyer)
        for _ in range(2):
            first = (await gql(cached.http, SOLD_OF_ORDER, variables, token=buyer))["data"]
        assert first["order"]["lines"][0]["saleItem"]["sold"] == 2

        # When a villager on the other route orders 3 bags of the same rice
        await orders.place_order(
            viewer=viewer(await make_user(Role.BUYER)),
            station_id=other.stations[0].id,
            service_date=SERVICE_DATE,
            lines=[LineRequest(shop.item("RICE").id, 3)],
            idempotency_key=None,
        )

        # Then the first order's read shows the rice sold on both buses (its line's sale item
        # is not its trip's alone)
        now = (await gql(cached.http, SOLD_OF_ORDER, variables, token=buyer))["data"]
        assert now["order"]["lines"][0]["saleItem"]["sold"] == 5


async def test_a_query_over_the_socket_is_served_again_and_never_stale(
    settings: Settings,
    scene: Scene,
) -> None:
    async with live_server(on(settings)) as cached:
        trip = gid("Trip", scene.trip.id)
        variables = {"trip": trip, "station": gid("Station", scene.shop.station(1).id)}
        leader = token_for(scene.leaders[1])
        over_http = await gql(cached.http, MANIFEST, variables, token=leader)
        async with cached.socket(leader) as socket:
            answers = []
            for op_id in ("a", "b"):
                await socket.subscribe(op_id, MANIFEST, variables)
                message = await socket.receive()
                assert message["type"] == "next", message
                answers.append(message["payload"]["data"])
                assert (await socket.receive())["type"] == "complete"
            assert answers == [over_http["data"]] * 2

            await delay(cached.http, scene, 30)
            await socket.subscribe("c", MANIFEST, variables)
            message = await socket.receive()
        now = message["payload"]["data"]["stationManifest"]
        assert now["expectedAt"] != over_http["data"]["stationManifest"]["expectedAt"]


SET_LANGUAGE = """
mutation($input: SetLanguageInput!) { setLanguage(input: $input) { errors { code } } }
"""
BUYER_LANGUAGE = """
query Lang($id: ID!) { order(id: $id) { number buyer { name language } } }
"""


async def test_a_users_language_is_read_afresh_as_it_changes_without_an_event(
    settings: Settings,
    scene: Scene,
) -> None:
    async with live_server(on(settings)) as cached:
        buyer = token_for(scene.shop.buyer)
        variables = {"id": gid("Order", scene.orders["A"].id)}
        before = await counts(cached.http)
        first = await gql(cached.http, BUYER_LANGUAGE, variables, token=buyer)
        body = await gql(cached.http, SET_LANGUAGE, {"input": {"language": "EN"}}, token=buyer)
        assert body["data"]["setLanguage"]["errors"] == []
        now = await gql(cached.http, BUYER_LANGUAGE, variables, token=buyer)
        assert first["data"]["order"]["buyer"]["language"] == "ZH"
        assert now["data"]["order"]["buyer"]["language"] == "EN"
        assert delta(before, await counts(cached.http))["stored"] == 0


async def test_a_listing_edit_reaches_the_loading_plan_at_once(
    settings: Settings,
    scene: Scene,
) -> None:
    async with live_server(on(settings)) as cached:
        # Listings recorded no event before the cache: now every edit does (services/listings.py)
        variables = {"trip": gid("Trip", scene.trip.id)}
        driver = token_for(scene.shop.net.driver)
        for _ in range(2):
            plan = (await gql(cached.http, LOADING_PLAN, variables, token=driver))["data"]
        titles = [p["title"] for c in plan["loadingPlan"]["collections"] for p in c["produce"]]
        assert "椪柑 P2" in titles

        listing = scene.listings["P2"]
        body = await gql(
            cached.http,
            UPDATE_LISTING,
            {"input": {"listingId": gid("ProduceListing", listing.id), "title": "新椪柑"}},
            token=token_for(scene.farmers[2]),
        )
        assert body["data"]["updateListing"]["errors"] == []

        plan = (await gql(cached.http, LOADING_PLAN, variables, token=driver))["data"]
        titles = [p["title"] for c in plan["loadingPlan"]["collections"] for p in c["produce"]]
        assert "新椪柑" in titles and "椪柑 P2" not in titles


async def test_a_villagers_orders_are_served_again_until_a_change_shows_in_them(
    settings: Settings,
    scene: Scene,
) -> None:
    async with live_server(on(settings)) as cached:
        buyer = token_for(scene.shop.buyer)
        order = {"id": gid("Order", scene.orders["A"].id)}
        before = await counts(cached.http)
        for _ in range(2):  # computed, then served from the cache
            mine = (await gql(cached.http, MY_ORDERS, token=buyer))["data"]["myOrders"]
            one = (await gql(cached.http, ORDER, order, token=buyer))["data"]["order"]
        assert delta(before, await counts(cached.http))["hit"] == 2
        assert {edge["node"]["status"] for edge in mine["edges"]} == {"CONFIRMED", "CANCELLED"}
        assert one["status"] == "CONFIRMED" and one["history"][-1]["status"] == "CONFIRMED"

        # On the service day the dispatcher loads the bus (order events), then delays it (a
        # trip event): each shows in the villager's very next reads
        set_clock(scene.trip.service_date, "06:00")
        body = await gql(
            cached.http,
            MARK_LOADED,
            {"input": {"tripId": gid("Trip", scene.trip.id)}},
            token=token_for(scene.shop.dispatcher),
        )
        assert body["data"]["markLoaded"]["errors"] == []
        mine = (await gql(cached.http, MY_ORDERS, token=buyer))["data"]["myOrders"]
        one = (await gql(cached.http, ORDER, order, token=buyer))["data"]["order"]
        assert {edge["node"]["status"] for edge in mine["edges"]} == {"LOADED", "CANCELLED"}
        assert one["status"] == "LOADED" and one["history"][-1]["status"] == "LOADED"

        await delay(cached.http, scene, 15)
        mine = (await gql(cached.http, MY_ORDERS, token=buyer))["data"]["myOrders"]
        one = (await gql(cached.http, ORDER, order, token=buyer))["data"]["order"]
        assert one["trip"]["delayMinutes"] == 15
        assert {edge["node"]["trip"]["delayMinutes"] for edge in mine["edges"]} == {15}


async def test_two_dispatchers_never_share_an_answer(
    settings: Settings,
    scene: Scene,
) -> None:
    # Both dispatchers who also buy, same roles, no station: one of them bought order A, so it
    # is in their myOrders with its pickup code, not in the other's, who sees it without code
    first = await make_user(Role.DISPATCHER, Role.BUYER)
    second = await make_user(Role.DISPATCHER, Role.BUYER)
    await Order.filter(id=scene.orders["A"].id).update(buyer_id=first.id)
    reads = [
        (STOPS_WITH_MANIFESTS, {"trip": gid("Trip", scene.trip.id)}),
        (MY_ORDERS, {}),
        (ORDER, {"id": gid("Order", scene.orders["A"].id)}),
    ]
    tokens = {"first": token_for(first), "second": token_for(second)}
    async with live_server(settings) as uncached:
        truth = {
            (name, query): await gql(uncached.http, query, variables, token=token)
            for query, variables in reads
            for name, token in tokens.items()
        }
    assert truth[("first", MY_ORDERS)] != truth[("second", MY_ORDERS)]
    assert truth[("first", ORDER)]["data"]["order"]["pickupCode"] is not None
    assert truth[("second", ORDER)]["data"]["order"]["pickupCode"] is None

    async with live_server(on(settings)) as cached:
        for _ in range(2):  # the first dispatcher's answers are cached first
            for query, variables in reads:
                for name, token in tokens.items():
                    answer = await gql(cached.http, query, variables, token=token)
                    assert answer == truth[(name, query)], name


async def test_viewers_who_may_see_different_things_never_share_an_answer(
    settings: Settings,
    scene: Scene,
) -> None:
    async with live_server(on(settings)) as cached:
        variables = {"trip": gid("Trip", scene.trip.id)}
        viewers: dict[str, str | None] = {
            "leader 1": token_for(scene.leaders[1]),
            "leader 2": token_for(scene.leaders[2]),
            "dispatcher": token_for(scene.shop.dispatcher),
            "driver": token_for(scene.shop.net.driver),
            "buyer": token_for(scene.shop.buyer),
            "anonymous": None,
        }
        async with live_server(settings) as uncached:  # the same app with the cache off
            truth = {
                name: await gql(uncached.http, STOPS_WITH_MANIFESTS, variables, token=token)
                for name, token in viewers.items()
            }
        # The answers do differ: each leader sees their own station's manifest and codes, the
        # dispatcher every manifest without codes, an anonymous caller none
        distinct = ("leader 1", "leader 2", "dispatcher", "anonymous")
        assert len({str(truth[name]) for name in distinct}) == len(distinct)

        for _ in range(2):  # first each computes, then each is served from the cache
            for name, token in viewers.items():
                answer = await gql(cached.http, STOPS_WITH_MANIFESTS, variables, token=token)
                assert answer == truth[name], name


async def test_the_cache_off_gives_the_same_answers_and_counts_nothing(
    settings: Settings,
    scene: Scene,
) -> None:
    async with live_server(on(settings)) as cached:
        trip = gid("Trip", scene.trip.id)
        station = gid("Station", scene.shop.station(3).id)
        reads = [
            (STOPS_WITH_MANIFESTS, {"trip": trip}, token_for(scene.shop.dispatcher)),
            (TRIPS, {"date": str(scene.trip.service_date)}, None),
            (LOADING_PLAN, {"trip": trip}, token_for(scene.shop.net.driver)),
            (MANIFEST, {"trip": trip, "station": station}, token_for(scene.leaders[3])),
        ]
        with_cache = [
            [await gql(cached.http, query, variables, token=token) for _ in range(2)]
            for query, variables, token in reads
        ]
        async with live_server(settings) as uncached:
            before = await counts(uncached.http)
            without = [
                await gql(uncached.http, query, variables, token=token)
                for query, variables, token in reads
            ]
            assert delta(before, await counts(uncached.http)) == dict.fromkeys(before, 0)
        assert [pair[0] for pair in with_cache] == [pair[1] for pair in with_cache] == without


async def test_errors_mutations_and_unlisted_reads_are_never_cached(
    settings: Settings,
    scene: Scene,
) -> None:
    async with live_server(on(settings)) as cached:
        trip = gid("Trip", scene.trip.id)
        station = gid("Station", scene.shop.station(1).id)
        before = await counts(cached.http)
        for _ in range(2):
            # another station's leader is refused: an answer with errors is not kept
            refused = await gql(
                cached.http,
                MANIFEST,
                {"trip": trip, "station": station},
                token=token_for(scene.leaders[2]),
                expect_errors=True,
            )
            assert refused["errors"][0]["extensions"]["code"] == "NOT_ALLOWED"
            # `viewer` is not a cacheable root; the wallet changes without an event
            await gql(
                cached.http,
                "{ viewer { name wallet { balanceFen } } }",
                token=token_for(scene.shop.buyer),
            )
            await gql(
                cached.http,
                "query($t: ID!) { trip(id: $t) { driver { wallet { balanceFen } } } }",
                {"t": trip},
                token=token_for(scene.shop.net.driver),
            )
            await delay(cached.http, scene, 5)
        changes = delta(before, await counts(cached.http))
        assert changes["stored"] == 0 and changes["hit"] == 0


def test_the_store_is_bounded_by_entries_and_by_bytes() -> None:
    store = ResponseStore(max_entries=3, max_bytes=100)
    mark = Mark(floor=0, seen=frozenset())

    def entry(size: int) -> Entry:
        return Entry(data={"x": size}, mark=mark, size=size, trips=None)

    for n in range(5):
        store.put(("k", str(n)), entry(10))
    assert len(store) == 3 and store.get(("k", "0")) is None and store.get(("k", "4"))
    store.put(("big",), entry(90))  # pushes out the least recently used until it fits
    assert store.bytes <= 100 and store.get(("big",)) is not None
    store.put(("huge",), entry(101))  # larger than the whole cache: not kept
    assert store.get(("huge",)) is None


async def test_a_token_whose_roles_changed_gets_the_answer_of_its_new_roles(
    settings: Settings,
    scene: Scene,
) -> None:
    # A dispatcher who also buys reads every stop's manifest, twice (the second from the cache)
    user = await make_user(Role.DISPATCHER, Role.BUYER)
    token = token_for(user)
    variables = {"trip": gid("Trip", scene.trip.id)}
    async with live_server(on(settings)) as cached:
        as_dispatcher = await gql(cached.http, STOPS_WITH_MANIFESTS, variables, token=token)
        assert await gql(cached.http, STOPS_WITH_MANIFESTS, variables, token=token) == (
            as_dispatcher
        )

        # When the account loses the dispatcher role (written without an event: the kept
        # answer's recheck, started while the viewer is read, finds nothing changed)
        await User.filter(id=user.id).update(roles=[Role.BUYER.value])
        again = await gql(cached.http, STOPS_WITH_MANIFESTS, variables, token=token)

    # Then the same token gets what a buyer sees, not the answer it had as a dispatcher
    async with live_server(settings) as uncached:
        as_buyer = await gql(uncached.http, STOPS_WITH_MANIFESTS, variables, token=token)
    assert again == as_buyer
    assert again != as_dispatcher


async def test_a_kept_answer_is_rechecked_while_the_viewer_is_still_being_read(
    settings: Settings, scene: Scene, backend: str, is_postgres: bool
) -> None:
    if not is_postgres:
        pytest.skip("the account table is held by another session on PostgreSQL")
    variables = {"trip": gid("Trip", scene.trip.id)}
    token = token_for(scene.shop.dispatcher)
    async with live_server(on(settings)) as cached:
        kept = await gql(cached.http, STOPS_WITH_MANIFESTS, variables, token=token)
        await delay(cached.http, scene, 5)  # the kept answer is stale now

        # While another session holds the account table, so reading the viewer waits
        holder = await asyncpg.connect(backend.replace("postgres://", "postgresql://", 1))
        try:
            hold = holder.transaction()
            await hold.start()
            await holder.execute("LOCK TABLE account IN ACCESS EXCLUSIVE MODE")
            with statements() as sent:
                request = asyncio.ensure_future(
                    gql(cached.http, STOPS_WITH_MANIFESTS, variables, token=token)
                )
                # Then the event log is read meanwhile: the recheck does not wait for the viewer
                await until(lambda: any("FROM event WHERE id >" in text for text in sent))
                assert not request.done()
                await hold.rollback()
                answer = await request
        finally:
            await holder.close()

    # and the answer is the one after the change, read with one look at the event log
    assert answer != kept
    assert answer["data"]["trip"]["delayMinutes"] == kept["data"]["trip"]["delayMinutes"] + 5
    assert sum("FROM event WHERE id >" in text for text in sent) == 1


async def until(condition: Callable[[], bool]) -> None:
    """Wait for `condition` (a few seconds at most: then it fails)."""
    for _ in range(500):
        if condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the condition never held")
