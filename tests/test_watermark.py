"""The outbox watermark's checks (events/watermark.py): checks asked for together share one
scan of the event log, and each still judges exactly the events above its own mark."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from builders_live import statements
from cungoods.events import watermark
from cungoods.events.watermark import Mark
from cungoods.models import Event


def scans(sent: list[str]) -> list[str]:
    return [text for text in sent if "FROM event WHERE id >" in text]


async def events(trip_ids: list[int]) -> list[int]:
    """One event per trip id, in that order; their ids."""
    await Event.bulk_create([Event(kind="DELAYED", trip_id=trip) for trip in trip_ids])
    return [e.id for e in await Event.all().order_by("id")]


def about(trip: int) -> Callable[[watermark.Trips], bool]:
    return lambda changed: changed is None or trip in changed


async def test_checks_asked_together_share_one_scan_and_judge_their_own_events(
    backend: str,
) -> None:
    # Given six events: three of trip 1, then three of trip 2
    ids = await events([1, 1, 1, 2, 2, 2])

    # When three answers about trip 1, marked at different moments, are checked together
    marks = [Mark(floor=ids[1], seen=frozenset()), Mark(floor=ids[3], seen=frozenset())]
    marks.append(Mark(floor=ids[5], seen=frozenset()))
    with statements() as sent:
        found = await asyncio.gather(
            *(watermark.recheck(mark, horizon=None, concerns=about(1)) for mark in marks)
        )

    # Then only the first has a newer event of its trip (the third), the second saw only
    # trip 2's, the last none; and the log was scanned once for all three
    assert [check.changed for check in found] == [True, False, False]
    assert [check.now.floor if check.now else None for check in found][2] == ids[5]
    assert len(scans(sent)) == 1, sent


async def test_a_check_the_shared_scan_cut_short_reads_its_own(backend: str) -> None:
    # Given more events than a check reads at most (trip 5's last two among them)
    count = watermark.MAX_ABOVE + 40
    ids = await events([9] * (count - 2) + [5, 5])

    # When a check from before them all and one from just before the last two run together
    old = Mark(floor=0, seen=frozenset())
    recent = Mark(floor=ids[-3], seen=frozenset())
    with statements() as sent:
        everything, last_two = await asyncio.gather(
            watermark.recheck(old, horizon=None, concerns=about(7)),
            watermark.recheck(recent, horizon=None, concerns=about(5)),
        )

    # Then the old one has too many to judge (as if changed, no mark), and the recent one,
    # which the shared scan stopped short of, read its own and found trip 5's events
    assert everything.changed and everything.now is None
    assert last_two.changed and last_two.now is not None
    assert len(scans(sent)) == 2, sent
