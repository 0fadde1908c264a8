"""Issue 15, item 5: persisted queries. Apollo's automatic persisted queries (a hash alone, unknown:
PERSISTED_QUERY_NOT_FOUND; hash and text: checked, kept and answered; then the hash alone is
answered) over POST, GET and the WebSocket, and trusted-documents mode
(CUNGOODS_TRUSTED_DOCUMENTS), where only the manifest's documents (and the board's own) run."""

from __future__ import annotations

import contextlib
import hashlib
import json
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from builders import make_network
from builders_live import live_server
from cungoods.api.persisted import ManifestError
from cungoods.app import create_app
from cungoods.config import Settings
from cungoods.web.board_routes import BOARD_DOCUMENTS
from test_http_audit import _node_tools

ROUTES = "query Routes { routes { code } }"
STATIONS = "query Stations { routes { code stops { station { name } } } }"
LOGIN = 'mutation { login(input: {phone: "13900000000", password: "x"}) { token } }'
GRAPHQL_RESPONSE = "application/graphql-response+json"
NOT_FOUND_BODY = {
    "errors": [
        {"message": "PersistedQueryNotFound", "extensions": {"code": "PERSISTED_QUERY_NOT_FOUND"}}
    ]
}


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def pq(text_or_hash: str, *, version: object = 1) -> dict[str, Any]:
    """`extensions` naming a document by hash (of the text, unless given a hash)."""
    digest = text_or_hash if len(text_or_hash) == 64 else sha256(text_or_hash)
    return {"persistedQuery": {"version": version, "sha256Hash": digest}}


def codes(body: dict[str, Any]) -> list[str | None]:
    return [(e.get("extensions") or {}).get("code") for e in body.get("errors", [])]


async def post(
    client: httpx.AsyncClient, body: dict[str, Any], **headers: str
) -> tuple[int, dict[str, Any]]:
    response = await client.post("/graphql", json=body, headers=headers)
    return response.status_code, response.json()


async def get(
    client: httpx.AsyncClient, params: dict[str, str], **headers: str
) -> tuple[int, dict[str, Any]]:
    response = await client.get("/graphql", params=params, headers=headers)
    return response.status_code, response.json()


def get_params(extensions: dict[str, Any], query: str | None = None) -> dict[str, str]:
    params = {"extensions": json.dumps(extensions)}
    return params | ({"query": query} if query is not None else {})


@pytest.fixture
async def routes(client: httpx.AsyncClient) -> dict[str, Any]:
    """What ROUTES answers on a small network."""
    await make_network(code="R1")
    status, body = await post(client, {"query": ROUTES})
    assert status == 200 and "errors" not in body, body
    return body


@contextlib.asynccontextmanager
async def make_client(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings, manage_db=False)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as http:
        yield http


# --- automatic persisted queries over HTTP -------------------------------------------------------


async def test_apq_round_trip_over_post(client: httpx.AsyncClient, routes: dict[str, Any]) -> None:
    # Given a hash the server has never seen: the client is told to send the text
    status, body = await post(client, {"extensions": pq(ROUTES)})
    assert (status, body) == (200, NOT_FOUND_BODY)

    # When the client sends hash and text, the text runs (and is kept)
    status, body = await post(client, {"query": ROUTES, "extensions": pq(ROUTES)})
    assert (status, body) == (200, routes)

    # Then the hash alone is answered
    status, body = await post(client, {"extensions": pq(ROUTES), "operationName": "Routes"})
    assert (status, body) == (200, routes)


async def test_apq_round_trip_over_get(client: httpx.AsyncClient, routes: dict[str, Any]) -> None:
    # A hash alone in the query string (curl's Accept: */*): an API answer, not GraphiQL's page
    response = await client.get("/graphql", params=get_params(pq(STATIONS)))
    assert response.status_code == 200
    assert response.json() == NOT_FOUND_BODY

    status, body = await get(client, get_params(pq(STATIONS), STATIONS))
    assert status == 200 and "errors" not in body, body
    assert [route["code"] for route in body["data"]["routes"]] == ["R1"]

    # Then the query string holds the hash alone, and variables travel beside it
    status, again = await get(client, get_params(pq(STATIONS)) | {"variables": "{}"})
    assert (status, again) == (200, body)


async def test_not_found_is_200_for_graphql_response_json_clients_too(
    client: httpx.AsyncClient,
) -> None:
    # Apollo Client 4 accepts application/graphql-response+json; it must still see NOT_FOUND as
    # an answer to retry with the text, not as a failed request
    accept = {"accept": f"{GRAPHQL_RESPONSE}, application/json;q=0.9"}
    for status, body in (
        await post(client, {"extensions": pq(ROUTES)}, **accept),
        await get(client, get_params(pq(ROUTES)), **accept),
    ):
        assert (status, body) == (200, NOT_FOUND_BODY)


