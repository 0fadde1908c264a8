"""GraphiQL without internet (issue 15): the page at /graphql loads React, ReactDOM and GraphiQL
from the package (/graphiql/…), so a browser with every outside host blocked still renders it
and runs a query. `/` links what the server offers, and /schema.graphql is the SDL.

The browser part runs headless Chromium (Debian's package) through Playwright against a real
`cungoods serve`, as tests/test_board.py does; skipped without /usr/bin/chromium, except in CI.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from playwright.sync_api import Page, Route, expect, sync_playwright

from cungoods.config import Settings

CHROMIUM = Path("/usr/bin/chromium")
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
ROOT = Path(__file__).resolve().parents[1]
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
TIMEOUT_MS = 20_000
VENDORED = (
    "/graphiql/react.production.min.js",
    "/graphiql/react-dom.production.min.js",
    "/graphiql/graphiql.min.js",
    "/graphiql/graphiql.min.css",
)


@pytest.fixture(autouse=True)
def clean() -> Iterator[None]:
    """Replaces the conftest's database reset: these tests run their own server and database
    (or none)."""
    yield


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`cungoods serve` on a free port, on a demo county in a temporary SQLite file."""
    workdir = tmp_path_factory.mktemp("graphiql")
    port = _free_port()
    env = {key: value for key, value in os.environ.items() if not key.startswith("CUNGOODS_")}
    env |= {
        "CUNGOODS_DATABASE_URL": f"sqlite://{workdir / 'db.sqlite3'}",
        "CUNGOODS_DEMO": "1",
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


# --- over plain HTTP ------------------------------------------------------------------------


def test_the_front_door_links_graphiql_the_board_the_sdl_and_health(server: str) -> None:
    response = httpx.get(f"{server}/")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    for href in ("/graphql", "/board/", "/schema.graphql", "/healthz", "/readyz", "/metrics"):
        assert f'href="{href}"' in response.text, href
        assert httpx.get(f"{server}{href}", headers={"Accept": "text/html"}).status_code == 200


def test_the_sdl_is_the_exported_schema(server: str) -> None:
    response = httpx.get(f"{server}/schema.graphql")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    assert response.text == (ROOT / "schema" / "schema.graphql").read_text(encoding="utf-8")


def test_the_graphiql_page_loads_only_files_of_the_server(server: str) -> None:
    page = httpx.get(f"{server}/graphql", headers={"Accept": "text/html"})
    assert page.status_code == 200
    assert "https://" not in page.text.split("<script>")[0]  # no CDN in the head
    for path in VENDORED:
        assert f'"{path}"' in page.text, path
        response = httpx.get(f"{server}{path}")
        assert response.status_code == 200, path
        assert len(response.content) > 10_000, path


async def test_production_has_a_front_door_but_no_ide_and_no_sdl(settings: Settings) -> None:
    from cungoods.app import create_app

    app = create_app(settings.model_copy(update={"env": "production"}), manage_db=False)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as http:
        home = await http.get("/")
        assert home.status_code == 200
        assert 'href="/board/"' in home.text and 'href="/graphql"' not in home.text
        assert (await http.get("/schema.graphql")).status_code == 404
        assert (await http.get("/graphiql/graphiql.min.js")).status_code == 404


async def test_a_real_server_refuses_a_foreign_origin_socket_with_403(server: str) -> None:
    from websockets.asyncio.client import connect
    from websockets.exceptions import InvalidStatus

    ws_url = server.replace("http://", "ws://") + "/graphql"
    with pytest.raises(InvalidStatus) as refused:
        async with connect(
            ws_url, subprotocols=["graphql-transport-ws"], origin="https://evil.example"
        ):
            pass
    assert refused.value.response.status_code == 403
    async with connect(
        ws_url, subprotocols=["graphql-transport-ws"], origin="http://localhost:5173"
    ) as ws:
        await ws.send('{"type": "connection_init"}')
        assert "connection_ack" in str(await ws.recv())


# --- in a browser with the internet cut off ---------------------------------------------------


@pytest.fixture(scope="module")
def offline_page(server: str) -> Iterator[tuple[Page, list[str]]]:
    """A Chromium page that may reach 127.0.0.1 only: every other request is aborted (and
    recorded). A script error on the page fails the test."""
    if not CHROMIUM.exists():
        if IN_CI:
            pytest.fail(f"{CHROMIUM} is missing: .ci/run must install chromium", pytrace=False)
        pytest.skip(f"{CHROMIUM} is missing (apt-get install chromium)")
    outside: list[str] = []
    errors: list[str] = []

    def only_this_server(route: Route) -> None:
        if urlsplit(route.request.url).hostname == "127.0.0.1":
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(viewport={"width": 1280, "height": 800})
            context.route("**/*", only_this_server)
            page = context.new_page()
            page.set_default_timeout(TIMEOUT_MS)
            expect.set_options(timeout=TIMEOUT_MS)
            page.on("pageerror", lambda error: errors.append(str(error)))
            yield page, outside
            context.close()
        finally:
            browser.close()
    assert errors == [], errors


def test_graphiql_renders_and_runs_a_query_with_the_internet_cut_off(
    server: str, offline_page: tuple[Page, list[str]]
) -> None:
    page, outside = offline_page
    seen: list[str] = []
    page.on("request", lambda request: seen.append(request.url))

    # When the IDE is opened
    page.goto(f"{server}/graphql")

    # Then GraphiQL renders its editors (React and GraphiQL came from the server)
    editor = page.locator(".graphiql-query-editor .CodeMirror")
    expect(editor).to_be_visible()
    expect(page.locator(".graphiql-query-editor")).to_contain_text("routes")

    # And its Run button sends the starter query `{ routes { code } }` and shows the answer
    page.locator(".graphiql-execute-button").click()
    result = page.locator(".result-window")
    expect(result).to_contain_text('"code": "R1"')

    # And no request left this server, none was even tried
    assert outside == [], outside
    assert all(urlsplit(url).hostname == "127.0.0.1" for url in seen), seen
    assert any(url.endswith("/graphiql/graphiql.min.js") for url in seen), seen
