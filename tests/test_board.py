"""The dispatch board (issue 8) in a real browser: headless Chromium (Debian's package) driven by
Playwright, against a real server of the app on a demo county in a temporary SQLite database.

A dispatcher signs in and sees the six routes of a service day; a buyer's order and the driver's
departure, both made through the API, move a leg's bar and the bus on the open page, without a
reload; a station leader signs in on a phone and hands the order out against its pickup code, and
takes in a farmer's produce. Screenshots go to artifacts/board/ (not committed).

Runs wherever /usr/bin/chromium exists; skipped without it, except in CI (CI=true), where a
missing browser fails the run.
"""

from __future__ import annotations

import datetime as dt
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from cungoods.config import Settings
from cungoods.web.board_routes import board_config

CHROMIUM = Path("/usr/bin/chromium")
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
ROOT = Path(__file__).resolve().parents[1]
SHOTS = ROOT / "artifacts" / "board"
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DISPATCHER = "13800000001"
DEMO_PASSWORD = "demo-pass"
TIMEOUT_MS = 15_000

if not CHROMIUM.exists() and not IN_CI:
    pytest.skip(f"{CHROMIUM} is missing (apt-get install chromium)", allow_module_level=True)
if not CHROMIUM.exists():
    pytest.fail(f"{CHROMIUM} is missing: .ci/run must install chromium", pytrace=False)


@pytest.fixture(autouse=True)
def clean() -> Iterator[None]:
    """Replaces the conftest's database reset: this test runs its own server and database (on
    SQLite only, once, whatever the backends of the session)."""
    yield


# --- the server -----------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`cungoods serve` on a free port: migrates, seeds the demo county, serves /board."""
    workdir = tmp_path_factory.mktemp("board")
    port = _free_port()
    env = {key: value for key, value in os.environ.items() if not key.startswith("CUNGOODS_")}
    env |= {
        "CUNGOODS_DATABASE_URL": f"sqlite://{workdir / 'db.sqlite3'}",
        "CUNGOODS_DEMO": "1",
        # The first open window's day may be two local days ahead (the evening's cutoff has
        # passed): let its trip run now.
        "CUNGOODS_TRIP_EVENTS_EARLY_HOURS": "72",
        "CUNGOODS_LOG_JSON": "false",
        "CUNGOODS_LOG_LEVEL": "WARNING",
    }
    log_path = workdir / "server.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "cungoods.cli", "serve", "--port", str(port)],
            cwd=workdir,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                raise AssertionError(f"the server exited:\n{log_path.read_text()}")
            try:
                if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise AssertionError(f"the server did not come up:\n{log_path.read_text()}")
            time.sleep(0.2)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Debian's Chromium, headless; Playwright downloads nothing."""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A fresh page (its own storage: nobody signed in) on a desk-sized screen. A script error
    on the page fails the test."""
    context = browser.new_context(viewport={"width": 1440, "height": 900}, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    expect.set_options(timeout=TIMEOUT_MS)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        yield page
    finally:
        context.close()
    assert errors == [], errors


class Api:
    """GraphQL over HTTP against the served app, as each person (by demo phone)."""

    def __init__(self, url: str) -> None:
        self.url = f"{url}/graphql"
        self.tokens: dict[str, str] = {}

    def as_(self, phone: str, query: str, **variables: Any) -> dict[str, Any]:
        if phone not in self.tokens:
            login = self.call(
                None,
                "mutation($i: LoginInput!) { login(input: $i) { token errors { code } } }",
                i={"phone": phone, "password": DEMO_PASSWORD},
            )["login"]
            assert login["errors"] == [], login
            self.tokens[phone] = login["token"]
        return self.call(self.tokens[phone], query, **variables)

    def call(self, token: str | None, query: str, **variables: Any) -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        body = httpx.post(
            self.url, json={"query": query, "variables": variables}, headers=headers, timeout=30
        ).json()
        assert "errors" not in body, body
        return body["data"]

    def mutate(self, phone: str, field: str, query: str, **variables: Any) -> dict[str, Any]:
        payload = self.as_(phone, query, **variables)[field]
        assert payload["errors"] == [], payload
        return payload


WINDOWS = "{ openSaleWindows { serviceDate } }"
DAY = """query($d: Date!) {
  trips(date: $d) {
    id route { code } driver { phone }
    stops { seq station { id name leader { phone } } }
  }
}"""
ITEMS = """query($d: Date!) {
  saleWindow(serviceDate: $d) {
    items { id stock remaining product { id name weightG temperature } }
  }
}"""
PLACE_ORDER = """mutation($i: PlaceOrderInput!) {
  placeOrder(input: $i) { order { id number pickupCode } errors { code message } }
}"""
OPEN_WINDOW = """mutation($i: OpenSaleWindowInput!) {
  openSaleWindow(input: $i) { saleWindow { cutoffAt } errors { code message } }
}"""
RUN_CUTOFF = """mutation($i: RunCutoffInput!) {
  runCutoff(input: $i) { saleWindow { cutoffDoneAt } errors { code message } }
}"""
TRIP_EVENT = """mutation($i: RecordTripEventInput!) {
  recordTripEvent(input: $i) { trip { status } errors { code message } }
}"""
ORDER = "query($id: ID!) { order(id: $id) { status } }"


def shot(page: Page, name: str, selector: str | None = None) -> None:
    """Save what the page (or one part of it) shows now, for people to look at."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = str(SHOTS / f"{name}.png")
    if selector:
        page.locator(selector).screenshot(path=path)
    else:
        page.screenshot(path=path, full_page=True)


