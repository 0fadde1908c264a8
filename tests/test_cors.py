"""Browsers on other origins (issue 15): CUNGOODS_ALLOWED_ORIGINS governs both the HTTP CORS
answers (Starlette's CORSMiddleware) and the WebSocket handshake's origin check (strawberry's
`allowed_origins`). In development an empty setting lets the usual localhost dev servers in;
in production only the same origin, unless listed."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

import httpx
import pytest
from httpx_ws import WebSocketDisconnect, WebSocketUpgradeError, aconnect_ws

from builders import token_for
from builders_live import PROTOCOL, GqlSocket, live_server, make_user
from cungoods.app import create_app
from cungoods.config import DEV_ORIGINS, Settings
from cungoods.models.enums import Role

DEV_ORIGIN = "http://localhost:5173"
FOREIGN = "https://evil.example"
SHOP = "https://shop.example.cn"
ROUTES = "{ routes { code } }"


def production(settings: Settings, **fields: str) -> Settings:
    return settings.model_copy(update={"env": "production", **fields})


def preflight(origin: str) -> dict[str, str]:
    return {
        "Origin": origin,
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization, content-type",
    }


@contextlib.asynccontextmanager
async def cross_origin_socket(
    http: httpx.AsyncClient, origin: str, payload: dict[str, str] | None = None
) -> AsyncIterator[GqlSocket]:
    """A graphql-transport-ws socket opened as a browser page on `origin` would (the handshake
    carries its Origin), initialised with `payload`."""
    async with aconnect_ws(
        "/graphql", http, subprotocols=[PROTOCOL], headers={"Origin": origin}
    ) as session:
        socket = GqlSocket(session)
        await socket.send({"type": "connection_init", "payload": payload or {}})
        ack = await socket.receive()
        assert ack["type"] == "connection_ack", ack
        yield socket


async def refused(http: httpx.AsyncClient, origin: str) -> bool:
    """Whether the server refuses a handshake from `origin` before accepting it: a close before
    the accept, which uvicorn answers with HTTP 403 (httpx-ws's in-process transport reports it
    as a disconnect with 1008, a real server as a failed upgrade)."""
    try:
        async with aconnect_ws(
            "/graphql", http, subprotocols=[PROTOCOL], headers={"Origin": origin}
        ):
            return False
    except WebSocketUpgradeError as error:
        return error.response.status_code == 403
    except WebSocketDisconnect as error:
        return error.code == 1008


def test_development_lets_the_localhost_dev_servers_in_and_production_nobody() -> None:
    assert DEV_ORIGIN in DEV_ORIGINS and "http://127.0.0.1:3000" in DEV_ORIGINS
    assert Settings(env="development").cors_origins == list(DEV_ORIGINS)
    assert Settings(env="production").cors_origins == []
    listed = Settings(env="production", allowed_origins=f" {SHOP}/ , https://m.example.cn")
    assert listed.cors_origins == [SHOP, "https://m.example.cn"]
    assert Settings(allowed_origins="*").cors_origins == ["*"]


def test_a_wildcard_is_refused_in_production(settings: Settings) -> None:
    with pytest.raises(ValueError, match="not allowed in production"):
        create_app(production(settings, allowed_origins="*"), manage_db=False)


async def test_a_preflight_from_a_dev_server_is_answered(client: httpx.AsyncClient) -> None:
    # Given a page on the Vite dev server about to POST with a token
    response = await client.options("/graphql", headers=preflight(DEV_ORIGIN))

    # Then the preflight passes, for the methods and headers a GraphQL client sends
    assert response.status_code == 200, response.text
    headers = response.headers
    assert headers["access-control-allow-origin"] == DEV_ORIGIN
    assert {"GET", "POST", "OPTIONS"} <= set(headers["access-control-allow-methods"].split(", "))
    allowed = {name.strip().lower() for name in headers["access-control-allow-headers"].split(",")}
    assert {"authorization", "content-type"} <= allowed
    assert "access-control-allow-credentials" not in headers  # the token is a header, no cookie

    # And the request itself is readable from the page, with the headers clients need
    response = await client.post("/graphql", json={"query": ROUTES}, headers={"Origin": DEV_ORIGIN})
    assert response.status_code == 200
    assert response.json()["data"] == {"routes": []} and "errors" not in response.json()
    assert response.headers["access-control-allow-origin"] == DEV_ORIGIN
    exposed = response.headers["access-control-expose-headers"].lower()
    assert "x-request-id" in exposed and "retry-after" in exposed


async def test_a_foreign_origin_gets_no_cors_answer(client: httpx.AsyncClient) -> None:
    response = await client.options("/graphql", headers=preflight(FOREIGN))
    assert response.status_code == 400
    assert "access-control-allow-origin" not in response.headers

    response = await client.post("/graphql", json={"query": ROUTES}, headers={"Origin": FOREIGN})
    assert "access-control-allow-origin" not in response.headers


async def test_a_socket_from_a_dev_server_connects_and_one_from_elsewhere_is_refused(
    settings: Settings,
) -> None:
    async with live_server(settings) as server:
        # A page on the dev server opens the socket and queries over it
        async with cross_origin_socket(server.http, DEV_ORIGIN) as socket:
            await socket.subscribe("1", ROUTES)
            message = await socket.receive()
            assert (message["id"], message["type"]) == ("1", "next")
            assert message["payload"]["data"] == {"routes": []}
            assert "errors" not in message["payload"]

        # A page elsewhere is refused at the handshake
        assert await refused(server.http, FOREIGN)


async def test_the_socket_takes_a_token_sent_as_graphiql_sends_its_headers(
    settings: Settings,
) -> None:
    # GraphiQL sends its Headers tab as the connection_init payload: `Authorization` capitalised
    buyer = await make_user(Role.BUYER, name="买家")
    payload = {"Authorization": f"Bearer {token_for(buyer)}"}
    async with (
        live_server(settings) as server,
        cross_origin_socket(server.http, DEV_ORIGIN, payload) as socket,
    ):
        await socket.subscribe("1", "{ viewer { roles } }")
        message = await socket.receive()
    assert message["payload"]["data"] == {"viewer": {"roles": ["BUYER"]}}
    assert "errors" not in message["payload"]


async def test_production_defaults_refuse_other_origins_but_not_the_same_one(
    settings: Settings,
) -> None:
    async with live_server(production(settings)) as server:
        # Not even the dev servers, over HTTP or WebSocket
        for origin in (DEV_ORIGIN, FOREIGN):
            response = await server.http.options("/graphql", headers=preflight(origin))
            assert "access-control-allow-origin" not in response.headers, origin
            assert await refused(server.http, origin)

        # A page served by the server itself (same host and port) still connects
        async with cross_origin_socket(server.http, "http://127.0.0.1") as socket:
            await socket.subscribe("1", ROUTES)
            assert (await socket.receive())["type"] == "next"


async def test_production_lets_the_listed_origins_in(settings: Settings) -> None:
    async with live_server(production(settings, allowed_origins=SHOP)) as server:
        response = await server.http.options("/graphql", headers=preflight(SHOP))
        assert response.status_code == 200
        assert response.headers["access-control-allow-origin"] == SHOP
        async with cross_origin_socket(server.http, SHOP) as socket:
            await socket.subscribe("1", ROUTES)
            assert (await socket.receive())["type"] == "next"
        assert await refused(server.http, FOREIGN)
