"""Relay's rules for connections, checked on every `*Connection` of the SDL (so connections added
later are held to them too), paging both ways, the fields that depend on who asks failing alone,
and the global ids that let a normalized client cache merge trip stops, legs and events."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import httpx
import pytest
from graphql import (
    GraphQLField,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLObjectType,
    GraphQLSchema,
    build_schema,
    get_named_type,
    get_nullable_type,
    is_non_null_type,
)

from builders import gql, make_network, make_user, token_for
from builders_orders import make_leader, make_shop, place
from cungoods.api.ids import to_global_id
from cungoods.devtools import schema_export
from cungoods.models import Event, Leg, Order, TripStop
from cungoods.models.enums import Role


def sdl_schema() -> GraphQLSchema:
    return build_schema(schema_export.SCHEMA_FILE.read_text(encoding="utf-8"))


def connection_violations(schema: GraphQLSchema) -> list[str]:
    """What breaks the Relay cursor connections spec (and relay-compiler's @connection) in the
    schema's `*Connection` types and the fields that return them."""
    problems: list[str] = []
    connections = [
        named
        for name, named in schema.type_map.items()
        if name.endswith("Connection") and not name.startswith("__")
    ]
    for connection in connections:
        if not isinstance(connection, GraphQLObjectType):
            problems.append(f"{connection.name} is not an object type")
            continue
        edges = connection.fields.get("edges")
        edge_type = get_nullable_type(edges.type) if edges else None
        if not isinstance(edge_type, GraphQLList):
            problems.append(f"{connection.name}.edges is not a list")
        else:
            edge = get_named_type(edge_type.of_type)
            problems += edge_violations(connection.name, edge)
        page_info = connection.fields.get("pageInfo")
        if page_info is None or str(page_info.type) != "PageInfo!":
            problems.append(f"{connection.name}.pageInfo is not PageInfo!")
    page_info_type = schema.get_type("PageInfo")
    expected = {
        "hasNextPage": "Boolean!",
        "hasPreviousPage": "Boolean!",
        "startCursor": "String",
        "endCursor": "String",
    }
    shown = {name: str(f.type) for name, f in getattr(page_info_type, "fields", {}).items()}
    if any(shown.get(name) != kind for name, kind in expected.items()):
        problems.append(f"PageInfo is {shown}, not {expected}")
    for type_name, field_name, field in connection_fields(schema):
        arguments = {name: str(arg.type) for name, arg in field.args.items()}
        for name, kind in (("first", "Int"), ("after", "String"), ("last", "Int")):
            if arguments.get(name) != kind:
                problems.append(f"{type_name}.{field_name}({name}: {kind}) is missing")
        if arguments.get("before") != "String":
            problems.append(f"{type_name}.{field_name}(before: String) is missing")
    return problems


def edge_violations(connection: str, edge: Any) -> list[str]:
    if not isinstance(edge, GraphQLObjectType):
        return [f"{connection}'s edges are not objects"]
    problems = []
    node = edge.fields.get("node")
    if node is None or not isinstance(
        get_named_type(node.type), GraphQLObjectType | GraphQLInterfaceType
    ):
        problems.append(f"{edge.name}.node is not an object")
    cursor = edge.fields.get("cursor")
    if cursor is None or not (
        is_non_null_type(cursor.type) and str(get_nullable_type(cursor.type)) == "String"
    ):
        problems.append(f"{edge.name}.cursor is not String!")
    return problems


def connection_fields(schema: GraphQLSchema) -> list[tuple[str, str, GraphQLField]]:
    found = []
    for named in schema.type_map.values():
        if isinstance(named, GraphQLObjectType | GraphQLInterfaceType):
            for name, field in named.fields.items():
                if get_named_type(field.type).name.endswith("Connection"):
                    found.append((named.name, name, field))
    return found


def test_every_connection_of_the_sdl_follows_the_relay_rules() -> None:
    schema = sdl_schema()

    assert len(connection_fields(schema)) >= 7
    assert connection_violations(schema) == []


def test_the_rules_catch_a_connection_that_breaks_them() -> None:
    sdl = schema_export.SCHEMA_FILE.read_text(encoding="utf-8")
    broken = sdl.replace("startCursor: String", "startCursor: Int") + (
        "\ntype StaleConnection {\n  nodes: [Int!]!\n  pageInfo: PageInfo\n}\n"
        "extend type Query {\n  stale(first: Int): StaleConnection!\n}\n"
    )

    problems = connection_violations(build_schema(broken))

    assert "StaleConnection.edges is not a list" in problems
    assert "StaleConnection.pageInfo is not PageInfo!" in problems
    assert "Query.stale(last: Int) is missing" in problems
    assert "Query.stale(before: String) is missing" in problems
    assert any(problem.startswith("PageInfo is") for problem in problems)


STATIONS = """
query($first: Int, $after: String, $last: Int, $before: String) {
  stations(first: $first, after: $after, last: $last, before: $before) {
    totalCount
    edges { cursor node { code } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}
"""


async def stations(client: httpx.AsyncClient, **arguments: Any) -> dict[str, Any]:
    page: dict[str, Any] = (await gql(client, STATIONS, arguments))["data"]["stations"]
    return page


def codes(page: dict[str, Any]) -> list[str]:
    return [edge["node"]["code"] for edge in page["edges"]]


async def test_stations_page_backward_from_the_end_without_overlap_or_gap(
    client: httpx.AsyncClient,
) -> None:
    net = await make_network(stations=7)
    everything = [station.code for station in net.stations]

    # When a client reads the last three, then the three before those, and so on
    pages = [await stations(client, last=3)]
    while pages[-1]["pageInfo"]["hasPreviousPage"]:
        pages.append(await stations(client, last=3, before=pages[-1]["pageInfo"]["startCursor"]))

    # Then it has read everything once, each page in list order
    assert [codes(page) for page in pages] == [everything[4:], everything[1:4], everything[:1]]
    assert [page["totalCount"] for page in pages] == [7, 7, 7]
    first_page, *_, last_page = pages
    assert first_page["pageInfo"]["hasNextPage"] is False  # nothing after the end
    assert last_page["pageInfo"]["hasNextPage"] is True  # the pages read before follow it
    assert last_page["pageInfo"]["startCursor"] == last_page["edges"][0]["cursor"]
    assert last_page["pageInfo"]["endCursor"] == last_page["edges"][-1]["cursor"]


async def test_a_forward_page_after_a_cursor_knows_items_come_before_it(
    client: httpx.AsyncClient,
) -> None:
    net = await make_network(stations=5)
    start = await stations(client, first=2)

    second = await stations(client, first=2, after=start["pageInfo"]["endCursor"])
    between = await stations(
        client, after=start["edges"][0]["cursor"], before=second["edges"][-1]["cursor"]
    )

    assert start["pageInfo"]["hasPreviousPage"] is False
    assert second["pageInfo"] | {"startCursor": None, "endCursor": None} == {
        "hasNextPage": True,
        "hasPreviousPage": True,
        "startCursor": None,
        "endCursor": None,
    }
    assert codes(second) == [s.code for s in net.stations[2:4]]
    # after and before together: the items strictly between the two cursors
    assert codes(between) == [s.code for s in net.stations[1:3]]


async def test_my_orders_page_backward_from_the_oldest(client: httpx.AsyncClient) -> None:
    shop = await make_shop()
    placed = [await place(shop, lines={"RICE": n}) for n in (1, 2, 3, 4)]
    query = """query($last: Int, $before: String) {
      myOrders(last: $last, before: $before) {
        nodes { number } pageInfo { hasNextPage hasPreviousPage startCursor }
      }
    }"""
    token = token_for(shop.buyer)

    oldest = (await gql(client, query, {"last": 2}, token=token))["data"]["myOrders"]
    newer = (
        await gql(
            client, query, {"last": 2, "before": oldest["pageInfo"]["startCursor"]}, token=token
        )
    )["data"]["myOrders"]

    # Newest first, so the end of the list is the oldest orders, still shown newest first
    assert [n["number"] for n in oldest["nodes"]] == [placed[1].number, placed[0].number]
    assert [n["number"] for n in newer["nodes"]] == [placed[3].number, placed[2].number]
    assert oldest["pageInfo"]["hasPreviousPage"] is True
    assert newer["pageInfo"]["hasPreviousPage"] is False
    assert newer["pageInfo"]["hasNextPage"] is True


@pytest.mark.parametrize(
    ("arguments", "words"),
    [
        ("first: 2, last: 2", "pass first or last, not both"),
        ("last: -1", "last must not be negative"),
        ("last: 101", "last is at most 100"),
        ('last: 2, before: "nonsense"', "is not a valid id"),
    ],
)
async def test_bad_paging_arguments_are_refused_as_bad_input(
    client: httpx.AsyncClient, arguments: str, words: str
) -> None:
    body = await gql(client, f"{{ stations({arguments}) {{ totalCount }} }}", expect_errors=True)

    (error,) = body["errors"]
    assert error["extensions"]["code"] == "INVALID_INPUT"
    assert words in error["message"]
    assert body["data"] is None  # `stations` is public and non-null: the whole request fails


async def test_one_field_that_needs_a_viewer_does_not_blank_the_page(
    client: httpx.AsyncClient,
) -> None:
    await make_network(stations=2)

    body = await gql(
        client,
        "{ routes { code } myOrders(first: 1) { totalCount } myPurchases { totalCount }"
        " myLedger { totalCount } }",
        expect_errors=True,
    )

    assert body["data"] == {
        "routes": [{"code": "R1"}],
        "myOrders": None,
        "myPurchases": None,
        "myLedger": None,
    }
    assert sorted((e["path"][0], e["extensions"]["code"]) for e in body["errors"]) == [
        ("myLedger", "UNAUTHENTICATED"),
        ("myOrders", "UNAUTHENTICATED"),
        ("myPurchases", "UNAUTHENTICATED"),
    ]


async def test_staff_reports_fail_alone_for_a_buyer(client: httpx.AsyncClient) -> None:
    shop = await make_shop()
    trip_id = to_global_id("Trip", shop.trip.id)
    query = """query($trip: ID!, $station: ID!) {
      trip(id: $trip) { status }
      pickList(tripId: $trip) { orderCount }
      loadingPlan(tripId: $trip) { fullestLeg { seq } }
      stationManifest(tripId: $trip, stationId: $station) { stopSeq }
      networkStats(from: "2026-01-01", to: "2026-01-02") { totals { orders } }
      statements(from: "2026-01-01", to: "2026-01-02") { dueFen }
    }"""
    variables = {"trip": trip_id, "station": to_global_id("Station", shop.station(1).id)}

    body = await gql(client, query, variables, token=token_for(shop.buyer), expect_errors=True)

    assert body["data"]["trip"] == {"status": "SCHEDULED"}
    assert {k: v for k, v in body["data"].items() if k != "trip"} == dict.fromkeys(
        ("pickList", "loadingPlan", "stationManifest", "networkStats", "statements")
    )
    assert {e["extensions"]["code"] for e in body["errors"]} == {"NOT_ALLOWED"}


NODE = """query($id: ID!) {
  node(id: $id) {
    __typename id
    ... on TripStop { seq isHub }
    ... on Leg { seq capacity { weightG } }
    ... on DeliveryEvent { kind topic order { number } }
  }
}"""


async def test_trip_stops_and_legs_have_global_ids_that_node_resolves(
    client: httpx.AsyncClient,
) -> None:
    shop = await make_shop(stations=2)
    trip = await gql(
        client,
        "query($id: ID!) { trip(id: $id) { stops { id seq } legs { id seq } } }",
        {"id": to_global_id("Trip", shop.trip.id)},
    )
    stops, legs = trip["data"]["trip"]["stops"], trip["data"]["trip"]["legs"]

    # Then every stop and leg has its own id, and node(id) gives the same object back, to
    # anyone (as the trip itself)
    stop_rows = await TripStop.filter(trip_id=shop.trip.id).order_by("seq")
    leg_rows = await Leg.filter(trip_id=shop.trip.id).order_by("seq")
    assert [s["id"] for s in stops] == [to_global_id("TripStop", row.id) for row in stop_rows]
    assert [leg["id"] for leg in legs] == [to_global_id("Leg", row.id) for row in leg_rows]
    seen_stop = await gql(client, NODE, {"id": stops[1]["id"]})
    seen_leg = await gql(client, NODE, {"id": legs[0]["id"]})
    assert seen_stop["data"]["node"] == {
        "__typename": "TripStop",
        "id": stops[1]["id"],
        "seq": 1,
        "isHub": False,
    }
    assert seen_leg["data"]["node"] == {
        "__typename": "Leg",
        "id": legs[0]["id"],
        "seq": 0,
        "capacity": {"weightG": 1_000_000},
    }
    missing = await gql(client, NODE, {"id": to_global_id("Leg", 999_999)})
    assert missing["data"]["node"] is None


async def test_a_delivery_event_is_a_node_for_those_who_may_follow_it(
    client: httpx.AsyncClient,
) -> None:
    shop = await make_shop()
    order: Order = await place(shop, station=2)
    event = await Event.filter(order_id=order.id).order_by("id").first()
    assert event is not None
    event_id = to_global_id("DeliveryEvent", event.id)
    leader = await make_leader(shop.station(2))
    stranger = await make_user(Role.BUYER)

    async def look(token: str | None) -> Any:
        return (await gql(client, NODE, {"id": event_id}, token=token))["data"]["node"]

    mine = await look(token_for(shop.buyer))
    assert mine == {
        "__typename": "DeliveryEvent",
        "id": event_id,
        "kind": event.kind,
        "topic": f"user:{shop.buyer.id}",
        "order": {"number": order.number},
    }
    # the station's leader sees it on the stream they may follow
    assert (await look(token_for(leader)))["topic"] in (
        f"order:{order.id}",
        f"station:{shop.station(2).id}",
    )
    assert await look(token_for(stranger)) is None
    assert await look(None) is None


API_DOC = Path(__file__).resolve().parents[1] / "docs" / "API.md"


def value_types(schema: GraphQLSchema) -> set[str]:
    """The object types a normalized cache cannot identify: no `id` (mutation payloads,
    connections and edges aside, which clients never cache on their own)."""
    roots = {"Query", "Mutation", "Subscription"}
    return {
        name
        for name, named in schema.type_map.items()
        if isinstance(named, GraphQLObjectType)
        and not name.startswith("__")
        and name not in roots
        and "id" not in named.fields
        and not name.endswith(("Payload", "Connection", "Edge"))
    }


def test_every_object_without_an_id_is_documented_as_a_value_type() -> None:
    schema = sdl_schema()
    found = value_types(schema)

    undocumented = [
        name for name in found if "value type" not in (schema.type_map[name].description or "")
    ]
    section = API_DOC.read_text(encoding="utf-8").split("**Value types**", 1)[1].split("\n\n", 1)[0]
    listed = set(re.findall(r"`([A-Z]\w+)`", section))

    assert {"Load", "Utilization", "Timetable", "PageInfo"} <= found
    assert sorted(undocumented) == []
    assert sorted(found - listed) == [], "list them under **Value types** in docs/API.md"
    assert sorted(listed - found) == []


def test_every_object_with_an_id_is_a_node() -> None:
    schema = sdl_schema()
    node = schema.get_type("Node")

    with_ids = [
        named
        for named in schema.type_map.values()
        if isinstance(named, GraphQLObjectType) and "id" in named.fields
    ]

    assert {"Trip", "TripStop", "Leg", "DeliveryEvent"} <= {t.name for t in with_ids}
    # Payment and Notification are not Nodes (node(id) does not resolve them); their global
    # ids still key them in a client cache.
    assert sorted(t.name for t in with_ids if node not in t.interfaces) == [
        "Notification",
        "Payment",
    ]