def sign_in(page: Page, phone: str) -> None:
    page.fill("#phone", phone)
    page.fill("#password", DEMO_PASSWORD)
    page.click("#login button[type=submit]")
    expect(page.locator("#who-name")).to_be_visible()


def choose_date(page: Page, selector: str, date: str) -> None:
    page.fill(selector, date)
    expect(page.locator(selector)).to_have_value(date)


def leg_figures(page: Page, card: str, leg: int) -> dict[str, Any]:
    """What a trip card shows for one leg: its table row and its bar in the chart."""
    return page.evaluate(
        """([card, leg]) => {
          const root = document.querySelector(card);
          const row = root.querySelector(`table.legs tr[data-leg="${leg}"]`);
          const chart = Chart.getChart(root.querySelector("canvas"));
          return {
            downG: Number(row.dataset.downG),
            chartDownKg: chart.data.datasets[0].data[leg],
            chartRoomKg: chart.data.datasets[2].data[leg],
          };
        }""",
        [card, leg],
    )


# --- the tests ------------------------------------------------------------------------------


def test_the_board_is_served_with_its_pieces_and_a_demo_hint(server: str) -> None:
    # When the board and its files are asked for
    page = httpx.get(f"{server}/board", follow_redirects=True, timeout=10)
    config = httpx.get(f"{server}/board/config.json", timeout=10).json()

    # Then the page, its scripts and the vendored libraries come from the same server
    assert page.status_code == 200
    assert "村货看板" in page.text
    for path in ("app.js", "style.css", "vendor/graphql-ws.min.js", "vendor/chart.umd.min.js"):
        assert httpx.get(f"{server}/board/{path}", timeout=10).status_code == 200, path
    licences = httpx.get(f"{server}/board/vendor/LICENSES.md", timeout=10).text
    assert "graphql-ws" in licences and "Chart.js" in licences
    # And in demo mode the page may offer the demo accounts, in the service time zone
    assert config["demo"] is True
    assert config["timeZone"] == "Asia/Shanghai"
    assert config["demoAccounts"]["dispatcher"] == DISPATCHER


def test_outside_demo_mode_the_page_offers_no_accounts() -> None:
    production = Settings(env="production", demo=True, time_zone="UTC")
    assert board_config(production) == {"timeZone": "UTC", "demo": False}


