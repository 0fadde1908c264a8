"""Listings: farmers list, change and close their produce; buyers find it, in Chinese."""

from __future__ import annotations

import datetime as dt
from typing import Any

import httpx
import pytest

from builders import gql, make_network, token_for
from builders_produce import (
    codes,
    gid,
    make_buyer,
    make_farmer,
    make_listing,
    make_person,
    pin_clock,
)
from cungoods.db import sql
from cungoods.models import ProduceListing, Station
from cungoods.models.enums import ListingStatus, Role
from cungoods.services import listings

LISTING_FIELDS = """
  id title category variety grade unit unitWeightG unitVolumeCm3 priceFen quantity sold remaining
  minQuantity readyFrom readyUntil temperature description photoUrls status
  farmer { name } station { code township }
"""
CREATE = f"""
mutation($input: CreateListingInput!) {{
  createListing(input: $input) {{ listing {{ {LISTING_FIELDS} }} errors {{ code message field }} }}
}}
"""
UPDATE = f"""
mutation($input: UpdateListingInput!) {{
  updateListing(input: $input) {{ listing {{ {LISTING_FIELDS} }} errors {{ code message field }} }}
}}
"""
CLOSE = """
mutation($input: CloseListingInput!) {
  closeListing(input: $input) { listing { id status } errors { code message field } }
}
"""
SEARCH = """
query($filter: ProduceListingFilter, $first: Int, $after: String) {
  produceListings(filter: $filter, first: $first, after: $after) {
    totalCount nodes { title } pageInfo { hasNextPage endCursor }
  }
}
"""


def listing_input(today: dt.date, **overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "title": "廿里黄山村 冷榨山茶油 2.5L",
        "category": "土特产",
        "variety": "油茶籽",
        "grade": "特级",
        "unit": "桶",
        "unitWeightG": 2400,
        "unitVolumeCm3": 3200,
        "priceFen": 26800,
        "quantity": 50,
        "minQuantity": 1,
        "readyFrom": today.isoformat(),
        "readyUntil": (today + dt.timedelta(days=14)).isoformat(),
        "temperature": "AMBIENT",
        "description": "合作社基地自产 物理压榨",
        "photoUrls": ["https://img.example.cn/oil.jpg"],
    }
    values.update(overrides)
    return values


async def create(client: httpx.AsyncClient, farmer: Any, **values: Any) -> dict[str, Any]:
    body = await gql(client, CREATE, {"input": values}, token=token_for(farmer))
    result: dict[str, Any] = body["data"]["createListing"]
    return result


async def search(client: httpx.AsyncClient, **criteria: Any) -> list[str]:
    body = await gql(client, SEARCH, {"filter": criteria})
    return sorted(node["title"] for node in body["data"]["produceListings"]["nodes"])


async def test_a_farmer_lists_camellia_oil_at_her_station(client: httpx.AsyncClient) -> None:
    today = pin_clock()
    net = await make_network(stations=2)
    farmer = await make_farmer(net.stations[1], name="毛彩凤")

    result = await create(client, farmer, **listing_input(today))

    assert result["errors"] == []
    listing = result["listing"]
    assert listing["title"] == "廿里黄山村 冷榨山茶油 2.5L"
    assert listing["farmer"]["name"] == "毛彩凤"
    assert listing["station"]["code"] == net.stations[1].code  # her own station by default
    assert (listing["quantity"], listing["sold"], listing["remaining"]) == (50, 0, 50)
    assert listing["status"] == "OPEN"
    assert listing["photoUrls"] == ["https://img.example.cn/oil.jpg"]
    stored = await ProduceListing.get()
    assert (stored.farmer_id, stored.unit_weight_g, stored.price_fen) == (farmer.id, 2400, 26800)


async def test_bad_listings_are_refused_with_the_field_and_store_nothing(
    client: httpx.AsyncClient,
) -> None:
    today = pin_clock()
    net = await make_network(stations=1)
    farmer = await make_farmer(net.stations[0])
    yesterday = (today - dt.timedelta(days=1)).isoformat()
    lonely = await Station.create(
        code="X1", name="不通车村", township="举村乡", village="不通车村", lat=29.1, lng=118.9
    )
    cases = [
        ({"title": "  "}, [("INVALID_INPUT", ["title"])]),
        ({"unitWeightG": 0}, [("INVALID_INPUT", ["unitWeightG"])]),
        (
            {"priceFen": -5, "quantity": 0},
            [("INVALID_INPUT", ["priceFen"]), ("INVALID_INPUT", ["quantity"])],
        ),
        ({"minQuantity": 51}, [("INVALID_INPUT", ["minQuantity"])]),
        ({"readyUntil": yesterday, "readyFrom": yesterday}, [("INVALID_INPUT", ["readyUntil"])]),
        (
            {
                "readyUntil": today.isoformat(),
                "readyFrom": (today + dt.timedelta(days=1)).isoformat(),
            },
            [("INVALID_INPUT", ["readyUntil"])],
        ),
        ({"photoUrls": ["ftp://x"]}, [("INVALID_INPUT", ["photoUrls"])]),
        ({"stationId": gid("Station", 999)}, [("NOT_FOUND", ["stationId"])]),
        ({"stationId": gid("Route", 1)}, [("INVALID_INPUT", ["stationId"])]),
        ({"stationId": gid("Station", lonely.id)}, [("STATION_NOT_SERVED", ["stationId"])]),
    ]
    for overrides, expected in cases:
        result = await create(client, farmer, **listing_input(today, **overrides))
        assert result["listing"] is None, overrides
        assert codes(result) == expected, overrides
    assert await ProduceListing.all().count() == 0


