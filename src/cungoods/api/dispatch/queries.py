"""The dispatch queries: pickList, loadingPlan, stationManifest, networkStats."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import strawberry

from cungoods.api.context import Info
from cungoods.api.dispatch.manifests import StationManifest, manifests_of
from cungoods.api.dispatch.plans import LoadingPlan, PickList
from cungoods.api.dispatch.stats import NetworkStats
from cungoods.api.dispatch.types import users_of
from cungoods.api.extensions.response_cache import answer_shows_trips
from cungoods.api.ids import pk_of
from cungoods.services import dispatch

TripArg = Annotated[strawberry.ID, strawberry.argument(description="The trip.")]


@strawberry.type
class DispatchQuery:
    @strawberry.field(
        description="Per product the units to pick for a trip, and per station the crates "
        "(DISPATCHER)."
    )
    async def pick_list(self, info: Info, trip_id: TripArg) -> PickList | None:
        trip_pk = pk_of(trip_id, "Trip", "tripId")
        answer_shows_trips(info, (trip_pk,))
        picks = await dispatch.pick_list(viewer=info.context.viewer, trip_id=trip_pk)
        return PickList.of(picks)

    @strawberry.field(
        description="A trip's crates in loading order, its produce to collect, and the load of "
        "every leg (DISPATCHER, or the trip's DRIVER)."
    )
    async def loading_plan(self, info: Info, trip_id: TripArg) -> LoadingPlan | None:
        trip_pk = pk_of(trip_id, "Trip", "tripId")
        answer_shows_trips(info, (trip_pk,))
        plan = await dispatch.loading_plan(viewer=info.context.viewer, trip_id=trip_pk)
        farmers = {p.farmer_id for c in plan.collections for p in c.produce}
        viewer = info.context.viewer
        shows_prices = viewer is not None and viewer.is_dispatcher
        return LoadingPlan.of(plan, await users_of(info, farmers), prices=shows_prices)

    @strawberry.field(
        description="What to hand out and take in at a station on a trip (DISPATCHER, or that "
        "station's LEADER)."
    )
    async def station_manifest(
        self,
        info: Info,
        trip_id: TripArg,
        station_id: Annotated[strawberry.ID, strawberry.argument(description="The station.")],
    ) -> StationManifest | None:
        trip_pk = pk_of(trip_id, "Trip", "tripId")
        answer_shows_trips(info, (trip_pk,))
        manifest = await dispatch.station_manifest(
            viewer=info.context.viewer,
            trip_id=trip_pk,
            station_id=pk_of(station_id, "Station", "stationId"),
        )
        return (await manifests_of(info, [manifest]))[manifest.station_id]

    @strawberry.field(
        description="Orders, sales, produce carried to the city, utilization out and back, and "
        "on-time arrivals, per route and per station, over service dates (DISPATCHER)."
    )
    async def network_stats(
        self,
        info: Info,
        from_: Annotated[dt.date, strawberry.argument(name="from", description="First date.")],
        to: Annotated[dt.date, strawberry.argument(description="Last date (inclusive).")],
    ) -> NetworkStats | None:
        stats = await dispatch.network_stats(viewer=info.context.viewer, start=from_, end=to)
        return NetworkStats.of(stats)
