"""The catalog and sale windows: opening a window, what is open now, and the demo catalog."""

from __future__ import annotations

import datetime as dt

import httpx

from builders import gql, token_for
from builders_orders import (
    ORDER_DAY,
    SERVICE_DATE,
    make_product,
    make_shop,
    make_user,
    place,
    set_clock,
)
from cungoods.api.ids import to_global_id
from cungoods.models import Product, SaleItem, SaleWindow
from cungoods.models.enums import Role
from cungoods.seed import county_data
from cungoods.seed.catalog import seed_catalog
from cungoods.services import clock

OPEN = """
mutation($input: OpenSaleWindowInput!) {
  openSaleWindow(input: $input) {
    saleWindow {
      serviceDate opensAt cutoffAt isOpen
      items { priceFen stock remaining product { sku } }
    }
    errors { code message field }
  }
}
"""
OPEN_NOW = """
{ openSaleWindows { serviceDate cutoffAt items { id priceFen stock remaining
    product { sku name unit temperature weightG } } } }
"""


async def test_a_dispatcher_opens_tomorrows_window_with_default_times(
    client: httpx.AsyncClient,
) -> None:
    set_clock(ORDER_DAY, "08:00")
    dispatcher = await make_user(Role.DISPATCHER)
    rice = await make_product("RICE", price_fen=890)
    eggs = await make_product("EGG", price_fen=2590, unit="盒")
    items = [
        {"productId": to_global_id("Product", rice.id), "stock": 40},
        {"productId": to_global_id("Product", eggs.id), "stock": 120, "priceFen": 2290},
    ]

    body = await gql(
        client,
        OPEN,
        {"input": {"serviceDate": "2026-11-30", "items": items}},
        token=token_for(dispatcher),
    )

    result = body["data"]["openSaleWindow"]
    assert result["errors"] == []
    window = result["saleWindow"]
    # Cutoff 21:00 the evening before, open since the cutoff of the day before that.
    assert window["cutoffAt"] == "2026-11-29T21:00:00+08:00"
    assert window["opensAt"] == "2026-11-28T21:00:00+08:00"
    assert window["isOpen"] is True
    assert [(i["product"]["sku"], i["priceFen"], i["remaining"]) for i in window["items"]] == [
        ("RICE", 890, 40),
        ("EGG", 2290, 120),
    ]
    open_now = (await gql(client, OPEN_NOW))["data"]["openSaleWindows"]
    assert [w["serviceDate"] for w in open_now] == ["2026-11-30"]
    assert open_now[0]["items"][0]["product"]["weightG"] == 1000


async def test_opening_a_window_checks_who_and_what(client: httpx.AsyncClient) -> None:
    set_clock(ORDER_DAY, "08:00")
    dispatcher = await make_user(Role.DISPATCHER)
    buyer = await make_user(Role.BUYER)
    rice = await make_product("RICE")
    rice_id = to_global_id("Product", rice.id)

    def data(**fields: object) -> dict[str, object]:
        return {"serviceDate": "2026-11-30", "items": [{"productId": rice_id, "stock": 5}]} | fields

    cases = [
        (buyer, data(), [("NOT_ALLOWED", None)]),
        (dispatcher, data(items=[]), [("INVALID_INPUT", ["items"])]),
        (
            dispatcher,
            data(items=[{"productId": rice_id, "stock": -1}, {"productId": rice_id, "stock": 1}]),
            [
                ("INVALID_INPUT", ["items", "0", "stock"]),
                ("INVALID_INPUT", ["items", "1", "productId"]),
            ],
        ),
        (
            dispatcher,
            data(items=[{"productId": to_global_id("Product", 999), "stock": 1}]),
            [("NOT_FOUND", ["items", "0", "productId"])],
        ),
        (dispatcher, data(cutoffAt="2026-11-29T07:00:00+08:00"), [("INVALID_INPUT", ["cutoffAt"])]),
        (dispatcher, data(cutoffAt="2026-11-30T08:00:00"), [("INVALID_INPUT", ["cutoffAt"])]),
        (
            dispatcher,
            data(opensAt="2026-11-29T22:00:00", cutoffAt="2026-11-29T20:00:00"),
            [("INVALID_INPUT", ["opensAt"])],
        ),
    ]
    for who, fields, expected in cases:
        body = await gql(client, OPEN, {"input": fields}, token=token_for(who))
        result = body["data"]["openSaleWindow"]
        assert result["saleWindow"] is None, fields
        assert [(e["code"], e["field"]) for e in result["errors"]] == expected, fields
    assert await SaleWindow.all().count() == 0


