"""A database outage is answered one way, wherever a request meets it: HTTP 503, the code
DATABASE_UNAVAILABLE and a Retry-After header, whether the viewer's token could not be looked
up or a resolver failed. On a private PostgreSQL (tests/test_faults.py's harness), stopped under
a running server."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import pytest

from builders_live import start_server
from cungoods.db import setup as db
from test_faults import (
    CLIENT_TIMEOUT,
    NEW_BUYER,
    REGISTER,
    ROUTES,
    VIEWER,
    private_postgres,
    unthrottled,  # noqa: F401  (the fixture)
)

pytestmark = pytest.mark.pg_only


@pytest.mark.usefixtures("unthrottled")
async def test_the_token_path_and_a_resolver_answer_an_outage_alike(tmp_path: Path) -> None:
    async with private_postgres() as pg:
        # Given a server on its own PostgreSQL and a signed-in buyer
        await db.migrate(pg.url)
        server = await start_server(pg.url, tmp_path)
        try:
            async with httpx.AsyncClient(base_url=server.url, timeout=CLIENT_TIMEOUT) as http:
                registered = await http.post(
                    "/graphql", json={"query": REGISTER, "variables": {"input": NEW_BUYER}}
                )
                token = registered.json()["data"]["register"]["token"]
                assert token, registered.text

                # When PostgreSQL goes down, and a request fails looking up the token, another
                # (signed out) in a resolver
                await asyncio.to_thread(pg.stop, "fast")
                token_path = await http.post(
                    "/graphql",
                    json={"query": VIEWER},
                    headers={"Authorization": f"Bearer {token}"},
                )
                resolver_path = await http.post("/graphql", json={"query": ROUTES})

                # Then both are the same answer: 503, DATABASE_UNAVAILABLE, Retry-After
                for response in (token_path, resolver_path):
                    assert response.status_code == 503, response.text
                    assert response.headers["retry-after"] == "2"
                    [error] = response.json()["errors"]
                    assert error["extensions"]["code"] == "DATABASE_UNAVAILABLE", error
        finally:
            server.stop()
