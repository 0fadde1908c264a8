"""Trip changes: a smaller vehicle or a cancelled trip moves what no longer fits to the next trip
of the route with room, or cancels it and gives its stock back; every buyer and farmer hears of
it, and nothing stays reserved on a trip that cannot carry it."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from builders import gql, make_network, moves_name_the_trip_they_left, schedule, token_for
from builders_dispatch import NEXT_DAY, Scene, make_scene, small_vehicle
from builders_orders import SERVICE_DATE, after_cutoff, before_cutoff, sold, viewer
from builders_produce import gid, load_down, make_listing
from cungoods.models import (
    Event,
    EventTopic,
    Leg,
    Order,
    ProduceListing,
    ProducePurchase,
    SaleWindow,
    Shipment,
    Trip,
)
from cungoods.models.enums import OrderStatus, PurchaseStatus, ShipmentState, TripStatus
from cungoods.services import capacity, orders, purchases, trip_changes, trips
from cungoods.services.errors import DomainError, ErrorCode
from races import holding


async def next_trip(scene: Scene) -> Trip:
    return await Trip.get(route_id=scene.trip.route_id, service_date=NEXT_DAY)


async def live_shipments(trip: Trip) -> list[Shipment]:
    return await Shipment.filter(trip_id=trip.id, state=ShipmentState.RESERVED)


async def topics_of_last_event(**owner: int) -> set[str]:
    event = await Event.filter(**owner).order_by("-id").first()
    assert event is not None
    return {t.topic for t in await EventTopic.filter(event_id=event.id)}


async def snapshot(scene: Scene) -> tuple[Any, ...]:
    """Everything a trip change may touch."""
    return (
        await Trip.all().order_by("id").values_list("id", "vehicle_id", "status"),
        await Leg.all().order_by("id").values_list("id", "capacity_g", "used_g", "down_g"),
        await Shipment.all().order_by("id").values_list("id", "trip_id", "state"),
        await Order.all().order_by("id").values_list("id", "trip_id", "status", "service_date"),
        await ProducePurchase.all().order_by("id").values_list("id", "trip_id", "status"),
        await ProduceListing.all().order_by("id").values_list("id", "sold"),
        [await sold(item) for item in scene.shop.items.values()],
        await Event.all().count(),
    )


async def test_a_smaller_vehicle_moves_what_no_longer_fits_to_the_next_trip() -> None:
    # Given the 30 November trip (orders A-E down, produce P1-P3 up) and the 1 December trip
    scene = await make_scene(days=2)
    after_cutoff()
    small = await small_vehicle(capacity_g=8000)
    rice, dumplings = scene.shop.item("RICE"), scene.shop.item("DUMP")
    rice_sold, dumplings_sold = await sold(rice), await sold(dumplings)

    # When the dispatcher gives the trip a vehicle of 8 kg
    change = await trip_changes.swap_vehicle(
        viewer=scene.dispatcher, trip_id=scene.trip.id, vehicle_id=small.id
    )

    # Then the oldest reservations that still fit stay: A, B, C, E down, P1 and P2 up; order D
    # (6 kg) moves to the next day's bus, and P3, whose farmer only has it until 30 November,
    # is cancelled with its stock given back
    later = await next_trip(scene)
    assert [o.id for o in change.moved_orders] == [scene.orders["D"].id]
    assert change.cancelled_orders == [] and change.moved_purchases == []
    assert [p.id for p in change.cancelled_purchases] == [scene.purchases["P3"].id]
    moved = await Order.get(id=scene.orders["D"].id)
    assert (moved.trip_id, moved.service_date, moved.status) == (
        later.id,
        NEXT_DAY,
        OrderStatus.CONFIRMED,
    )
    assert (await Shipment.get(id=moved.shipment_id)).trip_id == later.id
    assert (await Shipment.get(id=scene.orders["D"].shipment_id)).state is ShipmentState.RELEASED
    assert (await sold(rice), await sold(dumplings)) == (rice_sold, dumplings_sold)
    p3 = await ProducePurchase.get(id=scene.purchases["P3"].id)
    assert p3.status is PurchaseStatus.CANCELLED
    assert (await ProduceListing.get(id=scene.listings["P3"].id)).sold == 0
    # and the trip carries only what fits its new vehicle
    trip = await Trip.get(id=scene.trip.id)
    assert trip.vehicle_id == small.id
    legs = await Leg.filter(trip_id=trip.id).order_by("seq")
    assert {leg.capacity_g for leg in legs} == {8000}
    assert [leg.used_g for leg in legs] == [7500, 4000, 5000, 2000, 7000]
    assert await capacity.invariant_violations() == []
    # and the move's event names the trip D left
    assert await moves_name_the_trip_they_left() == 1
    # and the buyer and the farmer hear of it, and so does everyone following the trip
    buyer = scene.shop.buyer.id
    assert f"user:{buyer}" in await topics_of_last_event(order_id=moved.id)
    assert await topics_of_last_event(purchase_id=p3.id) >= {
        f"user:{buyer}",
        f"user:{scene.farmers[4].id}",
    }
    last = await Event.filter(trip_id=trip.id, order_id=None, purchase_id=None).order_by("-id")
    assert last[0].kind == "TRIP_VEHICLE_CHANGED"


async def test_what_no_trip_can_take_is_cancelled_with_its_stock_given_back() -> None:
    # Given only the 30 November trip
    scene = await make_scene(days=1)
    after_cutoff()
    rice, dumplings = scene.shop.item("RICE"), scene.shop.item("DUMP")
    rice_sold, dumplings_sold = await sold(rice), await sold(dumplings)

    change = await trip_changes.swap_vehicle(
        viewer=scene.dispatcher,
        trip_id=scene.trip.id,
        vehicle_id=(await small_vehicle(capacity_g=8000)).id,
    )

    # Then order D has nowhere to go: cancelled, its rice and dumplings back on sale
    assert [o.id for o in change.cancelled_orders] == [scene.orders["D"].id]
    assert (await Order.get(id=scene.orders["D"].id)).status is OrderStatus.CANCELLED
    assert (await sold(rice), await sold(dumplings)) == (rice_sold - 5, dumplings_sold - 1)
    assert await capacity.invariant_violations() == []


async def test_a_cancelled_trip_moves_everything_that_fits_on_the_next_one() -> None:
    # Given the next day's bus has only 5 kg of room left on its first leg
    scene = await make_scene(days=2)
    after_cutoff()
    later = await next_trip(scene)
    await load_down(trip_id=later.id, to_seq=1, weight_g=995_000)

    # When the dispatcher cancels the 30 November trip
    change = await trip_changes.cancel_trip(
        viewer=scene.dispatcher, trip_id=scene.trip.id, reason="车辆故障"
    )

    # Then the oldest orders take that room (A 2 kg, B 3 kg) and the rest are cancelled;
    # produce that keeps moves, P3 (ready until 30 November) is cancelled
    names = {order.id: name for name, order in scene.orders.items()}
    assert [names[o.id] for o in change.moved_orders] == ["A", "B"]
    assert [names[o.id] for o in change.cancelled_orders] == ["C", "D", "E"]
    by_id = {p.id: name for name, p in scene.purchases.items()}
    assert [by_id[p.id] for p in change.moved_purchases] == ["P1", "P2"]
    assert [by_id[p.id] for p in change.cancelled_purchases] == ["P3"]
    # and nothing is reserved on the cancelled trip any more
    trip = await Trip.get(id=scene.trip.id)
    assert trip.status is TripStatus.CANCELLED
    assert await live_shipments(trip) == []
    assert {leg.used_g for leg in await Leg.filter(trip_id=trip.id)} == {0}
    assert {p.trip_id for p in await ProducePurchase.filter(status=PurchaseStatus.RESERVED)} == {
        later.id
    }
    assert await capacity.invariant_violations() == []
    # and the buyers are told where their orders went
    event = await Event.filter(order_id=scene.orders["A"].id).order_by("-id").first()
    assert event is not None and "车辆故障" in event.message and str(NEXT_DAY) in event.message
    assert await Event.filter(trip_id=trip.id, kind="TRIP_CANCELLED").count() == 1
    assert await moves_name_the_trip_they_left() == 4  # A, B, P1, P2

    # And running the move again (as recordTripEvent(CANCELLED) may) finds nothing to move
    again = await trip_changes.move_off_cancelled_trip(trip_id=trip.id)
    assert (again.moved_orders, again.cancelled_orders, again.moved_purchases) == ([], [], [])


async def test_cancelling_a_trip_under_way_leaves_what_is_on_board() -> None:
    scene = await make_scene(days=2)
    after_cutoff()
    await trips.record_trip_event(viewer=scene.driver, trip_id=scene.trip.id, kind="DEPARTED")

    change = await trip_changes.cancel_trip(
        viewer=scene.dispatcher, trip_id=scene.trip.id, reason="道路塌方"
    )

    # Then the orders on the bus stay with it; the produce still waiting at the stations moves
    assert change.moved_orders == [] and change.cancelled_orders == []
    on_board = await Order.filter(trip_id=scene.trip.id, status=OrderStatus.IN_TRANSIT).count()
    assert on_board == 5
    assert len(change.moved_purchases) == 2 and len(change.cancelled_purchases) == 1
    assert await capacity.invariant_violations() == []


async def expect_code(code: ErrorCode, coroutine: Any) -> None:
    with pytest.raises(DomainError) as raised:
        await coroutine
    assert raised.value.code is code


async def test_refused_changes_change_nothing() -> None:
    scene = await make_scene(days=2)
    after_cutoff()
    small = await small_vehicle(capacity_g=8000)
    before = await snapshot(scene)
    trip_id = scene.trip.id

    # Only dispatchers change trips
    await expect_code(
        ErrorCode.NOT_ALLOWED,
        trip_changes.swap_vehicle(viewer=scene.driver, trip_id=trip_id, vehicle_id=small.id),
    )
    await expect_code(
        ErrorCode.NOT_ALLOWED,
        trip_changes.cancel_trip(viewer=scene.leader(1), trip_id=trip_id, reason=""),
    )
    await expect_code(
        ErrorCode.UNAUTHENTICATED, trip_changes.cancel_trip(viewer=None, trip_id=trip_id, reason="")
    )
    # Unknown trips and vehicles, and the vehicle it has already
    await expect_code(
        ErrorCode.NOT_FOUND,
        trip_changes.swap_vehicle(viewer=scene.dispatcher, trip_id=9999, vehicle_id=small.id),
    )
    await expect_code(
        ErrorCode.NOT_FOUND,
        trip_changes.swap_vehicle(viewer=scene.dispatcher, trip_id=trip_id, vehicle_id=9999),
    )
    await expect_code(
        ErrorCode.INVALID_INPUT,
        trip_changes.swap_vehicle(
            viewer=scene.dispatcher, trip_id=trip_id, vehicle_id=scene.trip.vehicle_id
        ),
    )
    assert await snapshot(scene) == before
    # A vehicle out on another route's trip at that time
    other = await make_network(code="R2", stations=2)
    await schedule(other, SERVICE_DATE)
    before = await snapshot(scene)
    await expect_code(
        ErrorCode.INVALID_STATE,
        trip_changes.swap_vehicle(
            viewer=scene.dispatcher, trip_id=trip_id, vehicle_id=other.vehicle.id
        ),
    )
    assert await snapshot(scene) == before
    # A trip that has left the hub keeps its vehicle; a finished one cannot be cancelled
    await trips.record_trip_event(viewer=scene.driver, trip_id=trip_id, kind="DEPARTED")
    departed = await snapshot(scene)
    await expect_code(
        ErrorCode.INVALID_STATE,
        trip_changes.swap_vehicle(viewer=scene.dispatcher, trip_id=trip_id, vehicle_id=small.id),
    )
    assert await snapshot(scene) == departed
    await Trip.filter(id=trip_id).update(status=TripStatus.COMPLETED)
    completed = await snapshot(scene)
    await expect_code(
        ErrorCode.INVALID_STATE,
        trip_changes.cancel_trip(viewer=scene.dispatcher, trip_id=trip_id, reason=""),
    )
    assert await snapshot(scene) == completed


SWAP = """
mutation($input: SwapTripVehicleInput!) {
  swapTripVehicle(input: $input) {
    trip { id vehicle { plate } legs { capacity { weightG } used { weightG } } }
    report { movedOrders { number serviceDate trip { serviceDate } }
             cancelledOrders { number } movedPurchases { number }
             cancelledPurchases { number status } }
    errors { code message field }
  }
}
"""
CANCEL = """
mutation($input: CancelTripInput!) {
  cancelTrip(input: $input) {
    trip { status }
    report { movedOrders { number } cancelledOrders { number status } }
    errors { code field }
  }
}
"""


async def test_trip_changes_over_graphql(client: httpx.AsyncClient) -> None:
    scene = await make_scene(days=2)
    after_cutoff()
    small = await small_vehicle(capacity_g=8000, plate="浙H·备用01")
    dispatcher = token_for(scene.shop.dispatcher)
    variables = {
        "input": {"tripId": gid("Trip", scene.trip.id), "vehicleId": gid("Vehicle", small.id)}
    }

    # A leader is refused, with nothing else in the payload
    refused = (await gql(client, SWAP, variables, token=token_for(scene.leaders[1])))["data"][
        "swapTripVehicle"
    ]
    assert refused == {
        "trip": None,
        "report": None,
        "errors": [
            {"code": "NOT_ALLOWED", "message": refused["errors"][0]["message"], "field": None}
        ],
    }

    swapped = (await gql(client, SWAP, variables, token=dispatcher))["data"]["swapTripVehicle"]
    assert swapped["errors"] == []
    assert swapped["trip"]["vehicle"]["plate"] == "浙H·备用01"
    assert {leg["capacity"]["weightG"] for leg in swapped["trip"]["legs"]} == {8000}
    assert swapped["report"]["movedOrders"] == [
        {
            "number": scene.orders["D"].number,
            "serviceDate": NEXT_DAY.isoformat(),
            "trip": {"serviceDate": NEXT_DAY.isoformat()},
        }
    ]
    assert swapped["report"]["cancelledPurchases"] == [
        {"number": scene.purchases["P3"].number, "status": "CANCELLED"}
    ]

    cancelled = (
        await gql(
            client,
            CANCEL,
            {"input": {"tripId": gid("Trip", scene.trip.id), "reason": "暴雨"}},
            token=dispatcher,
        )
    )["data"]["cancelTrip"]
    assert cancelled["errors"] == [] and cancelled["trip"]["status"] == "CANCELLED"
    assert len(cancelled["report"]["movedOrders"]) == 4
    again = (
        await gql(
            client, CANCEL, {"input": {"tripId": gid("Trip", scene.trip.id)}}, token=dispatcher
        )
    )["data"]["cancelTrip"]
    assert again["errors"] == [{"code": "INVALID_STATE", "field": None}]
    assert await capacity.invariant_violations() == []


@pytest.mark.pg_only
async def test_a_trip_cancelled_while_people_buy_leaves_nothing_on_it() -> None:
    # Given the next day's trip, and a trip that villagers and city buyers are still booking
    scene = await make_scene(days=2)
    await SaleWindow.filter(id=scene.shop.window.id).update(cutoff_done_at=None)
    before_cutoff()
    buyer = viewer(scene.shop.buyer)
    listing = scene.listings["P1"]

    async def order() -> Order:
        return await orders.place_order(
            viewer=buyer,
            station_id=scene.shop.station(2).id,
            service_date=SERVICE_DATE,
            lines=[orders.LineRequest(scene.shop.item("RICE").id, 1)],
        )

    async def produce() -> ProducePurchase:
        return await purchases.buy_produce(
            viewer=buyer, listing_id=listing.id, quantity=1, idempotency_key=None
        )

    async def cancel() -> trip_changes.TripChange:
        return await trip_changes.cancel_trip(
            viewer=scene.dispatcher, trip_id=scene.trip.id, reason="暴雪"
        )

    # When 12 orders and 12 purchases are in flight, held inside their transactions by the
    # trip's legs (locked here; the orders behind the first at the rice's stock, the purchases
    # behind the first at the listing's), the dispatcher cancels the trip: the cancel locks the
    # trip and waits for the sale window those orders hold. 6 more orders and 6 more purchases
    # come while it waits. Then everything goes on at once.
    async with holding(Leg, trip_id=scene.trip.id) as race:
        early_orders = race.start(order() for _ in range(12))
        early_produce = race.start(produce() for _ in range(12))
        await race.blocked(24)
        [cancelling] = race.start([cancel()])
        await race.blocked(24 + 1)
        late_orders = race.start(order() for _ in range(6))
        late_produce = race.start(produce() for _ in range(6))
        await race.blocked(24 + 1 + 12)
        assert not cancelling.done()
    results = await asyncio.gather(
        *early_orders,
        *late_orders,
        *early_produce,
        *late_produce,
        cancelling,
        return_exceptions=True,
    )

    # Then everything either went through or was refused with a code, and whatever was booked
    # on the cancelled trip moved off it: nothing is reserved there and the invariant holds
    unexpected = [r for r in results if isinstance(r, Exception) and not isinstance(r, DomainError)]
    assert unexpected == []
    assert isinstance(results[-1], trip_changes.TripChange)
    assert await live_shipments(scene.trip) == []
    assert await capacity.invariant_violations() == []
    stranded = await Order.filter(trip_id=scene.trip.id).exclude(status=OrderStatus.CANCELLED)
    assert stranded == []
    # and the cancel ran after the orders in flight when it began, not before them: they all
    # went through onto the trip, and the cancel moved (or cancelled) every one of them
    change = cancelling.result()
    handled = {o.id for o in change.moved_orders + change.cancelled_orders}
    assert {task.result().id for task in early_orders} <= handled
    # and each later order was either refused or moved off the trip too
    for task in late_orders:
        assert isinstance(task.exception(), DomainError) or task.result().id in handled
    # and of the purchases, at least the one holding the listing when the cancel began landed
    # on the trip and was moved off it; none of them stayed there
    bought = [r for r in results if isinstance(r, ProducePurchase)]
    moved_off = {p.id for p in change.moved_purchases + change.cancelled_purchases}
    assert moved_off & {p.id for p in bought}
    for purchase in await ProducePurchase.filter(id__in=[p.id for p in bought]):
        assert purchase.trip_id != scene.trip.id or purchase.status is PurchaseStatus.CANCELLED


@pytest.mark.pg_only
async def test_a_purchase_waiting_for_the_legs_of_a_trip_being_cancelled_does_not_land_on_it(
    is_postgres: bool,
) -> None:
    # A purchase from a new listing takes no lock the cancel holds but the trip's legs: it reads
    # the trip as bookable, then waits for the legs while the cancel (which holds them) commits.
    # Once the legs are its, it must see the trip is cancelled and book the next bus instead.
    scene = await make_scene(days=2)
    await SaleWindow.filter(id=scene.shop.window.id).update(cutoff_done_at=None)
    before_cutoff()
    fresh = await make_listing(
        scene.farmers[4],
        scene.shop.station(4),
        title="新挖的冬笋",
        ready_from=SERVICE_DATE,
        ready_until=NEXT_DAY,
    )

    async with holding(Leg, trip_id=scene.trip.id, seq=4) as race:
        [cancel] = race.start(
            [trip_changes.cancel_trip(viewer=scene.dispatcher, trip_id=scene.trip.id, reason="雪")]
        )
        await race.blocked(1)  # the cancel holds the trip and waits for its last legs
        [buy] = race.start(
            [
                purchases.buy_produce(
                    viewer=viewer(scene.shop.buyer),
                    listing_id=fresh.id,
                    quantity=1,
                    idempotency_key=None,
                )
            ]
        )
        await race.blocked(2)  # the purchase is in flight behind the cancel's leg locks

    assert cancel.result().trip.status == TripStatus.CANCELLED
    bought = buy.result()
    assert bought.trip_id != scene.trip.id
    assert await Shipment.filter(trip_id=scene.trip.id, state=ShipmentState.RESERVED).count() == 0
    assert await capacity.invariant_violations() == []
