"""The accounts query: the signed-in user."""

from __future__ import annotations

import strawberry

from cungoods.api.accounts.types import User, user_by_id
from cungoods.api.context import Info


@strawberry.type
class AccountQuery:
    @strawberry.field(description="The signed-in user, or null.")
    async def viewer(self, info: Info) -> User | None:
        viewer = info.context.viewer
        return None if viewer is None else await user_by_id(info, viewer.id)
