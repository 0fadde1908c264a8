"""`cungoods simulate --days N`: the demo county through N days of everyday activity, driven
through the real use cases, with the service clock moved along (services/clock.shift).

Each simulated day D runs, in the county's own rhythm:
  D-1 10:45  the dispatcher opens D's sale window; a few farmers list fresh produce
  D-1 12:00  villagers order for D (about 2,900 orders a day across 150 stations) and city buyers
             buy produce (about 430 purchases a day), all at once, `concurrency` at a time
  D-1 21:00  the cutoff confirms D's orders (on the middle day one bus breaks down after it and
             its trip gets the spare, smaller van: what no longer fits moves or is cancelled)
  D   04:30  farmers hand their produce over to the station leaders
  D   05:00  the buses run: departure, arrival and departure at every station (some late), back
             at the hub, completed; the leaders take orders off and produce on as they go
  D   09:30  villagers pick their orders up against their codes (a few never come)
  D   10:30  city buyers collect their produce at the hub
Then it prints the network statistics of the simulated dates and checks the capacity invariant.

Refusals the use cases make (NO_CAPACITY, OUT_OF_STOCK, ...) are part of the simulation and are
counted; anything unexpected is counted apart and makes the command fail.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import random
import time
from collections import Counter, defaultdict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from tortoise.transactions import in_transaction

from cungoods.config import Settings
from cungoods.db import setup as db
from cungoods.devtools import simulate_exceptions_hub, simulate_group_rules
from cungoods.models import (
    Hub,
    Order,
    ProduceListing,
    ProducePurchase,
    Route,
    SaleItem,
    SaleWindow,
    Station,
    Trip,
    TripStop,
    User,
    Vehicle,
)
from cungoods.models.enums import (
    ListingStatus,
    OrderStatus,
    PayWith,
    PurchaseStatus,
    Role,
    Temperature,
    TripStatus,
)
from cungoods.seed import county_data
from cungoods.seed.catalog import seed_products
from cungoods.seed.demo import buyer_phone, dispatcher_phone, fund_wallets, seed_demo
from cungoods.seed.produce import seed_produce
from cungoods.services import (
    capacity,
    catalog,
    clock,
    dispatch,
    listings,
    orders,
    purchases,
    returns,
    trip_changes,
    trips,
)
from cungoods.services.auth import Viewer, hash_password
from cungoods.services.dispatch_stats import NetworkStats
from cungoods.services.errors import DomainError
from cungoods.services.money import ledger, payments, signing
from cungoods.services.money.report import MoneyOfPeriod, money_of_period
from cungoods.services.scheduling import ensure_trips

VILLAGER_PASSWORD = "sim-pass"
VILLAGER_WALLET_FEN = 1_000_000  # 10,000 yuan topped up at the station: enough for any run
SPARE_PLATE = "浙H·备用01"
HEAVY_G = 5000  # goods heavier than this per unit are ordered rarely (a 10 kg sack, a water case)
MAX_ERRORS_SHOWN = 5
Job = tuple[str, Callable[[], Awaitable[Any]]]


@dataclass(frozen=True)
class Plan:
    days: int = 7
    orders_per_day: int = 2900
    purchases_per_day: int = 430
    listings_per_day: int = 20
    villagers_per_station: int = 20
    concurrency: int = 32
    seed: int = 20261130


@dataclass
class Tally:
    done: Counter[str] = field(default_factory=Counter)
    refused: Counter[str] = field(default_factory=Counter)
    failed: Counter[str] = field(default_factory=Counter)
    first_failures: list[str] = field(default_factory=list)
    seconds: defaultdict[str, float] = field(default_factory=lambda: defaultdict(float))  # by phase


@dataclass
class Outcome:
    start: dt.date
    end: dt.date
    seconds: float
    tally: Tally
    stats: NetworkStats
    violations: list[dict[str, Any]]
    ledger_violations: list[dict[str, Any]] = field(default_factory=list)
    money: MoneyOfPeriod | None = None
    # Things that must never be, counted at the end (services/returns.limbo): all zero.
    limbo: dict[str, int] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return (
            not self.violations
            and not self.ledger_violations
            and not self.tally.failed
            and not any(self.limbo.values())
        )


def set_clock(moment: dt.datetime) -> None:
    """Move the service clock so that now is `moment`."""
    clock.shift(moment - dt.datetime.now(clock.tz()))


@dataclass
class _People:
    dispatcher: Viewer
    villagers: dict[int, list[Viewer]]  # by station id
    buyers: list[Viewer]  # city buyers of produce
    farmers: list[Viewer]
    leaders: dict[int, Viewer]  # by station id
    drivers: dict[int, Viewer]  # by user id


class Simulation:
    def __init__(self, plan: Plan, progress: Progress) -> None:
        self.plan = plan
        self.progress = progress
        self.random = random.Random(plan.seed)
        self.tally = Tally()
        simulate_exceptions_hub.follow(self)  # shortages, short arrivals, claims (issue 13)

    # --- running jobs ---------------------------------------------------------------------------

    async def run(self, phase: str, jobs: Sequence[Job], *, day: dt.date | None = None) -> None:
        """Run the jobs `concurrency` at a time, counting what each use case did or refused."""
        if not jobs:
            return
        began = time.perf_counter()
        task = self.progress.add_task(f"{day or ''} {phase}".strip(), total=len(jobs))
        pending = iter(jobs)

        async def worker() -> None:
            for name, job in pending:  # one shared iterator: each worker takes the next job
                await self.attempt(name, job)
                self.progress.advance(task)

        await asyncio.gather(*(worker() for _ in range(min(self.plan.concurrency, len(jobs)))))
        self.progress.remove_task(task)
        self.tally.seconds[phase] += time.perf_counter() - began

    async def timed(self, phase: str, name: str, job: Callable[[], Awaitable[Any]]) -> None:
        began = time.perf_counter()
        await self.attempt(name, job)
        self.tally.seconds[phase] += time.perf_counter() - began

    async def attempt(self, name: str, job: Callable[[], Awaitable[Any]]) -> None:
        try:
            await job()
        except DomainError as error:
            self.tally.refused[f"{name}: {error.code.value}"] += 1
        except Exception as error:  # counted and shown: the command then fails
            self.tally.failed[f"{name}: {type(error).__name__}"] += 1
            if len(self.tally.first_failures) < MAX_ERRORS_SHOWN:
                self.tally.first_failures.append(f"{name}: {error!r}")
        else:
            self.tally.done[name] += 1

    # --- setting up ---------------------------------------------------------------------------

    async def prepare(self) -> dt.date:
        """Seed the demo county if it is missing, add the simulated villagers and the spare van,
        and schedule the buses; returns the first service date to simulate."""
        if not await Hub.filter(code=county_data.HUB.code).exists():
            await seed_demo()
        last_done = (
            await SaleWindow.filter(cutoff_done_at__not_isnull=True)
            .order_by("-service_date")
            .first()
        )
        first = clock.today() + dt.timedelta(days=1)
        if last_done is not None and last_done.service_date >= first:
            first = last_done.service_date + dt.timedelta(days=1)
        set_clock(clock.at(first - dt.timedelta(days=1), "10:00"))
        await seed_products()
        await seed_produce()
        await self._add_villagers()
        if not await Vehicle.filter(plate=SPARE_PLATE).exists():
            await Vehicle.create(
                plate=SPARE_PLATE,
                capacity_g=1_000_000,
                capacity_cm3=6_000_000,
                chilled_capacity_g=250_000,
            )
        last = first + dt.timedelta(days=self.plan.days)  # one more: moved orders may go there
        for route in await Route.all():
            await ensure_trips(route_code=route.code, start=first, end=last)
        self.people = await self._people()
        async with in_transaction():
            # Villagers pay from their wallets: each is topped up at the station once.
            await fund_wallets(
                await User.filter(phone__startswith="134", station_id__not_isnull=True),
                VILLAGER_WALLET_FEN,
            )
        self.routes = {route.id: route for route in await Route.all().prefetch_related("stops")}
        self.van_capacity = {vehicle.id: vehicle.capacity_g for vehicle in await Vehicle.all()}
        return first

    async def _add_villagers(self) -> None:
        stations = await Station.all().order_by("code")
        phones = [
            f"134{number:04d}{i:04d}"
            for number, _ in enumerate(stations, 1)
            for i in range(self.plan.villagers_per_station)
        ]
        existing = {
            str(phone)
            for phone in await User.filter(phone__in=phones).values_list("phone", flat=True)
        }
        if len(existing) == len(phones):
            return
        password_hash = hash_password(VILLAGER_PASSWORD)
        await User.bulk_create(
            [
                User(
                    phone=f"134{number:04d}{i:04d}",
                    name=f"{station.village}村民{i + 1}",
                    password_hash=password_hash,
                    roles=[Role.BUYER.value],
                    station_id=station.id,
                )
                for number, station in enumerate(stations, 1)
                for i in range(self.plan.villagers_per_station)
                if f"134{number:04d}{i:04d}" not in existing
            ],
            batch_size=1000,
        )

    async def _people(self) -> _People:
        def viewer(user: User) -> Viewer:
            return Viewer.of(user)

        villagers: dict[int, list[Viewer]] = {}
        for user in await User.filter(phone__startswith="134"):
            if user.station_id is not None:
                villagers.setdefault(user.station_id, []).append(viewer(user))
        leaders = {
            user.station_id: viewer(user)
            for user in await User.filter(phone__startswith="139")
            if user.station_id is not None and Role.LEADER.value in user.roles
        }
        farmers = [
            viewer(u)
            for u in await User.filter(phone__startswith="136").order_by("phone")
            if Role.FARMER.value in u.roles
        ]
        buyers = [
            viewer(u)
            for u in await User.filter(
                phone__in=[buyer_phone(n) for n in range(1, len(county_data.BUYERS) + 1)]
            )
        ]
        drivers = {
            user.id: viewer(user)
            for user in await User.filter(
                id__in=await Route.all().values_list("driver_id", flat=True)
            )
        }
        dispatcher = viewer(await User.get(phone=dispatcher_phone()))
        return _People(dispatcher, villagers, buyers, farmers, leaders, drivers)

    # --- one day ------------------------------------------------------------------------------

    async def day(self, service_date: dt.date, *, breakdown: bool) -> None:
        eve = service_date - dt.timedelta(days=1)
        set_clock(clock.at(eve, "10:45"))
        items = await self.open_window(service_date)
        await self.run("listings", self.listing_jobs(eve))
        set_clock(clock.at(eve, "12:00"))
        jobs = self.order_jobs(service_date, items) + await self.purchase_jobs(service_date)
        self.random.shuffle(jobs)
        await self.run("orders and produce", jobs, day=service_date)
        set_clock(clock.at(eve, "21:00") + dt.timedelta(seconds=1))
        await self.timed(
            "cutoff",
            "runCutoff",
            lambda: orders.run_cutoff(viewer=self.people.dispatcher, service_date=service_date),
        )
        if breakdown:
            set_clock(clock.at(eve, "22:00"))
            await self.timed("breakdown", "swapTripVehicle", lambda: self.break_down(service_date))
        day_trips = await Trip.filter(service_date=service_date, status=TripStatus.SCHEDULED)
        trip_ids = [trip.id for trip in day_trips]
        set_clock(clock.at(service_date, "04:30"))
        await self.run("handovers", await self.handover_jobs(trip_ids), day=service_date)
        began = time.perf_counter()
        await self.run_trips(day_trips)
        self.tally.seconds["buses"] += time.perf_counter() - began
        set_clock(clock.at(service_date, "09:30"))
        await self.run("pickups", await self.pickup_jobs(trip_ids), day=service_date)
        set_clock(clock.at(service_date, "10:30"))
        await self.run("collections", await self.collection_jobs(trip_ids), day=service_date)
        # What nobody came for goes back (the Returns timer's work, at its time of day).
        set_clock(clock.at(service_date, "11:00"))
        await self.timed("returns", "returnUncollected", lambda: returns.sweep(now=clock.now()))

    async def open_window(self, service_date: dt.date) -> list[SaleItem]:
        """The dispatcher puts the whole catalog on sale for the date, stocked for the day."""
        products = await seed_products()
        stock = max(60, self.plan.orders_per_day // 6)
        await self.attempt(
            "openSaleWindow",
            lambda: catalog.open_sale_window(
                viewer=self.people.dispatcher,
                service_date=service_date,
                opens_at=None,
                cutoff_at=None,
                items=[catalog.ItemSpec(product_id=p.id, stock=stock) for p in products.values()],
            ),
        )
        await self.attempt(
            "openSaleWindow (group rules)",
            lambda: simulate_group_rules.set_group_rules(
                viewer=self.people.dispatcher, service_date=service_date, rng=self.random
            ),
        )
        window = await SaleWindow.get(service_date=service_date)
        return await SaleItem.filter(window_id=window.id).prefetch_related("product")

    def order_jobs(self, service_date: dt.date, items: list[SaleItem]) -> list[Job]:
        light = [item for item in items if item.product.weight_g <= HEAVY_G]
        heavy = [item for item in items if item.product.weight_g > HEAVY_G]
        # Villagers order where the buses have room: each route's share follows its van.
        routes = list(self.routes.values())
        vans = {route.id: route.vehicle_id for route in routes}
        weights = [self.van_capacity.get(vans[route.id] or 0, 1) for route in routes]
        jobs: list[Job] = []
        for _ in range(self.plan.orders_per_day):
            route = self.random.choices(routes, weights=weights)[0]
            stop = self.random.choice(list(route.stops))
            villager = self.random.choice(self.people.villagers[stop.station_id])
            count = self.random.choice((1, 1, 2, 2, 2, 3, 3, 4))
            chosen = self.random.sample(light, k=min(count, len(light)))
            if heavy and self.random.random() < 0.03:
                chosen.append(self.random.choice(heavy))
            lines = [
                orders.LineRequest(
                    sale_item_id=item.id,
                    quantity=1 if item.product.weight_g > 1500 else self.random.choice((1, 1, 2)),
                )
                for item in chosen
            ]
            # Most pay from the wallet; some through the sandbox provider; a few never pay.
            luck = self.random.random()
            pay = "balance" if luck < 0.85 else "provider" if luck < 0.97 else "never"
            jobs.append(
                (
                    "placeOrder" if pay == "balance" else f"placeOrder ({pay} pays)",
                    self._place(villager, stop.station_id, service_date, lines, pay),
                )
            )
        return jobs

    @staticmethod
    def _place(
        villager: Viewer,
        station_id: int,
        service_date: dt.date,
        lines: list[orders.LineRequest],
        pay: str,
    ) -> Callable[[], Awaitable[Any]]:
        async def place() -> None:
            order = await orders.place_order(
                viewer=villager,
                station_id=station_id,
                service_date=service_date,
                lines=lines,
                pay_with=PayWith.BALANCE if pay == "balance" else PayWith.PROVIDER,
            )
            if pay != "provider":
                return  # the never-paid ones are released at the cutoff
            intent = await payments.start_payment(
                viewer=villager, order_id=order.id, idempotency_key=f"sim-{order.id}"
            )
            # What the sandbox page's Pay button sends, through the same verification.
            body = payments.sandbox_notification(intent).body()
            outcome = await payments.notify(
                body=body,
                signature=signing.sign(body, payments.SANDBOX_SECRET),
                secret=payments.SANDBOX_SECRET,
            )
            if outcome is not payments.Outcome.SETTLED:
                raise RuntimeError(f"the sandbox payment of order {order.id} was {outcome}")

        return place

    def listing_jobs(self, today: dt.date) -> list[Job]:
        """A few farmers list a fresh batch of what they grow (a demo listing as the pattern)."""
        jobs: list[Job] = []
        for _ in range(self.plan.listings_per_day):
            pattern = self.random.choice(county_data.LISTINGS)
            farmer = self.people.farmers[pattern.farmer_index % len(self.people.farmers)]
            ready_from = today + dt.timedelta(days=self.random.choice((0, 1, 1, 2)))
            values = listings.ListingFields(
                title=pattern.title,
                category=pattern.category,
                unit=pattern.unit,
                unit_weight_g=pattern.unit_weight_g,
                unit_volume_cm3=pattern.unit_volume_cm3,
                price_fen=pattern.price_fen,
                quantity=pattern.quantity * 4,
                ready_from=ready_from,
                ready_until=ready_from + dt.timedelta(days=self.random.randint(4, 10)),
                variety=pattern.variety,
                grade=pattern.grade,
                min_quantity=pattern.min_quantity,
                temperature=Temperature(pattern.temperature),
                description=pattern.description,
            )
            jobs.append(
                (
                    "createListing",
                    partial(listings.create_listing, viewer=farmer, values=values),
                )
            )
        return jobs

    async def purchase_jobs(self, service_date: dt.date) -> list[Job]:
        """City buyers buy what is on offer and ready soon; the plan keeps its own count of what
        is left, so it does not send buyers after produce it has sold out already."""
        left = {
            listing.id: listing.quantity - listing.sold
            for listing in await ProduceListing.filter(
                status=ListingStatus.OPEN,
                ready_until__gte=service_date,
                ready_from__lte=service_date + dt.timedelta(days=2),
            )
        }
        found = {
            listing.id: listing
            for listing in await ProduceListing.filter(id__in=[i for i, n in left.items() if n > 0])
        }
        jobs: list[Job] = []
        for _ in range(self.plan.purchases_per_day):
            choices = [listing for listing in found.values() if left[listing.id] > 0]
            if not choices:
                break
            listing = self.random.choice(choices)
            buyer = self.random.choice(self.people.buyers)
            target_g = self.random.randint(3_000, 20_000)
            wanted = max(listing.min_quantity, round(target_g / listing.unit_weight_g))
            quantity = min(wanted, left[listing.id])
            if quantity < listing.min_quantity:
                left[listing.id] = 0
                continue
            left[listing.id] -= quantity
            jobs.append(
                (
                    "buyProduce",
                    partial(
                        purchases.buy_produce,
                        viewer=buyer,
                        listing_id=listing.id,
                        quantity=quantity,
                        idempotency_key=None,
                    ),
                )
            )
        return jobs

    async def break_down(self, service_date: dt.date) -> trip_changes.TripChange:
        """The van of the day's busiest route breaks down: the spare one runs the trip."""
        spare = await Vehicle.get(plate=SPARE_PLATE)
        day_trips = await Trip.filter(service_date=service_date, status=TripStatus.SCHEDULED)
        confirmed = {
            trip.id: await Order.filter(trip_id=trip.id, status=OrderStatus.CONFIRMED).count()
            for trip in day_trips
        }
        busiest = max(day_trips, key=lambda trip: (confirmed[trip.id], -trip.id))
        return await trip_changes.swap_vehicle(
            viewer=self.people.dispatcher, trip_id=busiest.id, vehicle_id=spare.id
        )

    async def handover_jobs(self, trip_ids: list[int]) -> list[Job]:
        jobs: list[Job] = []
        for purchase in await ProducePurchase.filter(
            trip_id__in=trip_ids, status=PurchaseStatus.RESERVED
        ):
            roll = self.random.random()
            if roll < 0.02:
                continue  # the farmer did not come
            quantity = purchase.quantity
            if roll < 0.05 and quantity > 1:
                quantity = self.random.randint(1, quantity - 1)  # the harvest fell short
            leader = self.people.leaders[purchase.station_id]
            jobs.append(
                (
                    "confirmHandover",
                    partial(
                        purchases.confirm_handover,
                        viewer=leader,
                        purchase_id=purchase.id,
                        quantity=quantity,
                    ),
                )
            )
        return jobs

    async def run_trips(self, day_trips: list[Trip]) -> None:
        """Every bus of the day, stop by stop, on the service clock; events of different buses
        at the same minute are reported at once."""
        timeline: list[tuple[dt.datetime, int, str, int | None, int | None]] = []
        for trip in day_trips:
            stops = await TripStop.filter(trip_id=trip.id).order_by("seq")
            timeline += self._trip_events(trip, stops)
        timeline.sort(key=lambda event: (event[0], event[1]))
        task = self.progress.add_task(f"{day_trips[0].service_date} buses", total=len(timeline))
        drivers = {trip.id: self.people.drivers.get(trip.driver_id or 0) for trip in day_trips}
        index = 0
        while index < len(timeline):
            moment = timeline[index][0]
            group = []
            while index < len(timeline) and timeline[index][0] == moment:
                group.append(timeline[index])
                index += 1
            set_clock(moment)
            by_trip: dict[int, list[tuple[str, int | None, int | None]]] = {}
            for _, trip_id, kind, seq, minutes in group:
                by_trip.setdefault(trip_id, []).append((kind, seq, minutes))

            async def report(trip_id: int, events: list[tuple[str, int | None, int | None]]):
                for kind, seq, minutes in events:
                    await self.attempt(
                        f"recordTripEvent {kind}",
                        partial(
                            trips.record_trip_event,
                            viewer=drivers[trip_id] or self.people.dispatcher,
                            trip_id=trip_id,
                            kind=kind,
                            stop_seq=seq,
                            minutes=minutes,
                            note="路上堵车" if kind == "DELAYED" else "",
                        ),
                    )
                    self.progress.advance(task)

            await asyncio.gather(*(report(t, events) for t, events in by_trip.items()))
        self.progress.remove_task(task)

    def _trip_events(
        self, trip: Trip, stops: list[TripStop]
    ) -> list[tuple[dt.datetime, int, str, int | None, int | None]]:
        """When each event of a trip happens: most buses keep time within a few minutes, some
        report a delay on the way and arrive that much later."""
        minute = dt.timedelta(minutes=1)
        late = self.random.randint(0, 3)
        departs = stops[0].planned_at + late * minute
        events: list[tuple[dt.datetime, int, str, int | None, int | None]] = [
            (departs, trip.id, "DEPARTED", 0, None)
        ]
        delayed_at = self.random.randint(1, len(stops) - 2) if self.random.random() < 0.25 else None
        previous_left = departs
        for stop in stops[1:]:
            if stop.seq == delayed_at:
                extra = self.random.randint(8, 30)
                events.append((previous_left + minute, trip.id, "DELAYED", stop.seq - 1, extra))
                late += extra
            late = max(-2, late + self.random.randint(-2, 2))
            arrives = max(stop.planned_at + late * minute, previous_left + 2 * minute)
            events.append((arrives, trip.id, "ARRIVED", stop.seq, None))
            if stop.station_id is None:  # back at the hub
                events.append((arrives + 5 * minute, trip.id, "COMPLETED", None, None))
            else:
                previous_left = arrives + 2 * minute
                events.append((previous_left, trip.id, "LEFT", stop.seq, None))
        return [(moment.replace(second=0, microsecond=0), *rest) for moment, *rest in events]  # type: ignore[misc]

    async def pickup_jobs(self, trip_ids: list[int]) -> list[Job]:
        jobs: list[Job] = []
        for order in await Order.filter(trip_id__in=trip_ids, status=OrderStatus.AT_STATION):
            if self.random.random() < 0.03:
                continue  # not collected today
            leader = self.people.leaders[order.station_id]
            jobs.append(
                (
                    "confirmPickup",
                    partial(
                        orders.confirm_pickup,
                        viewer=leader,
                        order_id=order.id,
                        pickup_code=order.pickup_code,
                    ),
                )
            )
        return jobs

    async def collection_jobs(self, trip_ids: list[int]) -> list[Job]:
        jobs: list[Job] = []
        for purchase in await ProducePurchase.filter(
            trip_id__in=trip_ids, status=PurchaseStatus.AT_HUB
        ):
            if self.random.random() < 0.08:
                continue  # collected another day
            jobs.append(
                (
                    "confirmCollection",
                    partial(
                        purchases.confirm_collection,
                        viewer=self.people.dispatcher,
                        purchase_id=purchase.id,
                        collect_code=purchase.collect_code,
                    ),
                )
            )
        return jobs


