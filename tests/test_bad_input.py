"""Issue 16, items 1, 4 and 5: every bad input from outside gets a clear error (INVALID_INPUT, or a
GraphQL validation error with a message), never INTERNAL or an HTTP 500; nothing is stored; and
no request, not even the heaviest search allowed, holds up the event loop."""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import json
from typing import Any

import asyncpg
import httpx
import pytest
from graphql import parse
from tortoise import connections

from builders import gql, make_network, make_user, token_for
from builders_orders import SERVICE_DATE, before_cutoff, make_product
from builders_produce import make_farmer, make_listing
from cungoods.api.extensions.cost import SEARCH_TERM_COST, query_cost
from cungoods.api.ids import to_global_id
from cungoods.api.schema import build_schema
from cungoods.api.transport.http_view import MAX_JSON_DEPTH, GraphQLView, json_depth
from cungoods.config import Settings
from cungoods.models import ProduceListing, SaleItem, SaleWindow, Trip, User
from cungoods.models.enums import Role
from cungoods.services import catalog, clock
from cungoods.services.orders import placing


def codes(body: dict[str, Any]) -> list[str | None]:
    return [(e.get("extensions") or {}).get("code") for e in body.get("errors", [])]


def raw_id(text: str) -> str:
    """A global id of any text (what a client could forge)."""
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


async def ask(
    client: httpx.AsyncClient, query: str, variables: dict[str, Any] | None = None, **kw: Any
) -> dict[str, Any]:
    """Any answer but a 500 or an INTERNAL error; the body."""
    body = await gql(client, query, variables, expect_errors=True, **kw)
    assert "INTERNAL" not in codes(body), body
    return body


def payload_errors(body: dict[str, Any], field: str) -> list[tuple[str, list[str] | None]]:
    assert "errors" not in body, body
    return [(e["code"], e["field"]) for e in body["data"][field]["errors"]]


LISTINGS = """query($t: String) { produceListings(filter: {text: $t}) { nodes { title } } }"""


# --- 1. search ---------------------------------------------------------------------------------


async def test_a_search_of_eight_words_in_64_characters_runs(client: httpx.AsyncClient) -> None:
    # Given a listing of new rice
    net = await make_network()
    farmer = await make_farmer(net.stations[0])
    await make_listing(farmer, title="新米 高山 稻花香", description="农户自产 当季")
    # When a buyer searches with the most words allowed
    body = await ask(client, LISTINGS, {"t": "新米 高山 稻花香 农户 自产 当季 新 米"})
    # Then it is found
    assert body["data"]["produceListings"]["nodes"] == [{"title": "新米 高山 稻花香"}]


@pytest.mark.parametrize(
    "text", ["米 " * 9, "米" * 65, "米 " * 900], ids=["9 words", "65 chars", "900 words"]
)
async def test_a_longer_search_is_invalid_input(client: httpx.AsyncClient, text: str) -> None:
    body = await ask(client, LISTINGS, {"t": text})
    assert codes(body) == ["INVALID_INPUT"]
    assert body["errors"][0]["path"] == ["produceListings"]


async def test_nine_hundred_words_aliased_thirty_times_is_refused_before_it_runs(
    client: httpx.AsyncClient,
) -> None:
    # The request: 8 KB of "米 " in 30 aliases. The cost counts the words now.
    fields = " ".join(
        f"a{i}: produceListings(filter: {{text: $t}}) {{ nodes {{ title }} }}" for i in range(30)
    )
    body = await ask(client, f"query($t: String) {{ {fields} }}", {"t": "米 " * 900})
    assert codes(body) == ["QUERY_TOO_COSTLY"]
    assert "data" not in body or body["data"] is None


def test_search_words_count_in_the_query_cost() -> None:
    built = build_schema(Settings(demo=False, secret_key="s" * 32))._schema
    document = parse(LISTINGS)

    def cost(text: str | None) -> int:
        return query_cost(
            built, document, variables={"t": text}, operation_name=None, max_page_size=100
        )

    assert cost(None) == 1 + 20
    assert cost("椪柑") == 1 + SEARCH_TERM_COST + 20
    assert cost("椪柑 油茶 新米") == 1 + 3 * SEARCH_TERM_COST + 20
    assert cost("米 " * 900) == 1 + 8 * SEARCH_TERM_COST + 20  # the resolver refuses the rest


