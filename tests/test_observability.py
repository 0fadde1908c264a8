"""Observability: Prometheus metrics at /metrics, JSON logs with the request context, request
ids, unexpected errors masked, logged once and counted, and /readyz."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Callable, Iterator
from types import SimpleNamespace
from typing import Any

import httpx
import pytest
from tortoise.transactions import in_transaction

from builders import gql, make_network, make_user, sample, schedule, token_for
from cungoods.app import create_app
from cungoods.config import Settings
from cungoods.models.enums import Direction, Role
from cungoods.observability.logs import JsonFormatter
from cungoods.services import capacity, network
from cungoods.services.capacity import Load, NoCapacity

VIEWER_PROBE = "query ViewerProbe { viewer { name } }"
LOGIN = """
mutation SignIn($input: LoginInput!) {
  login(input: $input) { token errors { code } }
}
"""


@pytest.fixture
def log_lines() -> Iterator[Callable[[], list[dict[str, Any]]]]:
    """Every log record of the process, formatted as the server formats it, as parsed JSON."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    try:
        yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    finally:
        root.removeHandler(handler)
        root.setLevel(level)


async def test_metrics_count_operations_by_name_with_their_latency(
    client: httpx.AsyncClient,
) -> None:
    requests = ("cungoods_graphql_requests_total", {"operation": "ViewerProbe", "type": "query"})
    timings = (
        "cungoods_graphql_request_duration_seconds_count",
        {"operation": "ViewerProbe", "type": "query"},
    )
    before = await sample(client, requests[0], **requests[1])
    timed_before = await sample(client, timings[0], **timings[1])

    await gql(client, VIEWER_PROBE)
    await gql(client, VIEWER_PROBE)

    assert await sample(client, requests[0], **requests[1]) == before + 2
    assert await sample(client, timings[0], **timings[1]) == timed_before + 2
    assert await sample(client, "cungoods_http_requests_total", route="/graphql", status="200") > 0


async def test_a_failed_login_is_counted_by_its_code(client: httpx.AsyncClient) -> None:
    errors = ("cungoods_errors_total", {"code": "UNAUTHENTICATED", "source": "payload"})
    before = await sample(client, errors[0], **errors[1])

    body = await gql(client, LOGIN, {"input": {"phone": "13900000000", "password": "wrong-pass"}})

    assert body["data"]["login"]["errors"] == [{"code": "UNAUTHENTICATED"}]
    assert await sample(client, errors[0], **errors[1]) == before + 1


async def test_an_unexpected_error_is_masked_logged_once_with_the_request_id_and_counted(
    client: httpx.AsyncClient,
    monkeypatch: pytest.MonkeyPatch,
    log_lines: Callable[[], list[dict[str, Any]]],
) -> None:
    async def broken() -> list[Any]:
        raise RuntimeError("secret detail: connection string postgres://admin:pw@db")

    monkeypatch.setattr(network, "routes", broken)
    unexpected = await sample(client, "cungoods_unexpected_errors_total")
    internal = await sample(client, "cungoods_errors_total", code="INTERNAL", source="graphql")

    response = await client.post(
        "/graphql",
        json={"query": "query Routes { routes { code } }"},
        headers={"X-Request-ID": "req-boom-1"},
    )

    body = response.json()
    assert body["data"] is None
    assert body["errors"][0]["message"] == "Unexpected error."
    assert body["errors"][0]["extensions"] == {"code": "INTERNAL"}
    assert "secret" not in response.text
    errors = [line for line in log_lines() if line["level"] in ("ERROR", "CRITICAL")]
    assert len(errors) == 1, errors  # once: not again by strawberry, uvicorn or us
    assert errors[0]["request_id"] == "req-boom-1" == response.headers["X-Request-ID"]
    assert errors[0]["operation"] == "Routes"
    assert "RuntimeError: secret detail" in errors[0]["traceback"]
    assert await sample(client, "cungoods_unexpected_errors_total") == unexpected + 1
    assert (
        await sample(client, "cungoods_errors_total", code="INTERNAL", source="graphql")
        == internal + 1
    )


