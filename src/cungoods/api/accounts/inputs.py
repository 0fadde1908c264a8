"""The accounts mutations' inputs."""

from __future__ import annotations

import strawberry

from cungoods.api.accounts.types import Language, Role


@strawberry.input(description="Open a BUYER or FARMER account.")
class RegisterInput:
    phone: str = strawberry.field(description="Mainland mobile number, 11 digits.")
    password: str = strawberry.field(description="At least 8 characters.")
    name: str = strawberry.field(description="Display name.")
    role: Role = strawberry.field(description="BUYER or FARMER.")
    station_id: strawberry.ID | None = strawberry.field(
        default=None, description="Home station (a farmer's handover station; required for FARMER)."
    )
    language: Language = strawberry.field(
        default=Language.ZH, description="The language of their notifications (default zh)."
    )


@strawberry.input(description="Sign in.")
class LoginInput:
    phone: str = strawberry.field(description="The registered phone number.")
    password: str = strawberry.field(description="The password.")


@strawberry.input(description="Give a user a role (ADMIN only).")
class AssignRoleInput:
    user_id: strawberry.ID = strawberry.field(description="The user.")
    role: Role = strawberry.field(description="The role to add.")
    station_id: strawberry.ID | None = strawberry.field(
        default=None, description="The station, for LEADER."
    )