@pytest.mark.parametrize(
    ("query", "variables"),
    [
        ("query($v: String) { stations(township: $v) { totalCount } }", {"v": "镇" * 51}),
        ("query($v: String) { stations(search: $v) { totalCount } }", {"v": "村" * 65}),
        ("query($v: String) { products(category: $v) { totalCount } }", {"v": "类" * 33}),
        ("query($v: String) { products(search: $v) { totalCount } }", {"v": "米" * 65}),
        (
            "query($v: String) { produceListings(filter: {category: $v}) { totalCount } }",
            {"v": "类" * 33},
        ),
        (
            "query($v: String) { produceListings(filter: {township: $v}) { totalCount } }",
            {"v": "镇" * 51},
        ),
    ],
    ids=[
        "township",
        "station search",
        "category",
        "product search",
        "listing category",
        "listing township",
    ],
)
async def test_a_filter_longer_than_its_column_is_invalid_input(
    client: httpx.AsyncClient, query: str, variables: dict[str, Any]
) -> None:
    body = await ask(client, query, variables)
    assert codes(body) == ["INVALID_INPUT"], body


async def _lock_listings(url_client: Any) -> asyncpg.Connection:
    holder = await asyncpg.connect(
        host=url_client.host,
        port=url_client.port,
        user=url_client.user,
        password=url_client.password,
        database=url_client.database,
    )
    await holder.execute("BEGIN")
    await holder.execute('LOCK TABLE "produce_listing" IN ACCESS EXCLUSIVE MODE')
    return holder


@pytest.mark.pg_only
async def test_a_trivial_request_completes_while_the_heaviest_allowed_search_runs(
    client: httpx.AsyncClient,
) -> None:
    # Given listings, and the heaviest search the budget allows: 8 words in 64 characters, in
    # as many aliases as fit under the cost limit (22 × 221 = 4862)
    net = await make_network()
    farmer = await make_farmer(net.stations[0])
    for n in range(5):
        await make_listing(farmer, title=f"新米{n} 高山 稻花香")
    words = "新米 高山 稻花香 农户 自产 当季 新 "
    text = words + "米" * (64 - len(words))
    assert len(text) == 64
    fields = " ".join(
        f"a{i}: produceListings(filter: {{text: $t}}) {{ nodes {{ title }} }}" for i in range(22)
    )
    heavy = f"query($t: String) {{ {fields} }}"
    db: Any = connections.get("default")
    holder = await _lock_listings(db)
    try:
        # When the search is in flight, provably inside the database (waiting on the table)
        search = asyncio.ensure_future(ask(client, heavy, {"t": text}))
        for _ in range(2000):
            waiting = await holder.fetchval(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()"
            )
            if waiting:
                break
            assert not search.done(), search.result()
            await asyncio.sleep(0.005)
        assert waiting, "the search never reached the database"
        # Then a trivial request is answered while the search is still running
        trivial = await ask(client, "{ __typename }")
        assert trivial["data"] == {"__typename": "Query"} and "errors" not in trivial
        assert not search.done()
    finally:
        await holder.execute("ROLLBACK")
        await holder.close()
    # And the search then completes, every alias answered
    body = await search
    assert "errors" not in body, body
    assert len(body["data"]) == 22


# --- 2. overflow -------------------------------------------------------------------------------


async def test_a_sale_price_past_what_an_order_total_can_hold_is_refused_and_nothing_stored(
    client: httpx.AsyncClient,
) -> None:
    # Given a product and a dispatcher, the morning before the service date
    before_cutoff()
    rice = await make_product("RICE")
    dispatcher = await make_user(Role.DISPATCHER)
    mutation = """mutation($in: OpenSaleWindowInput!) { openSaleWindow(input: $in) {
        saleWindow { id } errors { code field } } }"""
    item = {"productId": to_global_id("Product", rice.id), "stock": 100}
    # When the price is 2147483647 fen (the probe)
    body = await ask(
        client,
        mutation,
        {
            "in": {
                "serviceDate": SERVICE_DATE.isoformat(),
                "items": [{**item, "priceFen": 2_147_483_647}],
            }
        },
        token=token_for(dispatcher),
    )
    # Then it is INVALID_INPUT at the price, and no window or item was stored
    assert payload_errors(body, "openSaleWindow") == [("INVALID_INPUT", ["items", "0", "priceFen"])]
    assert await SaleWindow.all().count() == 0
    assert await SaleItem.all().count() == 0
    # And the largest price allowed opens the window
    body = await ask(
        client,
        mutation,
        {
            "in": {
                "serviceDate": SERVICE_DATE.isoformat(),
                "items": [{**item, "priceFen": catalog.MAX_PRICE_FEN}],
            }
        },
        token=token_for(dispatcher),
    )
    assert payload_errors(body, "openSaleWindow") == []


