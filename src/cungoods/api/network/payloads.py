"""The network mutations' results."""

from __future__ import annotations

import strawberry

from cungoods.api.errors import UserError
from cungoods.api.network.types import Trip


@strawberry.type(description="The result of scheduleTrips.")
class ScheduleTripsPayload:
    trips: list[Trip] = strawberry.field(description="The trips in the range, new or existing.")
    errors: list[UserError] = strawberry.field(description="Why it failed, if it did.")
