"""The claim mutations' results."""

from __future__ import annotations

import strawberry

from cungoods.api.claims.types import ArrivalCheck, Claim, Shortage
from cungoods.api.errors import UserError


@strawberry.type(description="The result of recordShortage.")
class RecordShortagePayload:
    shortage: Shortage | None = strawberry.field(description="What the shortage did.")
    errors: list[UserError] = strawberry.field(description="Why it failed, if it did.")


@strawberry.type(description="The result of confirmArrival.")
class ConfirmArrivalPayload:
    arrival: ArrivalCheck | None = strawberry.field(description="The confirmed check.")
    errors: list[UserError] = strawberry.field(description="Why it failed, if it did.")


@strawberry.type(description="The result of fileClaim.")
class FileClaimPayload:
    claim: Claim | None = strawberry.field(description="The claim, FILED.")
    errors: list[UserError] = strawberry.field(description="Why it failed, if it did.")


@strawberry.type(description="The result of resolveClaim.")
class ResolveClaimPayload:
    claim: Claim | None = strawberry.field(description="The claim, decided.")
    errors: list[UserError] = strawberry.field(description="Why it failed, if it did.")
