"""Reads side by side (services/reads.together): the answers come back in order, and when one
read fails the caller gets that read's own error (the coded one clients see), with the others
stopped rather than left running."""

from __future__ import annotations

import asyncio

import pytest

from cungoods.models import Trip
from cungoods.services import reads
from cungoods.services.errors import DomainError, ErrorCode, not_found


async def test_reads_side_by_side_answer_in_order(backend: str) -> None:
    async def later(value: str) -> str:
        await asyncio.sleep(0.01)
        return value

    async def trips() -> list[Trip | None]:
        return await reads.rows_by_id(Trip, [1])

    first, second, third = await reads.together(later("a"), trips(), later("c"))

    assert (first, second, third) == ("a", [None], "c")


async def test_a_failing_read_stops_the_others_and_raises_its_own_error() -> None:
    stopped = asyncio.Event()

    async def slow() -> None:
        try:
            await asyncio.sleep(60)
        except asyncio.CancelledError:
            stopped.set()
            raise

    async def missing() -> None:
        await asyncio.sleep(0)
        raise not_found("trip", "tripId")

    with pytest.raises(DomainError) as raised:
        await reads.together(slow(), missing())

    assert raised.value.code is ErrorCode.NOT_FOUND
    assert stopped.is_set()