async def test_json_log_lines_carry_the_request_id_viewer_and_operation(
    client: httpx.AsyncClient, log_lines: Callable[[], list[dict[str, Any]]]
) -> None:
    buyer = await make_user(Role.BUYER)

    response = await client.post(
        "/graphql",
        json={"query": VIEWER_PROBE},
        headers={"X-Request-ID": "abc-123", "Authorization": f"Bearer {token_for(buyer)}"},
    )

    assert response.headers["X-Request-ID"] == "abc-123"
    [line] = [entry for entry in log_lines() if entry["logger"] == "cungoods.graphql"]
    assert line["request_id"] == "abc-123"
    assert line["viewer_id"] == buyer.id
    assert line["operation"] == "ViewerProbe"
    assert line["type"] == "query" and line["error_codes"] == []
    assert line["level"] == "INFO" and "duration_ms" in line and "time" in line


async def test_a_request_without_a_usable_request_id_gets_a_new_one(
    client: httpx.AsyncClient,
) -> None:
    plain = await client.get("/healthz")
    odd = await client.get("/healthz", headers={"X-Request-ID": "bad id\twith spaces"})

    assert len(plain.headers["X-Request-ID"]) == 32
    assert odd.headers["X-Request-ID"] != "bad id\twith spaces"
    assert len(odd.headers["X-Request-ID"]) == 32


async def test_reservations_and_no_capacity_refusals_are_counted(
    client: httpx.AsyncClient,
) -> None:
    net = await make_network(stations=2, capacity_g=10_000)
    [trip] = await schedule(net)
    reserved = await sample(client, "cungoods_reservations_total", direction="DOWN")
    refused = await sample(client, "cungoods_no_capacity_total", direction="DOWN")

    async with in_transaction():
        await capacity.reserve(
            trip_id=trip.id, direction=Direction.DOWN, from_seq=0, to_seq=1, load=Load(6_000)
        )
    with pytest.raises(NoCapacity):
        async with in_transaction():
            await capacity.reserve(
                trip_id=trip.id, direction=Direction.DOWN, from_seq=0, to_seq=1, load=Load(6_000)
            )

    assert await sample(client, "cungoods_reservations_total", direction="DOWN") == reserved + 1
    assert await sample(client, "cungoods_no_capacity_total", direction="DOWN") == refused + 1


async def test_the_database_pool_gauges_are_exposed(
    client: httpx.AsyncClient, is_postgres: bool
) -> None:
    most = await sample(client, "cungoods_db_pool_connections", state="max")
    in_use = await sample(client, "cungoods_db_pool_connections", state="in_use")

    assert most >= (2 if is_postgres else 1)
    assert 0 <= in_use <= most


async def test_readyz_is_ready_when_the_database_answers_and_the_listener_is_connected(
    settings: Settings,
) -> None:
    app = create_app(settings, manage_db=False)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://test"
    ) as http:
        app.state.broker = SimpleNamespace(started=True, connected=True)
        ready = await http.get("/readyz")
        app.state.broker = SimpleNamespace(started=True, connected=False)
        listener_down = await http.get("/readyz")

    assert (ready.status_code, ready.json()) == (
        200,
        {"ready": True, "database": True, "listener": True},
    )
    assert listener_down.status_code == 503
    assert listener_down.json() == {"ready": False, "database": True, "listener": False}


class _BrokenBroker:
    started = True

    @property
    def connected(self) -> bool:
        raise RuntimeError("listener state unreadable")


async def test_an_exception_outside_graphql_is_a_bare_500_logged_once_and_counted(
    settings: Settings, log_lines: Callable[[], list[dict[str, Any]]]
) -> None:
    app = create_app(settings, manage_db=False)
    app.state.broker = _BrokenBroker()
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://test"
    ) as http:
        unexpected = await sample(http, "cungoods_unexpected_errors_total")

        response = await http.get("/readyz", headers={"X-Request-ID": "req-ready-1"})

        assert await sample(http, "cungoods_unexpected_errors_total") == unexpected + 1
    assert response.status_code == 500
    assert response.json() == {
        "errors": [{"message": "Unexpected error.", "extensions": {"code": "INTERNAL"}}]
    }
    assert response.headers["X-Request-ID"] == "req-ready-1"
    assert "unreadable" not in response.text
    [error] = [line for line in log_lines() if line["level"] in ("ERROR", "CRITICAL")]
    assert error["request_id"] == "req-ready-1"
    assert "RuntimeError: listener state unreadable" in error["traceback"]
