"""The upstream queries load relations through DataLoaders: the number of SQL statements
depends on a query's shape, not on how many listings, requests or purchases it returns."""

from __future__ import annotations

import datetime as dt

import httpx

from builders import gql, make_network, schedule, token_for
from builders_produce import buy, make_buyer, make_farmer, make_listing, pin_clock, sql_statements
from cungoods.models import ProduceOffer, ProduceRequest, User

LISTINGS = """
{ produceListings(first: 50) {
    totalCount nodes { title remaining farmer { name } station { name township leader { name } } }
} }
"""
REQUESTS = """
{ produceRequests(first: 50) {
    nodes {
      what buyer { name }
      offers { quantity farmer { name } listing { title station { name } } }
    }
} }
"""
PURCHASES = """
{ myPurchases(first: 50) {
    nodes {
      number status collectCode buyer { name } station { name }
      listing { title farmer { name } } trip { serviceDate route { code } }
      load { weightG } history { status at }
    }
} }
"""


async def statements(client: httpx.AsyncClient, query: str, user: User | None = None) -> int:
    token = token_for(user) if user else None
    with sql_statements() as sent:
        await gql(client, query, token=token)
    return len(sent)


async def add_market(farmers: int, buyer: User, client: httpx.AsyncClient) -> None:
    """`farmers` new farmers on a new route, each with a listing the buyer bought from and an
    offer on the buyer's request."""
    today = pin_clock("05:00")
    net = await make_network(code=f"R{farmers}", stations=farmers)
    await schedule(net)
    request = await ProduceRequest.create(
        buyer=buyer,
        what="土鸡蛋",
        quantity=1000,
        max_price_fen=900,
        needed_by=today + dt.timedelta(days=3),
    )
    for station in net.stations:
        farmer = await make_farmer(station)
        listing = await make_listing(farmer)
        await ProduceOffer.create(
            request=request,
            farmer=farmer,
            listing=listing,
            quantity=10,
            price_fen=800,
            ready_on=today,
        )
        assert (await buy(client, buyer, listing, 2))["errors"] == []


async def test_upstream_queries_cost_the_same_for_two_or_six_of_everything(
    client: httpx.AsyncClient,
) -> None:
    buyer = await make_buyer()
    await add_market(2, buyer, client)
    few = [await statements(client, q, buyer) for q in (LISTINGS, REQUESTS, PURCHASES)]

    await add_market(4, buyer, client)
    many = [await statements(client, q, buyer) for q in (LISTINGS, REQUESTS, PURCHASES)]

    assert many == few
    assert all(3 <= count <= 12 for count in few), few
