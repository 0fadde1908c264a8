"""The notification mutations' results."""

from __future__ import annotations

import strawberry

from cungoods.api.accounts.types import User
from cungoods.api.errors import UserError


@strawberry.type(description="The result of markNotificationsRead.")
class MarkNotificationsReadPayload:
    marked: int | None = strawberry.field(description="How many were unread and are now read.")
    unread_count: int | None = strawberry.field(description="How many are still unread.")
    errors: list[UserError] = strawberry.field(description="Why it failed, if it did.")


@strawberry.type(description="The result of setLanguage.")
class SetLanguagePayload:
    user: User | None = strawberry.field(description="The viewer, with the new language.")
    errors: list[UserError] = strawberry.field(description="Why it failed, if it did.")
