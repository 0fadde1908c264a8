"""The hub's and the stations' exceptions in `cungoods simulate` (issue 13): shortages at the hub,
short arrivals at the stations, after-sale claims.

`follow(simulation)` makes the simulation add them right after the use cases they follow, at the
same moment of the simulated day and through the real use cases, counted like the rest:
  - after the cutoff: about a third of the day's trips are short of a few items at the hub (~2 %
    of the items ordered on them, 1 to 3 units each): recordShortage;
  - when a bus arrives at a station: the leader checks it (confirmArrival), about 1 % of the
    orders there with a unit missing or damaged;
  - after a pickup: about 0.5 % of the buyers claim a unit (fileClaim), and a dispatcher decides
    at once, half approved (in full or in part), half rejected (resolveClaim).
It hooks the simulation's `attempt` (every use case the simulated day runs goes through it), so
the simulation itself needs only the one call.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any, Protocol

from cungoods.models import Order, OrderLine, SaleWindow, Trip, TripStop
from cungoods.models.enums import OrderStatus, TripStatus
from cungoods.services import arrivals, claims, shortages
from cungoods.services.auth import Viewer

SHORT_TRIPS = 1 / 3
SHORT_ITEMS = 0.02
SHORT_ARRIVALS = 0.01
CLAIMS = 0.005
REASONS = ("外箱压坏", "少了一件", "漏液")
CLAIM_REASONS = ("回家发现变质了", "数量不对", "包装破损")

Attempt = Callable[[str, Callable[[], Awaitable[Any]]], Awaitable[None]]


class _People(Protocol):
    dispatcher: Viewer
    leaders: dict[int, Viewer]


class _Simulation(Protocol):
    random: random.Random
    people: _People
    attempt: Attempt


def follow(simulation: Any) -> None:
    """Make the simulation record the exceptions after the use cases they follow."""
    sim: _Simulation = simulation
    original: Attempt = sim.attempt

    async def attempt(name: str, job: Callable[[], Awaitable[Any]]) -> None:
        await original(name, job)
        keywords = job.keywords if isinstance(job, partial) else {}
        if name == "runCutoff":
            await _shortages(sim, original)
        elif name == "recordTripEvent ARRIVED":
            await _arrival(sim, original, keywords["trip_id"], keywords["stop_seq"])
        elif name == "confirmPickup":
            await _claim(sim, original, keywords["order_id"])

    sim.attempt = attempt


async def _shortages(sim: _Simulation, attempt: Attempt) -> None:
    """Some trips of the date just cut off are short of a few items at the hub."""
    window = (
        await SaleWindow.filter(cutoff_done_at__not_isnull=True).order_by("-service_date").first()
    )
    if window is None:
        return
    for trip in await Trip.filter(service_date=window.service_date, status=TripStatus.SCHEDULED):
        if sim.random.random() >= SHORT_TRIPS:
            continue
        ordered: dict[int, int] = {}
        for item_id, quantity in await OrderLine.filter(
            order__trip_id=trip.id, order__status=OrderStatus.CONFIRMED
        ).values_list("sale_item_id", "quantity"):
            ordered[int(item_id)] = ordered.get(int(item_id), 0) + int(quantity)
        for item_id, units in sorted(ordered.items()):
            # Lines an earlier shortage took down to nothing leave no unit to be short of.
            if units < 1 or sim.random.random() >= SHORT_ITEMS:
                continue
            await attempt(
                "recordShortage",
                partial(
                    shortages.record_shortage,
                    viewer=sim.people.dispatcher,
                    trip_id=trip.id,
                    sale_item_id=item_id,
                    short_units=sim.random.randint(1, min(units, 3)),
                ),
            )


async def _arrival(sim: _Simulation, attempt: Attempt, trip_id: int, seq: int | None) -> None:
    """The station's leader checks what the bus brought; now and then a unit is missing."""
    stop = await TripStop.get_or_none(trip_id=trip_id, seq=seq)
    if stop is None or stop.station_id is None or stop.arrived_at is None:
        return
    leader = sim.people.leaders.get(stop.station_id)
    if leader is None:
        return
    missing: list[arrivals.Missing] = []
    for order in await Order.filter(
        trip_id=trip_id, station_id=stop.station_id, status=OrderStatus.AT_STATION
    ).order_by("id"):
        if sim.random.random() >= SHORT_ARRIVALS:
            continue
        lines = await OrderLine.filter(order_id=order.id).order_by("id")
        if lines:
            line = sim.random.choice(lines)
            reason = sim.random.choice(REASONS)
            missing.append(arrivals.Missing(order.id, line.sale_item_id, 1, reason))
    await attempt(
        "confirmArrival",
        partial(
            arrivals.confirm_arrival,
            viewer=leader,
            trip_id=trip_id,
            station_id=stop.station_id,
            missing=missing,
        ),
    )


async def _claim(sim: _Simulation, attempt: Attempt, order_id: int) -> None:
    """Now and then a buyer claims a unit after pickup, and a dispatcher decides at once."""
    if sim.random.random() >= CLAIMS:
        return
    order = await Order.get(id=order_id)
    lines = await OrderLine.filter(order_id=order.id).order_by("id")
    if order.status is not OrderStatus.PICKED_UP or not lines:
        return
    line = sim.random.choice(lines)
    filed: list[int] = []
    buyer = Viewer(id=order.buyer_id)

    async def file() -> None:
        claim = await claims.file_claim(
            viewer=buyer,
            order_id=order.id,
            lines=[claims.ClaimLineRequest(sale_item_id=line.sale_item_id, units=1)],
            reason=sim.random.choice(CLAIM_REASONS),
            photo_urls=[f"https://img.cungoods.invalid/claims/{order.id}.jpg"],
            claim_window=dt.timedelta(hours=24),
        )
        filed.append(claim.id)

    await attempt("fileClaim", file)
    if not filed:
        return
    approve = sim.random.random() < 0.5
    amount = None
    if approve and sim.random.random() < 0.5:
        amount = max(1, line.unit_price_fen // 2)  # part of it: the goods were still usable
    await attempt(
        "resolveClaim",
        partial(
            claims.resolve_claim,
            viewer=sim.people.dispatcher,
            claim_id=filed[0],
            approve=approve,
            refund_fen=amount,
            note="已核实" if approve else "照片看不出问题",
        ),
    )
