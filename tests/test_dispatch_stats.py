"""networkStats: after a trip has run, the figures per route and per station are the rows'."""

from __future__ import annotations

import datetime as dt

import httpx
import pytest

from builders import gql, token_for
from builders_dispatch import Scene, make_scene
from builders_orders import SERVICE_DATE, set_clock, viewer
from cungoods.models import Leg, Order, ProducePurchase, Shipment
from cungoods.models.enums import OrderStatus, PurchaseStatus
from cungoods.services import dispatch, purchases, trips
from cungoods.services.errors import DomainError, ErrorCode


async def run_the_trip(scene: Scene) -> None:
    """Produce handed over at stations 4 (all 10 斤 of P1) and 2 (3 of the 4 斤 of P2; P3 is
    never brought), then the trip runs: on time at stations 1, 3 and 4, a quarter of an hour
    late at station 2 and twenty minutes late back at the hub."""
    set_clock(SERVICE_DATE, "05:30")
    await purchases.confirm_handover(
        viewer=scene.leader(4), purchase_id=scene.purchases["P1"].id, quantity=10
    )
    await purchases.confirm_handover(
        viewer=scene.leader(2), purchase_id=scene.purchases["P2"].id, quantity=3
    )
    driver, trip_id = scene.driver, scene.trip.id
    set_clock(SERVICE_DATE, "06:00")
    await trips.record_trip_event(viewer=driver, trip_id=trip_id, kind="DEPARTED")
    for seq, hhmm in ((1, "06:20"), (2, "06:45"), (3, "06:49"), (4, "06:59")):
        set_clock(SERVICE_DATE, hhmm)
        await trips.record_trip_event(viewer=driver, trip_id=trip_id, kind="ARRIVED", stop_seq=seq)
        await trips.record_trip_event(viewer=driver, trip_id=trip_id, kind="LEFT", stop_seq=seq)
    set_clock(SERVICE_DATE, "07:30")
    await trips.record_trip_event(viewer=driver, trip_id=trip_id, kind="ARRIVED", stop_seq=5)
    await trips.record_trip_event(viewer=driver, trip_id=trip_id, kind="COMPLETED")


async def test_the_stats_are_the_rows_added_up() -> None:
    # Given a trip that has run
    scene = await make_scene()
    await run_the_trip(scene)

    # When the dispatcher asks for the day's figures
    stats = await dispatch.network_stats(
        viewer=scene.dispatcher, start=SERVICE_DATE, end=SERVICE_DATE
    )

    # Then the route's figures are its rows added up
    [route] = stats.routes
    figures = route.figures
    sold = await Order.filter(trip_id=scene.trip.id).exclude(status=OrderStatus.CANCELLED)
    assert (route.trips, figures.orders) == (1, 5)
    assert figures.sales_fen == sum(order.total_fen for order in sold)
    carried = await ProducePurchase.filter(status=PurchaseStatus.AT_HUB)
    assert sorted(p.id for p in carried) == sorted(
        [scene.purchases["P1"].id, scene.purchases["P2"].id]
    )
    shipments = await Shipment.filter(id__in=[p.shipment_id for p in carried])
    assert figures.produce_purchases == 2
    assert figures.produce_g == sum(s.weight_g for s in shipments) == 5000 + 1500
    assert figures.produce_fen == sum(p.total_fen for p in carried) == (10 + 3) * 350
    legs = await Leg.filter(trip_id=scene.trip.id).order_by("seq")
    capacity = sum(leg.capacity_g for leg in legs)
    assert figures.down_utilization == round(sum(leg.down_g for leg in legs) / capacity, 4)
    assert figures.up_utilization == round(
        sum(leg.used_g - leg.down_g for leg in legs) / capacity, 4
    )
    assert figures.up_utilization > 0
    # on time within 10 minutes: stations 1, 3 (9 min late) and 4, not station 2 nor the hub
    assert (figures.arrivals, figures.on_time, figures.on_time_rate) == (5, 3, 0.6)
    assert stats.totals == figures

    # And each station's figures are its own rows
    by_code = {item.station.code: item.figures for item in stats.stations}
    station_2 = by_code[scene.shop.station(2).code]
    assert (station_2.orders, station_2.sales_fen) == (1, scene.orders["C"].total_fen)
    assert (station_2.produce_purchases, station_2.produce_g) == (1, 1500)
    assert (station_2.arrivals, station_2.on_time) == (1, 0)
    assert station_2.down_utilization == round(legs[1].down_g / legs[1].capacity_g, 4)
    assert station_2.up_utilization == round(
        (legs[2].used_g - legs[2].down_g) / legs[2].capacity_g, 4
    )
    station_3 = by_code[scene.shop.station(3).code]
    assert (station_3.orders, station_3.on_time, station_3.produce_purchases) == (2, 1, 0)
    assert sum(f.orders for f in by_code.values()) == 5


