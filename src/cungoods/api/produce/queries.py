"""The produce queries: listings, purchase requests and the viewer's purchases."""

from __future__ import annotations

from typing import Annotated

import strawberry

from cungoods.api.context import Info
from cungoods.api.ids import from_cursor
from cungoods.api.produce.inputs import ProduceListingFilter, listing_criteria
from cungoods.api.produce.types import ProduceListing, ProducePurchase, ProduceRequest
from cungoods.api.scalars import Connection, connection_of
from cungoods.services import listings, purchases, requests, returns


@strawberry.type
class ProduceQuery:
    @strawberry.field(
        description="Farmers' produce for sale, filtered by category, township, station, ready "
        "date and text."
    )
    async def produce_listings(
        self,
        info: Info,
        filter: ProduceListingFilter | None = None,
        first: int = 20,
        after: str | None = None,
    ) -> Connection[ProduceListing]:
        page = await listings.produce_listings(
            criteria=listing_criteria(filter),
            first=first,
            after_id=from_cursor(after),
            max_size=info.context.max_page_size,
        )
        return connection_of(page, ProduceListing.of)

    @strawberry.field(description="Purchase requests (求购) farmers may quote on.")
    async def produce_requests(
        self, info: Info, first: int = 20, after: str | None = None, open_only: bool = True
    ) -> Connection[ProduceRequest]:
        page = await requests.produce_requests(
            open_only=open_only,
            first=first,
            after_id=from_cursor(after),
            max_size=info.context.max_page_size,
        )
        return connection_of(page, ProduceRequest.of)

    @strawberry.field(
        description="The viewer's produce purchases: as a buyer, and of their listings as a farmer."
    )
    async def my_purchases(
        self, info: Info, first: int = 20, after: str | None = None
    ) -> Connection[ProducePurchase]:
        page = await purchases.my_purchases(
            viewer=info.context.viewer,
            first=first,
            after_id=from_cursor(after),
            max_size=info.context.max_page_size,
        )
        return connection_of(page, lambda purchase: ProducePurchase.of(purchase, info))

    @strawberry.field(
        description="Produce waiting at the hub longer than the pickup grace period "
        "(CUNGOODS_PICKUP_GRACE_DAYS) after its bus arrived (DISPATCHER): the buyers to call."
    )
    async def overdue_produce(
        self,
        info: Info,
        first: Annotated[int, strawberry.argument(description="How many, at most.")] = 20,
        after: Annotated[
            str | None, strawberry.argument(description="The cursor to continue after.")
        ] = None,
    ) -> Connection[ProducePurchase]:
        page = await returns.overdue_produce(
            viewer=info.context.viewer,
            first=first,
            after_id=from_cursor(after),
            max_size=info.context.max_page_size,
        )
        return connection_of(page, lambda purchase: ProducePurchase.of(purchase, info))
