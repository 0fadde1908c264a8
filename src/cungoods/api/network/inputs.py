"""The network mutations' inputs."""

from __future__ import annotations

import datetime as dt

import strawberry


@strawberry.input(description="Create the dated trips of a route's timetable.")
class ScheduleTripsInput:
    route_code: str = strawberry.field(description="The route, e.g. R1.")
    from_: dt.date = strawberry.field(name="from", description="First service date.")
    to: dt.date = strawberry.field(description="Last service date (inclusive).")