# --- the command ------------------------------------------------------------------------------


async def simulate(plan: Plan, progress: Progress) -> Outcome:
    """Run the simulation on the connected database (see the module's docstring)."""
    simulation = Simulation(plan, progress)
    began = time.perf_counter()
    first = await simulation.prepare()
    last = first + dt.timedelta(days=plan.days - 1)
    days = progress.add_task("days", total=plan.days)
    middle = first + dt.timedelta(days=plan.days // 2)
    for offset in range(plan.days):
        service_date = first + dt.timedelta(days=offset)
        await simulation.day(service_date, breakdown=plan.days >= 3 and service_date == middle)
        progress.advance(days)
    violations = await capacity.invariant_violations()
    ledger_violations = await ledger.invariant_violations()
    limbo = await returns.limbo(now=clock.now())
    money = await money_of_period(
        since=clock.at(first - dt.timedelta(days=1), "00:00"),
        until=clock.at(last + dt.timedelta(days=1), "00:00"),
    )
    stats = await dispatch.network_stats(viewer=simulation.people.dispatcher, start=first, end=last)
    return Outcome(
        start=first,
        end=last,
        seconds=time.perf_counter() - began,
        tally=simulation.tally,
        stats=stats,
        violations=violations,
        ledger_violations=ledger_violations,
        money=money,
        limbo=limbo,
    )


async def run_simulation(settings: Settings, plan: Plan, console: Console) -> int:
    """`cungoods simulate`: migrate, connect, simulate, print; the exit status."""
    clock.configure(settings.tz)
    await db.migrate(settings.database_url)
    await db.connect(settings.database_url)
    try:
        with Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
        ) as progress:
            outcome = await simulate(plan, progress)
    finally:
        clock.shift(dt.timedelta(0))
        await db.close()
    report(outcome, console)
    return 0 if outcome.ok else 1


