"""Live status across server processes on PostgreSQL: LISTEN/NOTIFY between two uvicorn servers,
a listener killed by PostgreSQL while events are written, ids that commit out of order, and a
clean shutdown with subscribers connected."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from tortoise.transactions import in_transaction

from builders import token_for
from builders_live import (
    TRIP_UPDATES,
    Closed,
    ServerProcess,
    make_line,
    make_user,
    start_server,
)
from cungoods.api.ids import pk_of
from cungoods.events import outbox
from cungoods.events.broker import EventRecord
from cungoods.events.pg_listener import APPLICATION_NAME, PgBroker, listener_dsn
from cungoods.models import EventTopic
from cungoods.models.enums import Role
from cungoods.services import trips
from cungoods.services.auth import Viewer

pytestmark = pytest.mark.pg_only


def database_url() -> str:
    return os.environ["CUNGOODS_TEST_URL"]


@contextlib.asynccontextmanager
async def servers(count: int, log_dir: Path) -> AsyncIterator[list[ServerProcess]]:
    started = [await start_server(database_url(), log_dir) for _ in range(count)]
    try:
        yield started
    finally:
        for server in started:
            server.stop()


def event_ids(events: list[dict[str, Any]]) -> list[int]:
    return [pk_of(event["id"], "DeliveryEvent") for event in events]


async def topic_ids(topic: str) -> list[int]:
    rows = await EventTopic.filter(topic=topic).order_by("event_id").values_list("event_id")
    return [row[0] for row in rows]


async def terminate_listeners() -> int:
    """Kill every server's listening connection from the PostgreSQL side."""
    connection = await asyncpg.connect(listener_dsn(database_url()))
    try:
        killed = await connection.fetch(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE application_name = $1 AND datname = current_database()",
            APPLICATION_NAME,
        )
    finally:
        await connection.close()
    return sum(1 for row in killed if row[0])


async def listener_pids() -> set[int]:
    connection = await asyncpg.connect(listener_dsn(database_url()))
    try:
        rows = await connection.fetch(
            "SELECT pid FROM pg_stat_activity WHERE application_name = $1 "
            "AND datname = current_database()",
            APPLICATION_NAME,
        )
    finally:
        await connection.close()
    return {row[0] for row in rows}


async def test_a_subscriber_on_one_server_sees_a_mutation_made_on_another(
    tmp_path: Path,
) -> None:
    # Given two server processes on one database, and someone following a trip on the second
    line = await make_line(stations=2)
    watcher = token_for(await make_user(Role.BUYER))
    async with servers(2, tmp_path) as (first, second), second.socket(watcher) as socket:
        await socket.follow("t", TRIP_UPDATES, {"id": line.trip_gid})

        # When the driver reports the departure to the first server, and the arrival to the
        # second
        departed = await first.record(token_for(line.driver), tripId=line.trip_gid, kind="DEPARTED")
        assert departed["errors"] == []
        await second.record(token_for(line.driver), tripId=line.trip_gid, kind="ARRIVED", stopSeq=1)

        # Then the subscriber on the second sees both, in order
        seen = await socket.events("t", "tripUpdates", 2)
        assert [event["kind"] for event in seen] == ["TRIP_DEPARTED", "TRIP_ARRIVED"]

        # And a server stopped with subscribers connected shuts down cleanly: the socket is
        # closed with 1012 (service restart: reconnect and resume with the last cursor)
        # (uvicorn re-raises the SIGTERM it handled once it is done, hence the exit status)
        assert second.stop() in (0, -signal.SIGTERM)
        with pytest.raises(Closed) as closed:
            await socket.receive()
        assert closed.value.code == 1012
    for server in (first, second):
        assert "Traceback" not in server.output(), server.output()