def test_the_largest_order_at_the_largest_price_fits_a_graphql_int() -> None:
    assert catalog.MAX_PRICE_FEN * placing.MAX_LINES * placing.MAX_QUANTITY <= 2**31 - 1
    assert catalog.MAX_STOCK <= 2**31 - 1


# --- 3. ids, strings, dates, nesting, transports -----------------------------------------------

ORDER = "query($id: ID!) { order(id: $id) { number } }"


@pytest.mark.parametrize(
    "text",
    [
        "Order:2147483648",
        "Order:9223372036854775808",
        "Order:٣",
        "Order:+3",
        "Order: 3",
        "Order:03",
        "Order:1_0",
        "Order:3\x00",
    ],
    ids=["2^31", "2^63", "arabic-indic", "plus", "space", "leading zero", "underscore", "nul"],
)
async def test_an_id_out_of_range_or_not_in_ascii_digits_is_invalid_input(
    client: httpx.AsyncClient, text: str
) -> None:
    buyer = await make_user(Role.BUYER)
    body = await ask(client, ORDER, {"id": raw_id(text)}, token=token_for(buyer))
    assert codes(body) == ["INVALID_INPUT"], body
    # node() answers too (null or INVALID_INPUT), and so does a cursor
    node = await ask(client, "query($id: ID!) { node(id: $id) { id } }", {"id": raw_id(text)})
    assert node.get("data") is None or node["data"]["node"] is None
    cursor = raw_id(text.replace("Order", "cursor"))
    page = await ask(
        client, "query($c: String) { stations(after: $c) { totalCount } }", {"c": cursor}
    )
    assert codes(page) == ["INVALID_INPUT"]


async def test_a_mutation_on_an_id_past_2_31_is_a_user_error(client: httpx.AsyncClient) -> None:
    buyer = await make_user(Role.BUYER)
    body = await ask(
        client,
        "mutation($id: ID!) { cancelOrder(input: {orderId: $id}) { errors { code field } } }",
        {"id": raw_id("Order:2147483648")},
        token=token_for(buyer),
    )
    assert payload_errors(body, "cancelOrder") == [("INVALID_INPUT", ["orderId"])]


REGISTER = """mutation($name: String!) { register(input: {phone: "13512345678",
    password: "long-enough", name: $name, role: BUYER}) { token errors { code } } }"""


async def test_a_nul_in_a_variable_is_refused_and_nothing_stored(
    client: httpx.AsyncClient,
) -> None:
    body = await ask(client, REGISTER, {"name": "俞\x00林英"})
    assert codes(body) == ["INVALID_INPUT"]
    assert "NUL" in body["errors"][0]["message"]
    assert body["errors"][0]["extensions"]["field"] == "$name"
    assert await User.all().count() == 0


@pytest.mark.parametrize(
    "query",
    [
        '{ produceListings(filter: {text: "米\\u0000"}) { totalCount } }',
        '{ stations(township: "\\u0000") { totalCount } }',
        'mutation { placeOrder(input: {stationId: "x", serviceDate: "2026-11-30", lines: [],'
        ' idempotencyKey: "k\\u0000"}) { errors { code } } }',
    ],
    ids=["search", "township", "idempotency key"],
)
async def test_a_nul_in_a_literal_is_refused(client: httpx.AsyncClient, query: str) -> None:
    body = await ask(client, query)
    assert "INVALID_INPUT" in codes(body), body
    assert body.get("data") is None


async def test_nested_input_with_nul_anywhere_is_refused(client: httpx.AsyncClient) -> None:
    body = await ask(
        client,
        "mutation($in: PlaceOrderInput!) { placeOrder(input: $in) { errors { code } } }",
        {
            "in": {
                "stationId": "x",
                "serviceDate": "2026-11-30",
                "lines": [{"saleItemId": "y\x00", "quantity": 1}],
            }
        },
    )
    assert codes(body) == ["INVALID_INPUT"]
    assert body["errors"][0]["extensions"]["field"] == "$in.lines.0.saleItemId"


@pytest.mark.parametrize(
    "value",
    [
        "20261204",
        "2026-1-04",
        "٢٠٢٦-12-04",
        "2026-12-04T00:00",
        "9999-12-25",
        "0001-01-01",
        "2026-02-30",
    ],
)
async def test_only_iso_dates_in_a_sane_range_are_dates(
    client: httpx.AsyncClient, value: str
) -> None:
    body = await ask(client, "query($d: Date!) { trips(date: $d) { id } }", {"d": value})
    assert body.get("data") is None
    assert "Date" in body["errors"][0]["message"]
    literal = await ask(client, f'{{ trips(date: "{value}") {{ id }} }}')
    assert literal.get("data") is None