def test_a_dispatcher_watches_the_day_live_and_a_leader_hands_an_order_out(
    server: str, page: Page
) -> None:
    api = Api(server)
    # Given the first service date still taking orders, and route R1's first station on it
    day = api.as_(DISPATCHER, WINDOWS)["openSaleWindows"][0]["serviceDate"]
    trips = api.as_(DISPATCHER, DAY, d=day)["trips"]
    assert len(trips) == 6
    r1 = next(trip for trip in trips if trip["route"]["code"] == "R1")
    first = next(stop for stop in r1["stops"] if stop["seq"] == 1)
    station, leader = first["station"], first["station"]["leader"]["phone"]
    driver = r1["driver"]["phone"]
    items = api.as_(DISPATCHER, ITEMS, d=day)["saleWindow"]["items"]
    goods = max(
        (i for i in items if i["product"]["temperature"] == "AMBIENT" and i["remaining"] >= 10),
        key=lambda i: i["product"]["weightG"],
    )
    r6 = next(trip for trip in trips if trip["route"]["code"] == "R6")
    card = f'article.trip[data-trip-id="{r1["id"]}"]'
    r6_card = f'article.trip[data-trip-id="{r6["id"]}"]'

    # When the dispatcher signs in (the demo hint shows the account) and picks the date
    page.goto(f"{server}/board/")
    expect(page.locator("#demo-hint")).to_contain_text(DISPATCHER)
    shot(page, "01-sign-in")
    sign_in(page, DISPATCHER)
    choose_date(page, "#dispatch-date", day)

    # Then every route of the day is drawn, each bus waiting at the hub
    expect(page.locator("article.trip")).to_have_count(6)
    for code in ("R1", "R2", "R3", "R4", "R5", "R6"):
        expect(page.locator(f'article.trip[data-route="{code}"]')).to_have_count(1)
    expect(page.locator(f"{card} .bus")).to_have_attribute("data-where", "stop-0")
    assert leg_figures(page, card, 0)["downG"] == 0
    expect(page.locator("#live")).to_have_attribute("data-state", "connected")

    # When the dispatcher reports R6 running ten minutes late (through the API)
    api.mutate(
        DISPATCHER,
        "recordTripEvent",
        TRIP_EVENT,
        i={"tripId": r6["id"], "kind": "DELAYED", "minutes": 10},
    )
    # Then R6's card says so and its stops are expected later. (The page follows R6
    # last, after every station and trip: from here on it hears every event.)
    expect(page.locator(f"{r6_card} .delay")).to_contain_text("10")
    expect(page.locator(f"{r6_card} .stop time.late").first).to_be_visible()
    expect(page.locator("#feed [data-kind=TRIP_DELAYED]")).to_have_count(1)
    room_before = leg_figures(page, card, 0)["chartRoomKg"]

    # When a buyer orders ten of the heaviest goods to R1's first station (through the API)
    order = api.mutate(
        "13500000001",
        "placeOrder",
        PLACE_ORDER,
        i={
            "stationId": station["id"],
            "serviceDate": day,
            "lines": [{"saleItemId": goods["id"], "quantity": 10}],
            "idempotencyKey": "board-test-order",
        },
    )["order"]

    # Then the first leg's bar grows by that weight, without a reload
    weight = 10 * goods["product"]["weightG"]
    page.wait_for_function(
        """([card, weight]) => document.querySelector(
             `${card} table.legs tr[data-leg="0"]`)?.dataset.downG === String(weight)""",
        arg=[card, weight],
    )
    figures = leg_figures(page, card, 0)
    assert figures["chartDownKg"] == pytest.approx(weight / 1000)
    assert figures["chartRoomKg"] == pytest.approx(room_before - weight / 1000)
    # ... it is the fullest leg now, and the feed tells of the order
    expect(page.locator(f"{card} .load-head .fullest")).to_have_attribute("data-leg", "0")
    expect(page.locator("#feed [data-kind=ORDER_PLACED]")).to_have_count(1)

    # Given ordering for the day closes (the dispatcher brings the cutoff forward)
    cutoff = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=2)
    api.mutate(
        DISPATCHER,
        "openSaleWindow",
        OPEN_WINDOW,
        i={
            "serviceDate": day,
            "cutoffAt": cutoff.isoformat(),
            "items": [{"productId": goods["product"]["id"], "stock": goods["stock"]}],
        },
    )
    time.sleep(max(0.0, (cutoff - dt.datetime.now(dt.UTC)).total_seconds()) + 0.3)
    api.mutate(DISPATCHER, "runCutoff", RUN_CUTOFF, i={"serviceDate": day})

    # When the dispatcher opens R1's pick list and loading plan
    # Then the order's goods are to be picked, in one crate for the first station
    page.click(f"{card} .plans-btn")
    expect(page.locator("#plans .pick-list")).to_contain_text(goods["product"]["name"])
    expect(page.locator("#plans .loading-steps li")).to_have_count(1)
    expect(page.locator("#plans .loading-steps")).to_contain_text(station["name"])
    shot(page, "02-pick-and-load", "#plans")
    # and the pick list prints from the board: a page with a QR label for that crate
    with page.expect_popup() as opened:
        page.click('#plans [data-sheet$="pick-list.html"]')
    sheet = opened.value
    sheet.wait_for_load_state()
    expect(sheet.locator(".label")).to_have_count(1)
    expect(sheet.locator(".label")).to_contain_text(station["name"])
    expect(sheet.locator(".label svg")).to_have_count(1)
    sheet.close()

    # When R1's driver reports the departure from the hub (through the API)
    api.mutate(driver, "recordTripEvent", TRIP_EVENT, i={"tripId": r1["id"], "kind": "DEPARTED"})

    # Then the bus moves onto the first leg and the trip is on the road
    expect(page.locator(f"{card} .bus")).to_have_attribute("data-where", "leg-0")
    expect(page.locator(card)).to_have_attribute("data-status", "IN_PROGRESS")
    expect(page.locator("#feed [data-kind=TRIP_DEPARTED]")).to_have_count(1)

    # When it arrives at the first station
    api.mutate(
        driver,
        "recordTripEvent",
        TRIP_EVENT,
        i={"tripId": r1["id"], "kind": "ARRIVED", "stopSeq": 1},
    )
    expect(page.locator(f"{card} .bus")).to_have_attribute("data-where", "stop-1")
    shot(page, "03-dispatcher-live")
    # (and the same board on a phone: one column, the route line scrolled to the bus)
    page.set_viewport_size({"width": 390, "height": 844})
    expect(page.locator(f"{card} .bus")).to_be_in_viewport()
    shot(page, "04-dispatcher-phone")

    # When the station's leader signs in on a phone and picks the day
    page.click("#sign-out")
    sign_in(page, leader)
    choose_date(page, "#station-date", day)

    # Then the bus is shown at the station and the order waits to be handed out
    trip_card = page.locator(f'article.station-trip[data-trip-id="{r1["id"]}"]')
    expect(trip_card.locator(".arrival-line")).to_have_attribute("data-state", "here")
    row = trip_card.locator(f'tr[data-order="{order["number"]}"]')
    expect(row).to_have_attribute("data-status", "AT_STATION")
    shot(page, "05-leader-phone")

    # When the leader types a wrong code, it is refused and nothing changes
    row.locator("input[name=pickupCode]").fill(
        "000000" if order["pickupCode"] != "000000" else "111111"
    )
    row.locator("button[type=submit]").click()
    expect(row.locator(".form-message.error")).to_have_attribute("data-code", "WRONG_CODE")
    assert api.as_("13500000001", ORDER, id=order["id"])["order"]["status"] == "AT_STATION"

    # When the leader confirms the buyer's pickup code
    row.locator("input[name=pickupCode]").fill(order["pickupCode"])
    row.locator("button[type=submit]").click()

    # Then the order is picked up, on the page and on the server
    expect(trip_card.locator(f'tr[data-order="{order["number"]}"]')).to_have_attribute(
        "data-status", "PICKED_UP"
    )
    assert api.as_("13500000001", ORDER, id=order["id"])["order"]["status"] == "PICKED_UP"
    expect(page.locator("#station-feed [data-kind=ORDER_PICKED_UP]")).to_have_count(1)
    shot(page, "06-leader-picked-up")


