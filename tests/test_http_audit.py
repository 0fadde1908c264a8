"""GraphQL over HTTP: the graphql-http audit suite (npm `graphql-http`, `serverAudits`) against a
real server, and the behaviours it checks, in process.

The audit needs Node: it runs wherever `node` and `npm` are, and always in CI (CI=true), where a
missing Node fails the test instead of skipping it. `npm ci` installs the pinned packages into
tests/http_audit/node_modules once; later runs reuse them.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from builders import TEST_SECRET

AUDIT_DIR = Path(__file__).resolve().parent / "http_audit"
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
BACKENDS = os.environ.get("CUNGOODS_TEST_BACKENDS", "sqlite,postgres").split(",")
GRAPHQL_RESPONSE = "application/graphql-response+json"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _node_tools() -> tuple[str, str]:
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        if IN_CI:
            pytest.fail("CI needs node and npm for the GraphQL over HTTP audit")
        pytest.skip("node/npm not installed: the GraphQL over HTTP audit needs them")
    return node, npm


def _install_audit(npm: str) -> None:
    installed = AUDIT_DIR / "node_modules" / "graphql-http" / "package.json"
    lock = AUDIT_DIR / "package-lock.json"
    if installed.exists() and installed.stat().st_mtime >= lock.stat().st_mtime:
        return
    subprocess.run(
        [npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"],
        cwd=AUDIT_DIR,
        check=True,
        timeout=300,
        capture_output=True,
    )


@pytest.fixture
def server(tmp_path: Path, backend: str) -> Iterator[str]:
    """A real uvicorn process serving the app on the embedded database (one run is enough: the
    HTTP layer does not depend on the database)."""
    if not backend.startswith("sqlite") and "sqlite" in BACKENDS:
        pytest.skip("the audit runs once, with the SQLite parameter")
    port = _free_port()
    env = {
        **os.environ,
        "CUNGOODS_SECRET_KEY": TEST_SECRET,
        "CUNGOODS_DEMO": "0",
        "CUNGOODS_DATABASE_URL": f"sqlite://{tmp_path / 'audit.sqlite3'}",
    }
    command = [sys.executable, "-m", "uvicorn", "--factory", "cungoods.app:create_app"]
    command += ["--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"]
    process = subprocess.Popen(
        command, cwd=tmp_path, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
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
            time.sleep(0.2)
        yield f"{url}/graphql"
    finally:
        process.terminate()
        process.wait(timeout=20)


def test_the_graphql_over_http_audit_passes(server: str) -> None:
    node, npm = _node_tools()
    _install_audit(npm)

    run = subprocess.run(
        [node, "audit.mjs", server], cwd=AUDIT_DIR, capture_output=True, text=True, timeout=120
    )

    assert run.stdout, run.stderr
    report = json.loads(run.stdout)
    failed = [r for r in report["results"] if r["status"] == "error"]
    assert failed == [], json.dumps(failed, indent=2, ensure_ascii=False)
    assert run.returncode == 0, run.stderr
    assert report["ok"] > 40
    # Recommendations too: every SHOULD is met today, keep it that way.
    warnings = [r for r in report["results"] if r["status"] == "warn"]
    assert warnings == [], json.dumps(warnings, indent=2, ensure_ascii=False)


# --- the same behaviours, in process (no Node needed) ------------------------------------------


async def test_the_response_type_follows_the_accept_header(client: httpx.AsyncClient) -> None:
    query = {"query": "{ __typename }"}

    modern = await client.post("/graphql", json=query, headers={"Accept": GRAPHQL_RESPONSE})
    legacy = await client.post("/graphql", json=query, headers={"Accept": "application/json"})
    anything = await client.post("/graphql", json=query, headers={"Accept": "*/*"})
    preferred = await client.post(
        "/graphql",
        json=query,
        headers={"Accept": f"application/json;q=0.9, {GRAPHQL_RESPONSE}"},
    )

    assert modern.headers["content-type"].startswith(GRAPHQL_RESPONSE)
    assert legacy.headers["content-type"].startswith("application/json")
    assert anything.headers["content-type"].startswith("application/json")
    assert preferred.headers["content-type"].startswith(GRAPHQL_RESPONSE)
    for response in (modern, legacy, anything, preferred):
        assert response.status_code == 200
        assert (
            response.json()["data"] == {"__typename": "Query"} and "errors" not in response.json()
        )


async def test_a_request_error_is_400_without_data_for_graphql_response_clients(
    client: httpx.AsyncClient,
) -> None:
    invalid = {"query": "{ noSuchField }"}

    modern = await client.post("/graphql", json=invalid, headers={"Accept": GRAPHQL_RESPONSE})
    legacy = await client.post("/graphql", json=invalid, headers={"Accept": "application/json"})

    assert modern.status_code == 400
    assert "data" not in modern.json() and modern.json()["errors"]
    assert legacy.status_code == 200
    assert legacy.json()["data"] is None and legacy.json()["errors"]


async def test_an_execution_error_keeps_status_200_and_its_data(client: httpx.AsyncClient) -> None:
    # The node id is malformed: the resolver refuses it, after execution started.
    response = await client.post(
        "/graphql",
        json={"query": '{ __typename trip(id: "nonsense") { id } }'},
        headers={"Accept": GRAPHQL_RESPONSE},
    )

    assert response.status_code == 200
    body = response.json()
    assert body["data"] == {"__typename": "Query", "trip": None}
    assert body["errors"][0]["extensions"]["code"] == "INVALID_INPUT"


async def test_a_mutation_over_get_is_405_and_does_not_run(client: httpx.AsyncClient) -> None:
    mutation = 'mutation { login(input: {phone: "13900000000", password: "x"}) { token } }'

    response = await client.get("/graphql", params={"query": mutation})
    query = await client.get("/graphql", params={"query": "{ __typename }"})

    assert response.status_code == 405
    assert response.headers["Allow"] == "POST"
    assert response.json()["errors"][0]["message"]
    assert query.status_code == 200
    assert query.json()["data"] == {"__typename": "Query"} and "errors" not in query.json()


async def test_malformed_requests_get_json_errors_with_4xx(client: httpx.AsyncClient) -> None:
    not_json = await client.post(
        "/graphql", content=b"{not json", headers={"Content-Type": "application/json"}
    )
    no_query = await client.post("/graphql", json={"variables": {}})
    wrong_type = await client.post(
        "/graphql", content=b"{ __typename }", headers={"Content-Type": "text/plain"}
    )

    for response in (not_json, no_query, wrong_type):
        assert 400 <= response.status_code < 500
        assert response.json()["errors"][0]["message"]
