"""The frontend clients of issue 15, run for real: relay-compiler (npm `relay-compiler`) compiles
@connection and @refetchable pagination fragments against schema/schema.graphql, and Apollo
Client 4's normalized cache, with default settings, keeps what two queries on the same trip asked
for, and pages a Relay connection both ways against a real server; its PersistedQueryLink makes
the automatic persisted queries round trip over POST and over GET.

Like the HTTP audit (tests/test_http_audit.py) they need Node: `npm ci` installs the pinned
packages into tests/clients/node_modules (ignored) once; without Node they skip, except in CI.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from builders import TEST_SECRET
from cungoods.devtools import schema_export
from test_http_audit import BACKENDS, _free_port, _node_tools

CLIENTS_DIR = Path(__file__).resolve().parent / "clients"


def _install_clients(npm: str) -> None:
    installed = CLIENTS_DIR / "node_modules" / ".package-lock.json"
    lock = CLIENTS_DIR / "package-lock.json"
    if installed.exists() and installed.stat().st_mtime >= lock.stat().st_mtime:
        return
    subprocess.run(
        [npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"],
        cwd=CLIENTS_DIR,
        check=True,
        timeout=300,
        capture_output=True,
    )


@pytest.fixture(scope="module")
def node(backend: str) -> str:
    """Node with the clients installed (the checks run once, with the SQLite parameter: they
    read the SDL or talk HTTP to a server of their own)."""
    if not backend.startswith("sqlite") and "sqlite" in BACKENDS:
        pytest.skip("the client checks run once, with the SQLite parameter")
    node, npm = _node_tools()
    _install_clients(npm)
    return node


def _compile(node: str, workdir: Path, schema: Path) -> subprocess.CompletedProcess[str]:
    (workdir / "src").mkdir()
    for source in (CLIENTS_DIR / "relay").glob("*.js"):
        shutil.copy(source, workdir / "src" / source.name)
    (workdir / "__generated__").mkdir()
    config = {
        "src": "./src",
        "schema": str(schema),
        "language": "javascript",
        "artifactDirectory": "./__generated__",
        "eagerEsModules": False,  # CommonJS artifacts, for _artifact to require
    }
    (workdir / "relay.config.json").write_text(json.dumps(config), encoding="utf-8")
    compiler = CLIENTS_DIR / "node_modules" / "relay-compiler" / "cli.js"
    return subprocess.run(
        [node, str(compiler), "relay.config.json"],
        cwd=workdir,
        capture_output=True,
        text=True,
        timeout=180,
    )


def _artifact(node: str, workdir: Path, name: str) -> dict[str, Any]:
    """A generated artifact (CommonJS) as JSON."""
    script = (
        f"const a = require('./__generated__/{name}.graphql.js');"
        "process.stdout.write(JSON.stringify(a));"
    )
    run = subprocess.run(
        [node, "-e", script], cwd=workdir, capture_output=True, text=True, timeout=60, check=True
    )
    loaded: dict[str, Any] = json.loads(run.stdout)
    return loaded


def test_relay_compiler_compiles_pagination_fragments_against_the_sdl(
    node: str, tmp_path: Path
) -> None:
    run = _compile(node, tmp_path, schema_export.SCHEMA_FILE)

    assert run.returncode == 0, run.stdout + run.stderr
    # usePaginationFragment reads its directions from the fragment's refetch metadata
    orders = _artifact(node, tmp_path, "MyOrders_query")["metadata"]["refetch"]["connection"]
    assert orders == {
        "forward": {"count": "first", "cursor": "after"},
        "backward": {"count": "last", "cursor": "before"},
        "path": ["myOrders"],
    }
    stations = _artifact(node, tmp_path, "StationList_query")["metadata"]["refetch"]
    assert stations["connection"]["forward"] == {"count": "count", "cursor": "cursor"}
    # a @refetchable fragment on a Node type refetches through node(id)
    trip = _artifact(node, tmp_path, "TripCardRefetchQuery")["params"]["text"]
    assert "node(id: $id)" in trip


def test_relay_compiler_refuses_a_connection_without_relay_page_info(
    node: str, tmp_path: Path
) -> None:
    # Given the SDL as it was before issue 15: PageInfo without hasPreviousPage and startCursor
    sdl = schema_export.SCHEMA_FILE.read_text(encoding="utf-8")
    old = tmp_path / "old.graphql"
    forward_only = "type PageInfo {\n  hasNextPage: Boolean!\n  endCursor: String\n}"
    old.write_text(re.sub(r"type PageInfo \{.*?\n\}", forward_only, sdl, flags=re.S), "utf-8")

    run = _compile(node, tmp_path, old)

    # Then the bidirectional fragment does not compile
    assert run.returncode != 0
    assert "hasPreviousPage" in run.stdout + run.stderr


@pytest.fixture(scope="module")
def demo_server(node: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real uvicorn process on a fresh SQLite database with the demo county seeded."""
    workdir = tmp_path_factory.mktemp("apollo")
    port = _free_port()
    env = {
        **os.environ,
        "CUNGOODS_SECRET_KEY": TEST_SECRET,
        "CUNGOODS_DEMO": "1",
        "CUNGOODS_DATABASE_URL": f"sqlite://{workdir / 'demo.sqlite3'}",
    }
    command = [sys.executable, "-m", "uvicorn", "--factory", "cungoods.app:create_app"]
    command += ["--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"]
    process = subprocess.Popen(
        command, cwd=workdir, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 180  # the demo seed runs before the server answers
        while True:
            if process.poll() is not None:
                raise AssertionError(process.stderr.read().decode() if process.stderr else "")
            try:
                if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise AssertionError("the server did not come up")
            time.sleep(0.3)
        yield f"{url}/graphql"
    finally:
        process.terminate()
        process.wait(timeout=20)


def _a_trip(url: str) -> str:
    """A scheduled trip of the demo county (the seed schedules the coming days)."""
    today = dt.datetime.now(dt.UTC).date()
    for days in range(0, 5):
        day = (today + dt.timedelta(days=days)).isoformat()
        body = httpx.post(url, json={"query": f'{{ trips(date: "{day}") {{ id }} }}'}).json()
        if body["data"]["trips"]:
            trip_id: str = body["data"]["trips"][0]["id"]
            return trip_id
    raise AssertionError("the demo seed scheduled no trips")


@pytest.fixture(scope="module")
def apollo_report(node: str, demo_server: str) -> dict[str, Any]:
    run = subprocess.run(
        [node, "apollo_cache.mjs", demo_server, _a_trip(demo_server)],
        cwd=CLIENTS_DIR,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert run.returncode == 0 and run.stdout, run.stderr
    report: dict[str, Any] = json.loads(run.stdout)
    return report


def test_two_apollo_queries_on_one_trip_do_not_overwrite_each_other(
    apollo_report: dict[str, Any],
) -> None:
    same = apollo_report["sameTrip"]

    # Then after the second query, both still read back whole from the cache alone
    assert same["timesFromCache"] == same["times"]
    assert same["loadsFromCache"] == same["loads"]
    stops = same["timesFromCache"]["trip"]["stops"]
    assert stops and all(stop["plannedAt"] and stop["id"] for stop in stops)
    # because the trip's stops and legs are entities of their own in the normalized cache
    kinds = {key.split(":")[0] for key in same["cacheKeys"]}
    assert {"Trip", "TripStop", "Leg", "Station", "ROOT_QUERY"} <= kinds


def test_without_the_stop_ids_the_second_apollo_query_overwrites_the_first(
    apollo_report: dict[str, Any],
) -> None:
    # The control: the same queries, not asking for the stops' and legs' ids
    same = apollo_report["sameTripWithoutIds"]

    # Then the second answer replaced the trip's stops, and the first query's fields are gone
    assert same["loadsFromCache"] == same["loads"]
    assert same["timesFromCache"] is None


def test_apollo_pages_a_connection_forward_and_backward(apollo_report: dict[str, Any]) -> None:
    forward, backward = apollo_report["forward"], apollo_report["backward"]

    # 150 demo stations in pages of 40: four fetches each way, nothing missed or repeated
    for run in (forward, backward):
        assert run["fetches"] == 4
        assert len(run["codes"]) == run["totalCount"] == 150
        assert len(set(run["codes"])) == 150
        assert run["pageInfo"]["hasNextPage"] is False
        assert run["pageInfo"]["hasPreviousPage"] is False
    # and backward paging puts the pages together in list order, as forward does
    assert backward["codes"] == forward["codes"] == sorted(forward["codes"])


def test_apollo_persisted_queries_round_trip_over_post_and_get(node: str, demo_server: str) -> None:
    # Apollo Client 4's PersistedQueryLink (issue 15, item 5): two clients ask the same query,
    # over POST and then with useGETForHashedQueries
    run = subprocess.run(
        [node, "apollo_persisted.mjs", demo_server],
        cwd=CLIENTS_DIR,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert run.returncode == 0 and run.stdout, run.stderr
    report = json.loads(run.stdout)

    for mode, method in (("post", "POST"), ("get", "GET")):
        sent = [
            (r["method"], r["withText"], r["status"], r["codes"]) for r in report[mode]["requests"]
        ]
        # The first client's hash is unknown: told so, it sends the text (a POST, also in GET
        # mode); the second client's hash alone is answered, over GET in GET mode
        assert sent == [
            (method, False, 200, ["PERSISTED_QUERY_NOT_FOUND"]),
            ("POST", True, 200, []),
            (method, False, 200, []),
        ], mode
        assert len({r["hash"] for r in report[mode]["requests"]}) == 1
        first, second = report[mode]["answers"]
        assert first == second and len(first["routes"]) == 6


def _websocket_flags(node: str) -> list[str]:
    """Node 22 has a global WebSocket; Node 20 needs the flag."""
    probe = subprocess.run(
        [node, "-e", "process.exit(typeof WebSocket === 'function' ? 0 : 1)"], timeout=30
    )
    return [] if probe.returncode == 0 else ["--experimental-websocket"]


def test_graphql_ws_gives_up_at_once_on_a_refused_token(node: str, demo_server: str) -> None:
    # Given the board's graphql-ws client signing in with a token the server refuses
    socket_url = demo_server.replace("http://", "ws://", 1)
    run = subprocess.run(
        [node, *_websocket_flags(node), "graphql_ws_refused.cjs", socket_url, "forged.token"],
        cwd=CLIENTS_DIR,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 0 and run.stdout, run.stderr
    report = json.loads(run.stdout)

    # Then the server closed with 4401, and the client took it as final: one connection, no
    # retry with the same token (it retries 4403 five times)
    assert report == {"connecting": 1, "closes": [4401], "finalCode": 4401}
