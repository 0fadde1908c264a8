"""The order queries: myOrders, order, capacityOutlook."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import strawberry

from cungoods.api.context import Info
from cungoods.api.extensions.response_cache import answer_shows_trips
from cungoods.api.ids import pk_of
from cungoods.api.orders.types import DayCapacity, Order
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
from cungoods.services import orders


@strawberry.type
class OrderQuery:
    @connection_field(
        description="The viewer's orders, newest first; null with an error when signed out.",
        page_size=DEFAULT_PAGE_SIZE,
    )
    async def my_orders(
        self,
        info: Info,
        first: FirstArg = None,
        after: AfterArg = None,
        last: LastArg = None,
        before: BeforeArg = None,
    ) -> Connection[Order] | None:
        page = await orders.my_orders(
            viewer=info.context.viewer,
            page_args=page_args(
                first=first, after=after, last=last, before=before, page_size=DEFAULT_PAGE_SIZE
            ),
            max_size=info.context.max_page_size,
        )
        return connection_of(page, lambda order: Order.of(order, info))

    @strawberry.field(
        description="An order: its buyer, its station's leader and dispatchers may see it "
        "(null with an error for anyone else)."
    )
    async def order(
        self,
        info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description="The order's global id.")],
    ) -> Order | None:
        found = await orders.get_order(viewer=info.context.viewer, order_id=pk_of(id, "Order"))
        # An order's move to another trip records an event naming the trip it left.
        answer_shows_trips(info, (found.trip_id,))
        return Order.of(found, info)

    @strawberry.field(description="Per date, the bus room left down to and up from a station.")
    async def capacity_outlook(
        self,
        station_id: Annotated[strawberry.ID, strawberry.argument(description="The station.")],
        from_: Annotated[dt.date, strawberry.argument(name="from", description="First date.")],
        days: Annotated[int, strawberry.argument(description="How many dates (1 to 14).")],
    ) -> list[DayCapacity]:
        outlook = await orders.capacity_outlook(
            station_id=pk_of(station_id, "Station", "stationId"), start=from_, days=days
        )
        return [DayCapacity.of(day) for day in outlook]
