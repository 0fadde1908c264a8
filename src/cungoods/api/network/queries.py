"""The network queries: routes, stations, the trips of a date, a trip."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import strawberry

from cungoods.api.context import Info
from cungoods.api.descriptions import SearchArg
from cungoods.api.extensions.response_cache import answer_shows_trips
from cungoods.api.ids import pk_of
from cungoods.api.network.types import Route, Station, Trip, trip_by_id
from cungoods.api.scalars import (
    DEFAULT_PAGE_SIZE,
    AfterArg,
    BeforeArg,
    Connection,
    FirstArg,
    LastArg,
    connection_field,
    connection_of,
    page_args,
)
from cungoods.services import network


@strawberry.type
class NetworkQuery:
    @strawberry.field(description="All routes, by code.")
    async def routes(self) -> list[Route]:
        return [Route.of(route) for route in await network.routes()]

    @connection_field(
        description="Village stations, filtered by township or text.", page_size=DEFAULT_PAGE_SIZE
    )
    async def stations(
        self,
        info: Info,
        first: FirstArg = None,
        after: AfterArg = None,
        last: LastArg = None,
        before: BeforeArg = None,
        township: Annotated[
            str | None,
            strawberry.argument(
                description="Only the stations of this township (its exact name, at most 50 "
                "characters)."
            ),
        ] = None,
        search: SearchArg = None,
    ) -> Connection[Station]:
        page = await network.stations(
            page_args=page_args(
                first=first, after=after, last=last, before=before, page_size=DEFAULT_PAGE_SIZE
            ),
            township=township,
            search=search,
            max_size=info.context.max_page_size,
        )
        return connection_of(page, Station.of)

    @strawberry.field(description="The trips of a service date, optionally of one route.")
    async def trips(
        self,
        info: Info,
        date: Annotated[dt.date, strawberry.argument(description="The service date of the trips.")],
        route_code: Annotated[
            str | None, strawberry.argument(description="Only the trips of this route (its code).")
        ] = None,
    ) -> list[Trip]:
        found = await network.trips(service_date=date, route_code=route_code)
        # A trip added to the date records an event of no trip (services/scheduling.py).
        answer_shows_trips(info, (trip.id for trip in found))
        return [Trip.of(trip) for trip in found]

    @strawberry.field(description="A trip by id.")
    async def trip(
        self,
        info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description="The trip's global id.")],
    ) -> Trip | None:
        trip_id = pk_of(id, "Trip")
        answer_shows_trips(info, (trip_id,))
        return await trip_by_id(info, trip_id)
