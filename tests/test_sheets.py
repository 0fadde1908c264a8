"""Printable hub and station sheets (issue 15): the pick list, the loading plan, a station's
manifest and a statement at /sheets/..., as CSV and as a print page with a QR code per crate,
for exactly the viewers of the GraphQL fields and with the same figures."""

from __future__ import annotations

import csv
import io
import re

import httpx
import pytest
from tortoise.transactions import in_transaction

from builders import make_user, token_for
from builders_dispatch import Scene, make_scene
from cungoods.api.ids import to_global_id
from cungoods.models import ProduceListing, Product, Station, User
from cungoods.models.enums import Role
from cungoods.services import clock, dispatch, sheets
from cungoods.services.auth import Viewer
from cungoods.services.money import commission, settlement


def auth(user: User) -> dict[str, str]:
    return {"Authorization": f"Bearer {token_for(user)}"}


def rows_of(body: bytes) -> list[list[str]]:
    text = body.decode("utf-8")
    assert text.startswith("\ufeff")  # spreadsheet programs read UTF-8 Chinese by the BOM
    return list(csv.reader(io.StringIO(text[1:])))


def crates_in(page: str) -> list[str]:
    return re.findall(r'data-crate="([^"]+)"', page)


async def test_the_pick_list_sheet_has_the_pick_lists_units_and_a_label_per_crate(
    client: httpx.AsyncClient,
) -> None:
    scene = await make_scene()
    plan = await dispatch.pick_list(viewer=scene.dispatcher, trip_id=scene.trip.id)
    products = {p.id: p for p in await Product.all()}
    trip = to_global_id("Trip", scene.trip.id)

    as_csv = await client.get(
        f"/sheets/trips/{trip}/pick-list.csv", headers=auth(scene.shop.dispatcher)
    )
    page = await client.get(
        f"/sheets/trips/{scene.trip.id}/pick-list.html", headers=auth(scene.shop.dispatcher)
    )

    assert as_csv.status_code == 200 and as_csv.headers["content-type"].startswith("text/csv")
    assert as_csv.headers["cache-control"] == "no-store"
    rows = rows_of(as_csv.content)
    header = rows.index(["SKU", "商品 Product", "数量 Units", "单位 Unit", "订单 Orders", "kg"])
    listed = {row[0]: int(row[2]) for row in rows[header + 1 : header + 1 + len(plan.totals)]}
    assert listed == {products[t.product_id].sku: t.quantity for t in plan.totals}
    # one label per crate: trip, stop and temperature class name it, the station is on it
    codes = [
        f"CG-T{scene.trip.id}-S{crate.stop_seq}-{crate.temperature.value[0]}"
        for crate in plan.crates
    ]
    crate_rows = rows[
        rows.index(["crate", "station", "trip", "stop", "temperature", "units", "kg"]) + 1 :
    ]
    assert [row[0] for row in crate_rows] == codes
    assert [int(row[5]) for row in crate_rows] == [crate.units for crate in plan.crates]
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert crates_in(page.text) == codes
    assert page.text.count("<svg") == len(codes)  # a QR code on every label
    station = await Station.get(id=plan.crates[0].station_id)
    assert f"{station.code} {station.name}" in page.text


async def test_a_qr_code_says_crate_station_and_trip() -> None:
    tag = sheets.CrateTag(
        code="CG-T7-S2-C",
        trip_id=7,
        stop_seq=2,
        station_code="QJ-017",
        station_name="湖南镇",
        temperature=sheets.Temperature.CHILLED,
        units=3,
        weight_g=1500,
    )
    assert tag.payload == "CG-T7-S2-C|station=QJ-017|trip=7"


async def test_the_loading_plan_sheet_goes_last_stop_first_for_the_driver(
    client: httpx.AsyncClient,
) -> None:
    scene = await make_scene()

    driver = await client.get(
        f"/sheets/trips/{scene.trip.id}/loading-plan.csv", headers=auth(scene.shop.net.driver)
    )
    refused = await client.get(
        f"/sheets/trips/{scene.trip.id}/pick-list.csv", headers=auth(scene.shop.net.driver)
    )

    assert driver.status_code == 200
    rows = rows_of(driver.content)
    steps = rows[3 : rows.index([])]  # the crate list follows after an empty row
    stops = [int(row[3]) for row in steps]
    assert stops == sorted(stops, reverse=True) and stops
    assert [int(row[0]) for row in steps] == list(range(1, len(steps) + 1))
    # the driver may load the bus but the pick list is the hub's
    assert refused.status_code == 403
    assert refused.json()["errors"][0]["extensions"]["code"] == "NOT_ALLOWED"


async def manifest_as(
    client: httpx.AsyncClient, scene: Scene, user: User, seq: int
) -> httpx.Response:
    station_id = scene.shop.station(seq).id
    return await client.get(
        f"/sheets/trips/{scene.trip.id}/stations/{station_id}/manifest.csv", headers=auth(user)
    )


