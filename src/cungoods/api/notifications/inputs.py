"""The notification mutations' inputs."""

from __future__ import annotations

import strawberry

from cungoods.api.accounts.types import Language


@strawberry.input(description="Which of the viewer's notifications to mark read: ids, or all.")
class MarkNotificationsReadInput:
    ids: list[strawberry.ID] | None = strawberry.field(
        default=None, description="These notifications (at most 100); others' ids are ignored."
    )
    all: bool = strawberry.field(default=False, description="Every unread notification.")


@strawberry.input(description="The language the viewer's notifications are written in.")
class SetLanguageInput:
    language: Language = strawberry.field(description="zh (the default) or en.")