async def test_capacity_outlook_from_year_9999_is_a_validation_error(
    client: httpx.AsyncClient,
) -> None:
    net = await make_network()
    body = await ask(
        client,
        'query($s: ID!) { capacityOutlook(stationId: $s, from: "9999-12-25", days: 14) { date } }',
        {"s": to_global_id("Station", net.stations[0].id)},
    )
    assert body.get("data") is None
    assert "Date" in body["errors"][0]["message"]


SCHEDULE = """mutation($from: Date!, $to: Date!) { scheduleTrips(input: {routeCode: "R1",
    from: $from, to: $to}) { trips { id } errors { code field } } }"""


@pytest.mark.parametrize("year", ["0001", "9999"])
async def test_schedule_trips_from_year_1_or_9999_is_refused(
    client: httpx.AsyncClient, year: str
) -> None:
    await make_network()
    dispatcher = await make_user(Role.DISPATCHER)
    body = await ask(
        client,
        SCHEDULE,
        {"from": f"{year}-01-01", "to": f"{year}-01-02"},
        token=token_for(dispatcher),
    )
    assert body.get("data") is None and "Date" in body["errors"][0]["message"]
    assert await Trip.all().count() == 0


async def test_schedule_trips_years_away_is_invalid_input(client: httpx.AsyncClient) -> None:
    await make_network()
    dispatcher = await make_user(Role.DISPATCHER)
    far = clock.today() + dt.timedelta(days=6 * 366)
    body = await ask(
        client,
        SCHEDULE,
        {"from": far.isoformat(), "to": far.isoformat()},
        token=token_for(dispatcher),
    )
    assert payload_errors(body, "scheduleTrips") == [("INVALID_INPUT", ["from"])]
    assert await Trip.all().count() == 0


async def test_open_sale_window_in_year_9999_is_refused(client: httpx.AsyncClient) -> None:
    rice = await make_product("RICE")
    dispatcher = await make_user(Role.DISPATCHER)
    body = await ask(
        client,
        """mutation($in: OpenSaleWindowInput!) { openSaleWindow(input: $in) {
            errors { code } } }""",
        {
            "in": {
                "serviceDate": "9999-12-31",
                "items": [{"productId": to_global_id("Product", rice.id), "stock": 1}],
            }
        },
        token=token_for(dispatcher),
    )
    assert body.get("data") is None and "Date" in body["errors"][0]["message"]
    assert await SaleWindow.all().count() == 0


async def test_variables_nested_1000_deep_are_a_400_not_a_500(client: httpx.AsyncClient) -> None:
    text = '{"query": "query($v: [Int]) { __typename }", "variables": {"v": '
    text += "[" * 1000 + "1" + "]" * 1000 + "}}"
    response = await client.post(
        "/graphql", content=text, headers={"content-type": "application/json"}
    )
    assert response.status_code == 400
    assert "nested" in response.json()["errors"][0]["message"]
    # GET's variables too
    response = await client.get(
        "/graphql", params={"query": "{ __typename }", "variables": "[" * 1000 + "]" * 1000}
    )
    assert response.status_code == 400


def test_the_json_depth_is_counted_without_parsing_and_ignores_brackets_in_strings() -> None:
    assert json_depth('{"a": [1, {"b": "[[[[{{{{"}]}') == 3
    assert json_depth('"\\"[[["') == 0
    assert json_depth("[" * 100_000) == MAX_JSON_DEPTH + 1  # stops counting
    view = GraphQLView.__new__(GraphQLView)
    assert view.decode_json(json.dumps({"a": [[1]]})) == {"a": [[1]]}
    # A WebSocket message goes through the same decode_json: a JSONDecodeError there is
    # strawberry's 4400 close for a message that does not parse, not a dropped socket.
    with pytest.raises(json.JSONDecodeError):
        view.decode_json("[" * 1000 + "]" * 1000)


async def test_a_subscription_over_http_is_a_clear_400(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/graphql",
        json={"query": 'subscription { tripUpdates(tripId: "VHJpcDox") { id } }'},
    )
    assert response.status_code == 400
    assert "WebSocket" in response.json()["errors"][0]["message"]


async def test_the_listing_filter_still_takes_stripped_exact_values(
    client: httpx.AsyncClient,
) -> None:
    net = await make_network()
    farmer = await make_farmer(net.stations[0])
    await make_listing(farmer, category="水果")
    body = await ask(
        client, 'query { produceListings(filter: {category: " 水果 "}) { totalCount } }'
    )
    assert body["data"]["produceListings"]["totalCount"] == 1
    assert await ProduceListing.all().count() == 1