async def test_a_manifest_shows_pickup_codes_to_its_leader_only(client: httpx.AsyncClient) -> None:
    scene = await make_scene()
    order = scene.orders["B"]  # 3 rice to station 3

    leader = await manifest_as(client, scene, scene.leaders[3], 3)
    dispatcher = await manifest_as(client, scene, scene.shop.dispatcher, 3)
    other_leader = await manifest_as(client, scene, scene.leaders[1], 3)

    assert leader.status_code == 200 and dispatcher.status_code == 200
    by_number = {row[1]: row for row in rows_of(leader.content) if row and row[0] == "送 hand out"}
    assert by_number[order.number][3] == order.pickup_code
    assert by_number[order.number][7] == f"CG-T{scene.trip.id}-S3-A"
    shown = {row[1]: row for row in rows_of(dispatcher.content) if row and row[0] == "送 hand out"}
    assert shown[order.number][3] == ""  # dispatchers never hand goods out
    assert other_leader.status_code == 403


async def test_who_may_not_see_a_sheet_gets_a_clear_status(client: httpx.AsyncClient) -> None:
    scene = await make_scene()
    buyer = scene.shop.buyer
    trip = scene.trip.id

    anonymous = await client.get(f"/sheets/trips/{trip}/pick-list.csv")
    bad_token = await client.get(
        f"/sheets/trips/{trip}/pick-list.csv", headers={"Authorization": "Bearer nonsense"}
    )
    as_buyer = await client.get(f"/sheets/trips/{trip}/loading-plan.html", headers=auth(buyer))
    unknown = await client.get(
        "/sheets/trips/999999/pick-list.csv", headers=auth(scene.shop.dispatcher)
    )
    garbage = await client.get(
        "/sheets/trips/%00%ff'--/pick-list.csv", headers=auth(scene.shop.dispatcher)
    )
    huge = await client.get(
        f"/sheets/trips/{'9' * 40}/pick-list.csv", headers=auth(scene.shop.dispatcher)
    )
    wrong_type = await client.get(
        f"/sheets/trips/{to_global_id('Station', trip)}/pick-list.csv",
        headers=auth(scene.shop.dispatcher),
    )
    pdf = await client.get(
        f"/sheets/trips/{trip}/pick-list.pdf", headers=auth(scene.shop.dispatcher)
    )

    assert (anonymous.status_code, bad_token.status_code, as_buyer.status_code) == (401, 401, 403)
    assert anonymous.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    for response in (unknown, garbage, huge, wrong_type, pdf):
        assert response.status_code == 404, response.text
        assert response.json()["errors"][0]["extensions"]["code"] == "NOT_FOUND"


async def test_a_statement_sheet_is_its_partys_and_the_dispatchers(
    client: httpx.AsyncClient,
) -> None:
    dispatcher = await make_user(Role.DISPATCHER)
    leader = await make_user(Role.LEADER)
    someone = await make_user(Role.LEADER)
    async with in_transaction():
        await commission.accrue(leader_id=leader.id, amount_fen=480)
        await commission.accrue(leader_id=leader.id, amount_fen=320)
    today = clock.today()
    [made] = await settlement.settle(viewer=Viewer.of(dispatcher), start=today, end=today)
    path = f"/sheets/statements/{to_global_id('Statement', made.id)}"

    own = await client.get(f"{path}.csv", headers=auth(leader))
    hub = await client.get(f"{path}.html", headers=auth(dispatcher))
    other = await client.get(f"{path}.csv", headers=auth(someone))

    assert own.status_code == 200 and hub.status_code == 200
    rows = rows_of(own.content)
    amounts = [row[3] for row in rows if len(row) > 3 and row[1] == "COMMISSION"]
    assert amounts == ["4.80", "3.20"]
    assert rows[-1][2:4] == ["应付 Due", "8.00"]
    assert "应付 Due" in hub.text and "8.00" in hub.text
    assert other.status_code == 403


@pytest.mark.parametrize("title", ['=HYPERLINK("http://127.0.0.1/x")', "+1+1", "@SUM(A1)", "-2+3"])
async def test_a_cell_a_spreadsheet_would_run_is_written_as_text(
    client: httpx.AsyncClient, title: str
) -> None:
    scene = await make_scene()
    listing = await ProduceListing.get(id=scene.listings["P1"].id)  # taken in at station 4
    await ProduceListing.filter(id=listing.id).update(title=title)

    response = await manifest_as(client, scene, scene.leaders[4], 4)
    page = await client.get(
        f"/sheets/trips/{scene.trip.id}/stations/{scene.shop.station(4).id}/manifest.html",
        headers=auth(scene.leaders[4]),
    )

    taken_in = [row for row in rows_of(response.content) if row and row[0] == "收 take in"]
    assert "'" + title in [row[4] for row in taken_in]
    assert "<script" not in page.text.lower()


async def test_titles_are_escaped_on_the_print_page(client: httpx.AsyncClient) -> None:
    scene = await make_scene()
    await ProduceListing.filter(id=scene.listings["P1"].id).update(
        title="<script>alert(1)</script>"
    )

    page = await client.get(
        f"/sheets/trips/{scene.trip.id}/stations/{scene.shop.station(4).id}/manifest.html",
        headers=auth(scene.leaders[4]),
    )

    assert page.status_code == 200
    assert "<script>" not in page.text and "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text
