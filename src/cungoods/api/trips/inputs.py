"""The trip mutations' inputs."""

from __future__ import annotations

import strawberry

from cungoods.api.trips.types import TripEventKind


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
    idempotency_key: str | None = strawberry.field(
        default=None,
        description="Any unique string (1 to 100 characters) per report: a retry with the same "
        "key and the same report is applied once and answers the trip as it is.",
    )


@strawberry.input(description="Run a scheduled trip with another vehicle.")
class SwapTripVehicleInput:
    trip_id: strawberry.ID = strawberry.field(description="The trip.")
    vehicle_id: strawberry.ID = strawberry.field(description="The vehicle to run it with.")


@strawberry.input(description="Cancel a trip that has not finished.")
class CancelTripInput:
    trip_id: strawberry.ID = strawberry.field(description="The trip.")
    reason: str = strawberry.field(
        default="", description="Why, for the people waiting (at most 200 characters)."
    )


@strawberry.input(description="Input of markLoaded.")
class MarkLoadedInput:
    trip_id: strawberry.ID = strawberry.field(description="The trip whose bus is loaded.")
