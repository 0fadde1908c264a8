"""Trip events in the API: recordTripEvent (the trip's driver, or a dispatcher)."""

from __future__ import annotations

import strawberry

from cungoods import models
from cungoods.api.context import Info
from cungoods.api.errors import UserError, attempt
from cungoods.api.ids import pk_of
from cungoods.api.network import Trip
from cungoods.services import trips
from cungoods.services.trips import TripEventKind as DomainTripEventKind

TripEventKind = strawberry.enum(
    DomainTripEventKind, name="TripEventKind", description="What happened to a trip."
)


@strawberry.input(description="Report what happened to a trip.")
class RecordTripEventInput:
    trip_id: strawberry.ID = strawberry.field(description="The trip.")
    kind: TripEventKind = strawberry.field(
        description="DEPARTED (from the hub), ARRIVED or LEFT (a stop), DELAYED, COMPLETED, "
        "CANCELLED."
    )
    stop_seq: int | None = strawberry.field(
        default=None,
        description="The stop: required for ARRIVED (1 to the last, the hub) and LEFT (a "
        "station); 0 or omitted for DEPARTED; where the bus is, optionally, for DELAYED.",
    )
    minutes: int | None = strawberry.field(
        default=None, description="For DELAYED: how many minutes later the stops ahead will be."
    )
    note: str | None = strawberry.field(
        default=None, description="A word for the people waiting (why it is late, cancelled)."
    )


@strawberry.type(description="The result of recordTripEvent.")
class RecordTripEventPayload:
    trip: Trip | None = strawberry.field(description="The trip as it is now.")
    errors: list[UserError] = strawberry.field(description="Why it failed, if it did.")


@strawberry.type
class TripMutation:
    @strawberry.mutation(
        description="Report a trip's departure, arrival or departure at a stop, delay, "
        "completion or cancellation (the trip's DRIVER, or a DISPATCHER); moves what is on board."
    )
    async def record_trip_event(
        self, info: Info, input: RecordTripEventInput
    ) -> RecordTripEventPayload:
        async def run() -> models.Trip:
            return await trips.record_trip_event(
                viewer=info.context.viewer,
                trip_id=pk_of(input.trip_id, "Trip", "tripId"),
                kind=DomainTripEventKind(input.kind),
                stop_seq=input.stop_seq,
                minutes=input.minutes,
                note=input.note or "",
            )

        trip, errors = await attempt(run())
        return RecordTripEventPayload(trip=None if trip is None else Trip.of(trip), errors=errors)
