"""Errors as a documented contract (docs/API.md, "Errors"): every request error carries
`extensions.code` (GRAPHQL_PARSE_FAILED, GRAPHQL_VALIDATION_FAILED, INVALID_INPUT for a variable
that does not coerce, QUERY_TOO_COSTLY), and every response to a document that parses carries
its cost, `extensions.cost { requested budget }`, over HTTP and WebSocket alike."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from builders_live import Closed, live_server
from cungoods.config import Settings
from test_response_cache import counts, delta

GRAPHQL_RESPONSE = "application/graphql-response+json"
BUDGET = 5000  # CUNGOODS_MAX_QUERY_COST's default

DEEP = "{ viewer " + "{ station { leader " * 7 + "{ name }" + " } }" * 7 + " }"
ALIASES = "{ " + " ".join(f"r{i}: routes {{ code }}" for i in range(31)) + " }"
TOKENS = "{ " + " ".join("routes { code }" for _ in range(600)) + " }"
# 13 × (1 + 100 × 4) = 5213: each alias pages 100 stations and three objects under each
COSTLY = (
    "{ "
    + " ".join(
        f"s{i}: stations(first: 100) {{ nodes {{ leader {{ station {{ leader {{ name }} }} }} }} }}"
        for i in range(13)
    )
    + " }"
)
TRIPS = "query Trips($d: Date!) { trips(date: $d) { id } }"

REQUEST_ERRORS = [
    pytest.param("{ routes { code ", None, "GRAPHQL_PARSE_FAILED", id="syntax"),
    pytest.param(TOKENS, None, "GRAPHQL_PARSE_FAILED", id="too-many-tokens"),
    pytest.param("{ routes { nope } }", None, "GRAPHQL_VALIDATION_FAILED", id="unknown-field"),
    pytest.param(DEEP, None, "GRAPHQL_VALIDATION_FAILED", id="too-deep"),
    pytest.param(ALIASES, None, "GRAPHQL_VALIDATION_FAILED", id="too-many-aliases"),
    pytest.param(COSTLY, None, "QUERY_TOO_COSTLY", id="over-budget"),
    pytest.param(TRIPS, {"d": "2026-13-01"}, "INVALID_INPUT", id="date-not-a-date"),
    pytest.param(TRIPS, {}, "INVALID_INPUT", id="required-variable-missing"),
]


async def post(
    client: httpx.AsyncClient, query: str, variables: Any, accept: str
) -> httpx.Response:
    return await client.post(
        "/graphql", json={"query": query, "variables": variables}, headers={"Accept": accept}
    )


@pytest.mark.parametrize(("query", "variables", "code"), REQUEST_ERRORS)
async def test_every_request_error_says_what_it_is_in_extensions_code(
    client: httpx.AsyncClient, query: str, variables: Any, code: str
) -> None:
    modern = await post(client, query, variables, GRAPHQL_RESPONSE)
    legacy = await post(client, query, variables, "application/json")

    # Then nothing ran (400 for clients that accept graphql-response+json, 200 for the others),
    # and every error carries its code
    assert (modern.status_code, legacy.status_code) == (400, 200)
    for body in (modern.json(), legacy.json()):
        assert body["errors"] and body.get("data") is None
        assert {error["extensions"]["code"] for error in body["errors"]} == {code}, body
        # A document that parsed has a cost (the refused one too); one that did not, none
        if code == "GRAPHQL_PARSE_FAILED":
            assert "cost" not in body.get("extensions", {})
        else:
            assert body["extensions"]["cost"]["budget"] == BUDGET
    if code == "QUERY_TOO_COSTLY":
        refused = modern.json()
        assert refused["extensions"]["cost"]["requested"] == 5213
        assert refused["errors"][0]["extensions"] == {
            "code": "QUERY_TOO_COSTLY",
            "cost": 5213,
            "budget": BUDGET,
        }


@pytest.mark.parametrize(
    ("content", "content_type", "url"),
    [
        pytest.param(b"{not json", "application/json", "/graphql", id="body-not-json"),
        pytest.param(b'{"query": 5}', "application/json", "/graphql", id="query-not-a-string"),
        pytest.param(b"{}", "application/json", "/graphql", id="no-query"),
        pytest.param(b"{ routes { code } }", "text/plain", "/graphql", id="unsupported-type"),
        pytest.param(None, None, "/graphql?query={routes{code}}&variables={bad", id="get-vars"),
        pytest.param(None, None, "/graphql?query={routes{code}}&extensions=[", id="get-ext"),
    ],
)
async def test_a_request_the_transport_cannot_take_is_bad_request_with_its_code(
    client: httpx.AsyncClient, content: bytes | None, content_type: str | None, url: str
) -> None:
    if content is None:
        response = await client.get(url, headers={"Accept": "application/json"})
    else:
        response = await client.post(url, content=content, headers={"Content-Type": content_type})

    # Then it is HTTP 400 with a message and BAD_REQUEST (Apollo Server's name): nothing ran
    assert response.status_code == 400
    [error] = response.json()["errors"]
    assert error["message"] and error["extensions"] == {"code": "BAD_REQUEST"}
    assert "data" not in response.json()


async def test_a_mutation_over_get_says_method_not_allowed(client: httpx.AsyncClient) -> None:
    response = await client.get(
        "/graphql",
        params={"query": 'mutation { login(input: {phone: "1", password: "x"}) { token } }'},
        headers={"Accept": "application/json"},
    )
    assert (response.status_code, response.headers["allow"]) == (405, "POST")
    assert response.json()["errors"][0]["extensions"] == {"code": "METHOD_NOT_ALLOWED"}


@pytest.mark.parametrize(
    ("query", "requested"),
    [
        pytest.param("{ __typename }", 0, id="scalars-only"),
        pytest.param("{ routes { code stops { seq } } }", 10 * (1 + 30), id="routes-and-stops"),
        pytest.param("{ stations(first: 7) { nodes { code } } }", 1 + 7, id="a-page"),
        pytest.param(
            'mutation { login(input: {phone: "1", password: "x"}) { token errors { code } } }',
            2,
            id="a-mutation",
        ),
    ],
)
async def test_every_response_reports_its_cost_and_the_budget(
    client: httpx.AsyncClient, query: str, requested: int
) -> None:
    body = (await client.post("/graphql", json={"query": query})).json()

    assert body["extensions"]["cost"] == {"requested": requested, "budget": BUDGET}


async def test_an_answer_from_the_response_cache_reports_its_cost_too(settings: Settings) -> None:
    cached = settings.model_copy(update={"response_cache": True})
    async with live_server(cached) as server:
        before = await counts(server.http)

        first = (await server.http.post("/graphql", json={"query": "{ routes { code } }"})).json()
        second = (await server.http.post("/graphql", json={"query": "{ routes { code } }"})).json()

        assert delta(before, await counts(server.http))["hit"] == 1
        assert first == second
        assert second["extensions"]["cost"] == {"requested": 10, "budget": BUDGET}


async def test_over_websocket_queries_report_their_cost_and_errors_their_code(
    settings: Settings,
) -> None:
    async with live_server(settings) as server, server.socket() as socket:
        # A query's `next` carries its cost
        await socket.subscribe("q", "{ routes { code } }")
        answer = await socket.receive()
        assert answer["type"] == "next" and answer["payload"]["data"] == {"routes": []}
        assert answer["payload"]["extensions"]["cost"] == {"requested": 10, "budget": BUDGET}
        assert await socket.receive() == {"id": "q", "type": "complete"}

        # A document that does not validate, or variables that do not coerce: coded errors
        await socket.subscribe("v", "{ routes { nope } }")
        assert (await socket.error_of("v"))["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
        await socket.subscribe("c", TRIPS, {"d": "20261201"})
        assert (await socket.error_of("c"))["extensions"]["code"] == "INVALID_INPUT"

        # A document that does not parse closes the socket with 4400, as graphql-transport-ws has
        # it (the protocol's answer to a malformed subscribe)
        await socket.subscribe("p", "{ routes { code ")
        with pytest.raises(Closed) as closed:
            await socket.receive()
        assert closed.value.code == 4400
