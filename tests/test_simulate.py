"""`cungoods simulate`: a small county day by day through the real use cases leaves every leg's
load equal to its live reservations, and its statistics are the rows'."""

from __future__ import annotations

from rich.console import Console
from rich.progress import Progress

from builders import moves_name_the_trip_they_left
from cungoods.devtools.simulate import Plan, report, simulate
from cungoods.models import Notification, Order, ProducePurchase, Trip
from cungoods.models.enums import AccountKind, OrderStatus, PurchaseStatus, TripStatus
from cungoods.services.money import ledger


async def test_a_simulated_county_keeps_the_capacity_invariant() -> None:
    # Given the demo county (seeded by the simulation) and a small plan for a day
    plan = Plan(
        days=1,
        orders_per_day=40,
        purchases_per_day=6,
        listings_per_day=2,
        villagers_per_station=1,
        concurrency=8,
    )
    console = Console(record=True, width=120)

    # When it runs
    with Progress(console=console, disable=True) as progress:
        outcome = await simulate(plan, progress)

    # Then nothing unexpected happened and the capacity invariant holds
    assert outcome.tally.failed == {}, outcome.tally.first_failures
    assert outcome.violations == []
    assert outcome.ok
    # and the day's work was done through the use cases
    assert outcome.tally.done["placeOrder"] > 0
    assert outcome.tally.done["recordTripEvent COMPLETED"] == 6  # one bus per route
    assert outcome.tally.done["confirmPickup"] > 0
    # and the statistics are the rows of the simulated days
    days = (outcome.start, outcome.end)
    sold = Order.filter(trip__service_date__range=days).exclude(status=OrderStatus.CANCELLED)
    assert outcome.stats.totals.orders == await sold.count()
    carried = ProducePurchase.filter(
        trip__service_date__range=days,
        status__in=[PurchaseStatus.IN_TRANSIT, PurchaseStatus.AT_HUB, PurchaseStatus.COLLECTED],
    )
    assert outcome.stats.totals.produce_purchases == await carried.count()
    ran = Trip.filter(service_date__range=days, status=TripStatus.COMPLETED)
    assert sum(route.trips for route in outcome.stats.routes) == await ran.count() == 6
    # and the money of the day is the ledger's: what buyers paid, less refunds, is what the
    # platform and the leaders took in (no produce was collected in one day's run)
    money = outcome.money
    assert money is not None and money.sales_fen > 0
    assert outcome.ledger_violations == []
    assert money.sales_fen - money.refunds_fen == (
        money.platform_revenue_fen
        + money.commissions_fen
        + money.farmer_credits_fen
        + await ledger.balance_of(AccountKind.PRODUCE_HELD)
    )
    report(outcome, console)
    printed = console.export_text()
    assert "Capacity invariant holds" in printed and "Ledger invariant holds" in printed
    assert "Money: top-ups" in printed


async def test_three_simulated_days_leave_nothing_in_limbo() -> None:
    # Given three days of the county with farmers who do not come and orders nobody picks up
    plan = Plan(
        days=3,
        orders_per_day=30,
        purchases_per_day=8,
        listings_per_day=2,
        villagers_per_station=1,
        concurrency=8,
    )
    with Progress(console=Console(width=120), disable=True) as progress:
        outcome = await simulate(plan, progress)

    # Then no purchase is RESERVED on a bus that has left its station, no order waits at a
    # station past the grace period, and both invariants hold
    assert outcome.tally.failed == {}, outcome.tally.first_failures
    assert outcome.limbo == {"reserved_after_departure": 0, "overdue_at_station": 0}
    assert outcome.violations == [] and outcome.ledger_violations == []
    assert outcome.ok
    # and what the first day left at the stations went back (RETURNED) rather than waiting
    assert (
        await Order.filter(status=OrderStatus.AT_STATION, service_date=outcome.start).count() == 0
    )
    # and every move of an order or a purchase to another trip named the trip it left
    await moves_name_the_trip_they_left()
    # and everyone told of it read it in their own language: no notification fell back to the
    # event's (English) message for want of a template
    untranslated = {
        (str(kind), str(text))
        for kind, text, message in await Notification.filter(language="zh").values_list(
            "kind", "text", "event__message"
        )
        if text == str(message)[:300]
    }
    assert untranslated == set()
    assert await Notification.filter(language="zh").count() > 0