async def test_only_farmers_list_produce(client: httpx.AsyncClient) -> None:
    today = pin_clock()
    net = await make_network(stations=1)
    buyer = await make_person(Role.BUYER, station=net.stations[0])

    result = await create(client, buyer, **listing_input(today))
    anonymous = (await gql(client, CREATE, {"input": listing_input(today)}))["data"][
        "createListing"
    ]

    assert codes(result) == [("NOT_ALLOWED", None)]
    assert codes(anonymous) == [("UNAUTHENTICATED", None)]
    assert await ProduceListing.all().count() == 0


async def test_a_farmer_changes_her_listing_but_not_below_what_is_sold(
    client: httpx.AsyncClient,
) -> None:
    pin_clock()
    net = await make_network(stations=2)
    farmer = await make_farmer(net.stations[0])
    listing = await make_listing(farmer, quantity=100, sold=30)
    listing_id = gid("ProduceListing", listing.id)
    token = token_for(farmer)

    changed = (
        await gql(
            client,
            UPDATE,
            {
                "input": {
                    "listingId": listing_id,
                    "priceFen": 300,
                    "quantity": 80,
                    "stationId": gid("Station", net.stations[1].id),
                }
            },
            token=token,
        )
    )["data"]["updateListing"]
    too_low = (
        await gql(client, UPDATE, {"input": {"listingId": listing_id, "quantity": 29}}, token=token)
    )["data"]["updateListing"]

    assert changed["errors"] == []
    assert (changed["listing"]["priceFen"], changed["listing"]["remaining"]) == (300, 50)
    assert changed["listing"]["station"]["code"] == net.stations[1].code
    assert changed["listing"]["title"] == listing.title  # what was not given stays
    assert codes(too_low) == [("INVALID_INPUT", ["quantity"])]
    stored = await ProduceListing.get(id=listing.id)
    assert (stored.quantity, stored.sold, stored.price_fen) == (80, 30, 300)


async def test_only_the_owner_changes_or_closes_a_listing(client: httpx.AsyncClient) -> None:
    pin_clock()
    net = await make_network(stations=1)
    owner = await make_farmer(net.stations[0])
    neighbour = await make_farmer(net.stations[0], name="孟德华")
    listing = await make_listing(owner)
    listing_id = gid("ProduceListing", listing.id)

    update = (
        await gql(
            client,
            UPDATE,
            {"input": {"listingId": listing_id, "priceFen": 1}},
            token=token_for(neighbour),
        )
    )["data"]["updateListing"]
    close = (
        await gql(client, CLOSE, {"input": {"listingId": listing_id}}, token=token_for(neighbour))
    )["data"]["closeListing"]

    assert codes(update) == [("NOT_ALLOWED", None)]
    assert codes(close) == [("NOT_ALLOWED", None)]
    stored = await ProduceListing.get(id=listing.id)
    assert (stored.price_fen, stored.status) == (listing.price_fen, ListingStatus.OPEN)


async def test_a_closed_listing_leaves_the_market_and_cannot_be_changed(
    client: httpx.AsyncClient,
) -> None:
    pin_clock()
    net = await make_network(stations=1)
    farmer = await make_farmer(net.stations[0])
    listing = await make_listing(farmer)
    listing_id = gid("ProduceListing", listing.id)
    token = token_for(farmer)

    closed = (await gql(client, CLOSE, {"input": {"listingId": listing_id}}, token=token))["data"][
        "closeListing"
    ]
    again = (await gql(client, CLOSE, {"input": {"listingId": listing_id}}, token=token))["data"][
        "closeListing"
    ]
    update = (
        await gql(client, UPDATE, {"input": {"listingId": listing_id, "priceFen": 1}}, token=token)
    )["data"]["updateListing"]

    assert closed["listing"]["status"] == "CLOSED"
    assert again["errors"] == []  # closing twice is harmless
    assert codes(update) == [("INVALID_STATE", ["listingId"])]
    assert await search(client) == []
    assert await search(client, includeClosed=True) == [listing.title]


