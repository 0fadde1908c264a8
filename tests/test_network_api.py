"""The read API of the network: routes, stations, trips, a trip's load, nodes by global id, and
how the server treats bad ids, bad dates, over-large queries, GET requests and browsers."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from tortoise.transactions import in_transaction

from builders import Network, gql, make_network, make_user, schedule
from cungoods.api.ids import to_global_id
from cungoods.api.scalars import DateTime
from cungoods.models import Station
from cungoods.models.enums import Direction, Role
from cungoods.services import clock
from cungoods.services.capacity import Load, reserve


def codes(body: dict[str, Any]) -> list[str | None]:
    return [e.get("extensions", {}).get("code") for e in body.get("errors", [])]


async def post(client: httpx.AsyncClient, query: str, **variables: Any) -> dict[str, Any]:
    """A query that may fail: the server answers 200 with a JSON body either way, never a 500."""
    response = await client.post("/graphql", json={"query": query, "variables": variables})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    assert "INTERNAL" not in codes(body), body
    return body


async def two_routes() -> tuple[Network, Network]:
    """R1 and R2 from one hub (created R2 first, to see the API sort them)."""
    r2 = await make_network(code="R2", stations=2, departure="07:00", capacity_g=800_000)
    r1 = await make_network(code="R1", stations=3, departure="06:00", hub=r2.hub)
    return r1, r2


ROUTES = """
{
  routes {
    code name
    hub { name }
    stops { seq station { name } minutesFromDeparture }
    timetable { departureTimes daysOfWeek returnMinutes }
    vehicle { plate capacity { weightG volumeCm3 chilledG } }
    driver { name }
  }
}
"""


async def test_routes_list_their_stops_timetable_vehicle_and_hub(
    client: httpx.AsyncClient,
) -> None:
    r1, r2 = await two_routes()

    routes = (await gql(client, ROUTES))["data"]["routes"]

    assert [route["code"] for route in routes] == ["R1", "R2"]
    first = routes[0]
    assert first["name"] == "村货巴士R1"
    assert first["hub"] == {"name": "衢江区城乡供应链中心"}
    assert first["stops"] == [
        {"seq": 1, "station": {"name": r1.stations[0].name}, "minutesFromDeparture": 20},
        {"seq": 2, "station": {"name": r1.stations[1].name}, "minutesFromDeparture": 30},
        {"seq": 3, "station": {"name": r1.stations[2].name}, "minutesFromDeparture": 40},
    ]
    assert first["timetable"] == {
        "departureTimes": ["06:00"],
        "daysOfWeek": [1, 2, 3, 4, 5, 6, 7],
        "returnMinutes": 60,
    }
    assert first["vehicle"] == {
        "plate": "浙H·R1001",
        "capacity": {"weightG": 1_000_000, "volumeCm3": 8_000_000, "chilledG": 300_000},
    }
    assert first["driver"] == {"name": "R1司机"}
    assert routes[1]["vehicle"]["capacity"]["weightG"] == 800_000
    assert [s["station"]["name"] for s in routes[1]["stops"]] == [s.name for s in r2.stations]


STATIONS = """
query($first: Int, $after: String, $township: String, $search: String) {
  stations(first: $first, after: $after, township: $township, search: $search) {
    totalCount
    edges { cursor node { id code name township village } }
    pageInfo { hasNextPage endCursor }
  }
}
"""


async def stations_page(client: httpx.AsyncClient, **arguments: Any) -> dict[str, Any]:
    page: dict[str, Any] = (await gql(client, STATIONS, arguments))["data"]["stations"]
    return page


async def test_stations_page_through_without_overlap_or_gap(client: httpx.AsyncClient) -> None:
    net = await make_network(stations=7)

    pages = [await stations_page(client, first=3)]
    while pages[-1]["pageInfo"]["hasNextPage"]:
        pages.append(await stations_page(client, first=3, after=pages[-1]["pageInfo"]["endCursor"]))

    assert [len(page["edges"]) for page in pages] == [3, 3, 1]
    assert [page["totalCount"] for page in pages] == [7, 7, 7]
    seen = [edge["node"]["code"] for page in pages for edge in page["edges"]]
    assert seen == [station.code for station in net.stations]
    assert pages[-1]["pageInfo"]["endCursor"] == pages[-1]["edges"][-1]["cursor"]
    # past the end: an empty page, still counting everything
    past = await stations_page(client, first=3, after=pages[-1]["pageInfo"]["endCursor"])
    assert past == {
        "totalCount": 7,
        "edges": [],
        "pageInfo": {"hasNextPage": False, "endCursor": None},
    }


async def test_stations_filter_by_township_and_by_chinese_text(client: httpx.AsyncClient) -> None:
    # Given two stations in 高家镇 (from the builder) and three elsewhere
    await make_network(stations=2)
    for code, name, township, village in [
        ("S-NL1", "廿里村服务站", "廿里镇", "廿里村"),
        ("S-NL2", "后坞村服务站", "廿里镇", "后坞村"),
        ("S-DZ1", "桥头村服务站", "杜泽镇", "桥头村"),
    ]:
        await Station.create(
            code=code, name=name, township=township, village=village, lat=29.1, lng=118.9
        )

    in_nianli = await stations_page(client, township="廿里镇")
    by_village = await stations_page(client, search=" 桥头 ")
    by_township_text = await stations_page(client, search="廿里")
    by_code = await stations_page(client, search="s-dz1")
    nothing = await stations_page(client, search="不存在的村")

    def names(page: dict[str, Any]) -> list[str]:
        return [edge["node"]["name"] for edge in page["edges"]]

    assert names(in_nianli) == ["廿里村服务站", "后坞村服务站"]
    assert in_nianli["totalCount"] == 2
    assert names(by_village) == ["桥头村服务站"]
    assert names(by_township_text) == ["廿里村服务站", "后坞村服务站"]
    assert names(by_code) == ["桥头村服务站"]
    assert nothing["totalCount"] == 0 and nothing["edges"] == []
    # a filter and paging together: the total counts the filtered stations
    first_of_nianli = await stations_page(client, township="廿里镇", first=1)
    assert names(first_of_nianli) == ["廿里村服务站"]
    assert first_of_nianli["totalCount"] == 2
    assert first_of_nianli["pageInfo"]["hasNextPage"] is True


@pytest.mark.parametrize(
    "arguments",
    [
        {"first": 101},
        {"first": -1},
        {"after": "not-a-cursor"},
        {"after": to_global_id("Station", 1)},
    ],
    ids=["above-max-page", "negative", "garbage-cursor", "station-id-as-cursor"],
)
async def test_bad_paging_arguments_are_coded_errors(
    client: httpx.AsyncClient, arguments: dict[str, Any]
) -> None:
    await make_network(stations=2)

    body = await post(client, STATIONS, **arguments)

    assert body["data"] is None
    assert codes(body) == ["INVALID_INPUT"]


async def test_the_maximum_page_size_is_allowed(client: httpx.AsyncClient) -> None:
    await make_network(stations=3)

    page = await stations_page(client, first=100)

    assert len(page["edges"]) == 3 and page["pageInfo"]["hasNextPage"] is False


TRIPS = """
query($date: Date!, $routeCode: String) {
  trips(date: $date, routeCode: $routeCode) { id serviceDate route { code } }
}
"""


async def test_trips_of_a_date_optionally_of_one_route(client: httpx.AsyncClient) -> None:
    # Given R1 and R2 scheduled for today and tomorrow
    r1, r2 = await two_routes()
    today = clock.today()
    tomorrow = today + dt.timedelta(days=1)
    for net in (r1, r2):
        await schedule(net, today, days=2)

    on_tomorrow = (await gql(client, TRIPS, {"date": tomorrow.isoformat()}))["data"]["trips"]
    r2_tomorrow = (await gql(client, TRIPS, {"date": tomorrow.isoformat(), "routeCode": "R2"}))[
        "data"
    ]["trips"]
    later = (await gql(client, TRIPS, {"date": (today + dt.timedelta(days=9)).isoformat()}))[
        "data"
    ]["trips"]
    unknown = await post(client, TRIPS, date=today.isoformat(), routeCode="R9")

    # by departure time: R1 leaves at 06:00, R2 at 07:00
    assert [(t["route"]["code"], t["serviceDate"]) for t in on_tomorrow] == [
        ("R1", tomorrow.isoformat()),
        ("R2", tomorrow.isoformat()),
    ]
    assert [t["route"]["code"] for t in r2_tomorrow] == ["R2"]
    assert later == []
    assert unknown["data"] is None
    assert codes(unknown) == ["NOT_FOUND"]


TRIP = """
query($id: ID!) {
  trip(id: $id) {
    id serviceDate status delayMinutes
    route { code }
    vehicle { plate }
    driver { name }
    stops { seq isHub station { name } plannedAt arrivedAt departedAt }
    legs {
      seq
      capacity { weightG volumeCm3 chilledG }
      used { weightG volumeCm3 chilledG }
      down { weightG }
      up { weightG }
    }
    utilization { down up overall }
  }
}
"""


async def test_a_trip_shows_its_stops_legs_load_and_utilization(
    client: httpx.AsyncClient,
) -> None:
    # Given a trip through 4 villages (stops 0..5, legs 0..4) carrying 50 kg of goods out to
    # the second village, and 30 kg of chilled produce back from it
    net = await make_network(stations=4)
    [trip] = await schedule(net)
    async with in_transaction():
        await reserve(
            trip_id=trip.id,
            direction=Direction.DOWN,
            from_seq=0,
            to_seq=2,
            load=Load(weight_g=50_000, volume_cm3=100_000),
        )
        await reserve(
            trip_id=trip.id,
            direction=Direction.UP,
            from_seq=2,
            to_seq=5,
            load=Load(weight_g=30_000, volume_cm3=60_000, chilled_g=30_000),
        )

    shown = (await gql(client, TRIP, {"id": to_global_id("Trip", trip.id)}))["data"]["trip"]

    assert shown["id"] == to_global_id("Trip", trip.id)
    assert shown["serviceDate"] == clock.today().isoformat()
    assert shown["status"] == "SCHEDULED" and shown["delayMinutes"] == 0
    assert shown["route"] == {"code": "R1"}
    assert shown["vehicle"] == {"plate": "浙H·R1001"}
    assert shown["driver"] == {"name": "R1司机"}
    stops = shown["stops"]
    assert [s["seq"] for s in stops] == [0, 1, 2, 3, 4, 5]
    assert [s["station"] and s["station"]["name"] for s in stops] == [
        None,
        *(station.name for station in net.stations),
        None,
    ]
    assert all(s["arrivedAt"] is None and s["departedAt"] is None for s in stops)
    assert stops[0]["plannedAt"] == f"{clock.today().isoformat()}T06:00:00+08:00"
    legs = shown["legs"]
    assert [leg["seq"] for leg in legs] == [0, 1, 2, 3, 4]
    assert all(
        leg["capacity"] == {"weightG": 1_000_000, "volumeCm3": 8_000_000, "chilledG": 300_000}
        for leg in legs
    )
    assert [leg["used"] for leg in legs] == [
        {"weightG": 50_000, "volumeCm3": 100_000, "chilledG": 0},
        {"weightG": 50_000, "volumeCm3": 100_000, "chilledG": 0},
        {"weightG": 30_000, "volumeCm3": 60_000, "chilledG": 30_000},
        {"weightG": 30_000, "volumeCm3": 60_000, "chilledG": 30_000},
        {"weightG": 30_000, "volumeCm3": 60_000, "chilledG": 30_000},
    ]
    assert [leg["down"]["weightG"] for leg in legs] == [50_000, 50_000, 0, 0, 0]
    assert [leg["up"]["weightG"] for leg in legs] == [0, 0, 30_000, 30_000, 30_000]
    # weight carried over weight capacity, summed over the 5 legs
    assert shown["utilization"] == {"down": 0.02, "up": 0.018, "overall": 0.038}


async def test_an_unknown_trip_is_null(client: httpx.AsyncClient) -> None:
    body = await post(client, TRIP, id=to_global_id("Trip", 999))

    assert body["data"] == {"trip": None} and "errors" not in body


NODE = """
query($id: ID!) {
  node(id: $id) {
    __typename id
    ... on Station { code }
    ... on Route { code }
    ... on Trip { serviceDate }
    ... on Hub { code }
    ... on Vehicle { plate }
    ... on User { name }
  }
}
"""


async def test_node_finds_every_kind_of_object_by_its_global_id(
    client: httpx.AsyncClient,
) -> None:
    net = await make_network(stations=1)
    [trip] = await schedule(net)
    expected = {
        "Station": ("code", net.stations[0].id, net.stations[0].code),
        "Route": ("code", net.route.id, "R1"),
        "Trip": ("serviceDate", trip.id, clock.today().isoformat()),
        "Hub": ("code", net.hub.id, "HUB-R1"),
        "Vehicle": ("plate", net.vehicle.id, "浙H·R1001"),
        "User": ("name", net.driver.id, "R1司机"),
    }

    for type_name, (field, pk, value) in expected.items():
        global_id = to_global_id(type_name, pk)
        node = (await gql(client, NODE, {"id": global_id}))["data"]["node"]
        assert node == {"__typename": type_name, "id": global_id, field: value}


async def test_ids_returned_by_one_query_find_the_object_again(client: httpx.AsyncClient) -> None:
    await make_network(stations=1)

    route = (await gql(client, "{ routes { id code hub { id } vehicle { id } } }"))["data"][
        "routes"
    ][0]

    for global_id in (route["id"], route["hub"]["id"], route["vehicle"]["id"]):
        assert (await gql(client, NODE, {"id": global_id}))["data"]["node"]["id"] == global_id


@pytest.mark.parametrize(
    ("query", "global_id", "error_codes"),
    [
        (TRIP, "garbage!", ["INVALID_INPUT"]),
        (TRIP, to_global_id("Station", 1), ["INVALID_INPUT"]),
        (TRIP, to_global_id("Trip", 0), ["INVALID_INPUT"]),
        (TRIP, to_global_id("Trip", 999), []),
        (NODE, "garbage!", ["INVALID_INPUT"]),
        (NODE, "", ["INVALID_INPUT"]),
        (NODE, to_global_id("Trip", -4), ["INVALID_INPUT"]),
        (NODE, to_global_id("Spaceship", 1), []),
        (NODE, to_global_id("Station", 999), []),
    ],
    ids=[
        "trip-garbage",
        "trip-wrong-type",
        "trip-zero",
        "trip-unknown",
        "node-garbage",
        "node-empty",
        "node-negative",
        "node-unknown-type",
        "node-unknown-row",
    ],
)
async def test_bad_global_ids_get_a_coded_error_or_null(
    client: httpx.AsyncClient, query: str, global_id: str, error_codes: list[str]
) -> None:
    await make_network(stations=1)

    body = await post(client, query, id=global_id)

    assert list(body["data"].values()) == [None]
    assert codes(body) == error_codes
    assert all("Traceback" not in e["message"] for e in body.get("errors", []))


@pytest.mark.parametrize(
    "query",
    [
        '{ trips(date: "2026-13-01") { id } }',
        '{ trips(date: "tomorrow") { id } }',
        "{ trips(date: 20260601) { id } }",
        "{ trips { id } }",
    ],
    ids=["month-13", "word", "number", "missing"],
)
async def test_a_badly_formed_date_is_a_validation_error(
    client: httpx.AsyncClient, query: str
) -> None:
    body = await post(client, query)

    assert body["data"] is None
    assert len(body["errors"]) == 1
    assert "date" in body["errors"][0]["message"].lower()


async def test_a_badly_formed_date_variable_is_a_validation_error(
    client: httpx.AsyncClient,
) -> None:
    body = await post(client, TRIPS, date="2026-02-30")

    assert body["data"] is None
    assert "$date" in body["errors"][0]["message"]


async def test_queries_work_over_get_but_mutations_do_not(client: httpx.AsyncClient) -> None:
    await two_routes()
    await make_user(Role.BUYER, phone="13912345678")

    response = await client.get(
        "/graphql",
        params={
            "query": "query($t: String) { stations(township: $t, first: 2) { totalCount } }",
            "variables": '{"t": "高家镇"}',
        },
    )
    mutation = await client.get(
        "/graphql",
        params={
            "query": 'mutation { login(input: {phone: "13912345678", password: "secret-pass-1"})'
            " { token } }"
        },
    )

    assert response.status_code == 200
    assert response.json()["data"] == {"stations": {"totalCount": 5}}
    assert "errors" not in response.json()
    # a link or a prefetch must never change anything: GET refuses mutations
    assert mutation.status_code in (400, 405)
    assert "token" not in mutation.text


async def test_a_browser_gets_graphiql(client: httpx.AsyncClient) -> None:
    response = await client.get("/graphql", headers={"Accept": "text/html"})

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "graphiql" in response.text.lower()


async def test_healthz_says_the_database_answers(client: httpx.AsyncClient) -> None:
    response = await client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"ok": True, "database": True}


def nested_leader_query(levels: int) -> str:
    inner = "name"
    for _ in range(levels):
        inner = f"station {{ leader {{ {inner} }} }}"
    return "{ routes { stops { " + inner + " } } }"


async def test_an_over_deep_query_is_refused(client: httpx.AsyncClient) -> None:
    # Given a leader at a station, so a deep query would have something to walk through
    net = await make_network(stations=1)
    await make_user(Role.LEADER, station=net.stations[0], name="站长")

    fine = await post(client, nested_leader_query(2))
    deep = await post(client, nested_leader_query(6))

    assert "errors" not in fine
    assert fine["data"]["routes"][0]["stops"][0]["station"]["leader"]["station"]["leader"] == {
        "name": "站长"
    }
    assert deep["data"] is None
    assert "depth" in deep["errors"][0]["message"]


async def test_too_many_aliases_are_refused(client: httpx.AsyncClient) -> None:
    await make_network(stations=1)

    def aliased(count: int) -> str:
        return "{ " + " ".join(f"r{i}: routes {{ code }}" for i in range(count)) + " }"

    allowed = await post(client, aliased(30))
    refused = await post(client, aliased(31))

    assert "errors" not in allowed and len(allowed["data"]) == 30
    assert refused["data"] is None
    assert "aliases" in refused["errors"][0]["message"]


async def test_an_over_long_query_is_refused(client: httpx.AsyncClient) -> None:
    await make_network(stations=1)
    long_query = "{ " + " ".join("routes { code name }" for _ in range(600)) + " }"

    body = await post(client, long_query)

    assert body["data"] is None
    assert "tokens" in body["errors"][0]["message"]


def test_a_time_without_an_offset_is_read_as_service_local_time() -> None:
    # Times people type (a cutoff at 20:00) mean 20:00 in Qujiang, not in UTC
    parsed = DateTime.parse_value("2026-06-01T20:00")
    explicit = DateTime.parse_value("2026-06-01T12:00:00+00:00")

    assert parsed == dt.datetime(2026, 6, 1, 20, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
    assert explicit == parsed
    assert DateTime.serialize(explicit) == "2026-06-01T20:00:00+08:00"
