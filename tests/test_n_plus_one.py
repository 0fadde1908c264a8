"""No N+1: relations load through DataLoaders, so the number of SQL statements a query runs
depends on its shape, not on how many routes, trips or stops it returns."""

from __future__ import annotations

import httpx

import builders_orders
from builders import gql, make_network, schedule, token_for
from builders_live import statements
from cungoods.models import Hub

TRIPS_WITH_STOPS_AND_LEGS = """
query($date: Date!) {
  trips(date: $date) {
    stops { station { name } }
    legs { used { weightG } }
  }
}
"""
EVERYTHING_ABOUT_TRIPS = """
query($date: Date!) {
  trips(date: $date) {
    id status
    route { code hub { name } stops { seq station { name } } }
    vehicle { plate capacity { weightG } }
    driver { name }
    stops { seq plannedAt station { name township leader { name } } }
    legs { seq capacity { weightG } used { weightG } down { weightG } up { weightG } }
    utilization { overall }
  }
}
"""
ROUTES = "{ routes { code hub { name } vehicle { plate } stops { station { name } } } }"
MY_ORDER_LINES = """
{ myOrders(first: 20) { edges { node { number lines { quantity product { name } } } } } }
"""


async def statements_for(client: httpx.AsyncClient, query: str, **variables: str) -> int:
    with statements() as sent:
        await gql(client, query, variables)
    return len(sent)


def touching(sent: list[str], table: str) -> list[str]:
    return [statement for statement in sent if f'"{table}"' in statement]


async def add_routes(codes: list[str], hub: Hub) -> None:
    """Routes of 4 villages each from `hub`, with today's trip scheduled."""
    for code in codes:
        await schedule(await make_network(code=code, stations=4, hub=hub))


async def test_trips_with_stops_and_legs_run_as_many_statements_for_6_routes_as_for_1(
    client: httpx.AsyncClient,
) -> None:
    # Given one route with today's trip
    first = await make_network(code="R1", stations=4)
    [trip] = await schedule(first)
    date = trip.service_date.isoformat()
    with_one = await statements_for(client, TRIPS_WITH_STOPS_AND_LEGS, date=date)

    # When five more routes run from the same hub today
    await add_routes(["R2", "R3", "R4", "R5", "R6"], first.hub)
    with statements() as sent:
        body = await gql(client, TRIPS_WITH_STOPS_AND_LEGS, {"date": date})

    # Then the same statements load six times the trips, stops and legs
    trips = body["data"]["trips"]
    assert len(trips) == 6
    assert all(len(t["stops"]) == 6 and len(t["legs"]) == 5 for t in trips)
    assert len({s["station"]["name"] for t in trips for s in t["stops"] if s["station"]}) == 24
    assert len(sent) == with_one, sent
    # one statement per level: trips, their stops with those stops' stations, their legs
    assert with_one == 3, sent


async def test_a_query_over_every_trip_relation_stays_constant(client: httpx.AsyncClient) -> None:
    first = await make_network(code="R1", stations=4)
    [trip] = await schedule(first)
    date = trip.service_date.isoformat()
    with_one = await statements_for(client, EVERYTHING_ABOUT_TRIPS, date=date)

    await add_routes(["R2", "R3", "R4", "R5", "R6"], first.hub)
    with_six = await statements_for(client, EVERYTHING_ABOUT_TRIPS, date=date)

    assert with_six == with_one


async def test_routes_with_their_stops_stay_constant(client: httpx.AsyncClient) -> None:
    first = await make_network(code="R1", stations=4)
    with_one = await statements_for(client, ROUTES)

    await add_routes(["R2", "R3", "R4", "R5", "R6"], first.hub)
    with_six = await statements_for(client, ROUTES)

    assert with_six == with_one


async def test_the_lines_of_every_order_and_their_products_come_in_one_statement(
    client: httpx.AsyncClient,
) -> None:
    # Given a villager with one order of one line
    shop = await builders_orders.make_shop()
    await builders_orders.place(shop, lines={"RICE": 2})
    token = token_for(shop.buyer)
    with statements() as one:
        first = await gql(client, MY_ORDER_LINES, token=token)

    # When she has placed three more, of three lines each
    for _ in range(3):
        await builders_orders.place(shop, lines={"RICE": 1, "FISH": 2, "DUMP": 3})
    with statements() as four:
        answer = await gql(client, MY_ORDER_LINES, token=token)

    # Then her orders show every line with its product
    orders = [edge["node"] for edge in answer["data"]["myOrders"]["edges"]]
    assert len(orders) == 4
    shown = sorted(
        sorted((line["product"]["name"], line["quantity"]) for line in order["lines"])
        for order in orders
    )
    assert shown == [[("本地晚稻米 1kg", 1), ("泥鳅", 2), ("速冻水饺 1kg", 3)]] * 3 + [
        [("本地晚稻米 1kg", 2)]
    ]
    assert first["data"]["myOrders"]["edges"][0]["node"]["lines"] == [
        {"quantity": 2, "product": {"name": "本地晚稻米 1kg"}}
    ]
    # and the lines, their sale items and products were read in one statement, both times
    for sent in (one, four):
        joined = touching(sent, "order_line")
        assert len(joined) == 1, sent
        assert '"sale_item"' in joined[0] and '"product"' in joined[0]
        assert touching(sent, "product") == joined
    assert len(four) == len(one)