async def test_reopening_changes_stock_but_never_below_what_is_sold(
    client: httpx.AsyncClient,
) -> None:
    shop = await make_shop(stock=10)
    await place(shop, lines={"RICE": 4})
    rice = shop.item("RICE")
    fish = shop.item("FISH")
    token = token_for(shop.dispatcher)

    def change(stock: int) -> dict[str, object]:
        return {
            "serviceDate": "2026-11-30",
            "cutoffAt": "2026-11-29T20:00:00+08:00",
            "items": [
                {"productId": to_global_id("Product", rice.product_id), "stock": stock},
                {"productId": to_global_id("Product", fish.product_id), "stock": 30},
            ],
        }

    too_low = (await gql(client, OPEN, {"input": change(3)}, token=token))["data"]
    raised = (await gql(client, OPEN, {"input": change(20)}, token=token))["data"]

    [error] = too_low["openSaleWindow"]["errors"]
    assert (error["code"], error["field"]) == ("INVALID_INPUT", ["items", "0", "stock"])
    assert "4 already sold" in error["message"]
    assert raised["openSaleWindow"]["errors"] == []
    assert raised["openSaleWindow"]["saleWindow"]["cutoffAt"] == "2026-11-29T20:00:00+08:00"
    stored = {i.product_id: (i.stock, i.sold) for i in await SaleItem.all()}
    assert stored[rice.product_id] == (20, 4)
    assert stored[fish.product_id] == (30, 0)


async def test_only_windows_taking_orders_now_are_open(client: httpx.AsyncClient) -> None:
    shop = await make_shop()
    later = await SaleWindow.create(
        service_date=SERVICE_DATE + dt.timedelta(days=1),
        opens_at=clock.at(SERVICE_DATE - dt.timedelta(days=1), "21:00"),
        cutoff_at=clock.at(SERVICE_DATE, "21:00"),
    )

    set_clock(ORDER_DAY, "20:59")
    before = (await gql(client, OPEN_NOW))["data"]["openSaleWindows"]
    set_clock(ORDER_DAY, "21:00")
    after = (await gql(client, OPEN_NOW))["data"]["openSaleWindows"]

    assert [w["serviceDate"] for w in before] == ["2026-11-30"]
    assert [w["serviceDate"] for w in after] == [later.service_date.isoformat()]
    assert len(before[0]["items"]) == len(shop.items)


async def test_the_products_query_pages_and_filters(client: httpx.AsyncClient) -> None:
    await make_product("RICE", name="五常大米", category="粮油")
    await make_product("FISH", name="泥鳅", category="水产")
    await make_product("OIL", name="菜籽油", category="粮油")
    query = """
    query($c: String, $s: String) {
      products(first: 10, category: $c, search: $s) { totalCount nodes { sku } }
    }
    """

    grain = (await gql(client, query, {"c": "粮油"}))["data"]["products"]
    loach = (await gql(client, query, {"s": "泥鳅"}))["data"]["products"]

    assert [p["sku"] for p in grain["nodes"]] == ["RICE", "OIL"]
    assert grain["totalCount"] == 2
    assert [p["sku"] for p in loach["nodes"]] == ["FISH"]


async def test_the_demo_catalog_opens_the_coming_days_and_seeds_once() -> None:
    set_clock(ORDER_DAY, "10:00")

    await seed_catalog(days=8)
    products = await Product.all().count()
    windows = await SaleWindow.all().order_by("service_date")
    stock = sorted((i.window_id, i.product_id, i.stock) for i in await SaleItem.all())
    await seed_catalog(days=8)

    assert products == len(county_data.PRODUCTS) >= 40
    assert [w.service_date for w in windows] == [ORDER_DAY + dt.timedelta(days=n) for n in range(8)]
    assert len(stock) == 8 * products
    assert all(units > 0 for _, _, units in stock)
    # Exactly one window is open at any time: tomorrow's, until 21:00 tonight.
    open_now = [w for w in windows if w.opens_at <= clock.now() < w.cutoff_at]
    assert [w.service_date for w in open_now] == [SERVICE_DATE]
    # The second run changed nothing.
    assert await Product.all().count() == products
    assert await SaleWindow.all().count() == 8
    assert sorted((i.window_id, i.product_id, i.stock) for i in await SaleItem.all()) == stock
