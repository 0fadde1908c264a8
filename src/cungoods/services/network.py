"""Reads of the network: routes, stations, trips."""

from __future__ import annotations

import datetime as dt

from tortoise import Model
from tortoise.expressions import Q

from cungoods.models import Route, Station, Trip
from cungoods.services.errors import DomainError, ErrorCode
from cungoods.services.pagination import Page, PageArgs, page
from cungoods.services.search import exact_filter, search_text


def _longest(model: type[Model], column: str) -> int:
    longest: int = model._meta.fields_map[column].max_length  # type: ignore[attr-defined]
    return longest


async def routes() -> list[Route]:
    return await Route.all().order_by("code")


async def stations(
    *, page_args: PageArgs, township: str | None, search: str | None, max_size: int
) -> Page[Station]:
    query = Station.all()
    township = exact_filter(township, _longest(Station, "township"), ["township"])
    if township:
        query = query.filter(township=township)
    text = search_text(search, ["search"])
    if text:
        query = query.filter(
            Q(name__icontains=text)
            | Q(village__icontains=text)
            | Q(township__icontains=text)
            | Q(code__iexact=text)
        )
    return await page(query, window=page_args, max_size=max_size)


async def trips(*, service_date: dt.date, route_code: str | None) -> list[Trip]:
    query = Trip.filter(service_date=service_date)
    if route_code is not None:
        route = await route_by_code(route_code)
        query = query.filter(route_id=route.id)
    return await query.order_by("departs_at", "route_id")


async def route_by_code(code: str) -> Route:
    """The route with this code; NOT_FOUND (not a failed filter) for any other string."""
    max_length = Route._meta.fields_map["code"].max_length  # type: ignore[attr-defined]
    route = await Route.get_or_none(code=code) if 0 < len(code) <= max_length else None
    if route is None:
        raise DomainError(ErrorCode.NOT_FOUND, f"no route {code[:40]!r}", ["routeCode"])
    return route
