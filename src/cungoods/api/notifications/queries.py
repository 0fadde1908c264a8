"""The notification queries: the viewer's inbox and its unread count."""

from __future__ import annotations

from typing import Annotated

import strawberry

from cungoods.api.context import Info
from cungoods.api.ids import from_cursor
from cungoods.api.notifications.types import Notification
from cungoods.api.scalars import Connection, connection_of
from cungoods.services import notifications


@strawberry.type
class NotificationQuery:
    @strawberry.field(description="The viewer's notifications, newest first.")
    async def my_notifications(
        self,
        info: Info,
        first: Annotated[int, strawberry.argument(description="Page size.")] = 20,
        after: Annotated[
            str | None, strawberry.argument(description="The endCursor of the previous page.")
        ] = None,
        unread_only: Annotated[
            bool, strawberry.argument(description="Only those not marked read.")
        ] = False,
    ) -> Connection[Notification]:
        page = await notifications.my_notifications(
            viewer=info.context.viewer,
            first=first,
            after_id=from_cursor(after),
            unread_only=unread_only,
            max_size=info.context.max_page_size,
        )
        return connection_of(page, Notification.of)

    @strawberry.field(description="How many of the viewer's notifications are unread.")
    async def unread_notification_count(self, info: Info) -> int:
        return await notifications.unread_count(viewer=info.context.viewer)
