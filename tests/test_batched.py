"""Look-ups batched across requests (db/batched.py): a burst of sockets asking for their viewer
or for a bus's topic costs the database one statement, each caller gets its own answer, and a
failed read reaches every caller of the batch."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import TypeVar

from builders import make_network, make_user, schedule
from builders_live import statements
from cungoods.db.batched import Batched
from cungoods.models.enums import Role
from cungoods.services import live, sessions
from cungoods.services.auth import Viewer, issue_token
from cungoods.services.errors import DomainError, ErrorCode

SECRET = "batched-test-secret-0123456789abcdef0123456789"
T = TypeVar("T")


async def answer_or_code(asked: Awaitable[T]) -> T | ErrorCode:
    """What a caller gets: the answer, or the code of its refusal."""
    try:
        return await asked
    except DomainError as error:
        return error.code


async def test_a_burst_of_trip_subscribes_reads_the_trips_once(backend: str) -> None:
    network = await make_network()
    [trip] = await schedule(network)
    watcher = await make_user(Role.BUYER)
    viewer = Viewer.of(watcher)
    missing = trip.id + 1000

    def topic(trip_id: int) -> Awaitable[str | ErrorCode]:
        return answer_or_code(live.trip_topic(viewer=viewer, trip_id=trip_id))

    with statements() as log:
        answers = await asyncio.gather(*(topic(trip.id) for _ in range(200)), topic(missing))

    assert answers[:200] == [f"trip:{trip.id}"] * 200
    assert answers[200] is ErrorCode.NOT_FOUND  # only the caller of the trip that is not there
    assert len(log) == 1


async def test_a_burst_of_viewer_rereads_is_one_statement_each_with_its_own_answer(
    backend: str,
) -> None:
    network = await make_network()
    leader = await make_user(Role.LEADER, station=network.stations[0])
    buyer = await make_user(Role.BUYER)
    nobody = buyer.id + 1000  # a token whose account is not there (deleted, say)
    tokens = [
        issue_token(user_id=user_id, secret=SECRET, ttl_seconds=600)
        for user_id in (leader.id, buyer.id, nobody)
    ]

    def viewer(token: str) -> Awaitable[Viewer | ErrorCode]:
        return answer_or_code(sessions.current_viewer(token=token, secret=SECRET))

    with statements() as log:
        answers = await asyncio.gather(*(viewer(token) for token in tokens * 100))

    assert answers[:3] == [Viewer.of(leader), Viewer.of(buyer), ErrorCode.UNAUTHENTICATED]
    assert answers == answers[:3] * 100
    assert len(log) == 1


async def test_many_keys_are_read_in_bounded_chunks_and_all_answered() -> None:
    asked: list[list[int]] = []

    async def doubles(keys: list[int]) -> dict[int, int]:
        asked.append(keys)
        return {key: key * 2 for key in keys if key % 7}

    batched: Batched[int, int] = Batched(doubles, chunk=500)
    answers = await asyncio.gather(*(batched.load(key) for key in range(1200)))

    assert answers == [None if key % 7 == 0 else key * 2 for key in range(1200)]
    assert [len(keys) for keys in asked] == [500, 500, 200]


async def test_a_failed_read_reaches_every_caller_and_the_next_turn_reads_again() -> None:
    calls = 0

    async def flaky(keys: list[int]) -> dict[int, str]:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise ConnectionError("the database went away")
        return {key: "back" for key in keys}

    batched: Batched[int, str] = Batched(flaky)
    failed = await asyncio.gather(*(batched.load(key) for key in (1, 2, 2)), return_exceptions=True)
    assert [type(outcome) for outcome in failed] == [ConnectionError] * 3

    assert await asyncio.gather(batched.load(1), batched.load(2)) == ["back", "back"]


async def test_one_caller_alone_is_answered() -> None:
    async def echo(keys: list[str]) -> dict[str, str]:
        return {key: key.upper() for key in keys}

    assert await Batched(echo).load("trip") == "TRIP"