def report(outcome: Outcome, console: Console) -> None:
    stats, tally = outcome.stats, outcome.tally
    table = Table(title=f"Network statistics {outcome.start} – {outcome.end}")
    for column in ("route", "trips", "orders", "sales ¥", "purchases", "kg to city", "produce ¥"):
        table.add_column(column, justify="right", no_wrap=True)
    for column in ("down", "up", "on time (≤10 min)"):
        table.add_column(column, justify="right", no_wrap=True)

    def row(name: str, trips_run: str, f: Any) -> list[str]:
        return [
            name,
            trips_run,
            f"{f.orders:,}",
            f"{f.sales_fen / 100:,.0f}",
            f"{f.produce_purchases:,}",
            f"{f.produce_g / 1000:,.0f}",
            f"{f.produce_fen / 100:,.0f}",
            f"{f.down_utilization:.0%}",
            f"{f.up_utilization:.0%}",
            f"{f.on_time}/{f.arrivals} ({f.on_time_rate:.0%})",
        ]

    for item in stats.routes:
        table.add_row(*row(item.route.code, str(item.trips), item.figures))
    table.add_row(*row("all", str(sum(r.trips for r in stats.routes)), stats.totals), style="bold")
    console.print(table)

    busiest = sorted(stats.stations, key=lambda s: -s.figures.orders)[:5]
    console.print(
        "Busiest stations: "
        + ", ".join(f"{s.station.name} ({s.figures.orders} orders)" for s in busiest)
    )
    done = ", ".join(f"{name} {count:,}" for name, count in sorted(tally.done.items()))
    console.print(f"Done: {done}")
    if tally.refused:
        refused = ", ".join(f"{name} {count:,}" for name, count in sorted(tally.refused.items()))
        console.print(f"Refused (as the rules say): {refused}")
    if tally.failed:
        failed = ", ".join(f"{name} {count:,}" for name, count in sorted(tally.failed.items()))
        console.print(f"[red]Unexpected failures: {failed}[/red]")
        for line in tally.first_failures:
            console.print(f"  {line}")
    if outcome.violations:
        console.print(f"[red]Capacity invariant broken on {len(outcome.violations)} legs[/red]")
    else:
        console.print("Capacity invariant holds: every leg's load is its live reservations.")
    if outcome.money is not None:
        money = outcome.money
        figures = [
            ("top-ups", money.top_ups_fen),
            ("sales", money.sales_fen),
            ("refunds", money.refunds_fen),
            ("leader commissions", money.commissions_fen),
            ("farmers credited", money.farmer_credits_fen),
            ("platform revenue", money.platform_revenue_fen),
        ]
        console.print("Money: " + ", ".join(f"{name} {fen / 100:,.2f} 元" for name, fen in figures))
    if outcome.ledger_violations:
        console.print(f"[red]Ledger invariant broken: {outcome.ledger_violations[:5]}[/red]")
    else:
        console.print("Ledger invariant holds: every transaction sums to 0, every balance adds up.")
    if any(outcome.limbo.values()):
        console.print(f"[red]Left in limbo: {outcome.limbo}[/red]")
    else:
        console.print(
            "Nothing in limbo: no purchase RESERVED on a bus that has left its station, no order "
            "at a station past the pickup grace period."
        )
    slowest = sorted(tally.seconds.items(), key=lambda phase: -phase[1])
    phases = ", ".join(f"{name} {seconds:.0f} s" for name, seconds in slowest)
    console.print(
        f"Simulated {outcome.start} – {outcome.end} in {outcome.seconds:.1f} s ({phases})."
    )