BUY_PRODUCE = """mutation($i: BuyProduceInput!) {
  buyProduce(input: $i) {
    purchase { id number quantity trip { id serviceDate } station { id } }
    errors { code message }
  }
}"""
LISTINGS = "{ produceListings(first: 1) { edges { node { id title } } } }"
LEADER_OF = "query($id: ID!) { node(id: $id) { ... on Station { leader { phone } } } }"
PURCHASE = "query($id: ID!) { node(id: $id) { ... on ProducePurchase { status } } }"


def test_a_leader_takes_in_a_farmers_produce_on_a_phone(server: str, page: Page) -> None:
    api = Api(server)
    # Given a buyer bought produce that a farmer hands over at their station
    listing = api.as_("13500000002", LISTINGS)["produceListings"]["edges"][0]["node"]
    purchase = api.mutate(
        "13500000002",
        "buyProduce",
        BUY_PRODUCE,
        i={"listingId": listing["id"], "quantity": 3, "idempotencyKey": "board-test-buy"},
    )["purchase"]
    leader = api.as_(DISPATCHER, LEADER_OF, id=purchase["station"]["id"])["node"]["leader"]

    # When the station's leader signs in on a phone and picks the day of the bus
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{server}/board/")
    sign_in(page, leader["phone"])
    choose_date(page, "#station-date", purchase["trip"]["serviceDate"])

    # Then the produce waits to be taken in
    card = page.locator(f'article.station-trip[data-trip-id="{purchase["trip"]["id"]}"]')
    row = card.locator(f'tr[data-purchase="{purchase["number"]}"]')
    expect(row).to_have_attribute("data-status", "RESERVED")
    expect(row).to_contain_text(listing["title"])

    # When the leader confirms the farmer handed all of it over
    expect(row.locator("input[name=quantity]")).to_have_value("3")
    row.locator("button[type=submit]").click()

    # Then it is handed over, on the page and on the server
    expect(card.locator(f'tr[data-purchase="{purchase["number"]}"]')).to_have_attribute(
        "data-status", "HANDED_OVER"
    )
    status = api.as_("13500000002", PURCHASE, id=purchase["id"])["node"]["status"]
    assert status == "HANDED_OVER"
    shot(page, "07-leader-handover")
