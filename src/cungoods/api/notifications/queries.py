"""The notification queries: the viewer's inbox and its unread count."""

from __future__ import annotations

from typing import Annotated

import strawberry

from cungoods.api.context import Info
from cungoods.api.notifications.types import Notification
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
from cungoods.services import notifications


@strawberry.type
class NotificationQuery:
    @connection_field(
        description="The viewer's notifications, newest first; null with an error when signed out.",
        page_size=DEFAULT_PAGE_SIZE,
    )
    async def my_notifications(
        self,
        info: Info,
        first: FirstArg = None,
        after: AfterArg = None,
        last: LastArg = None,
        before: BeforeArg = None,
        unread_only: Annotated[
            bool, strawberry.argument(description="Only those not marked read.")
        ] = False,
    ) -> Connection[Notification] | None:
        page = await notifications.my_notifications(
            viewer=info.context.viewer,
            page_args=page_args(
                first=first, after=after, last=last, before=before, page_size=DEFAULT_PAGE_SIZE
            ),
            unread_only=unread_only,
            max_size=info.context.max_page_size,
        )
        return connection_of(page, Notification.of)

    @strawberry.field(description="How many of the viewer's notifications are unread.")
    async def unread_notification_count(self, info: Info) -> int | None:
        return await notifications.unread_count(viewer=info.context.viewer)