async def test_dates_without_trips_have_nothing_to_show() -> None:
    scene = await make_scene()
    await run_the_trip(scene)

    day_after = SERVICE_DATE + dt.timedelta(days=1)
    stats = await dispatch.network_stats(viewer=scene.dispatcher, start=day_after, end=day_after)

    assert stats.totals.orders == 0 and stats.totals.arrivals == 0
    assert [(r.route.code, r.trips) for r in stats.routes] == [("R1", 0)]
    assert len(stats.stations) == 4


async def test_only_dispatchers_see_the_stats_of_sensible_ranges() -> None:
    scene = await make_scene()
    for who in (viewer(scene.shop.buyer), scene.leader(1), scene.driver):
        with pytest.raises(DomainError) as refused:
            await dispatch.network_stats(viewer=who, start=SERVICE_DATE, end=SERVICE_DATE)
        assert refused.value.code is ErrorCode.NOT_ALLOWED
    with pytest.raises(DomainError) as backwards:
        await dispatch.network_stats(
            viewer=scene.dispatcher, start=SERVICE_DATE, end=SERVICE_DATE - dt.timedelta(days=1)
        )
    assert (backwards.value.code, backwards.value.field) == (ErrorCode.INVALID_INPUT, ["to"])


STATS = """
query($from: Date!, $to: Date!) {
  networkStats(from: $from, to: $to) {
    from to onTimeToleranceMinutes
    totals { orders salesFen producePurchases produceCarriedG produceCarriedFen
             downUtilization upUtilization arrivals onTimeArrivals onTimeRate }
    routes { route { code } trips figures { orders onTimeArrivals } }
    stations { station { code } routes { code } figures { orders produceCarriedG } }
  }
}
"""


async def test_the_stats_over_graphql(client: httpx.AsyncClient) -> None:
    scene = await make_scene()
    await run_the_trip(scene)
    day = SERVICE_DATE.isoformat()

    body = await gql(
        client, STATS, {"from": day, "to": day}, token=token_for(scene.shop.dispatcher)
    )

    stats = body["data"]["networkStats"]
    assert (stats["from"], stats["to"], stats["onTimeToleranceMinutes"]) == (day, day, 10)
    assert stats["totals"]["orders"] == 5 and stats["totals"]["onTimeArrivals"] == 3
    assert stats["totals"]["produceCarriedG"] == 6500
    assert stats["routes"] == [
        {"route": {"code": "R1"}, "trips": 1, "figures": {"orders": 5, "onTimeArrivals": 3}}
    ]
    assert stats["stations"][3] == {
        "station": {"code": scene.shop.station(4).code},
        "routes": [{"code": "R1"}],
        "figures": {"orders": 0, "produceCarriedG": 5000},
    }
    refused = await gql(
        client,
        STATS,
        {"from": day, "to": day},
        token=token_for(scene.leaders[1]),
        expect_errors=True,
    )
    assert refused["errors"][0]["extensions"]["code"] == "NOT_ALLOWED"
