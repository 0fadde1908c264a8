"""The network mutation: scheduleTrips."""

from __future__ import annotations

import strawberry

from cungoods.api.context import Info
from cungoods.api.descriptions import MutationInput
from cungoods.api.errors import mutation_payload
from cungoods.api.network.inputs import ScheduleTripsInput
from cungoods.api.network.payloads import ScheduleTripsPayload
from cungoods.api.network.types import Trip
from cungoods.services import scheduling


@strawberry.type
class NetworkMutation:
    @strawberry.mutation(description="Create a route's trips from its timetable (DISPATCHER).")
    async def schedule_trips(
        self, info: Info, input: MutationInput[ScheduleTripsInput]
    ) -> ScheduleTripsPayload:
        return await mutation_payload(
            ScheduleTripsPayload,
            lambda: scheduling.schedule_trips(
                viewer=info.context.viewer,
                route_code=input.route_code,
                start=input.from_,
                end=input.to,
            ),
            trips=lambda trips: [Trip.of(trip) for trip in trips],
        )