async def test_a_text_learnt_over_post_answers_a_get(
    client: httpx.AsyncClient, routes: dict[str, Any]
) -> None:
    await post(client, {"query": ROUTES, "extensions": pq(ROUTES)})
    assert await get(client, get_params(pq(ROUTES))) == (200, routes)


async def test_a_mutation_named_by_hash_is_still_refused_over_get(
    client: httpx.AsyncClient,
) -> None:
    # Given the login mutation learnt over POST
    status, body = await post(client, {"query": LOGIN, "extensions": pq(LOGIN)})
    assert status == 200 and body["data"]["login"] is not None, body

    # When it is sent by hash over GET, then it does not run: 405, POST it
    response = await client.get("/graphql", params=get_params(pq(LOGIN)))
    assert response.status_code == 405
    assert response.headers["allow"] == "POST"


async def test_a_hash_that_is_not_the_texts_is_refused_and_not_learnt(
    client: httpx.AsyncClient,
) -> None:
    other = sha256("{ __typename }")
    status, body = await post(client, {"query": ROUTES, "extensions": pq(other)})
    assert status == 400
    assert codes(body) == ["PERSISTED_QUERY_HASH_MISMATCH"]
    assert "data" not in body

    # Neither hash now stands for the text
    assert await post(client, {"extensions": pq(other)}) == (200, NOT_FOUND_BODY)
    assert await post(client, {"extensions": pq(ROUTES)}) == (200, NOT_FOUND_BODY)


async def test_another_protocol_version_is_not_supported(client: httpx.AsyncClient) -> None:
    # NOT_SUPPORTED: Apollo's clients then send the plain query, which runs
    status, body = await post(client, {"query": ROUTES, "extensions": pq(ROUTES, version=2)})
    assert status == 400
    assert codes(body) == ["PERSISTED_QUERY_NOT_SUPPORTED"]
    assert "version 2" in body["errors"][0]["message"]


@pytest.mark.parametrize(
    "extensions",
    [
        {"persistedQuery": "abc"},
        {"persistedQuery": {"sha256Hash": sha256(ROUTES)}},
        {"persistedQuery": {"version": "1", "sha256Hash": sha256(ROUTES)}},
        {"persistedQuery": {"version": True, "sha256Hash": sha256(ROUTES)}},
        {"persistedQuery": {"version": 1}},
        {"persistedQuery": {"version": 1, "sha256Hash": 12}},
        {"persistedQuery": {"version": 1, "sha256Hash": "abc"}},
        {"persistedQuery": {"version": 1, "sha256Hash": "z" * 64}},
        {"persistedQuery": {"version": 1, "sha256Hash": "a" * 200_000}},
    ],
    ids=[
        "not an object",
        "no version",
        "version a string",
        "version true",
        "no hash",
        "hash a number",
        "hash too short",
        "hash not hex",
        "hash huge",
    ],
)
async def test_a_malformed_persisted_query_is_a_clear_400(
    client: httpx.AsyncClient, extensions: dict[str, Any]
) -> None:
    for status, body in (
        await post(client, {"extensions": extensions}),
        await post(client, {"query": ROUTES, "extensions": extensions}),
    ):
        assert status == 400
        assert codes(body) == ["PERSISTED_QUERY_INVALID"], body
        assert "persistedQuery" in body["errors"][0]["message"]


async def test_extensions_that_are_not_an_object_or_not_json_are_a_400(
    client: httpx.AsyncClient,
) -> None:
    status, body = await post(client, {"query": ROUTES, "extensions": "persisted"})
    assert status == 400 and "extensions" in body["errors"][0]["message"]
    response = await client.get("/graphql", params={"extensions": '{"persistedQuery": {'})
    assert response.status_code == 400
    assert response.json()["errors"][0]["message"]
    nested = '{"persistedQuery": ' + "[" * 100 + "]" * 100 + "}"
    response = await client.get("/graphql", params={"extensions": nested})
    assert response.status_code == 400


async def test_the_store_keeps_the_most_recently_used_texts_within_its_bytes(
    settings: Settings,
) -> None:
    # Given a store with room for about one of the two documents
    small = settings.model_copy(update={"persisted_queries_bytes": len(STATIONS) + 10})
    async with make_client(small) as client:
        await make_network()
        for text in (ROUTES, STATIONS):
            status, body = await post(client, {"query": text, "extensions": pq(text)})
            assert status == 200 and "errors" not in body, body

        # Then the first one has made way for the second
        assert await post(client, {"extensions": pq(ROUTES)}) == (200, NOT_FOUND_BODY)
        status, body = await post(client, {"extensions": pq(STATIONS)})
        assert status == 200 and "errors" not in body, body


