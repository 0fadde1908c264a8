"""The produce queries: listings, purchase requests and the viewer's purchases."""

from __future__ import annotations

from typing import Annotated

import strawberry

from cungoods.api.context import Info
from cungoods.api.produce.inputs import ProduceListingFilter, listing_criteria
from cungoods.api.produce.types import ProduceListing, ProducePurchase, ProduceRequest
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
from cungoods.services import listings, purchases, requests, returns


@strawberry.type
class ProduceQuery:
    @connection_field(
        description="Farmers' produce for sale, filtered by category, township, station, ready "
        "date and text.",
        page_size=DEFAULT_PAGE_SIZE,
    )
    async def produce_listings(
        self,
        info: Info,
        filter: Annotated[
            ProduceListingFilter | None,
            strawberry.argument(
                description="Which listings: every field given narrows the list; none, every "
                "open listing."
            ),
        ] = None,
        first: FirstArg = None,
        after: AfterArg = None,
        last: LastArg = None,
        before: BeforeArg = None,
    ) -> Connection[ProduceListing]:
        page = await listings.produce_listings(
            criteria=listing_criteria(filter),
            page_args=page_args(
                first=first, after=after, last=last, before=before, page_size=DEFAULT_PAGE_SIZE
            ),
            max_size=info.context.max_page_size,
        )
        return connection_of(page, ProduceListing.of)

    @connection_field(
        description="Purchase requests (求购) farmers may quote on.", page_size=DEFAULT_PAGE_SIZE
    )
    async def produce_requests(
        self,
        info: Info,
        first: FirstArg = None,
        after: AfterArg = None,
        last: LastArg = None,
        before: BeforeArg = None,
        open_only: Annotated[
            bool,
            strawberry.argument(
                description="Only requests still taking offers (OPEN); false: fulfilled and "
                "closed ones too."
            ),
        ] = True,
    ) -> Connection[ProduceRequest]:
        page = await requests.produce_requests(
            open_only=open_only,
            page_args=page_args(
                first=first, after=after, last=last, before=before, page_size=DEFAULT_PAGE_SIZE
            ),
            max_size=info.context.max_page_size,
        )
        return connection_of(page, ProduceRequest.of)

    @connection_field(
        description="The viewer's produce purchases: as a buyer, and of their listings as a "
        "farmer; null with an error when signed out.",
        page_size=DEFAULT_PAGE_SIZE,
    )
    async def my_purchases(
        self,
        info: Info,
        first: FirstArg = None,
        after: AfterArg = None,
        last: LastArg = None,
        before: BeforeArg = None,
    ) -> Connection[ProducePurchase] | None:
        page = await purchases.my_purchases(
            viewer=info.context.viewer,
            page_args=page_args(
                first=first, after=after, last=last, before=before, page_size=DEFAULT_PAGE_SIZE
            ),
            max_size=info.context.max_page_size,
        )
        return connection_of(page, lambda purchase: ProducePurchase.of(purchase, info))

    @connection_field(
        description="Produce waiting at the hub longer than the pickup grace period "
        "(CUNGOODS_PICKUP_GRACE_DAYS) after its bus arrived (DISPATCHER): the buyers to call.",
        page_size=DEFAULT_PAGE_SIZE,
    )
    async def overdue_produce(
        self,
        info: Info,
        first: FirstArg = None,
        after: AfterArg = None,
        last: LastArg = None,
        before: BeforeArg = None,
    ) -> Connection[ProducePurchase] | None:
        page = await returns.overdue_produce(
            viewer=info.context.viewer,
            page_args=page_args(
                first=first, after=after, last=last, before=before, page_size=DEFAULT_PAGE_SIZE
            ),
            max_size=info.context.max_page_size,
        )
        return connection_of(page, lambda purchase: ProducePurchase.of(purchase, info))
