"""The README's first command, minus the install: `cungoods serve` on an empty directory
migrates and seeds the embedded SQLite database and serves GraphiQL and the API."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def served(tmp_path: Path, backend: str) -> Iterator[str]:
    if not backend.startswith("sqlite"):
        pytest.skip("the embedded default is SQLite")
    port = _free_port()
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("CUNGOODS_DATABASE_URL", "CUNGOODS_SECRET_KEY")
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "cungoods.cli", "serve", "--port", str(port)],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise AssertionError(process.stderr.read().decode() if process.stderr else "exited")
            try:
                if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.2)
        else:
            raise AssertionError("the server did not come up")
        yield url
    finally:
        process.terminate()
        process.wait(timeout=20)
    assert (tmp_path / "cungoods.sqlite3").exists()
    assert (tmp_path / ".cungoods-secret").exists()


def test_a_fresh_serve_shows_graphiql_and_the_demo_county(served: str) -> None:
    page = httpx.get(f"{served}/graphql", headers={"Accept": "text/html"}, timeout=10)
    assert page.status_code == 200
    assert "graphiql" in page.text.lower()

    query = "{ routes { code stops { station { name } } } }"
    body = httpx.post(f"{served}/graphql", json={"query": query}, timeout=30).json()

    routes = body["data"]["routes"]
    assert len(routes) == 6
    assert sum(len(route["stops"]) for route in routes) == 150
