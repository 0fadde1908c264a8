"""The trip mutations' results."""

from __future__ import annotations

import strawberry

from cungoods.api.errors import UserError
from cungoods.api.network.types import Trip
from cungoods.api.trips.types import TripChangeReport


@strawberry.type(description="The result of recordTripEvent.")
class RecordTripEventPayload:
    trip: Trip | None = strawberry.field(description="The trip as it is now.")
    errors: list[UserError] = strawberry.field(description="Why it failed, if it did.")


@strawberry.type(description="The result of markLoaded.")
class MarkLoadedPayload:
    trip: Trip | None = strawberry.field(description="The trip, its orders now LOADED.")
    errors: list[UserError] = strawberry.field(description="Why it failed, if it did.")


@strawberry.type(description="The result of swapTripVehicle.")
class SwapTripVehiclePayload:
    trip: Trip | None = strawberry.field(description="The trip, with its new vehicle.")
    report: TripChangeReport | None = strawberry.field(
        description="What no longer fitted and where it went."
    )
    errors: list[UserError] = strawberry.field(description="Why it failed, if it did.")


@strawberry.type(description="The result of cancelTrip.")
class CancelTripPayload:
    trip: Trip | None = strawberry.field(description="The trip, cancelled.")
    report: TripChangeReport | None = strawberry.field(
        description="Where what was booked on it went."
    )
    errors: list[UserError] = strawberry.field(description="Why it failed, if it did.")
