"""The notification mutations: mark read, choose the language."""

from __future__ import annotations

import strawberry

from cungoods.api.accounts.types import User
from cungoods.api.context import Info
from cungoods.api.descriptions import MutationInput
from cungoods.api.errors import mutation_payload
from cungoods.api.ids import pk_of
from cungoods.api.notifications.inputs import MarkNotificationsReadInput, SetLanguageInput
from cungoods.api.notifications.payloads import MarkNotificationsReadPayload, SetLanguagePayload
from cungoods.services import notifications
from cungoods.services.notifications import ReadResult


@strawberry.type
class NotificationMutation:
    @strawberry.mutation(description="Mark the viewer's notifications read (ids, or all).")
    async def mark_notifications_read(
        self, info: Info, input: MutationInput[MarkNotificationsReadInput]
    ) -> MarkNotificationsReadPayload:
        def ids() -> list[int] | None:
            if input.ids is None:
                return None
            return [pk_of(i, "Notification", "ids") for i in input.ids]

        async def action() -> ReadResult:
            return await notifications.mark_read(
                viewer=info.context.viewer, ids=ids(), everything=input.all
            )

        return await mutation_payload(
            MarkNotificationsReadPayload,
            action,
            marked=lambda result: result.marked,
            unread_count=lambda result: result.unread,
        )

    @strawberry.mutation(
        description="Choose the language the viewer's notifications are written in."
    )
    async def set_language(
        self, info: Info, input: MutationInput[SetLanguageInput]
    ) -> SetLanguagePayload:
        return await mutation_payload(
            SetLanguagePayload,
            lambda: notifications.set_language(
                viewer=info.context.viewer, language=input.language.value
            ),
            user=lambda user: User.of(user, info),
        )