async def test_with_a_store_of_zero_bytes_persisted_queries_are_off(settings: Settings) -> None:
    async with make_client(settings.model_copy(update={"persisted_queries_bytes": 0})) as client:
        await make_network()
        status, body = await post(client, {"query": ROUTES, "extensions": pq(ROUTES)})
        assert status == 400
        assert codes(body) == ["PERSISTED_QUERY_NOT_SUPPORTED"]
        # and a plain request runs as ever
        status, body = await post(client, {"query": ROUTES})
        assert status == 200 and "errors" not in body, body


# --- automatic persisted queries over the WebSocket ---------------------------------------------


async def test_apq_round_trip_over_the_websocket(settings: Settings) -> None:
    await make_network()
    async with live_server(settings) as live, live.socket() as socket:
        await socket.send({"id": "1", "type": "subscribe", "payload": {"extensions": pq(ROUTES)}})
        refused = await socket.error_of("1")
        assert refused["extensions"] == {"code": "PERSISTED_QUERY_NOT_FOUND"}

        payload = {"query": ROUTES, "extensions": pq(ROUTES)}
        await socket.send({"id": "1", "type": "subscribe", "payload": payload})
        first = await socket.receive()
        assert first["type"] == "next" and first["payload"]["data"]["routes"], first
        assert await socket.receive() == {"id": "1", "type": "complete"}

        await socket.send({"id": "2", "type": "subscribe", "payload": {"extensions": pq(ROUTES)}})
        again = await socket.receive()
        assert (again["id"], again["payload"]) == ("2", first["payload"])
        assert await socket.receive() == {"id": "2", "type": "complete"}

        # and a text under another document's hash is refused, the socket staying open
        payload = {"query": STATIONS, "extensions": pq(ROUTES)}
        await socket.send({"id": "3", "type": "subscribe", "payload": payload})
        refused = await socket.error_of("3")
        assert refused["extensions"] == {"code": "PERSISTED_QUERY_HASH_MISMATCH"}


# --- trusted documents ---------------------------------------------------------------------------


def apollo_manifest(path: Path, *texts: str) -> Path:
    operations = [{"id": sha256(t), "name": "", "type": "query", "body": t} for t in texts]
    manifest = {"format": "apollo-persisted-query-manifest", "version": 1, "operations": operations}
    path.write_text(json.dumps(manifest), encoding="utf-8")
    return path


def trusting(settings: Settings, manifest: Path) -> Settings:
    return settings.model_copy(update={"trusted_documents": str(manifest)})