async def test_killing_the_listening_connection_while_events_are_written_loses_none(
    tmp_path: Path,
) -> None:
    # Given a server and a subscriber following a trip
    line = await make_line(stations=1)
    dispatcher = Viewer.of(line.dispatcher)
    async with servers(1, tmp_path) as (server,), server.socket(token_for(line.driver)) as socket:
        await socket.follow("t", TRIP_UPDATES, {"id": line.trip_gid})
        before = await listener_pids()

        # When 60 events are written while PostgreSQL twice kills the server's listener
        for n in range(60):
            if n in (15, 40):
                assert await terminate_listeners() == 1
            await trips.record_trip_event(
                viewer=dispatcher, trip_id=line.trip.id, kind="DELAYED", minutes=1
            )

        # Then the subscriber gets every one of them, in order, once
        received = await socket.events("t", "tripUpdates", 60)
        assert event_ids(received) == await topic_ids(f"trip:{line.trip.id}")
        # and the server is listening again on a new connection
        for _ in range(100):
            if (await server.health())["listener"]:
                break
            await asyncio.sleep(0.05)
        assert (await server.health())["listener"] is True
        assert (await listener_pids()).isdisjoint(before)


@contextlib.asynccontextmanager
async def running_broker() -> AsyncIterator[PgBroker]:
    broker = PgBroker(database_url=database_url())
    await broker.start()
    try:
        yield broker
    finally:
        await broker.stop()


@contextlib.asynccontextmanager
async def collecting(broker: PgBroker, topic: str) -> AsyncIterator[asyncio.Queue[EventRecord]]:
    """Follow `topic` from now on into a queue."""
    received: asyncio.Queue[EventRecord] = asyncio.Queue()

    async def follow() -> None:
        async for record in broker.follow(topic, after=None):
            received.put_nowait(record)

    task = asyncio.create_task(follow())
    try:
        yield received
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def until(condition: Any) -> None:
    for _ in range(400):
        if condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the condition never held")


async def test_an_event_whose_id_commits_late_is_delivered_in_order_not_skipped() -> None:
    async with running_broker() as broker, collecting(broker, "trip:7") as received:
        # Given a transaction that has written event A and not committed yet
        written: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        release = asyncio.Event()

        async def slow_writer() -> None:
            async with in_transaction():
                event = await outbox.record("TRIP_DELAYED", message="A", trip_id=7)
                written.set_result(event.id)
                await release.wait()

        slow = asyncio.create_task(slow_writer())
        a_id = await written

        # When event B, with a later id, commits first
        b = await outbox.record("TRIP_DELAYED", message="B", trip_id=7)
        assert b.id > a_id
        # (the broker has seen B and is waiting on the gap A leaves)
        await until(lambda: broker._probe is not None)
        assert received.empty()
        assert broker.horizon < a_id

        # and then A commits
        release.set()
        await slow

        # Then A comes first and B after it, each once
        first, second = await received.get(), await received.get()
        assert [first.message, second.message] == ["A", "B"]
        assert received.empty()


async def test_an_id_whose_transaction_rolled_back_does_not_hold_the_others_up() -> None:
    async with running_broker() as broker, collecting(broker, "trip:8") as received:
        # Given a transaction that took an event id, then B committed, then the first rolled back
        written: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        release = asyncio.Event()

        async def failing_writer() -> None:
            with contextlib.suppress(RuntimeError):
                async with in_transaction():
                    event = await outbox.record("TRIP_DELAYED", message="lost", trip_id=8)
                    written.set_result(event.id)
                    await release.wait()
                    raise RuntimeError("rolled back")

        failing = asyncio.create_task(failing_writer())
        await written
        await outbox.record("TRIP_DELAYED", message="B", trip_id=8)
        await until(lambda: broker._probe is not None)
        release.set()
        await failing

        # When another event follows
        await outbox.record("TRIP_DELAYED", message="C", trip_id=8)

        # Then B and C arrive: the dead id was recognised as such
        messages = [(await received.get()).message, (await received.get()).message]
        assert messages == ["B", "C"]


async def test_many_concurrent_writers_reach_a_subscriber_complete_and_in_id_order() -> None:
    async with running_broker() as broker, collecting(broker, "trip:9") as received:
        # When 20 writers each write 10 events at once (ids commit in any order)
        async def writer(n: int) -> None:
            for i in range(10):
                async with in_transaction():
                    await outbox.record("TRIP_DELAYED", message=f"{n}-{i}", trip_id=9)

        await asyncio.gather(*(writer(n) for n in range(20)))

        # Then the subscriber gets all 200, in id order, each once
        got = [await received.get() for _ in range(200)]
        assert [record.id for record in got] == await topic_ids("trip:9")
        assert received.empty()
