"""The claim queries: claims (the dispatchers' queue) and myClaims."""

from __future__ import annotations

from typing import Annotated

import strawberry

from cungoods.api.claims.types import Claim, ClaimStatus
from cungoods.api.context import Info
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
from cungoods.services import claims


@strawberry.type
class ClaimQuery:
    @connection_field(
        description="Claims, oldest first, optionally of one status (DISPATCHER).",
        page_size=DEFAULT_PAGE_SIZE,
    )
    async def claims(
        self,
        info: Info,
        status: Annotated[
            ClaimStatus | None, strawberry.argument(description="Only claims in this status.")
        ] = None,
        first: FirstArg = None,
        after: AfterArg = None,
        last: LastArg = None,
        before: BeforeArg = None,
    ) -> Connection[Claim] | None:
        page = await claims.claims(
            viewer=info.context.viewer,
            status=status,
            page_args=page_args(
                first=first, after=after, last=last, before=before, page_size=DEFAULT_PAGE_SIZE
            ),
            max_size=info.context.max_page_size,
        )
        return connection_of(page, Claim.of)

    @connection_field(
        description="The claims on the viewer's own orders (theirs and the arrival checks'), "
        "newest first.",
        page_size=DEFAULT_PAGE_SIZE,
    )
    async def my_claims(
        self,
        info: Info,
        first: FirstArg = None,
        after: AfterArg = None,
        last: LastArg = None,
        before: BeforeArg = None,
    ) -> Connection[Claim] | None:
        page = await claims.my_claims(
            viewer=info.context.viewer,
            page_args=page_args(
                first=first, after=after, last=last, before=before, page_size=DEFAULT_PAGE_SIZE
            ),
            max_size=info.context.max_page_size,
        )
        return connection_of(page, Claim.of)
