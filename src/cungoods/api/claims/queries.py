"""The claim queries: claims (the dispatchers' queue) and myClaims."""

from __future__ import annotations

from typing import Annotated

import strawberry

from cungoods.api.claims.types import Claim, ClaimStatus
from cungoods.api.context import Info
from cungoods.api.ids import from_cursor
from cungoods.api.scalars import Connection, connection_of
from cungoods.services import claims


@strawberry.type
class ClaimQuery:
    @strawberry.field(description="Claims, oldest first, optionally of one status (DISPATCHER).")
    async def claims(
        self,
        info: Info,
        status: Annotated[
            ClaimStatus | None, strawberry.argument(description="Only claims in this status.")
        ] = None,
        first: Annotated[int, strawberry.argument(description="Page size.")] = 20,
        after: Annotated[
            str | None, strawberry.argument(description="The endCursor of the page before.")
        ] = None,
    ) -> Connection[Claim]:
        page = await claims.claims(
            viewer=info.context.viewer,
            status=status,
            first=first,
            after_id=from_cursor(after),
            max_size=info.context.max_page_size,
        )
        return connection_of(page, Claim.of)

    @strawberry.field(
        description="The claims on the viewer's own orders (theirs and the arrival checks'), "
        "newest first."
    )
    async def my_claims(
        self,
        info: Info,
        first: Annotated[int, strawberry.argument(description="Page size.")] = 20,
        after: Annotated[
            str | None, strawberry.argument(description="The endCursor of the page before.")
        ] = None,
    ) -> Connection[Claim]:
        page = await claims.my_claims(
            viewer=info.context.viewer,
            first=first,
            after_id=from_cursor(after),
            max_size=info.context.max_page_size,
        )
        return connection_of(page, Claim.of)