async def test_buyers_find_produce_by_chinese_text_category_township_station_and_date(
    client: httpx.AsyncClient,
) -> None:
    today = pin_clock()
    net = await make_network(stations=2)
    other = await Station.create(
        code="S9", name="黄山村服务站", township="廿里镇", village="黄山村", lat=29.0, lng=118.9
    )
    farmer = await make_farmer(net.stations[0])
    later = today + dt.timedelta(days=5)
    await make_listing(farmer, title="高山椪柑 10斤装", category="水果", variety="椪柑")
    await make_listing(
        farmer,
        title="冷榨山茶油",
        category="土特产",
        variety="油茶",
        description="黄山村油茶基地",
        station=other,
    )
    await make_listing(
        farmer,
        title="稻田泥鳅",
        category="水产",
        variety="泥鳅",
        ready_from=later,
        ready_until=later + dt.timedelta(days=3),
    )
    await make_listing(farmer, title="冬笋", category="蔬菜", description="岭洋高山 现挖冬笋")
    await make_listing(farmer, title="卖完的土鸡蛋", category="禽蛋", quantity=10, sold=10)
    await make_listing(
        farmer,
        title="过季桃子",
        category="水果",
        ready_from=today - dt.timedelta(days=9),
        ready_until=today - dt.timedelta(days=1),
    )

    assert await search(client, text="椪柑") == ["高山椪柑 10斤装"]
    assert await search(client, text="油茶") == ["冷榨山茶油"]  # in the variety
    assert await search(client, text="高山") == ["冬笋", "高山椪柑 10斤装"]  # title or description
    assert await search(client, text="高山　冬笋") == ["冬笋"]  # every word, full-width space
    assert await search(client, text="榴莲") == []
    assert await search(client, category="水果") == ["高山椪柑 10斤装"]
    assert await search(client, township="廿里镇") == ["冷榨山茶油"]
    assert await search(client, stationId=gid("Station", net.stations[0].id)) == [
        "冬笋",
        "稻田泥鳅",
        "高山椪柑 10斤装",
    ]
    assert await search(client, readyOn=later.isoformat()) == ["稻田泥鳅"]
    assert await search(client, farmerId=gid("User", farmer.id), includeClosed=True) == [
        "冬笋",
        "冷榨山茶油",
        "卖完的土鸡蛋",
        "稻田泥鳅",
        "过季桃子",
        "高山椪柑 10斤装",
    ]


async def test_listings_page_by_cursor(client: httpx.AsyncClient) -> None:
    pin_clock()
    net = await make_network(stations=1)
    farmer = await make_farmer(net.stations[0])
    for n in range(5):
        await make_listing(farmer, title=f"农家土鸡蛋 第{n}批")
    buyer = await make_buyer()

    first = (await gql(client, SEARCH, {"first": 3}, token=token_for(buyer)))["data"][
        "produceListings"
    ]
    rest = (await gql(client, SEARCH, {"first": 3, "after": first["pageInfo"]["endCursor"]}))[
        "data"
    ]["produceListings"]

    assert first["totalCount"] == 5
    assert [n["title"] for n in first["nodes"]] == [f"农家土鸡蛋 第{n}批" for n in range(3)]
    assert first["pageInfo"]["hasNextPage"] is True
    assert [n["title"] for n in rest["nodes"]] == ["农家土鸡蛋 第3批", "农家土鸡蛋 第4批"]
    assert rest["pageInfo"]["hasNextPage"] is False


async def test_on_sqlite_search_terms_of_three_characters_go_through_the_trigram_index(
    is_postgres: bool,
) -> None:
    # Given listings written through the ORM (the index is kept by triggers, whatever writes)
    if is_postgres:
        pytest.skip("PostgreSQL searches through its pg_trgm indexes (migration 0006)")
    farmer = await make_farmer((await make_network()).stations[0])
    oil = await make_listing(farmer, title="常山胡柚 Ponkan", description="农户自产")
    await make_listing(farmer, title="衢江土鸡蛋", description="散养")

    # When a listing's text changes, and the index is asked the way the search asks it
    await ProduceListing.filter(id=oil.id).update(title="衢州椪柑 Ponkan")
    by_index = await listings._fts_candidates(["椪柑p", "ponkan"])  # 3+ characters: indexed
    too_short = await listings._fts_candidates(["椪柑"])  # 2 characters: not indexable

    # Then the index has the new text (not the old), matches without regard to ASCII case, and
    # a short term falls back to the substring match alone
    assert await listings._fts_candidates(["常山胡柚"]) == []
    assert await listings._fts_candidates(["衢州椪柑"]) == [oil.id]
    assert by_index == [] and too_short is None
    assert await listings._fts_candidates(["PONKAN", "衢州椪"]) == [oil.id]
    assert await listings._fts_candidates(['"ponkan" OR x']) == []  # FTS5 syntax is literal text
    plan = await sql_plan(listings.FTS_SQL, '"ponkan"')
    assert any("produce_listing_fts" in step and "VIRTUAL TABLE INDEX" in step for step in plan)


async def sql_plan(statement: str, *args: str) -> list[str]:
    rows = await sql.fetch("EXPLAIN QUERY PLAN " + statement, *args)
    return [str(row["detail"]) for row in rows]