@pytest.fixture
async def trusted(settings: Settings, tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    """A server that runs ROUTES and LOGIN only (and the board's documents)."""
    manifest = apollo_manifest(tmp_path / "manifest.json", ROUTES, LOGIN)
    await make_network()
    async with make_client(trusting(settings, manifest)) as client:
        yield client


async def test_trusted_documents_run_by_hash_or_in_full(trusted: httpx.AsyncClient) -> None:
    by_hash = await post(trusted, {"extensions": pq(ROUTES)})
    in_full = await post(trusted, {"query": ROUTES})
    both = await post(trusted, {"query": ROUTES, "extensions": pq(ROUTES)})
    over_get = await get(trusted, get_params(pq(ROUTES)))
    assert by_hash[0] == 200 and by_hash[1]["data"]["routes"] == [{"code": "R1"}]
    assert by_hash == in_full == both == over_get


async def test_anything_else_is_refused_where_only_trusted_documents_run(
    trusted: httpx.AsyncClient,
) -> None:
    refusals = [
        await post(trusted, {"query": STATIONS}),  # a document not in the manifest
        await post(trusted, {"query": "{ __schema { types { name } } }"}),  # introspection
        await post(trusted, {"extensions": pq(STATIONS)}),  # an unknown hash
        await post(trusted, {"query": STATIONS, "extensions": pq(STATIONS)}),  # registration
        await get(trusted, get_params(pq(STATIONS))),
        # a trusted text with a space more is another document
        await post(trusted, {"query": ROUTES + " "}),
    ]
    for status, body in refusals:
        assert status == 400
        assert codes(body) == ["PERSISTED_QUERY_NOT_ALLOWED"], body
        assert "data" not in body
    # and the attempted registration taught the server nothing
    status, body = await post(trusted, {"extensions": pq(STATIONS)})
    assert codes(body) == ["PERSISTED_QUERY_NOT_ALLOWED"]


async def test_the_boards_documents_are_trusted_too(trusted: httpx.AsyncClient) -> None:
    # The board (/board) sends its documents in full; they ship with the server
    manifest = json.loads(BOARD_DOCUMENTS.read_text(encoding="utf-8"))
    viewer = next(op["body"] for op in manifest["operations"] if op["name"] == "BoardViewer")
    status, body = await post(trusted, {"query": viewer})
    assert (status, body["data"]) == (200, {"viewer": None})


async def test_a_relay_style_manifest_of_hash_to_text_is_taken(
    settings: Settings, tmp_path: Path
) -> None:
    manifest = tmp_path / "persisted-queries.json"
    manifest.write_text(json.dumps({sha256(ROUTES): ROUTES}), encoding="utf-8")
    await make_network()
    async with make_client(trusting(settings, manifest)) as client:
        status, body = await post(client, {"extensions": pq(ROUTES)})
        assert status == 200 and body["data"]["routes"] == [{"code": "R1"}]
        status, body = await post(client, {"query": STATIONS})
        assert codes(body) == ["PERSISTED_QUERY_NOT_ALLOWED"]


async def test_untrusted_documents_are_refused_over_the_websocket_too(
    settings: Settings, tmp_path: Path
) -> None:
    manifest = apollo_manifest(tmp_path / "manifest.json", ROUTES)
    await make_network()
    subscription = 'subscription { tripUpdates(tripId: "VHJpcDox") { id } }'
    async with (
        live_server(settings.model_copy(update={"trusted_documents": str(manifest)})) as live,
        live.socket() as socket,
    ):
        for op_id, payload in [
            ("1", {"query": subscription}),
            ("2", {"query": STATIONS}),
            ("3", {"query": STATIONS, "extensions": pq(STATIONS)}),
            ("4", {"extensions": pq(STATIONS)}),
        ]:
            await socket.send({"id": op_id, "type": "subscribe", "payload": payload})
            refused = await socket.error_of(op_id)
            assert refused["extensions"] == {"code": "PERSISTED_QUERY_NOT_ALLOWED"}, refused

        # while a trusted document runs, by hash as in full
        for op_id, payload in [("5", {"extensions": pq(ROUTES)}), ("6", {"query": ROUTES})]:
            await socket.send({"id": op_id, "type": "subscribe", "payload": payload})
            answer = await socket.receive()
            assert answer["type"] == "next", answer
            assert answer["payload"]["data"] == {"routes": [{"code": "R1"}]}
            assert await socket.receive() == {"id": op_id, "type": "complete"}


@pytest.mark.parametrize(
    ("content", "says"),
    [
        (None, "cannot be read"),
        ("{not json", "cannot be read as JSON"),
        ("[]", "neither an Apollo persisted query manifest"),
        ("{}", "lists no documents"),
        (json.dumps({sha256(ROUTES): STATIONS}), "is not the SHA-256 of its document's text"),
        (
            json.dumps({hashlib.md5(ROUTES.encode()).hexdigest(): ROUTES}),
            "set persistConfig's algorithm to SHA256",
        ),
        (json.dumps({"format": "apollo-persisted-query-manifest", "version": 2}), "version 1"),
        (
            json.dumps(
                {"format": "apollo-persisted-query-manifest", "version": 1, "operations": [{}]}
            ),
            "without a `body`",
        ),
    ],
    ids=["missing", "not json", "a list", "empty", "wrong hash", "md5", "version 2", "no body"],
)
def test_a_bad_manifest_stops_the_server_at_start(
    settings: Settings, tmp_path: Path, content: str | None, says: str
) -> None:
    manifest = tmp_path / "manifest.json"
    if content is not None:
        manifest.write_text(content, encoding="utf-8")
    with pytest.raises(ManifestError, match="trusted documents") as refused:
        create_app(settings.model_copy(update={"trusted_documents": str(manifest)}))
    assert says in str(refused.value)


def test_the_board_manifest_is_the_boards_documents(backend: str) -> None:
    # src/cungoods/web/board/persisted-documents.json is what the script makes of queries.js
    if not backend.startswith("sqlite"):
        pytest.skip("checked once, with the SQLite parameter")
    node, _ = _node_tools()
    script = Path(__file__).resolve().parent / "clients" / "board_documents.mjs"
    run = subprocess.run([node, str(script)], capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout) == json.loads(BOARD_DOCUMENTS.read_text(encoding="utf-8")), (
        "regenerate: node tests/clients/board_documents.mjs > "
        "src/cungoods/web/board/persisted-documents.json"
    )
