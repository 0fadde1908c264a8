"""A notification as the person it tells sees it."""

from __future__ import annotations

import datetime as dt

import strawberry

from cungoods import models
from cungoods.api.ids import to_global_id


@strawberry.type(description="Something the viewer was told, in their language.")
class Notification:
    id: strawberry.ID = strawberry.field(description="Its id (for markNotificationsRead).")
    kind: str = strawberry.field(
        description="The event it tells of, e.g. ORDER_AT_STATION, TRIP_DELAYED, "
        "GROUP_BUY_UNMET, ORDER_REFUNDED, MONEY_RECEIVED."
    )
    text: str = strawberry.field(description="What it says, in the language it was written in.")
    language: str = strawberry.field(description="That language: zh or en.")
    created_at: dt.datetime = strawberry.field(description="When it was written.")
    read: bool = strawberry.field(description="Whether the viewer has marked it read.")

    @classmethod
    def of(cls, row: models.Notification) -> Notification:
        return cls(
            id=strawberry.ID(to_global_id("Notification", row.id)),
            kind=row.kind,
            text=row.text,
            language=row.language,
            created_at=row.created_at,
            read=row.read_at is not None,
        )
