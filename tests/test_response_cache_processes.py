"""Two server processes on one PostgreSQL database, both with the response cache on: right after
a mutation's response comes back from one, the other never answers from before it."""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import sys
from collections.abc import AsyncIterator

import httpx
import pytest

from builders import TEST_SECRET, gql, token_for
from builders_dispatch import make_scene
from builders_live import live_server
from builders_produce import gid
from cungoods.config import Settings

READ = """
query Trip($trip: ID!) {
  trip(id: $trip) { delayMinutes stops { seq expectedAt } }
}
"""
DELAY = """
mutation Delay($input: RecordTripEventInput!) {
  recordTripEvent(input: $input) { trip { delayMinutes stops { seq expectedAt } } errors { code } }
}
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.asynccontextmanager
async def other_process(backend: str) -> AsyncIterator[httpx.AsyncClient]:
    """`cungoods serve` in a process of its own on the test database, cache on."""
    port = _free_port()
    env = {key: value for key, value in os.environ.items() if not key.startswith("CUNGOODS_")}
    env |= {
        "CUNGOODS_DATABASE_URL": backend,
        "CUNGOODS_SECRET_KEY": TEST_SECRET,
        "CUNGOODS_DEMO": "false",
        "CUNGOODS_RESPONSE_CACHE": "1",
        "CUNGOODS_LOG_LEVEL": "WARNING",
    }
    process = await asyncio.create_subprocess_exec(
        *(sys.executable, "-m", "cungoods.cli", "serve", "--port", str(port)),
        env=env,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30) as http:
            for _ in range(300):
                assert process.returncode is None, "the other server exited"
                with contextlib.suppress(httpx.TransportError):
                    if (await http.get("/readyz")).status_code == 200:
                        break
                await asyncio.sleep(0.2)
            else:
                raise AssertionError("the other server did not come up")
            yield http
    finally:
        process.terminate()
        await asyncio.wait_for(process.wait(), timeout=30)


async def test_the_other_process_never_serves_an_answer_from_before_a_mutation(
    settings: Settings, backend: str, is_postgres: bool
) -> None:
    if not is_postgres:
        pytest.skip("several processes share a database on PostgreSQL only")
    scene = await make_scene()
    trip = gid("Trip", scene.trip.id)
    dispatcher = token_for(scene.shop.dispatcher)
    async with (
        live_server(settings.model_copy(update={"response_cache": True})) as here,
        other_process(backend) as there,
    ):
        servers = [here.http, there]
        for round_ in range(8):
            # Both have the answer cached (the second read of each is a hit)
            for http in servers:
                for _ in range(2):
                    await gql(http, READ, {"trip": trip}, token=dispatcher)
            # The mutation through one of them (in turn); its response is back ...
            writer, reader = servers[round_ % 2], servers[1 - round_ % 2]
            body = await gql(
                writer,
                DELAY,
                {"input": {"tripId": trip, "kind": "DELAYED", "minutes": 5 + round_}},
                token=dispatcher,
            )
            after = body["data"]["recordTripEvent"]["trip"]
            # ... so at once both answer with the change, the other process included
            for http in (reader, writer):
                read = (await gql(http, READ, {"trip": trip}, token=dispatcher))["data"]["trip"]
                assert read == after, (round_, http is there)
        metrics = (await there.get("/metrics")).text
    hits = [
        line
        for line in metrics.splitlines()
        if line.startswith('cungoods_response_cache_total{outcome="hit"}')
    ]
    assert hits and float(hits[0].split()[-1]) >= 8  # the other process did serve from its cache
